package train

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A model whose loss is written as gorgonia's examples write it, on one-hot
// labels, −Mean(Sum(Log(SoftMax(logits)) ⊙ y, 1)), trains with Fit as the
// same network with gabor's fused cross-entropy on class indices does: the
// batch gather builds the one-hot rows, and every epoch's losses agree.
func TestFitOneHotLabels(t *testing.T) {
	ds := testData(t)
	ref := smallConfig(t, "", 512, 2)
	if _, err := Fit(context.Background(), ref, handMLP(t, ref.Batch, 4), ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	m := handMLP(t, ref.Batch, 4)
	m.Name, m.Target = "hand-mlp-onehot", graph.OneHot
	m.Labels = G.NewMatrix(m.G, tensor.Float32, G.WithShape(ref.Batch, 10), G.WithName("labels"))
	logProb := must(G.Log(must(G.SoftMax(m.Logits))))
	m.Loss = must(G.Neg(must(G.Mean(must(G.Sum(must(G.HadamardProd(logProb, m.Labels)), 1))))))
	hot := smallConfig(t, "", 512, 2)
	if _, err := Fit(context.Background(), hot, m, ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := readRecords(ref.Out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := readRecords(hot.Out)
	if err != nil || len(a) != len(b) || len(a) != 2 {
		t.Fatalf("%d and %d records: %v", len(a), len(b), err)
	}
	for i := range a {
		if d := math.Abs(a[i].TrainLoss-b[i].TrainLoss) / a[i].TrainLoss; d > 1e-4 {
			t.Errorf("epoch %d: train loss %v with one-hot labels, %v with class indices", i+1, b[i].TrainLoss, a[i].TrainLoss)
		}
		if a[i].TestAcc == nil || b[i].TestAcc == nil {
			t.Fatalf("epoch %d was not evaluated", i+1)
		}
		if math.Abs(*a[i].TestAcc-*b[i].TestAcc) > 0.01 {
			t.Errorf("epoch %d: test accuracy %v with one-hot labels, %v with class indices", i+1, *b[i].TestAcc, *a[i].TestAcc)
		}
	}
}

// writeLabels builds one row per label and refuses one that names no class.
func TestWriteLabelsOneHot(t *testing.T) {
	hot := make([]float32, 3*4)
	for i := range hot {
		hot[i] = 7 // stale rows are cleared
	}
	rec := &recordingExec{}
	if err := writeLabels(rec, 0, []float32{2, 0, 3}, hot); err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1}
	for i := range want {
		if rec.wrote[i] != want[i] {
			t.Fatalf("one-hot rows %v, want %v", rec.wrote, want)
		}
	}
	for _, y := range [][]float32{{4, 0, 0}, {-1, 0, 0}, {1.5, 0, 0}} {
		if err := writeLabels(rec, 0, y, hot); err == nil || !strings.Contains(err.Error(), "one-hot classes") {
			t.Errorf("labels %v: %v, want a refusal", y, err)
		}
	}
}

// recordingExec keeps the last slice written.
type recordingExec struct{ wrote []float32 }

func (r *recordingExec) Write(_ kernels.BufID, src []float32) error {
	r.wrote = append(r.wrote[:0], src...)
	return nil
}
func (r *recordingExec) Read(kernels.BufID, []float32) error    { return nil }
func (r *recordingExec) WriteBytes(kernels.BufID, []byte) error { return nil }
func (r *recordingExec) ReadBytes(kernels.BufID, []byte) error  { return nil }
func (r *recordingExec) Run(kernels.Segment) error              { return nil }
func (r *recordingExec) Sync() error                            { return nil }
func (r *recordingExec) ArenaBytes() int64                      { return 0 }
func (r *recordingExec) Close() error                           { return nil }
