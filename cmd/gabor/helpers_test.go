package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// testIO returns streams backed by buffers (not a terminal) and the buffers.
func testIO() (*ioStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &ioStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut}, out, errOut
}

// testFactory is a factory over buffers with a fixed clock.
func testFactory() (*factory, *bytes.Buffer, *bytes.Buffer) {
	io, out, errOut := testIO()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &factory{IO: io, Now: func() time.Time { return now }}, out, errOut
}

// runCLI runs the whole command line as main does, against buffers, and returns
// stdout, stderr and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	f, out, errOut := testFactory()
	code := execute(context.Background(), f, args)
	return out.String(), errOut.String(), code
}

// parse runs a command built by a newCmd… constructor on args, with the root's flag
// error handling, and returns its error.
func parse(cmd *cobra.Command, args ...string) error {
	cmd.SetFlagErrorFunc(flagError)
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.Execute()
}

// isolateData points the dataset search at an empty folder, so tests do not depend
// on what is installed: $GABOR_DATA and the user cache.
func isolateData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("GABOR_DATA", filepath.Join(dir, "gabor-data"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("HOME", dir)
	return dir
}

// idxBytes encodes an unsigned-byte IDX file: magic 0x000008<ndims>, dims, payload.
func idxBytes(dims []int, payload []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(payload)
	return b.Bytes()
}

func gzipBytes(p []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(p)
	zw.Close()
	return b.Bytes()
}

// writeTinySet writes a valid MNIST-family set (nTrain and nTest 28×28 images, labels
// cycling 0..9) into dir, gzip-compressed, and returns the file paths by base name.
func writeTinySet(t *testing.T, dir string, nTrain, nTest int) map[string]string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	write := func(base string, content []byte) {
		p := filepath.Join(dir, base+".gz")
		if err := os.WriteFile(p, gzipBytes(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths[base] = p
	}
	for _, split := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		pix := make([]byte, split.n*28*28)
		lab := make([]byte, split.n)
		for i := range lab {
			lab[i] = byte(i % 10)
			// A bar whose position depends on the class: a learnable toy set.
			for r := 0; r < 28; r++ {
				pix[i*784+r*28+2+2*int(lab[i])] = 255
			}
		}
		write(split.prefix+"-images-idx3-ubyte", idxBytes([]int{split.n, 28, 28}, pix))
		write(split.prefix+"-labels-idx1-ubyte", idxBytes([]int{split.n}, lab))
	}
	return paths
}

// overwrite replaces a file's content.
func overwrite(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}
