package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// IDX layout (all integers big-endian):
//
//	byte 0,1   zero
//	byte 2     element type: 0x08 unsigned byte (the only one the MNIST family uses)
//	byte 3     number of dimensions d
//	4·d bytes  the d sizes, uint32 each
//	then       the elements, row-major, prod(sizes) bytes for type 0x08
//
// So images have magic 0x00000803 (N, rows, cols) and labels 0x00000801 (N).
const (
	MagicImages = 0x00000803
	MagicLabels = 0x00000801

	// maxElements bounds what a header may declare before anything is allocated, so a
	// corrupt header cannot ask for terabytes. 1<<31 bytes is 30× full EMNIST.
	maxElements = 1 << 31
)

// idxTypeNames names the IDX element types, for error messages.
var idxTypeNames = map[byte]string{
	0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16",
	0x0C: "int32", 0x0D: "float32", 0x0E: "float64",
}

// Images is the content of one IDX3 image file.
type Images struct {
	N, H, W int
	Pix     []uint8 // N·H·W, row-major
}

// ReadImages reads an IDX3 unsigned-byte image file, raw or gzip-compressed.
func ReadImages(path string) (*Images, error) {
	dims, payload, err := readIDXFile(path, 3)
	if err != nil {
		return nil, err
	}
	return &Images{N: dims[0], H: dims[1], W: dims[2], Pix: payload}, nil
}

// ReadLabels reads an IDX1 unsigned-byte label file, raw or gzip-compressed. Label
// ranges are checked by the caller, which knows the number of classes (see CheckLabels).
func ReadLabels(path string) ([]uint8, error) {
	_, payload, err := readIDXFile(path, 1)
	return payload, err
}

// CheckLabels returns a *FileError naming path for the first label ≥ classes.
func CheckLabels(path string, labels []uint8, classes int) error {
	for i, l := range labels {
		if int(l) >= classes {
			return fileErr(path, ErrMismatch, "label %d at index %d is out of range [0,%d)", l, i, classes)
		}
	}
	return nil
}

func readIDXFile(path string, wantDims int) ([]int, []uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fileErr(path, ErrNotFound, "no such file")
		}
		return nil, nil, &FileError{Path: path, Problem: err.Error(), Kind: err}
	}
	defer f.Close()
	dims, payload, err := DecodeIDX(f, wantDims)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			fe.Path = path
			return nil, nil, fe
		}
		return nil, nil, &FileError{Path: path, Problem: err.Error(), Kind: err}
	}
	return dims, payload, nil
}

// DecodeIDX reads an unsigned-byte IDX stream with wantDims dimensions (3 for images,
// 1 for labels), gunzipping it first if it starts with the gzip magic 1f 8b. It checks
// that exactly prod(dims) payload bytes follow the header: fewer is a truncated file,
// more is trailing garbage. Errors are *FileError with an empty Path (the file-level
// readers fill it in).
func DecodeIDX(r io.Reader, wantDims int) ([]int, []uint8, error) {
	src, what, closer, err := openIDXStream(r)
	if err != nil {
		return nil, nil, err
	}
	if closer != nil {
		defer closer.Close()
	}
	dims, total, err := decodeIDXHeader(src, what, wantDims)
	if err != nil {
		return nil, nil, err
	}
	payload, n, err := readUpTo(src, total)
	if err != nil {
		return nil, nil, readFailure(what, err,
			fmt.Sprintf("truncated: header declares dims %v = %d data bytes, only %d present", dims, total, n))
	}
	// Exactly at the end? One more byte means trailing garbage; for gzip this read also
	// verifies the CRC and length trailer.
	var extra [512]byte
	n, err = io.ReadFull(src, extra[:])
	if n > 0 {
		more := ""
		if n == len(extra) {
			more = " or more"
		}
		return nil, nil, fileErr("", ErrCorrupt, "%d%s trailing bytes after the %d data bytes declared by dims %v", n, more, total, dims)
	}
	// n == 0 here, so a clean end is exactly io.EOF; io.ErrUnexpectedEOF now comes from
	// the gzip reader: its 8-byte trailer is cut short.
	if err != io.EOF {
		return nil, nil, readFailure(what, err, fmt.Sprintf("all %d data bytes present, then", total))
	}
	return dims, payload, nil
}

// openIDXStream gunzips r when it starts with the gzip magic 1f 8b. what names
// the stream in errors ("file" or "gzip stream").
func openIDXStream(r io.Reader) (io.Reader, string, io.Closer, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", nil, fileErr("", ErrCorrupt, "bad gzip header: %v", err)
		}
		return zr, "gzip stream", zr, nil
	}
	return br, "file", nil, nil
}

