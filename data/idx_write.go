package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// EncodeIDX writes an unsigned-byte IDX stream: the magic 0x0000 08 len(dims), the dims
// big-endian, then the payload, which must hold prod(dims) bytes.
func EncodeIDX(w io.Writer, dims []int, payload []uint8) error {
	total := 1
	hdr := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		total *= d
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(d))
	}
	if total != len(payload) {
		return fmt.Errorf("data: EncodeIDX: dims %v need %d bytes, payload has %d", dims, total, len(payload))
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// WriteIDX writes an IDX file atomically (temporary file, then rename), gzip-compressed
// when path ends in ".gz".
func WriteIDX(path string, dims []int, payload []uint8) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("data: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	var w io.Writer = bw
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(bw)
		w = zw
	}
	if err = EncodeIDX(w, dims, payload); err != nil {
		return fmt.Errorf("data: write %s: %w", path, err)
	}
	if zw != nil {
		if err = zw.Close(); err != nil {
			return fmt.Errorf("data: write %s: %w", path, err)
		}
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("data: write %s: %w", path, err)
	}
	// CreateTemp makes the file 0600; a dataset is ordinary shared data.
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("data: write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("data: write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("data: write %s: %w", path, err)
	}
	return nil
}

// WriteDir writes a dataset as the four standard IDX files in dir (created if needed),
// gzip-compressed if gz, so other tools (or Load) can read it back.
func WriteDir(ds *Dataset, dir string, gz bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	ext := ""
	if gz {
		ext = ".gz"
	}
	for k, s := range []*Set{ds.Train, ds.Test} {
		if err := WriteIDX(filepath.Join(dir, FileNames[2*k]+ext), []int{s.N, s.H, s.W}, s.Images); err != nil {
			return err
		}
		if err := WriteIDX(filepath.Join(dir, FileNames[2*k+1]+ext), []int{s.N}, s.Labels); err != nil {
			return err
		}
	}
	return nil
}
