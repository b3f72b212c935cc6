package graph

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestConstructorsRejectBadShapes: each constructor names itself, the input
// and what is wrong.
func TestConstructorsRejectBadShapes(t *testing.T) {
	g := G.NewGraph()
	in := func(name string, shape ...int) *G.Node {
		if len(shape) == 0 {
			return G.NewScalar(g, tensor.Float32, G.WithName(name))
		}
		return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name))
	}
	x4 := in("x4", 2, 3, 7, 6)
	w4 := in("w4", 4, 3, 3, 3)
	x2 := in("x2", 8, 5)
	w2 := in("w2", 4, 5)
	x64 := G.NewMatrix(g, tensor.Float64, G.WithShape(8, 5), G.WithName("x64"))
	s2, p1, z := [2]int{2, 2}, [2]int{1, 1}, [2]int{}
	y4, err := Conv2D(x4, w4, nil, s2, p1) // (2, 4, 4, 3)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		call func() (*G.Node, error)
		want string
	}{
		{"Conv2D rank", func() (*G.Node, error) { return Conv2D(x2, w4, nil, s2, p1) },
			"graph.Conv2D: input x must have rank 4 (N,C,H,W), got rank 2"},
		{"Conv2D filter rank", func() (*G.Node, error) { return Conv2D(x4, in("w3", 4, 3, 3), nil, s2, p1) },
			"graph.Conv2D: input w must have rank 4 (K,C,R,S), got rank 3"},
		{"Conv2D channels", func() (*G.Node, error) { return Conv2D(x4, in("wc", 4, 2, 3, 3), nil, s2, p1) },
			"graph.Conv2D: x (2, 3, 7, 6) has 3 channels but w (4, 2, 3, 3) expects 2"},
		{"Conv2D bias", func() (*G.Node, error) { return Conv2D(x4, w4, in("b5", 5), s2, p1) },
			"graph.Conv2D: bias b (5) must have 4 elements"},
		{"Conv2D stride", func() (*G.Node, error) { return Conv2D(x4, w4, nil, [2]int{0, 1}, p1) },
			"graph.Conv2D: stride 0x1 must be positive"},
		{"Conv2D window", func() (*G.Node, error) { return Conv2D(in("xs", 1, 3, 2, 2), w4, nil, s2, z) },
			"graph.Conv2D: window 3x3 is larger than the padded input 2x2"},
		{"Conv2D nil", func() (*G.Node, error) { return Conv2D(nil, w4, nil, s2, p1) },
			"graph.Conv2D: input x is nil"},
		{"ConvTranspose2D size", func() (*G.Node, error) { return ConvTranspose2D(y4, w4, s2, p1, 9, 6) },
			"graph.ConvTranspose2D: a 9x6 input convolved with w (4, 3, 3, 3) (stride 2x2, pad 1x1) gives 5x3, but y (2, 4, 4, 3) is 4x3"},
		{"ConvTranspose2D channels", func() (*G.Node, error) { return ConvTranspose2D(x4, w4, s2, p1, 7, 6) },
			"graph.ConvTranspose2D: y (2, 3, 7, 6) has 3 channels but w (4, 3, 3, 3) has 4 filters"},
		{"Dense rank", func() (*G.Node, error) { return Dense(x4, w2, nil) },
			"graph.Dense: input x must have rank 2 (B,in), got rank 4"},
		{"Dense features", func() (*G.Node, error) { return Dense(x2, in("w6", 4, 6), nil) },
			"graph.Dense: x (8, 5) has 5 features but w (4, 6) expects 6 (w is [out, in])"},
		{"Dense bias", func() (*G.Node, error) { return Dense(x2, w2, in("b3", 3)) },
			"graph.Dense: bias b (3) must have 4 elements"},
		{"Dense dtype", func() (*G.Node, error) { return Dense(x64, w2, nil) },
			"graph.Dense: input x must be float32, got float64"},
		{"MatMul inner", func() (*G.Node, error) { return MatMul(x2, w2, false, false) },
			"graph.MatMul: inner dimensions differ"},
		{"ReLU nil", func() (*G.Node, error) { return ReLU(nil) }, "graph.ReLU: input x is nil"},
		{"MaxPool2D rank", func() (*G.Node, error) { return MaxPool2D(in("x3", 2, 7, 6), s2, s2, z) },
			"graph.MaxPool2D: input x must have rank 4 (N,C,H,W), got rank 3"},
		{"MaxPool2D pad", func() (*G.Node, error) { return MaxPool2D(x4, s2, s2, s2) },
			"graph.MaxPool2D: pad 2x2 must be at most half the kernel 2x2"},
		{"AvgPool2D kernel", func() (*G.Node, error) { return AvgPool2D(x4, [2]int{0, 2}, s2, z) },
			"graph.AvgPool2D: kernel 0x2 must be positive"},
		{"Unpool2D shape", func() (*G.Node, error) { return Unpool2D(y4, x4, s2, s2, z) },
			"graph.Unpool2D: y (2, 4, 4, 3) must have the shape (2, 3, 3, 3) of MaxPool2D(x (2, 3, 7, 6)"},
		{"Reshape count", func() (*G.Node, error) { return Reshape(x2, 3, 13) },
			"graph.Reshape: x (8, 5) has 40 elements, target shape (3, 13) has 39"},
		{"Flatten scalar", func() (*G.Node, error) { return Flatten(in("s")) },
			"graph.Flatten: input x must have rank ≥ 1"},
		{"Dropout p", func() (*G.Node, error) { return Dropout(x2, 1, 0) },
			"graph.Dropout: probability p must be in [0, 1), got 1"},
		{"Softmax scalar", func() (*G.Node, error) { return Softmax(in("s0")) },
			"graph.Softmax: input x must have rank ≥ 1"},
		{"SoftmaxCrossEntropy labels rank", func() (*G.Node, error) { return SoftmaxCrossEntropy(x2, in("l3", 2, 2, 2)) },
			"graph.SoftmaxCrossEntropy: input labels must have rank 1 (N), got rank 3"},
		{"SoftmaxCrossEntropy one-hot shape", func() (*G.Node, error) { return SoftmaxCrossEntropy(x2, in("l85", 8, 6)) },
			"graph.SoftmaxCrossEntropy: one-hot labels (8, 6) must have the logits' shape (8, 5)"},
		{"SoftmaxCrossEntropy rows", func() (*G.Node, error) { return SoftmaxCrossEntropy(x2, in("l7", 7)) },
			"graph.SoftmaxCrossEntropy: logits (8, 5) hold 8 rows but labels (7) hold 7"},
	}
	for _, c := range cases {
		n, err := c.call()
		if err == nil {
			t.Errorf("%s: accepted, made %v; want error %q", c.name, n, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got error %q\nwant it to contain %q", c.name, err, c.want)
		}
	}
}

