package train

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/train/safetensors"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.bin")
	for _, content := range []string{"first", "second, longer"} {
		if err := writeFileAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != content {
			t.Fatalf("read %q, %v; want %q", b, err, content)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing", "f"), nil); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("write into a missing directory: %v", err)
	}
}

func TestReadCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, ts []safetensors.Tensor, meta map[string]string) string {
		b, err := safetensors.Encode(ts, meta)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := DefaultConfig("mlp")
	good, err := encodeCheckpoint(&cfg, 1, 468, "v", nil, []safetensors.Tensor{{Name: "fc1.bias", Shape: []int{1}, Data: []float32{1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	goodPath := filepath.Join(dir, "good")
	os.WriteFile(goodPath, good, 0o644)
	if ck, err := ReadCheckpoint(goodPath); err != nil || ck.Epoch != 1 || ck.Step != 468 || ck.Config != cfg {
		t.Fatalf("valid checkpoint: %+v, %v", ck, err)
	}
	truncated := filepath.Join(dir, "truncated")
	os.WriteFile(truncated, good[:len(good)-2], 0o644)

	one := []safetensors.Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}}
	nan := float32(math.NaN())
	meta := func() map[string]string {
		return map[string]string{"format": CheckpointFormat, "config": mustJSON(t, cfg), "epoch": "1", "step": "1"}
	}
	// A flipped byte in the last tensor's data (the checkpoint was written with checksums).
	flipped := filepath.Join(dir, "flipped")
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 0x01
	os.WriteFile(flipped, bad, 0o644)
	cases := []struct{ path, want string }{
		{filepath.Join(dir, "absent"), "no such file"},
		{truncated, "truncated"},
		{write("foreign", one, map[string]string{"framework": "pt"}), "not a gabor checkpoint"},
		{write("badcfg", one, map[string]string{"format": CheckpointFormat, "config": "{"}), "bad config JSON"},
		{write("badepoch", one, map[string]string{"format": CheckpointFormat, "config": mustJSON(t, cfg), "epoch": "x", "step": "1"}), "epoch"},
		{write("noparams", nil, map[string]string{"format": CheckpointFormat, "config": mustJSON(t, cfg), "epoch": "1", "step": "1"}), "no parameters"},
		{flipped, `tensor "fc1.bias" is corrupt`},
		{write("allnan", []safetensors.Tensor{{Name: "fc1.bias", Shape: []int{1}, Data: []float32{1}}, {Name: "fc1.weight", Shape: []int{2}, Data: []float32{nan, nan}}}, meta()), `tensor "fc1.weight" is entirely non-finite`},
		{write("oneinf", []safetensors.Tensor{{Name: "optim.momentum.fc1.bias", Shape: []int{3}, Data: []float32{0, float32(math.Inf(1)), 0}}, {Name: "fc1.bias", Shape: []int{1}, Data: []float32{1}}}, meta()), `tensor "optim.momentum.fc1.bias" holds 1 non-finite values of 3 (the first, +Inf, at index 1)`},
	}
	for _, c := range cases {
		_, err := ReadCheckpoint(c.path)
		var ce *CheckpointError
		if !errors.As(err, &ce) || ce.Path != c.path {
			t.Errorf("%s: error %v is not a *CheckpointError for the file", filepath.Base(c.path), err)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", filepath.Base(c.path), err, c.want)
		}
	}
}

// TestEvaluateWrongShapes: a checkpoint whose tensors do not fit the model
// is refused with the tensor's name.
func TestEvaluateWrongShapes(t *testing.T) {
	cfg := DefaultConfig("mlp")
	b, err := encodeCheckpoint(&cfg, 1, 1, "v", nil, []safetensors.Tensor{{Name: "fc1.weight", Shape: []int{2, 2}, Data: make([]float32, 4)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ck.safetensors")
	os.WriteFile(p, b, 0o644)
	_, err = Evaluate(context.Background(), p, "cpu", testData(t))
	var ce *CheckpointError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "fc1.weight") || !strings.Contains(err.Error(), "[512 784]") {
		t.Errorf("error %v", err)
	}
}

func mustJSON(t *testing.T, c Config) string {
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
