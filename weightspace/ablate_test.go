package weightspace

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/train"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tinyNet is x [B, 2] → relu(W1·x + b1) (2 units) → W2·h + b2 (2 classes)
// with unit 0 reading pixel 0 into class 0 and unit 1 pixel 1 into class
// 1, and class 1's bias 0.1 (so a tie of zeros goes to class 1).
func tinyNet(batch int) (*graph.Model, error) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 2), G.WithName("x"))
	labels := G.NewVector(g, tensor.Float32, G.WithShape(batch), G.WithName("labels"))
	p := func(name string, v []float32, shape ...int) *G.Node {
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
	}
	w1, b1 := p("fc1.weight", []float32{1, 0, 0, 1}, 2, 2), p("fc1.bias", []float32{0, 0}, 2)
	w2, b2 := p("fc2.weight", []float32{1, 0, 0, 1}, 2, 2), p("fc2.bias", []float32{0, 0.1}, 2)
	h := G.Must(graph.ReLU(G.Must(graph.Dense(x, w1, b1))))
	logits := G.Must(graph.Dense(h, w2, b2))
	loss := G.Must(graph.SoftmaxCrossEntropy(logits, labels))
	return &graph.Model{Name: "tiny", G: g, X: x, Labels: labels, Logits: logits, Loss: loss, Params: []*G.Node{w1, b1, w2, b2}}, nil
}

// tinySet: 3 images of class 0 (pixel 0 lit) and 2 of class 1 (pixel 1).
func tinySet() *data.Set {
	return &data.Set{Name: "test", N: 5, H: 1, W: 2, Classes: 2,
		Images: []uint8{255, 0, 255, 0, 255, 0, 0, 255, 0, 255}, Labels: []uint8{0, 0, 0, 1, 1}}
}

