package graph

import (
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestGorgoniaBuiltinsMatchTapeMachine: each gorgonia built-in that gabor
// lowers as a composition of kernels, inside loss = Σ f(x)⊙w, compiled and
// run on the cpu backend: the loss and the gradients of x and w agree with
// the TapeMachine on the same graph.
func TestGorgoniaBuiltinsMatchTapeMachine(t *testing.T) {
	type f = func(x, y *G.Node) (*G.Node, error)
	k := func(v float32) *G.Node { return G.NewConstant(v) }
	cases := []struct {
		name   string
		lo, hi float64 // the range of x (and y)
		fn     f
	}{
		{"abs", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Abs(x) }},
		{"cube", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Cube(x) }},
		{"exp", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Exp(x) }},
		{"log1p", 0.1, 2, func(x, _ *G.Node) (*G.Node, error) { return G.Log1p(x) }},
		{"expm1", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Expm1(x) }},
		{"sqrt", 0.1, 2, func(x, _ *G.Node) (*G.Node, error) { return G.Sqrt(x) }},
		{"inverse", 0.5, 2, func(x, _ *G.Node) (*G.Node, error) { return G.Inverse(x) }},
		{"inverse-sqrt", 0.5, 2, func(x, _ *G.Node) (*G.Node, error) { return G.InverseSqrt(x) }},
		{"log2", 0.5, 2, func(x, _ *G.Node) (*G.Node, error) { return G.Log2(x) }},
		{"softplus", -3, 3, func(x, _ *G.Node) (*G.Node, error) { return G.Softplus(x) }},
		{"pow-2", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Pow(x, k(2)) }},
		{"pow-3", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Pow(x, k(3)) }},
		{"pow-half", 0.5, 2, func(x, _ *G.Node) (*G.Node, error) { return G.Pow(x, k(0.5)) }},
		{"pow-1.7", 0.5, 2, func(x, _ *G.Node) (*G.Node, error) { return G.Pow(x, k(1.7)) }},
		{"pow-tensor", 0.5, 2, func(x, y *G.Node) (*G.Node, error) { return G.Pow(x, y) }},
		{"leaky-relu", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.LeakyRelu(x, 0.1) }},
		{"gt", -1, 1, cmp(G.Gt)}, {"lt", -1, 1, cmp(G.Lt)}, {"gte", -1, 1, cmp(G.Gte)},
		{"lte", -1, 1, cmp(G.Lte)}, {"eq", -1, 1, cmp(G.Eq)}, {"ne", -1, 1, cmp(G.Ne)},
		{"broadcast-hadamard-prod", -1, 1, func(x, y *G.Node) (*G.Node, error) {
			row := G.Must(G.Sum(y, 0)) // [4]
			return G.BroadcastHadamardProd(x, row, nil, []byte{0})
		}},
		{"broadcast-hadamard-div", 0.5, 2, func(x, y *G.Node) (*G.Node, error) {
			col := G.Must(G.Sum(y, 1)) // [3]
			return G.BroadcastHadamardDiv(x, col, nil, []byte{1})
		}},
		{"max-along-1", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Max(x, 1) }},
		{"max-along-0", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Max(x, 0) }},
		{"max-all", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Mul(x, G.Must(G.Max(x))) }},
		{"sum-along-1", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Sum(G.Must(G.Square(x)), 1) }},
		{"mean-along-0", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Mean(G.Must(G.Square(x)), 0) }},
		{"mat-vec", -1, 1, func(x, y *G.Node) (*G.Node, error) { return G.Mul(x, G.Must(G.Sum(y, 0))) }},
		{"mat-vec-transposed", -1, 1, func(x, y *G.Node) (*G.Node, error) {
			return G.Mul(G.Must(G.Transpose(x)), G.Must(G.Sum(y, 1)))
		}},
		{"concat-axis-1", -1, 1, func(x, y *G.Node) (*G.Node, error) { return G.Concat(1, x, y, x) }},
		{"concat-axis-0", -1, 1, func(x, y *G.Node) (*G.Node, error) { return G.Concat(0, x, G.Must(G.Square(y))) }},
		{"slice-cols", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Slice(x, nil, G.S(1, 3)) }},
		{"slice-rows", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Slice(x, G.S(1, 3)) }},
		{"slice-index", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Slice(x, G.S(2)) }},
		{"slice-both", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Slice(x, G.S(0, 2), G.S(1, 3)) }},
		{"mish", -3, 3, func(x, _ *G.Node) (*G.Node, error) { return G.Mish(x) }},
		{"norm", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Norm(x, 1, 2) }},
		{"unconcat", -1, 1, func(x, y *G.Node) (*G.Node, error) {
			parts, err := G.Unconcat(G.Must(G.Concat(1, x, y)), 1, 2)
			if err != nil {
				return nil, err
			}
			return G.HadamardProd(parts[0], G.Must(G.Exp(parts[1])))
		}},
		{"ravel", -1, 1, func(x, _ *G.Node) (*G.Node, error) { return G.Ravel(G.Must(G.Cube(x))) }},
		{"dot", -1, 1, func(x, y *G.Node) (*G.Node, error) {
			u, v := G.Must(G.Sum(x, 1)), G.Must(G.Sum(y, 1)) // [3], [3]
			return G.Mul(x, G.Must(G.Mul(u, v)))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(7))
			g := G.NewGraph()
			x := nodeOf(g, "x", randT(rng, tc.lo, tc.hi, 3, 4))
			yv := randT(rng, tc.lo, tc.hi, 3, 4)
			for i := 0; i < 4; i++ { // a few equal entries for the comparisons
				f32s(yv)[3*i] = f32s(x.Value())[3*i]
			}
			y := nodeOf(g, "y", yv)
			fx, err := tc.fn(x, y)
			if err != nil {
				t.Fatal(err)
			}
			w := param(g, rng, "w", fx.Shape()...)
			// + Σ y² so that y is always differentiable.
			loss := G.Must(G.Add(G.Must(G.Sum(G.Must(G.HadamardProd(fx, w)))), G.Must(G.Sum(G.Must(G.Square(y))))))
			agreeWithTapeMachine(t, &Model{Name: tc.name, G: g, Loss: loss, Params: []*G.Node{x, y, w}}, nil)
		})
	}
}

// cmp makes x⊙(x op y): the comparison is not differentiated, so the
// gradients test the mask through x.
func cmp(op func(a, b *G.Node, retSame bool) (*G.Node, error)) func(x, y *G.Node) (*G.Node, error) {
	return func(x, y *G.Node) (*G.Node, error) {
		m, err := op(x, y, true)
		if err != nil {
			return nil, err
		}
		return G.HadamardProd(x, m)
	}
}
