package train

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// handBN is written with gorgonia's own ops, BatchNorm among them:
// x [B, 784] → Mul(·, hidden.weight [784, 16]) → BatchNorm (scale and bias
// [1, 16]) → Rectify → Mul(·, out.weight [16, 10]), softmax cross-entropy.
func handBN(t *testing.T, batch int, seed uint64) *graph.Model {
	t.Helper()
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(seed, 2))
	param := func(name string, lo, hi float64, shape ...int) *G.Node {
		v := make([]float32, tensor.Shape(shape).TotalSize())
		for i := range v {
			v[i] = float32(lo + (hi-lo)*rng.Float64())
		}
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
	}
	m := &graph.Model{Name: "hand-bn", G: g}
	m.X = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 784), G.WithName("x"))
	m.Labels = G.NewVector(g, tensor.Float32, G.WithShape(batch), G.WithName("labels"))
	w0, w1 := param("hidden.weight", -0.036, 0.036, 784, 16), param("out.weight", -0.25, 0.25, 16, 10)
	gamma, beta := param("bn.weight", 0.5, 1.5, 1, 16), param("bn.bias", -0.5, 0.5, 1, 16)
	m.Params = []*G.Node{w0, gamma, beta, w1}
	bn, _, _, _, err := G.BatchNorm(must(G.Mul(m.X, w0)), gamma, beta, 0.1, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	m.Logits = must(G.Mul(must(G.Rectify(bn)), w1))
	if m.Loss, err = graph.SoftmaxCrossEntropy(m.Logits, m.Labels); err != nil {
		t.Fatal(err)
	}
	return m
}

// BatchNorm's running averages are part of a Fit run's checkpoint: the file
// holds what the program holds, Evaluate of the checkpoint (a fresh model
// rebuilt from model.json) scores what training scored in process, and a
// resumed run ends bit-identical with one never interrupted.
func TestFitBatchNormStateInCheckpoint(t *testing.T) {
	ds := testData(t)
	full := smallConfig(t, "", 640, 2)
	full.Batch = 128
	held := map[string][]float32{}
	hook := Hook{AtEpochEnd: true, Fn: func(s *Snapshot) error {
		for name := range s.Program.State {
			v, _, err := s.Read(name)
			if err != nil {
				return err
			}
			held[name] = v
		}
		return nil
	}}
	res, err := Fit(context.Background(), full, handBN(t, 128, 5), ds, RunOptions{Hooks: []Hook{hook}})
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 2 {
		t.Fatalf("the program lists %d persistent state buffers, want 2 (running mean and variance)", len(held))
	}
	ckPath := filepath.Join(full.Out, CheckpointFile)
	ck, err := ReadCheckpoint(ckPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(ck.Params) != 4 {
		t.Errorf("checkpoint parameters %v, want the model's 4", ck.Params)
	}
	for name, want := range held {
		if !strings.HasSuffix(name, ".running_mean") && !strings.HasSuffix(name, ".running_var1") {
			t.Errorf("persistent state %q is no running average", name)
		}
		got, ok := ck.Tensors[StatePrefix+name]
		if !ok {
			t.Fatalf("checkpoint lacks %s%s", StatePrefix, name)
		}
		if !slices.Equal(got.Data, want) {
			t.Errorf("checkpoint %s differs from the program's", name)
		}
		if !slices.ContainsFunc(want, func(v float32) bool { return v != 0 }) {
			t.Errorf("running average %s is still all zero after training", name)
		}
	}

	recs, err := readRecords(full.Out)
	if err != nil || len(recs) != res.Epochs {
		t.Fatalf("metrics: %d records for %d epochs, %v", len(recs), res.Epochs, err)
	}
	last := recs[len(recs)-1]
	if last.TestAcc == nil || last.TestLoss == nil {
		t.Fatalf("the last epoch was not evaluated: %+v", last)
	}
	ev, err := Evaluate(context.Background(), ckPath, "cpu", ds)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Accuracy != *last.TestAcc || ev.Loss != *last.TestLoss {
		t.Errorf("evaluation of the checkpoint: accuracy %v loss %v; in training: %v %v", ev.Accuracy, ev.Loss, *last.TestAcc, *last.TestLoss)
	}

	part := full
	part.Out = filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = Fit(ctx, part, handBN(t, 128, 5), ds, RunOptions{ProgressEvery: 2, Progress: func(e Event) {
		if p, ok := e.(*ProgressEvent); ok && p.Epoch == 2 && p.EpochStep == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := Resume(context.Background(), part.Out, RunOptions{Dataset: ds}); err != nil {
		t.Fatal(err)
	}
	sameTensors(t, ckPath, filepath.Join(part.Out, CheckpointFile))
	sameMetrics(t, full.Out, part.Out)
}