func tinyEvaluator(t *testing.T) (*Evaluator, Point) {
	t.Helper()
	e, err := NewEvaluator(tinyNet, tinySet(), data.Normalization{Mean: 0, Std: 1}, EvaluatorOptions{Batch: 2, Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	m, _ := tinyNet(1)
	center := make(Point, len(m.Params))
	for i, p := range m.Params {
		center[i] = append([]float32(nil), p.Value().Data().([]float32)...)
	}
	return e, center
}

// The unit × class map of the tiny net, by hand: without unit 0 the three
// class-0 images score logits (0, 0.1) and go to class 1 (a drop of 1 for
// class 0); without unit 1 the class-1 images still win on the bias (no
// drop). Each unit's total drop is its class drops weighted by class size.
func TestUnitMapByHand(t *testing.T) {
	e, center := tinyEvaluator(t)
	um, err := AblateUnits(context.Background(), e, center, "fc1", []string{"zero", "one"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{{1, 0}, {0, 0}}
	if um.Base[0] != 1 || um.Base[1] != 1 || um.Drop[0][0] != want[0][0] || um.Drop[0][1] != want[0][1] || um.Drop[1][0] != 0 || um.Drop[1][1] != 0 {
		t.Fatalf("base %v, drops %v; want base (1, 1), drops %v", um.Base, um.Drop, want)
	}
	for u := range um.Drop {
		var s float64
		for c, d := range um.Drop[u] {
			s += d * float64(um.PerClass[c]) / 5
		}
		if math.Abs(s-um.Total[u]) > 1e-12 {
			t.Errorf("unit %d: class drops weighted by class size sum to %g, total drop %g", u, s, um.Total[u])
		}
	}
	if math.Abs(um.Total[0]-0.6) > 1e-12 || strings.Join(um.Classes, ",") != "zero,one" {
		t.Errorf("total drops %v (want 0.6, 0), classes %v", um.Total, um.Classes)
	}
	if _, err := AblateUnits(context.Background(), e, center, "conv9", nil, nil); err == nil || !strings.Contains(err.Error(), "fc1, fc2") {
		t.Errorf("unknown layer: %v", err)
	}
}

// Ablation orders on the tiny net, by hand: smallest-magnitude removes the
// zeros first (no change), largest removes the ones first; at fraction 1
// only the biases remain and every image goes to class 1.
func TestAblateTinyByHand(t *testing.T) {
	e, center := tinyEvaluator(t)
	curves, err := Ablate(context.Background(), e, center, AblateOptions{
		Methods: []string{MethodSmallest, MethodLargest, MethodRandom}, Scope: ScopeGlobal, Grain: GrainWeight,
		Fractions: []float64{0, 0.5, 1}, Seeds: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	sm, lg, rn := curves[0], curves[1], curves[2]
	if sm.Accuracy[0] != 1 || sm.Accuracy[1] != 1 || sm.Removed[1] != 4 {
		t.Errorf("smallest: accuracy %v, removed %v; want 1, 1 (the four zeros go first)", sm.Accuracy, sm.Removed)
	}
	if lg.Accuracy[1] != 0.4 {
		t.Errorf("largest at 0.5: accuracy %v, want 0.4 (every one removed: the bias sends all to class 1)", lg.Accuracy)
	}
	for _, c := range curves {
		if math.Abs(c.Accuracy[2]-0.4) > 1e-12 || c.Removed[2] != 8 {
			t.Errorf("%s at 1: accuracy %g, removed %d; want 0.4 (2 of 5 are class 1), 8", c.Method, c.Accuracy[2], c.Removed[2])
		}
	}
	if rn.Seeds != 3 || rn.AccStd[0] != 0 {
		t.Errorf("random: %d seeds, std at 0 %g", rn.Seeds, rn.AccStd[0])
	}
	// Per layer: each tensor loses half; units: fc2 is kept (the logits layer).
	pr, _ := SelectPrunables(Prunables(e.Params), nil, GrainUnit)
	if len(pr) != 1 || pr[0].Layer != "fc1" {
		t.Errorf("unit prunables %+v, want fc1 only", pr)
	}
	if _, err := Ablate(context.Background(), e, center, AblateOptions{Methods: []string{MethodRandom}, Scope: ScopeLayer, Grain: GrainWeight, Fractions: []float64{1.5}}); err == nil || !strings.Contains(err.Error(), "outside [0, 1]") {
		t.Errorf("fraction 1.5: %v", err)
	}
}

// On a trained lenet: fraction 0 scores what `gabor eval` reports, fraction
// 1 is chance (the class of the largest output bias: 10 % ± 2 % on a
// balanced test set), and the curves are monotone enough to be sane.
func TestAblateLenet(t *testing.T) {
	dirs, ds := testRuns(t)
	rw, err := OpenRunWeights(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEvaluator(t, rw, ds.Test, 100)
	curves, err := Ablate(context.Background(), e, rw.FinalPoint, AblateOptions{
		Methods: []string{MethodSmallest, MethodRandom}, Scope: ScopeGlobal, Grain: GrainWeight, Fractions: []float64{0, 1}, Seeds: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want, err := train.Evaluate(context.Background(), filepath.Join(dirs[0], train.CheckpointFile), "cpu", ds)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, 10)
	for _, l := range ds.Test.Labels {
		counts[l]++
	}
	for _, c := range curves {
		if math.Abs(c.Accuracy[0]-want.Accuracy) > 1e-12 || math.Abs(c.Loss[0]-want.Loss) > 1e-5 {
			t.Errorf("%s at 0: accuracy %g loss %g; gabor eval %g, %g", c.Method, c.Accuracy[0], c.Loss[0], want.Accuracy, want.Loss)
		}
		chance := float64(counts[argmaxF(rw.FinalPoint[len(rw.FinalPoint)-1])]) / float64(ds.Test.N)
		if math.Abs(c.Accuracy[1]-chance) > 1e-12 || math.Abs(c.Accuracy[1]-0.1) > 0.02 {
			t.Errorf("%s at 1: accuracy %g, want the largest output bias's class share %g (≈ 0.1)", c.Method, c.Accuracy[1], chance)
		}
	}
	um, err := AblateUnits(context.Background(), e, rw.FinalPoint, "conv2", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(um.Drop) != 16 || len(um.Drop[0]) != 10 {
		t.Errorf("conv2 map %d×%d, want 16 channels × 10 classes", len(um.Drop), len(um.Drop[0]))
	}
}

func argmaxF(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
