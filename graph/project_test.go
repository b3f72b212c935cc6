package graph_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// handModel is x [1,1,4,4] → conv 2×2 (one filter, no bias) → ReLU →
// max-pool 3×3 → [1,1,1,1]: a chain small enough to project by hand.
func handModel(t *testing.T, w []float32) (*graph.Model, *G.Node) {
	t.Helper()
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 1, 4, 4), G.WithName("x"))
	wn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 1, 2, 2), G.WithName("conv.weight"),
		G.WithValue(tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking(w))))
	c, err := graph.Conv2D(x, wn, nil, [2]int{1, 1}, [2]int{0, 0})
	check(t, err)
	r, err := graph.ReLU(c)
	check(t, err)
	G.WithName("relu")(r)
	p, err := graph.MaxPool2D(r, [2]int{3, 3}, [2]int{3, 3}, [2]int{0, 0})
	check(t, err)
	G.WithName("pool")(p)
	return &graph.Model{Name: "hand", G: g, X: x, Params: []*G.Node{wn}}, p
}

// runProjection compiles p, writes params, x and seed, runs both segments
// on the cpu backend and returns the layer and the projection.
func runProjection(t *testing.T, m *graph.Model, p *graph.Projection, x, seed []float32) (layer, proj []float32) {
	t.Helper()
	prog, err := p.Compile(m, graph.Options{})
	check(t, err)
	be, err := kernels.Open("cpu")
	check(t, err)
	exe, err := be.Load(prog)
	check(t, err)
	defer exe.Close()
	vals, err := models.ParamValues(m)
	check(t, err)
	for _, slot := range prog.Params {
		for i, q := range m.Params {
			if q.Name() == slot.Name {
				check(t, exe.Write(slot.Value, vals[i]))
			}
		}
	}
	check(t, exe.Write(prog.Inputs["x"], x))
	check(t, exe.Write(prog.Inputs["seed"], seed))
	check(t, exe.Run(kernels.Segment{Start: prog.Forward.Start, End: prog.Backward.End}))
	layer = make([]float32, prog.Buf(prog.Taps["layer"]).Len)
	proj = make([]float32, prog.Buf(prog.Taps["proj"]).Len)
	check(t, exe.Read(prog.Taps["layer"], layer))
	check(t, exe.Read(prog.Taps["proj"], proj))
	return layer, proj
}

func TestProjectionByHand(t *testing.T) {
	w := []float32{1, 0, 0, -1} // y[i,j] = x[i,j] − x[i+1,j+1]
	x := []float32{
		0, 0, 0, 0,
		0, 0, 5, 0, // conv output (1,2) = 5 − 0 is the largest
		0, 0, 0, 0,
		0, 0, 0, 1,
	}
	// conv out 3×3: (1,2) = 5, (2,2) = −1, others 0; relu → 5 at (1,2);
	// pool → 5, switch at (1,2). Projecting seed s: unpool puts s at (1,2);
	// then the ReLU step, then ConvTranspose puts s·w at rows 1–2, cols 2–3.
	at := func(s float32) []float32 {
		out := make([]float32, 16)
		out[1*4+2], out[2*4+3] = s, -s
		return out
	}
	zero := make([]float32, 16)
	cases := []struct {
		rule graph.Rule
		seed float32
		want []float32
	}{
		{graph.RuleGradient, 1, at(1)},
		{graph.RuleDeconvnet, 1, at(1)},
		{graph.RuleGuided, 1, at(1)},
		{graph.RuleGradient, -2, at(-2)}, // backprop is linear in the seed
		{graph.RuleDeconvnet, -2, zero},  // the deconvnet rectifies the signal
		{graph.RuleGuided, -2, zero},
	}
	for _, c := range cases {
		m, pool := handModel(t, w)
		p, err := graph.Project(m, pool, c.rule)
		check(t, err)
		layer, proj := runProjection(t, m, p, x, []float32{c.seed})
		if layer[0] != 5 {
			t.Fatalf("%v: layer = %v, want 5", c.rule, layer)
		}
		for i := range proj {
			if proj[i] != c.want[i] {
				t.Fatalf("%v seed %g: projection\n%v\nwant\n%v", c.rule, c.seed, proj, c.want)
			}
		}
	}

	// Every conv output negative: the ReLU output is 0 everywhere, the pool
	// keeps the first position (0,0). Backprop and guided see the closed
	// ReLU and give 0; the deconvnet ignores the forward mask and projects
	// the seed through the filter at (0,0).
	neg := make([]float32, 16)
	for i := range neg {
		neg[i] = float32(i) // x[i,j] − x[i+1,j+1] = −5 everywhere
	}
	wantDeconv := make([]float32, 16)
	wantDeconv[0], wantDeconv[5] = 1, -1
	for _, c := range []struct {
		rule graph.Rule
		want []float32
	}{{graph.RuleGradient, zero}, {graph.RuleGuided, zero}, {graph.RuleDeconvnet, wantDeconv}} {
		m, pool := handModel(t, w)
		p, err := graph.Project(m, pool, c.rule)
		check(t, err)
		layer, proj := runProjection(t, m, p, neg, []float32{1})
		if layer[0] != 0 {
			t.Fatalf("layer = %v, want 0 (every ReLU closed)", layer)
		}
		for i := range proj {
			if proj[i] != c.want[i] {
				t.Fatalf("%v with closed ReLUs: projection %v, want %v", c.rule, proj, c.want)
			}
		}
	}
}