// decodeIDXHeader reads and checks the magic number and the dimensions, and
// returns them with the payload size they declare.
func decodeIDXHeader(src io.Reader, what string, wantDims int) ([]int, int, error) {
	var hdr [4]byte
	if n, err := io.ReadFull(src, hdr[:]); err != nil {
		return nil, 0, readFailure(what, err, fmt.Sprintf("only %d of 4 header bytes", n))
	}
	magic := binary.BigEndian.Uint32(hdr[:])
	want := uint32(0x0800 | wantDims)
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, 0, fileErr("", ErrCorrupt, "bad magic 0x%08X: not an IDX file (want 0x%08X)", magic, want)
	}
	if hdr[2] != 0x08 {
		tn, ok := idxTypeNames[hdr[2]]
		if !ok {
			tn = "unknown"
		}
		return nil, 0, fileErr("", ErrCorrupt, "bad magic 0x%08X: element type 0x%02X (%s), want 0x08 (unsigned byte)", magic, hdr[2], tn)
	}
	if int(hdr[3]) != wantDims {
		kind := map[int]string{1: "labels", 3: "images"}[wantDims]
		return nil, 0, fileErr("", ErrCorrupt, "bad magic 0x%08X: %d dimensions, want %d (0x%08X, %s)", magic, hdr[3], wantDims, want, kind)
	}
	dimBytes := make([]byte, 4*wantDims)
	if n, err := io.ReadFull(src, dimBytes); err != nil {
		return nil, 0, readFailure(what, err, fmt.Sprintf("header cut short: %d of %d dimension bytes", n, len(dimBytes)))
	}
	dims := make([]int, wantDims)
	total := 1
	for i := range dims {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		dims[i] = int(d)
		if d == 0 {
			return nil, 0, fileErr("", ErrCorrupt, "dimension %d is zero (dims %v)", i, dimsSoFar(dimBytes))
		}
		if total > maxElements/int(d) {
			return nil, 0, fileErr("", ErrCorrupt, "dims %v declare more than %d bytes", dimsSoFar(dimBytes), maxElements)
		}
		total *= int(d)
	}
	return dims, total, nil
}

// ReadIDXHeader reads only the header of an IDX file (raw or gzip: only its first
// bytes are decompressed) and returns its dimensions, so the files of a set can be
// checked against each other before any body is read.
func ReadIDXHeader(path string, wantDims int) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fileErr(path, ErrNotFound, "no such file")
		}
		return nil, &FileError{Path: path, Problem: err.Error(), Kind: err}
	}
	defer f.Close()
	src, what, closer, err := openIDXStream(f)
	if err == nil {
		if closer != nil {
			defer closer.Close()
		}
		var dims []int
		if dims, _, err = decodeIDXHeader(src, what, wantDims); err == nil {
			return dims, nil
		}
	}
	var fe *FileError
	if errors.As(err, &fe) {
		fe.Path = path
		return nil, fe
	}
	return nil, &FileError{Path: path, Problem: err.Error(), Kind: err}
}

// readUpTo reads exactly total bytes, growing its buffer as data actually arrives, so a
// header that declares gigabytes over a short (or gzip-bombed) stream costs memory in
// proportion to the bytes present, not to the claim.
func readUpTo(r io.Reader, total int) ([]uint8, int, error) {
	buf := make([]uint8, 0, min(total, 1<<22))
	for len(buf) < total {
		if len(buf) == cap(buf) {
			nb := make([]uint8, len(buf), min(total, 2*cap(buf)))
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if len(buf) == total {
				break
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, len(buf), err
		}
	}
	return buf, len(buf), nil
}

func dimsSoFar(b []byte) []uint32 {
	out := make([]uint32, len(b)/4)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return out
}

// readFailure turns an io error into a *FileError: a short read is a truncated file; a
// gzip error (bad checksum, bad block) says so.
func readFailure(what string, err error, detail string) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if what == "gzip stream" {
			return fileErr("", ErrCorrupt, "%s (gzip stream ends early: truncated download?)", detail)
		}
		return fileErr("", ErrCorrupt, "%s", detail)
	case what == "gzip stream":
		// gzip.ErrChecksum, gzip.ErrHeader, flate.CorruptInputError: the bytes are bad.
		return fileErr("", ErrCorrupt, "%s: corrupt gzip stream: %v", detail, err)
	}
	return &FileError{Problem: fmt.Sprintf("%s: %v", detail, err), Kind: err}
}
