package runs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gaborlab/gabor/train"
	"github.com/gaborlab/gabor/train/safetensors"
)

// FuzzReadWeights: any file given to the verbs as a checkpoint
// or snapshot is read or refused with an error, never a panic; what is read
// is consistent (every tensor's data fills its shape).
func FuzzReadWeights(f *testing.F) {
	cfg := train.DefaultConfig("lenet")
	cj, _ := json.Marshal(cfg)
	snap, _ := safetensors.Encode([]safetensors.Tensor{{Name: "conv1.weight", Shape: []int{1, 1, 2, 2}, Data: []float32{1, 2, 3, 4}}},
		map[string]string{"format": SnapshotFormat, "config": string(cj), "step": "4", "epoch": "1"})
	f.Add(snap)
	ck, _ := safetensors.Encode([]safetensors.Tensor{{Name: "fc1.bias", Shape: []int{2}, Data: []float32{1, 2}}},
		map[string]string{"format": train.CheckpointFormat, "config": string(cj), "step": "4", "epoch": "1"})
	f.Add(ck)
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "w.safetensors")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		w, err := ReadWeights(p)
		if err != nil {
			return
		}
		for name, x := range w.Tensors {
			n := 1
			for _, d := range x.Shape {
				n *= d
			}
			if n != len(x.Data) {
				t.Fatalf("tensor %q: shape %v but %d values", name, x.Shape, len(x.Data))
			}
		}
		if w.Step < 0 || w.Epoch < 0 {
			t.Fatalf("step %d epoch %d", w.Step, w.Epoch)
		}
	})
}
