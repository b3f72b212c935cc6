package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEncodeBytes checks the exact bytes of a small file against the format
// worked out by hand: the length prefix, the header text with each tensor's
// SHA-256 (of its 8 and 0 data bytes, computed with Python's hashlib), its
// space padding and the little-endian float32 data.
func TestEncodeBytes(t *testing.T) {
	got, err := Encode([]Tensor{
		{Name: "a", Shape: []int{2}, Data: []float32{1, -2}},
		{Name: "b", Shape: []int{1, 0}, Data: nil},
	}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	header := `{"__metadata__":{"k":"v",` +
		`"sha256:a":"ee4ac73c2bd27756ab82780f27c73a7bc4d3f0bb6acb37e008bc27eccd7e588b",` +
		`"sha256:b":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},` +
		`"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,0],"data_offsets":[8,8]}}`
	// 290 header bytes, padded with 6 spaces to 296 so the data starts at 304 = 38·8.
	want := []byte{0x28, 0x01, 0, 0, 0, 0, 0, 0}
	want = append(want, header...)
	want = append(want, "      "...)
	want = append(want, 0x00, 0x00, 0x80, 0x3f) // 1.0  = 0x3f800000
	want = append(want, 0x00, 0x00, 0x00, 0xc0) // -2.0 = 0xc0000000
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded bytes differ\n got %q\nwant %q", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	in := []Tensor{
		{Name: "fc1.weight", Shape: []int{3, 4}, Data: seq(12)},
		{Name: "fc1.bias", Shape: []int{3}, Data: []float32{float32(math.Inf(1)), float32(math.NaN()), -0}},
		{Name: "scalar", Shape: []int{}, Data: []float32{42}},
		{Name: "optim.momentum.fc1.weight", Shape: []int{3, 4}, Data: seq(12)},
	}
	meta := map[string]string{"model": "mlp", "config": `{"lr":0.05,"note":"<tag> & \"quotes\""}`, "unicode": "épochs ✓"}
	path := filepath.Join(t.TempDir(), "x.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(f, in, meta); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tensors) != len(in) {
		t.Fatalf("got %d tensors, want %d", len(out.Tensors), len(in))
	}
	for i, w := range in {
		g := out.Tensors[i] // data order is preserved
		if g.Name != w.Name || !equalInts(g.Shape, w.Shape) || len(g.Data) != len(w.Data) {
			t.Fatalf("tensor %d: got %s %v (%d), want %s %v (%d)", i, g.Name, g.Shape, len(g.Data), w.Name, w.Shape, len(w.Data))
		}
		for j := range w.Data {
			if math.Float32bits(g.Data[j]) != math.Float32bits(w.Data[j]) {
				t.Fatalf("%s[%d]: bits %08x, want %08x", w.Name, j, math.Float32bits(g.Data[j]), math.Float32bits(w.Data[j]))
			}
		}
	}
	for k, v := range meta {
		if out.Metadata[k] != v {
			t.Errorf("metadata %q = %q, want %q", k, out.Metadata[k], v)
		}
	}
	if _, ok := out.Get("fc1.bias"); !ok {
		t.Error("Get(fc1.bias) not found")
	}
}

