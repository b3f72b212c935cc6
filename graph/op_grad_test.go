package graph

import (
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGradients checks every differentiable input of every op against
// central finite differences (see checkGrad for the tolerance). Shapes are
// small and odd so that index mistakes show.
func TestGradients(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	s2, p1 := [2]int{2, 2}, [2]int{1, 1}
	one, zero := [2]int{1, 1}, [2]int{0, 0}
	cases := []gradCase{
		{
			name:   "Dense",
			inputs: []*tensor.Dense{randT(rng, -1, 1, 3, 5), randT(rng, -1, 1, 4, 5), randT(rng, -1, 1, 4)},
			diff:   []bool{true, true, true},
			build:  func(n []*G.Node) (*G.Node, error) { return Dense(n[0], n[1], n[2]) },
		},
		{
			name:   "Dense/no-bias",
			inputs: []*tensor.Dense{randT(rng, -1, 1, 2, 3), randT(rng, -1, 1, 5, 3)},
			diff:   []bool{true, true},
			build:  func(n []*G.Node) (*G.Node, error) { return Dense(n[0], n[1], nil) },
		},
		{
			name:   "ReLU",
			inputs: []*tensor.Dense{awayFromZero(rng, 3, 7)},
			diff:   []bool{true},
			build:  func(n []*G.Node) (*G.Node, error) { return ReLU(n[0]) },
		},
		{
			name:   "Sigmoid",
			inputs: []*tensor.Dense{randT(rng, -3, 3, 2, 3, 5)},
			diff:   []bool{true},
			build:  func(n []*G.Node) (*G.Node, error) { return Sigmoid(n[0]) },
		},
		{
			name:   "Tanh",
			inputs: []*tensor.Dense{randT(rng, -2, 2, 11)},
			diff:   []bool{true},
			build:  func(n []*G.Node) (*G.Node, error) { return Tanh(n[0]) },
		},
		{
			name:   "Conv2D/stride2-pad1",
			inputs: []*tensor.Dense{randT(rng, -1, 1, 2, 3, 7, 6), randT(rng, -1, 1, 4, 3, 3, 3), randT(rng, -1, 1, 4)},
			diff:   []bool{true, true, true},
			build:  func(n []*G.Node) (*G.Node, error) { return Conv2D(n[0], n[1], n[2], s2, p1) },
		},
		{
			name:   "Conv2D/no-bias-rect",
			inputs: []*tensor.Dense{randT(rng, -1, 1, 1, 2, 5, 6), randT(rng, -1, 1, 3, 2, 2, 3)},
			diff:   []bool{true, true},
			build:  func(n []*G.Node) (*G.Node, error) { return Conv2D(n[0], n[1], nil, [2]int{1, 2}, [2]int{0, 1}) },
		},
		{
			name:   "ConvTranspose2D",
			inputs: []*tensor.Dense{randT(rng, -1, 1, 2, 4, 4, 3), randT(rng, -1, 1, 4, 3, 3, 3)},
			diff:   []bool{true, true},
			build: func(n []*G.Node) (*G.Node, error) {
				return ConvTranspose2D(n[0], n[1], s2, p1, 7, 6)
			},
		},
		{
			name:   "MaxPool2D/2x2",
			inputs: []*tensor.Dense{distinctT(rng, 2, 3, 7, 6)},
			diff:   []bool{true},
			build:  func(n []*G.Node) (*G.Node, error) { return MaxPool2D(n[0], s2, s2, zero) },
		},
		{
			name:   "MaxPool2D/3x3-stride2-pad1",
			inputs: []*tensor.Dense{distinctT(rng, 1, 2, 7, 5)},
			diff:   []bool{true},
			build:  func(n []*G.Node) (*G.Node, error) { return MaxPool2D(n[0], [2]int{3, 3}, s2, p1) },
		},
		{
			name:   "AvgPool2D/3x2-stride1-pad1",
			inputs: []*tensor.Dense{randT(rng, -1, 1, 2, 3, 5, 4)},
			diff:   []bool{true},
			build:  func(n []*G.Node) (*G.Node, error) { return AvgPool2D(n[0], [2]int{3, 2}, one, p1) },
		},
		{
			name:   "Flatten",
			inputs: []*tensor.Dense{randT(rng, -1, 1, 2, 3, 2, 2)},
			diff:   []bool{true},
			build:  func(n []*G.Node) (*G.Node, error) { return Flatten(n[0]) },
		},
		{
			name:   "Reshape",
			inputs: []*tensor.Dense{randT(rng, -1, 1, 6, 4)},
			diff:   []bool{true},
			build:  func(n []*G.Node) (*G.Node, error) { return Reshape(n[0], 2, 3, 4) },
		},
		{
			name:   "Dropout",
			inputs: []*tensor.Dense{randT(rng, -1, 1, 5, 9)},
			diff:   []bool{true},
			build:  func(n []*G.Node) (*G.Node, error) { return Dropout(n[0], 0.4, 7) },
		},
		{
			name:   "Softmax",
			inputs: []*tensor.Dense{randT(rng, -2, 2, 3, 5)},
			diff:   []bool{true},
			build:  func(n []*G.Node) (*G.Node, error) { return Softmax(n[0]) },
		},
		{
			name:   "SoftmaxCrossEntropy",
			inputs: []*tensor.Dense{randT(rng, -2, 2, 5, 7), labelsT(rng, 5, 7)},
			diff:   []bool{true, false},
			build:  func(n []*G.Node) (*G.Node, error) { return SoftmaxCrossEntropy(n[0], n[1]) },
		},
		{
			name:   "SoftmaxCrossEntropy/soft-labels",
			inputs: []*tensor.Dense{randT(rng, -2, 2, 5, 7), randT(rng, 0, 1, 5, 7)},
			diff:   []bool{true, false},
			build:  func(n []*G.Node) (*G.Node, error) { return SoftmaxCrossEntropy(n[0], n[1]) },
		},
	}
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		ta, tb := tr[0], tr[1]
		a := []int{3, 4} // M=3, K=4
		if ta {
			a = []int{4, 3}
		}
		b := []int{4, 5} // K=4, N=5
		if tb {
			b = []int{5, 4}
		}
		cases = append(cases, gradCase{
			name:   "MatMul/" + matMulOp{transA: ta, transB: tb}.String(),
			inputs: []*tensor.Dense{randT(rng, -1, 1, a...), randT(rng, -1, 1, b...)},
			diff:   []bool{true, true},
			build:  func(n []*G.Node) (*G.Node, error) { return MatMul(n[0], n[1], ta, tb) },
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGrad(t, rng, c) })
	}
}

