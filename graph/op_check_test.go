package graph

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the machinery of the op tests: random inputs, running a
// graph on gorgonia's TapeMachine, and the finite-difference gradient check.

// Finite differences: the ops compute in float32, so the step must be large
// enough that rounding in the forward value (≈1e-7 relative per element,
// ≈1e-5 absolute on the sums used here) stays small against 2·eps; eps = 1e-2
// keeps that noise near 1e-3 while the truncation error of the central
// difference, O(eps²) times the third derivative, stays below it for the
// smooth ops. Piecewise-linear ops (ReLU, max pooling) get inputs kept
// farther than eps from their kinks.
const (
	fdEps  = 1e-2
	fdAtol = 3e-3 // absolute: the float32 noise floor described above
	fdRtol = 1e-2 // relative to the finite-difference estimate
)

// randT is a float32 tensor of the shape with values uniform in [lo, hi).
func randT(rng *rand.Rand, lo, hi float64, shape ...int) *tensor.Dense {
	d := make([]float32, numel(shape))
	for i := range d {
		d[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
}

// awayFromZero is a tensor whose values have |v| in [0.1, 1): ReLU's kink at 0
// is then farther than eps from every input.
func awayFromZero(rng *rand.Rand, shape ...int) *tensor.Dense {
	t := randT(rng, 0.1, 1, shape...)
	for i, v := range t.Data().([]float32) {
		if rng.Intn(2) == 0 {
			t.Data().([]float32)[i] = -v
		}
	}
	return t
}

// distinctT holds a random permutation of values spaced 0.05 apart, so the
// maximum of any window stays the maximum under a ±eps perturbation.
func distinctT(rng *rand.Rand, shape ...int) *tensor.Dense {
	n := numel(shape)
	d := make([]float32, n)
	for i, p := range rng.Perm(n) {
		d[i] = float32(p)*0.05 - float32(n)*0.025
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
}

// labelsT holds n class indices below d as float32.
func labelsT(rng *rand.Rand, n, d int) *tensor.Dense {
	l := make([]float32, n)
	for i := range l {
		l[i] = float32(rng.Intn(d))
	}
	return tensor.New(tensor.WithShape(n), tensor.WithBacking(l))
}

func f32s(v G.Value) []float32 {
	d, err := float32Data(v)
	if err != nil {
		panic(err)
	}
	return d
}

// nodeOf adds a float32 input node holding a copy of t.
func nodeOf(g *G.ExprGraph, name string, t *tensor.Dense) *G.Node {
	c := t.Clone().(*tensor.Dense)
	return G.NewTensor(g, tensor.Float32, t.Dims(), G.WithShape(t.Shape()...), G.WithValue(c), G.WithName(name))
}

// gradCase is one op under the gradient check: build applies it to input
// nodes made from inputs; diff says which inputs to check.
type gradCase struct {
	name   string
	inputs []*tensor.Dense
	diff   []bool
	build  func(n []*G.Node) (*G.Node, error)
}

// checkGrad builds L = Σ w ⊙ op(inputs) with a random w, takes gorgonia's
// symbolic gradient, runs it on the TapeMachine (every op's Do), and compares
// each checked input's gradient with central differences of L computed in
// float64 from the op's Do at perturbed inputs.
func checkGrad(t *testing.T, rng *rand.Rand, c gradCase) {
	t.Helper()
	g := G.NewGraph()
	nodes := make([]*G.Node, len(c.inputs))
	var wrt []*G.Node
	for i, v := range c.inputs {
		nodes[i] = nodeOf(g, fmt.Sprintf("in%d", i), v)
		if c.diff[i] {
			wrt = append(wrt, nodes[i])
		}
	}
	y, err := c.build(nodes)
	if err != nil {
		t.Fatalf("%s: build: %v", c.name, err)
	}
	op := y.Op()
	var w []float32
	var loss *G.Node
	if y.IsScalar() {
		w = []float32{float32(rng.Float64()*2 - 1)}
		loss = G.Must(G.Mul(y, G.NewScalar(g, tensor.Float32, G.WithValue(w[0]), G.WithName("w"))))
	} else {
		wt := randT(rng, -1, 1, y.Shape()...)
		w = wt.Data().([]float32)
		loss = G.Must(G.Sum(G.Must(G.HadamardProd(y, nodeOf(g, "w", wt)))))
	}
	grads, err := G.Grad(loss, wrt...)
	if err != nil {
		t.Fatalf("%s: G.Grad: %v", c.name, err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatalf("%s: TapeMachine: %v", c.name, err)
	}

	// L at the given inputs, from the op's Do, summed in float64.
	lossAt := func(vals []G.Value) float64 {
		out, err := op.Do(vals...)
		if err != nil {
			t.Fatalf("%s: Do: %v", c.name, err)
		}
		s := 0.0
		for i, v := range f32s(out) {
			s += float64(w[i]) * float64(v)
		}
		return s
	}
	vals := make([]G.Value, len(c.inputs))
	for i, v := range c.inputs {
		vals[i] = v.Clone().(*tensor.Dense)
	}
	k := 0
	for i := range c.inputs {
		if !c.diff[i] {
			continue
		}
		got := f32s(grads[k].Value())
		k++
		x := vals[i].(*tensor.Dense).Data().([]float32)
		if len(got) != len(x) {
			t.Fatalf("%s: input %d: gradient has %d values, input %d", c.name, i, len(got), len(x))
		}
		worst, worstJ, worstFD := 0.0, -1, 0.0
		for j := range x {
			x0 := x[j]
			x[j] = x0 + fdEps
			hi, up := lossAt(vals), float64(x[j])
			x[j] = x0 - fdEps
			lo, down := lossAt(vals), float64(x[j])
			x[j] = x0
			fd := (hi - lo) / (up - down)
			excess := math.Abs(float64(got[j])-fd) - (fdAtol + fdRtol*math.Abs(fd))
			if worstJ < 0 || excess > worst {
				worst, worstJ, worstFD = excess, j, fd
			}
		}
		if worst > 0 {
			t.Errorf("%s: d/d input %d %v: at flat index %d gradient %.6g, finite difference %.6g (tolerance %g + %g·|fd|)",
				c.name, i, c.inputs[i].Shape(), worstJ, got[worstJ], worstFD, fdAtol, fdRtol)
		}
	}
}
