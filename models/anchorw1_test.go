package models

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// anchorHeader builds the first bytes of an ANCHORW1 file from raw u32 words.
func anchorHeader(words ...uint32) []byte {
	b := []byte(anchorMagic)
	for _, w := range words {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	return b
}

// Sizes read from the file are checked against the bytes present before anything
// is allocated: none of these may panic or allocate what the header claims.
func TestDecodeANCHORW1Hostile(t *testing.T) {
	cases := []struct {
		name string
		buf  []byte
		want string
	}{
		// The 24-byte file that once panicked with "makeslice: len out of range":
		// rank 2, dims 0x30303030 × 0xff303030 (the product overflows int64 when ×4).
		{"overflowing shape", anchorHeader(1, 2, 0x30303030, 0xff303030), "needs more than"},
		{"huge single dim", anchorHeader(1, 1, 0xffffffff), "needs more than"},
		{"count beyond the bytes", anchorHeader(60000), "declares 60000 tensors"},
		{"count beyond the limit", anchorHeader(1 << 20), "implausible tensor count"},
		{"rank beyond the limit", anchorHeader(1, 9), "implausible rank"},
		{"truncated shape", anchorHeader(1, 3, 2), "truncated shape"},
		{"short data", append(anchorHeader(1, 1, 2), 0, 0, 0, 0), "needs more than the 4 bytes left"},
		{"trailing bytes", append(anchorHeader(1, 1, 1), 0, 0, 0, 0, 9), "1 trailing bytes"},
		{"bad magic", []byte("ANCHORW2\x00\x00\x00\x00"), "not an ANCHORW1 file"},
		{"empty", nil, "not an ANCHORW1 file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts, err := decodeANCHORW1(c.buf)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("decode = %d tensors, error %v; want an error mentioning %q", len(ts), err, c.want)
			}
		})
	}
}

// LoadInit names the file and exits through an error, not a panic.
func TestLoadInitCraftedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.anchorw1")
	if err := os.WriteFile(path, anchorHeader(1, 2, 0x30303030, 0xff303030), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := New("mlp", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := LoadInit(m, path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("LoadInit = %v, want an error naming %s", err, path)
	}
}

func TestANCHORW1RoundTrip(t *testing.T) {
	in := []Tensor{{Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}, {Shape: []int{0}, Data: nil}, {Shape: []int{}, Data: []float32{7}}}
	var b bytes.Buffer
	if err := WriteANCHORW1(&b, in); err != nil {
		t.Fatal(err)
	}
	out, err := decodeANCHORW1(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("%d tensors back, want %d", len(out), len(in))
	}
	for i := range in {
		if !slices.Equal(out[i].Shape, in[i].Shape) || len(out[i].Data) != len(in[i].Data) {
			t.Errorf("tensor %d: %v (%d values), want %v (%d)", i, out[i].Shape, len(out[i].Data), in[i].Shape, len(in[i].Data))
		}
		for k := range in[i].Data {
			if out[i].Data[k] != in[i].Data[k] {
				t.Errorf("tensor %d[%d] = %g, want %g", i, k, out[i].Data[k], in[i].Data[k])
			}
		}
	}
}

// FuzzDecodeANCHORW1: any input decodes or fails cleanly; what decodes is
// consistent (data length matches the shape) and re-encodes to the same bytes.
func FuzzDecodeANCHORW1(f *testing.F) {
	f.Add(anchorHeader(1, 2, 0x30303030, 0xff303030))
	f.Add(append(anchorHeader(1, 1, 1), 0, 0, 0x80, 0x3f))
	f.Add(anchorHeader(0))
	if b, err := os.ReadFile("testdata/lenet.init.anchorw1"); err == nil && len(b) < 1<<16 {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, buf []byte) {
		ts, err := decodeANCHORW1(buf)
		if err != nil {
			return
		}
		for i, x := range ts {
			n := 1
			for _, d := range x.Shape {
				n *= d
			}
			if n != len(x.Data) {
				t.Fatalf("tensor %d: shape %v but %d values", i, x.Shape, len(x.Data))
			}
		}
		var b bytes.Buffer
		if err := WriteANCHORW1(&b, ts); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), buf) {
			t.Fatalf("re-encoding differs from the input")
		}
	})
}