// TestGradientThroughLayers runs one gradient check through a small convnet
// (conv → relu → maxpool → flatten → dense → loss) so that the ops' gradients
// compose inside one gorgonia backward graph.
func TestGradientThroughLayers(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	g := G.NewGraph()
	x := nodeOf(g, "x", randT(rng, -1, 1, 2, 1, 6, 6))
	w1 := nodeOf(g, "w1", randT(rng, -0.3, 0.3, 3, 1, 3, 3))
	w2 := nodeOf(g, "w2", randT(rng, -0.5, 0.5, 4, 27))
	lab := nodeOf(g, "labels", labelsT(rng, 2, 4))
	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	c := must(Conv2D(x, w1, nil, [2]int{1, 1}, [2]int{1, 1}))
	h := must(Tanh(c))
	p := must(MaxPool2D(h, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}))
	f := must(Flatten(p))
	logits := must(Dense(f, w2, nil))
	loss := must(SoftmaxCrossEntropy(logits, lab))
	grads, err := G.Grad(loss, x, w1, w2)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	// The loss through Do of each op, for finite differences over w1.
	forward := func(w1v *tensor.Dense) float64 {
		v := func(op G.Op, in ...G.Value) G.Value {
			out, err := op.Do(in...)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		cv := v(c.Op(), x.Value(), w1v)
		hv := v(h.Op(), cv)
		pv := v(p.Op(), hv)
		fv := v(f.Op(), pv)
		lv := v(logits.Op(), fv, w2.Value())
		return float64(f32s(v(loss.Op(), lv, lab.Value()))[0])
	}
	w1v := w1.Value().(*tensor.Dense).Clone().(*tensor.Dense)
	d := w1v.Data().([]float32)
	got := f32s(grads[1].Value())
	// A smaller step than fdEps: a perturbation of w1 moves every pooled
	// value at once, and must not change which one wins a window.
	const eps = 1e-3
	for j := range d {
		d0 := d[j]
		d[j] = d0 + eps
		hi, up := forward(w1v), float64(d[j])
		d[j] = d0 - eps
		lo, down := forward(w1v), float64(d[j])
		d[j] = d0
		fd := (hi - lo) / (up - down)
		if diff := float64(got[j]) - fd; diff > fdAtol+fdRtol*abs(fd) || -diff > fdAtol+fdRtol*abs(fd) {
			t.Errorf("dL/dw1[%d] = %.6g, finite difference %.6g", j, got[j], fd)
		}
	}
	if n := len(f32s(grads[0].Value())); n != 2*6*6 {
		t.Errorf("dL/dx has %d values, want %d", n, 2*6*6)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