func TestEncodeRejects(t *testing.T) {
	cases := map[string][]Tensor{
		"empty name":     {{Name: "", Shape: []int{1}, Data: []float32{1}}},
		"reserved":       {{Name: "__metadata__", Shape: []int{1}, Data: []float32{1}}},
		"duplicate":      {{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "a", Shape: []int{1}, Data: []float32{1}}},
		"shape mismatch": {{Name: "a", Shape: []int{2, 2}, Data: []float32{1}}},
		"negative dim":   {{Name: "a", Shape: []int{-1}, Data: nil}},
	}
	for name, ts := range cases {
		if _, err := Encode(ts, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// file builds a file from a raw header and data, with a correct length prefix
// and padding unless the test overrides them.
func file(header string, data []byte) []byte {
	for (len(header))%8 != 0 {
		header += " "
	}
	b := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func TestDecodeErrors(t *testing.T) {
	good, err := Encode([]Tensor{{Name: "w", Shape: []int{2, 2}, Data: seq(4)}, {Name: "b", Shape: []int{2}, Data: seq(2)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(good); err != nil {
		t.Fatalf("the valid file is rejected: %v", err)
	}
	hugeLen := append([]byte{}, good...)
	binary.LittleEndian.PutUint64(hugeLen, 1<<40)
	pastEnd := append([]byte{}, good...)
	binary.LittleEndian.PutUint64(pastEnd, uint64(len(good)))
	d16 := make([]byte, 16)
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"short file", []byte{1, 2, 3}, "shorter than the 8-byte header length"},
		{"huge header length", hugeLen, "exceeds the"},
		{"header past end", pastEnd, "runs past the end"},
		{"truncated data", good[:len(good)-3], "run past the"},
		{"trailing data", append(append([]byte{}, good...), 0, 0, 0, 0), "trailing data bytes"},
		{"not an object", file(`[1,2]`, nil), "does not start with '{'"},
		{"bad json", file(`{"w":{"dtype":"F32",`, d16), "not valid JSON"},
		{"junk after object", file(`{}x`, nil), "after the JSON object"},
		{"wrong dtype", file(`{"w":{"dtype":"F16","shape":[8],"data_offsets":[0,16]}}`, d16), `dtype "F16" is not supported`},
		{"unknown field", file(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"x":1}}`, d16), "bad header entry"},
		{"no shape", file(`{"w":{"dtype":"F32","data_offsets":[0,16]}}`, d16), "has no shape"},
		{"negative dim", file(`{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}`, d16), "invalid dimension"},
		{"three offsets", file(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8,16]}}`, d16), "has 3 entries"},
		{"reversed offsets", file(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}}`, d16), "not a valid range"},
		{"size mismatch", file(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}`, d16), "needs 12 bytes"},
		{"gap", file(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}`, d16), "leave a gap"},
		{"overlap", file(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"v":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}`, d16), "overlap"},
		{"duplicate name", file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, d16), "twice"},
		{"metadata not strings", file(`{"__metadata__":{"epoch":3}}`, nil), "must map strings to strings"},
	}
	for _, c := range cases {
		_, err := Decode(c.b)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.want)
		}
	}
}

func TestReadNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.safetensors")
	if err := os.WriteFile(path, []byte{1, 2}, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v does not name %s", err, path)
	}
}

// TestPythonReadsFile opens a file written here with the Python safetensors
// library (and torch, when present). The byte-level test above is the one that
// always asserts the format; this one runs where the library is installed.
func TestPythonReadsFile(t *testing.T) {
	py := ""
	for _, cand := range []string{"python3", "/usr/bin/python3"} {
		// Run from an empty directory: from here, "import safetensors" would
		// find gabor's own train/safetensors folder as a namespace package.
		probe := exec.Command(cand, "-c", "from safetensors.numpy import load_file")
		probe.Dir = t.TempDir()
		if probe.Run() == nil {
			py = cand
			break
		}
	}
	if py == "" {
		t.Log("python safetensors check NOT RUN: no python3 with safetensors and numpy (the byte-level test still checks the format)")
		return
	}
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	err = Write(f, []Tensor{
		{Name: "conv1.weight", Shape: []int{2, 1, 3, 3}, Data: seq(18)},
		{Name: "conv1.bias", Shape: []int{2}, Data: []float32{0.5, -0.25}},
	}, map[string]string{"model": "lenet", "epoch": "3"})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	script := `
import sys, numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file
d = load_file(sys.argv[1])
assert d["conv1.weight"].dtype == np.float32 and d["conv1.weight"].shape == (2, 1, 3, 3), d["conv1.weight"].shape
assert np.array_equal(d["conv1.weight"].ravel(), (np.arange(18, dtype=np.float32) * 0.5 - 3)), d["conv1.weight"]
assert list(d["conv1.bias"]) == [0.5, -0.25]
import hashlib
with safe_open(sys.argv[1], framework="numpy") as f:
    m = f.metadata()
    assert {k: v for k, v in m.items() if not k.startswith("sha256:")} == {"model": "lenet", "epoch": "3"}, m
    for name in f.keys():
        got = hashlib.sha256(np.ascontiguousarray(f.get_tensor(name), dtype="<f4").tobytes()).hexdigest()
        assert m["sha256:" + name] == got, (name, m["sha256:" + name], got)
print("checksums verified by hashlib")
try:
    import torch
except ImportError:
    print("torch not installed; numpy check only")
else:
    from safetensors.torch import load_file as tload
    t = tload(sys.argv[1])
    assert t["conv1.weight"].dtype == torch.float32 and tuple(t["conv1.weight"].shape) == (2, 1, 3, 3)
    print("torch", torch.__version__, "ok")
print("ok")
`
	cmd := exec.Command(py, "-c", script, path)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python safetensors rejected the file: %v\n%s", err, out)
	}
	t.Logf("python safetensors check ran: %s", strings.TrimSpace(string(out)))
}