// The projection program reuses the forward pass's switches: one max-pool
// kernel in the forward segment, none recomputed in the backward one.
func TestProjectionReusesSwitches(t *testing.T) {
	m, err := models.New("lenet", 2, 1)
	check(t, err)
	layer := m.G.ByName("conv2")[0]
	p, err := graph.Project(m, layer, graph.RuleDeconvnet)
	check(t, err)
	prog, err := p.Compile(m, graph.Options{})
	check(t, err)
	count := func(seg kernels.Segment, op kernels.Op) int {
		n := 0
		for _, in := range prog.Instrs[seg.Start:seg.End] {
			if in.Op == op {
				n++
			}
		}
		return n
	}
	if f, b := count(prog.Forward, kernels.OpMaxPool), count(prog.Backward, kernels.OpMaxPool); f != 1 || b != 0 {
		t.Errorf("max-pools: %d forward, %d backward; want 1 and 0 (switches reused)", f, b)
	}
	if n := count(prog.Backward, kernels.OpMaxPoolBwd); n != 1 {
		t.Errorf("unpools in the projection: %d, want 1", n)
	}
	if n := count(prog.Backward, kernels.OpConv2DBwdData); n != 2 {
		t.Errorf("transposed convolutions: %d, want 2 (conv2, conv1)", n)
	}
	if len(prog.Params) != 4 {
		t.Errorf("params: %d, want conv1 and conv2 weights and biases only", len(prog.Params))
	}
}

