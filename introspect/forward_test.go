package introspect

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
	"github.com/gaborlab/gabor/train/safetensors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// initWeights are the seeded initial weights of a zoo model as a Weights
// value, as if read from a checkpoint.
func initWeights(t *testing.T, model string, seed uint64) *runs.Weights {
	t.Helper()
	cfg := train.DefaultConfig(model)
	cfg.Seed = seed
	m, err := models.New(model, 1, seed)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := models.ParamValues(m)
	if err != nil {
		t.Fatal(err)
	}
	w := &runs.Weights{Path: "init", Kind: "checkpoint", Config: cfg, Tensors: map[string]safetensors.Tensor{}}
	for i, p := range m.Params {
		w.Tensors[p.Name()] = safetensors.Tensor{Name: p.Name(), Shape: p.Shape(), Data: vals[i]}
	}
	return w
}

func tinyTestSet(t *testing.T, n int) *data.Set {
	t.Helper()
	ds, err := data.Synthetic(3, 1, n)
	if err != nil {
		t.Fatal(err)
	}
	return ds.Test
}

// The activations a Forward reads from the Program's taps equal the values
// gorgonia's TapeMachine computes for the same nodes of the same model, with
// the same weights and images. The Program runs at batch 2 over 3 images, so
// the padded last batch is covered too.
func TestForwardMatchesTapeMachine(t *testing.T) {
	for _, model := range []string{"lenet", "mlp"} {
		t.Run(model, func(t *testing.T) {
			const n = 3
			w := initWeights(t, model, 7)
			set := tinyTestSet(t, n)
			idx := []int32{2, 0, 1}

			f, err := NewForward(w, ForwardOptions{Batch: 2, Device: "cpu"})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			act, err := f.Run(set, idx, nil)
			if err != nil {
				t.Fatal(err)
			}

			// The oracle: the model's graph at batch n run by the TapeMachine.
			m, err := models.New(model, n, 7)
			if err != nil {
				t.Fatal(err)
			}
			x := make([]float32, n*784)
			y := make([]float32, n)
			if err := data.Gather(set, idx, x, y, data.FashionMean, data.FashionStd); err != nil {
				t.Fatal(err)
			}
			if err := G.Let(m.X, tensor.New(tensor.WithShape(m.X.Shape()...), tensor.WithBacking(x))); err != nil {
				t.Fatal(err)
			}
			if err := G.Let(m.Labels, tensor.New(tensor.WithShape(n), tensor.WithBacking(y))); err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(m.G)
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			nodes := map[string]*G.Node{}
			for _, nd := range m.G.AllNodes() {
				nodes[nd.Name()] = nd
			}
			if len(f.Layers) < 5 {
				t.Fatalf("only %d layers tapped: %s", len(f.Layers), LayerNames(f.Layers))
			}
			for _, l := range f.Layers {
				nd := nodes[l.Node]
				if nd == nil {
					t.Fatalf("layer %s is not a node of the graph", l.Name)
				}
				want := nd.Value().Data().([]float32)
				got := act.By[l.Name]
				if len(got) != len(want) {
					t.Fatalf("%s: %d values, TapeMachine has %d", l.Name, len(got), len(want))
				}
				worst, at := 0.0, 0
				for i := range got {
					d := math.Abs(float64(got[i]-want[i])) / (1e-5 + math.Abs(float64(want[i])))
					if d > worst {
						worst, at = d, i
					}
				}
				if worst > 1e-4 {
					t.Errorf("%s: value %d is %g, TapeMachine %g", l.Name, at, got[at], want[at])
				}
			}
		})
	}
}

func TestForwardLayersAndErrors(t *testing.T) {
	w := initWeights(t, "lenet", 1)
	f, err := NewForward(w, ForwardOptions{Batch: 1, Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := "x, conv1, relu1, pool1, conv2, relu2, pool2, fc1, relu3, fc2, relu4, fc3"
	if got := LayerNames(f.Layers); got != want {
		t.Errorf("layers %s, want %s", got, want)
	}
	_, err = f.Layer("conv9")
	var ue *UnknownLayerError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) {
		t.Errorf("unknown layer: %v, want an UnknownLayerError listing %s", err, want)
	}
	set := tinyTestSet(t, 4)
	_, err = f.Run(set, []int32{4}, nil)
	var ie *IndexError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "0 to 3") {
		t.Errorf("index 4 of 4: %v, want an IndexError naming the range", err)
	}

	// A snapshot holding only the convolutions computes the layers up to
	// pool2, not the dense ones.
	part := &runs.Weights{Path: "snap", Kind: "snapshot", Config: w.Config, Tensors: map[string]safetensors.Tensor{}}
	for name, tv := range w.Tensors {
		if strings.HasPrefix(name, "conv") {
			part.Tensors[name] = tv
		}
	}
	if err := f.SetWeights(part); err != nil {
		t.Fatal(err)
	}
	for _, l := range f.Layers {
		wantOK := !strings.HasPrefix(l.Name, "fc") && l.Name != "relu3" && l.Name != "relu4"
		if got := f.Computable(l.Name); got != wantOK {
			t.Errorf("Computable(%s) = %v with conv weights only, want %v", l.Name, got, wantOK)
		}
	}
	bad := &runs.Weights{Path: "bad", Config: w.Config, Tensors: map[string]safetensors.Tensor{
		"conv1.weight": {Name: "conv1.weight", Shape: []int{3}, Data: []float32{1, 2, 3}},
	}}
	if err := f.SetWeights(bad); err == nil || !strings.Contains(err.Error(), "conv1.weight") {
		t.Errorf("wrong-sized weight: %v, want an error naming conv1.weight", err)
	}
}
