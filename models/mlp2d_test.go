package models_test

import (
	"math"
	"slices"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
)

func TestMLP2DShapes(t *testing.T) {
	for _, act := range models.MLP2DActs() {
		m, err := models.MLP2D(4, 1, models.MLP2DOptions{Hidden: []int{10, 3}, Act: act, Classes: 8})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.X.Shape(), []int{4, 2}) || !slices.Equal(m.Logits.Shape(), []int{4, 8}) {
			t.Errorf("%s: x %v logits %v, want [4 2] and [4 8]", act, m.X.Shape(), m.Logits.Shape())
		}
		var names []string
		for _, p := range m.Params {
			names = append(names, p.Name())
		}
		if want := []string{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"}; !slices.Equal(names, want) {
			t.Errorf("%s: params %v, want %v", act, names, want)
		}
		found := false
		for _, n := range m.G.AllNodes() {
			found = found || n.Name() == act+"2"
		}
		if !found {
			t.Errorf("%s: no activation node named %s2", act, act)
		}
	}
	// the registered default: 2-8-8-2 ReLU
	m, err := models.New("mlp2d", 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Params) != 6 || !slices.Equal(m.Params[2].Shape(), []int{8, 8}) {
		t.Errorf("default mlp2d params %v", m.Params)
	}
	if got := models.StepLayers(models.MLP2DOptions{Hidden: []int{10, 3}, Act: "step"}); !slices.Equal(got, []string{"fc1", "fc2"}) {
		t.Errorf("StepLayers = %v", got)
	}
	if got := models.StepLayers(models.MLP2DOptions{Hidden: []int{10, 3}, Act: "relu"}); got != nil {
		t.Errorf("StepLayers of a relu net = %v", got)
	}
}

func TestMLP2DRejects(t *testing.T) {
	for _, o := range []models.MLP2DOptions{
		{Act: "softplus"},
		{Hidden: []int{0}},
		{Hidden: []int{3, -1}},
		{Hidden: make([]int, 17)},
		{Classes: 1},
	} {
		if _, err := models.MLP2D(1, 1, o); err == nil {
			t.Errorf("%+v: want an error", o)
		}
	}
	if _, err := models.MLP2D(0, 1, models.MLP2DOptions{}); err == nil {
		t.Error("batch 0: want an error")
	}
}

// SteepenStepLayers multiplies the step layers' weights, biases and momentum
// by g and leaves the output layer alone.
func TestSteepenStepLayers(t *testing.T) {
	o := models.MLP2DOptions{Hidden: []int{4}, Act: models.ActStep}
	m, err := models.MLP2D(8, 3, o)
	if err != nil {
		t.Fatal(err)
	}
	p, err := graph.Compile(m, graph.Options{Optimizer: &graph.Optimizer{Kind: "sgd", Momentum: 0.9}})
	if err != nil {
		t.Fatal(err)
	}
	be, _ := kernels.Open("cpu")
	ex, err := be.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	vals, _ := models.ParamValues(m)
	for i, s := range p.Params {
		if err := ex.Write(s.Value, vals[i]); err != nil {
			t.Fatal(err)
		}
	}
	x := make([]float32, 16)
	for i := range x {
		x[i] = float32(i%5) - 2
	}
	must(t, ex.Write(p.Inputs["x"], x))
	must(t, ex.Write(p.Inputs["labels"], []float32{0, 1, 0, 1, 1, 0, 1, 0}))
	must(t, ex.Write(p.Hyper, []float32{0.1, 0}))
	must(t, ex.Run(kernels.Segment{Start: p.Forward.Start, End: p.Update.End}))
	read := func() map[string][]float32 {
		out := map[string][]float32{}
		for _, s := range p.Params {
			for _, id := range append([]kernels.BufID{s.Value}, s.State...) {
				v := make([]float32, p.Buf(id).Len)
				must(t, ex.Read(id, v))
				out[p.Buf(id).Name] = v
			}
		}
		return out
	}
	before := read()
	done, err := models.SteepenStepLayers(p, ex, models.StepLayers(o), 1.5)
	if err != nil {
		t.Fatal(err)
	}
	after := read()
	if len(done) != 4 { // fc1.weight, fc1.bias and their momentum
		t.Errorf("scaled %v, want fc1's two parameters and their momentum", done)
	}
	for name, v := range before {
		f := float32(1)
		if slices.Contains(done, name) {
			f = 1.5
		}
		nonzero := false
		for i := range v {
			nonzero = nonzero || v[i] != 0
			if math.Abs(float64(after[name][i]-f*v[i])) > 1e-6 {
				t.Fatalf("%s[%d]: %g → %g, want ×%g", name, i, v[i], after[name][i], f)
			}
		}
		if !nonzero {
			t.Errorf("%s is all zero: the test shows nothing", name)
		}
	}
	if _, err := models.SteepenStepLayers(p, ex, nil, math.NaN()); err == nil {
		t.Error("a NaN factor: want an error")
	}
}

func TestStepSteepness(t *testing.T) {
	for _, tc := range []struct {
		epoch int
		want  float64
	}{{0, 1}, {1, 1.5}, {2, 2.25}, {10, 57.6650390625}, {17, 985.26}, {18, 1000}, {500, 1000}} {
		if got := models.StepSteepness(tc.epoch); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("StepSteepness(%d) = %g, want %g", tc.epoch, got, tc.want)
		}
	}
}
