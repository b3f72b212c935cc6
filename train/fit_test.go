package train

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/models"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// handMLP is a network built by hand with gabor's ops, outside the zoo:
// x [B, 784] → hidden (dense 784→24) → tanh → out (dense 24→10),
// softmax cross-entropy; its initial weights are drawn from seed.
func handMLP(t *testing.T, batch int, seed uint64) *graph.Model {
	t.Helper()
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(seed, 1))
	param := func(name string, bound float64, shape ...int) *G.Node {
		v := make([]float32, tensor.Shape(shape).TotalSize())
		for i := range v {
			v[i] = float32((2*rng.Float64() - 1) * bound)
		}
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
	}
	ok := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	m := &graph.Model{Name: "hand-mlp", G: g}
	m.X = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 784), G.WithName("x"))
	m.Labels = G.NewVector(g, tensor.Float32, G.WithShape(batch), G.WithName("labels"))
	w1, b1 := param("hidden.weight", 0.036, 24, 784), param("hidden.bias", 0.036, 24)
	w2, b2 := param("out.weight", 0.2, 10, 24), param("out.bias", 0.2, 10)
	m.Params = []*G.Node{w1, b1, w2, b2}
	h := ok(graph.Dense(m.X, w1, b1))
	G.WithName("hidden")(h)
	h = ok(graph.Tanh(h))
	m.Logits = ok(graph.Dense(h, w2, b2))
	G.WithName("out")(m.Logits)
	m.Loss = ok(graph.SoftmaxCrossEntropy(m.Logits, m.Labels))
	return m
}

// A run of a hand-built model, interrupted in its second epoch and resumed
// from its directory (which rebuilds the model from model.json), ends with
// the very weights and metrics of the run that was never interrupted.
func TestFitResumeBitIdentical(t *testing.T) {
	ds := testData(t)
	full := smallConfig(t, "", 640, 2)
	// Batch 128, not 64: at 64 the hidden layer's forward GEMM (K = 784 ≥
	// 8·max(M, N)) takes kernels/cpu's depth split, whose partial sums are
	// grouped by which worker took which chunk, so two identical runs differ
	// in the last bit; see the report of this change.
	full.Batch = 128
	res, err := Fit(context.Background(), full, handMLP(t, 128, 3), ds, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Model != "hand-mlp" {
		t.Errorf("result names model %q", res.Model)
	}
	cfg, err := ReadConfig(filepath.Join(full.Out, ConfigFile))
	if err != nil || cfg.ModelFile != ModelFile || cfg.Model != "hand-mlp" {
		t.Fatalf("config.json: model %q, model_file %q, %v", cfg.Model, cfg.ModelFile, err)
	}

	part := full
	part.Out = filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = Fit(ctx, part, handMLP(t, 128, 3), ds, RunOptions{ProgressEvery: 2, Progress: func(e Event) {
		if p, ok := e.(*ProgressEvent); ok && p.Epoch == 2 && p.EpochStep == 4 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := Resume(context.Background(), part.Out, RunOptions{Dataset: ds}); err != nil {
		t.Fatal(err)
	}
	sameTensors(t, filepath.Join(full.Out, CheckpointFile), filepath.Join(part.Out, CheckpointFile))
	sameMetrics(t, full.Out, part.Out)

	// Evaluate rebuilds the model from the record too, and scores what
	// training scored.
	ev, err := Evaluate(context.Background(), filepath.Join(part.Out, CheckpointFile), "cpu", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Model != "hand-mlp" || ev.Accuracy < 0.2 {
		t.Errorf("evaluation %+v", ev)
	}
	m, err := BuildModel(part.Out, cfg, 1)
	if err != nil || m.Batch() != 1 || len(m.Params) != 4 || m.Params[2].Name() != "out.weight" {
		t.Errorf("BuildModel at batch 1: %v", err)
	}
}

// The zoo goes through the same API: a zoo model built by the caller and
// trained with Fit reaches the weights Run reaches from the zoo name.
func TestFitOfAZooModelEqualsRun(t *testing.T) {
	ds := testData(t)
	byName := smallConfig(t, "mlp-sigmoid", 256, 1)
	if _, err := Run(context.Background(), byName, ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := models.New("mlp-sigmoid", byName.Batch, byName.Seed)
	if err != nil {
		t.Fatal(err)
	}
	built := smallConfig(t, "", 256, 1)
	if _, err := Fit(context.Background(), built, m, ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	sameTensors(t, filepath.Join(byName.Out, CheckpointFile), filepath.Join(built.Out, CheckpointFile))
	if _, err := os.Stat(filepath.Join(byName.Out, ModelFile)); err == nil {
		t.Errorf("a zoo run's directory gained %s", ModelFile)
	}
}

// Fit refuses what it cannot train or record, before any file appears.
func TestFitRefuses(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "", 256, 1)
	cubed := handMLP(t, cfg.Batch, 1)
	cubed.Loss = must(G.Mean(must(G.Cube(cubed.Logits))))
	for _, c := range []struct {
		name string
		cfg  func(*Config)
		m    *graph.Model
		want string
	}{
		{"nil", func(*Config) {}, nil, "needs a model"},
		{"batch", func(*Config) {}, handMLP(t, 7, 1), "built for batch 7"},
		{"conv1", func(c *Config) { c.Conv1 = 7 }, handMLP(t, cfg.Batch, 1), "conv1"},
		{"unrecordable", func(*Config) {}, cubed, "cube"},
	} {
		c2 := cfg
		c.cfg(&c2)
		_, err := Fit(context.Background(), c2, c.m, ds, RunOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if _, err := os.Stat(cfg.Out); err == nil {
		t.Errorf("a refused Fit left %s behind", cfg.Out)
	}
}

func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(err)
	}
	return n
}