// TestHashSeparatesParameters: gorgonia merges nodes by op hash and children,
// so ops that differ only in a parameter must hash differently, and the same
// op on the same inputs must be merged.
func TestHashSeparatesParameters(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 2, 9, 9), G.WithName("x"))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(3, 2, 3, 3), G.WithName("w"))
	one, two := [2]int{1, 1}, [2]int{2, 2}
	a, err := Conv2D(x, w, nil, one, one)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Conv2D(x, w, nil, two, one)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Conv2D(x, w, nil, one, one)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || a.ID() == b.ID() {
		t.Errorf("Conv2D with stride 1 and stride 2 gave one node %v", a)
	}
	if !a.Shape().Eq(tensor.Shape{1, 3, 9, 9}) || !b.Shape().Eq(tensor.Shape{1, 3, 5, 5}) {
		t.Errorf("shapes %v and %v, want (1, 3, 9, 9) and (1, 3, 5, 5)", a.Shape(), b.Shape())
	}
	if again != a {
		t.Errorf("the same Conv2D twice gave two nodes")
	}

	// Every parameter of every op shows in its hash.
	specs := []spec{
		denseOp{}, denseOp{bias: true},
		matMulOp{}, matMulOp{transA: true}, matMulOp{transB: true},
		actOp{fn: 1}, actOp{fn: 2}, actOp{fn: 3}, actGradOp{fn: 1}, actGradOp{fn: 2},
		convOp{stride: one}, convOp{stride: two}, convOp{stride: one, pad: one}, convOp{stride: one, bias: true},
		convTransposeOp{stride: one, outH: 5, outW: 5}, convTransposeOp{stride: one, outH: 5, outW: 6},
		convFilterGradOp{stride: one, r: 3, s: 3}, convFilterGradOp{stride: one, r: 3, s: 2},
		maxPoolOp{poolParams: poolParams{two, two, [2]int{}}}, maxPoolOp{poolParams: poolParams{two, one, [2]int{}}},
		avgPoolOp{poolParams: poolParams{two, two, [2]int{}}}, unpoolOp{poolParams: poolParams{two, two, [2]int{}}},
		avgPoolGradOp{poolParams: poolParams{two, two, [2]int{}}, h: 4, w: 4},
		avgPoolGradOp{poolParams: poolParams{two, two, [2]int{}}, h: 5, w: 4},
		reshapeOp{to: tensor.Shape{2, 6}}, reshapeOp{to: tensor.Shape{6, 2}},
		dropoutOp{p: 0.5, seed: 1}, dropoutOp{p: 0.5, seed: 2}, dropoutOp{p: 0.25, seed: 1}, dropoutGradOp{p: 0.5, seed: 1},
		softmaxOp{}, softmaxGradOp{}, xentOp{}, xentGradOp{}, xentOp{oneHot: true}, xentGradOp{oneHot: true}, biasGradOp{},
	}
	seen := map[uint32]G.Op{}
	for _, s := range specs {
		op := gop{s}
		if prev, ok := seen[op.Hashcode()]; ok {
			t.Errorf("%v and %v hash alike", prev, op)
		}
		seen[op.Hashcode()] = op
	}
}