// seq returns n floats k·0.5 − 3 (exact in float32).
func seq(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(i)*0.5 - 3
	}
	return s
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A flipped byte anywhere in a tensor's data is caught by its checksum, and the
// error names that tensor; the header cannot drop or invent checksums.
func TestChecksums(t *testing.T) {
	ts := []Tensor{
		{Name: "fc1.weight", Shape: []int{3, 4}, Data: seq(12)},
		{Name: "fc1.bias", Shape: []int{3}, Data: []float32{1, 2, 3}},
	}
	b, err := Encode(ts, map[string]string{"sha256:fc1.bias": "stale", "model": "mlp"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["sha256:fc1.bias"] == "stale" || len(f.Metadata["sha256:fc1.bias"]) != 64 {
		t.Errorf("checksum of fc1.bias is %q, want a fresh hex SHA-256", f.Metadata["sha256:fc1.bias"])
	}
	dataStart := len(b) - 4*15
	for _, c := range []struct {
		at     int
		tensor string
	}{{dataStart, "fc1.weight"}, {dataStart + 47, "fc1.weight"}, {dataStart + 48, "fc1.bias"}, {len(b) - 1, "fc1.bias"}} {
		bad := bytes.Clone(b)
		bad[c.at] ^= 0x10
		_, err := Decode(bad)
		var ce *ChecksumError
		if !errors.As(err, &ce) || ce.Tensor != c.tensor || !strings.Contains(err.Error(), c.tensor) {
			t.Errorf("byte %d flipped: error %v, want a ChecksumError naming %s", c.at, err, c.tensor)
		}
	}
	// Drop one checksum from the header (same length: rename the key).
	bad := bytes.Replace(b, []byte(`"sha256:fc1.bias"`), []byte(`"sha256:fc1.bia_"`), 1)
	if _, err := Decode(bad); err == nil || !strings.Contains(err.Error(), "fc1.bia_") {
		t.Errorf("checksum of a tensor the file does not hold: %v", err)
	}
	// A file that records no checksums (written elsewhere) is read unchecked.
	plain := bytes.Replace(b, []byte(`"sha256:`), []byte(`"nosum-:`), -1)
	if _, err := Decode(plain); err != nil {
		t.Errorf("file without checksums: %v", err)
	}
}

// FuzzDecode: any bytes decode or fail with an error, never a panic; what
// decodes is self-consistent (every tensor's data fills its shape) and
// re-encodes to a file that decodes to the same tensors.
func FuzzDecode(f *testing.F) {
	good, _ := Encode([]Tensor{{Name: "w", Shape: []int{2, 2}, Data: seq(4)}, {Name: "b", Shape: []int{2}, Data: []float32{1, 2}}}, map[string]string{"k": "v"})
	f.Add(good)
	f.Add([]byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      "))
	h := `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}      `
	f.Add(append(append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), h...), 0, 0, 0x80, 0x3f))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Decode(b)
		if err != nil {
			return
		}
		for _, x := range file.Tensors {
			n := 1
			for _, d := range x.Shape {
				n *= d
			}
			if n != len(x.Data) {
				t.Fatalf("tensor %q: shape %v but %d values", x.Name, x.Shape, len(x.Data))
			}
		}
		again, err := Encode(file.Tensors, file.Metadata)
		if err != nil {
			return // e.g. a name Encode reserves
		}
		back, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded file does not decode: %v", err)
		}
		if len(back.Tensors) != len(file.Tensors) {
			t.Fatalf("%d tensors after a round trip, want %d", len(back.Tensors), len(file.Tensors))
		}
	})
}