// The gradient rule is the input gradient: ∂⟨seed, layer⟩/∂x as gorgonia's
// TapeMachine computes it by symbolic differentiation, for a convolutional
// layer and for the logits (through dense layers, a flatten and two pools).
func TestGradientRuleMatchesTapeMachine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const batch = 2
	for _, layerName := range []string{"conv2", "relu4", "fc3"} {
		for _, model := range []string{"lenet", "mlp-sigmoid"} {
			if model == "mlp-sigmoid" && layerName != "fc3" {
				continue
			}
			if model == "mlp-sigmoid" {
				layerName = "fc2"
			}
			m, err := models.New(model, batch, 7)
			check(t, err)
			xv := make([]float32, numel(m.X.Shape()))
			for i := range xv {
				xv[i] = float32(rng.NormFloat64())
			}
			layer := m.G.ByName(layerName)[0]
			seed := make([]float32, numel(layer.Shape()))
			for i := range seed {
				seed[i] = float32(rng.NormFloat64())
			}
			p, err := graph.Project(m, layer, graph.RuleGradient)
			check(t, err)
			_, got := runProjection(t, m, p, xv, seed)

			// The oracle: a fresh copy of the model, x given a value,
			// cost = Σ seed ⊙ layer, gradient by gorgonia.
			o, err := models.New(model, batch, 7)
			check(t, err)
			check(t, G.Let(o.X, tensor.New(tensor.WithShape(o.X.Shape()...), tensor.WithBacking(append([]float32(nil), xv...)))))
			check(t, G.Let(o.Labels, tensor.New(tensor.WithShape(batch), tensor.WithBacking(make([]float32, batch)))))
			ol := o.G.ByName(layerName)[0]
			sn := G.NewTensor(o.G, tensor.Float32, len(ol.Shape()), G.WithShape(ol.Shape()...), G.WithName("oracle.seed"),
				G.WithValue(tensor.New(tensor.WithShape(ol.Shape()...), tensor.WithBacking(seed))))
			prod, err := G.HadamardProd(ol, sn)
			check(t, err)
			cost, err := G.Sum(prod)
			check(t, err)
			gs, err := G.Grad(cost, o.X)
			check(t, err)
			vm := G.NewTapeMachine(o.G)
			check(t, vm.RunAll())
			vm.Close()
			want := gs[0].Value().Data().([]float32)

			worst, scale := 0.0, 0.0
			for i := range want {
				worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
				scale = math.Max(scale, math.Abs(float64(want[i])))
			}
			if scale == 0 || worst > 1e-4*scale+1e-6 {
				t.Errorf("%s %s: |projection − TapeMachine gradient| = %g (gradient scale %g)", model, layerName, worst, scale)
			}
		}
	}
}

func TestReceptiveField(t *testing.T) {
	m, err := models.New("lenet", 1, 1)
	check(t, err)
	cases := []struct {
		layer string
		i, j  int
		want  graph.Window
	}{
		{"conv1", 0, 0, graph.Window{Y0: -2, Y1: 3, X0: -2, X1: 3}},
		{"pool2", 3, 1, graph.Window{Y0: 4, Y1: 10, X0: 0, X1: 6}},
		{"conv2", 0, 0, graph.Window{Y0: -2, Y1: 12, X0: -2, X1: 12}},
		{"conv2", 9, 4, graph.Window{Y0: 16, Y1: 30, X0: 6, X1: 20}},
		{"pool5", 4, 4, graph.Window{Y0: 14, Y1: 30, X0: 14, X1: 30}},
	}
	for _, c := range cases {
		p, err := graph.Project(m, m.G.ByName(c.layer)[0], graph.RuleDeconvnet)
		check(t, err)
		got, err := p.ReceptiveField(c.i, c.j)
		check(t, err)
		if got != c.want {
			t.Errorf("%s (%d,%d): receptive field %+v, want %+v", c.layer, c.i, c.j, got, c.want)
		}
	}
	p, err := graph.Project(m, m.G.ByName("fc1")[0], graph.RuleGradient)
	check(t, err)
	if _, err := p.ReceptiveField(0, 0); err == nil {
		t.Error("fc1 has no spatial maps, yet ReceptiveField answered")
	}
}

func TestProjectErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 1, 4, 4), G.WithName("x"))
	a, err := graph.AvgPool2D(x, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0})
	check(t, err)
	m := &graph.Model{G: g, X: x}
	if _, err := graph.Project(m, a, graph.RuleDeconvnet); err == nil || !strings.Contains(err.Error(), "no switches") {
		t.Errorf("deconvnet through an average pool: err = %v, want one about switches", err)
	}
	if _, err := graph.Project(m, a, graph.RuleGradient); err != nil {
		t.Errorf("gradient through an average pool: %v", err)
	}
	if _, err := graph.ParseRule("backprop"); err == nil {
		t.Error("ParseRule accepted an unknown rule")
	}
}

func numel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}
