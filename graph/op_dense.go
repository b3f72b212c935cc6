package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Dense is a fully connected layer: y = x·wᵀ + b, with x [B, in], w [out, in]
// (PyTorch's layout, so its weights load unchanged) and b [out] or nil.
// It lowers to one GEMM with the bias fused into its epilogue.
//
// Gradients: dx = dy·w, dw = dyᵀ·x, db = Σ_rows dy.
func Dense(x, w, b *G.Node) (*G.Node, error) {
	op := denseOp{bias: b != nil}
	nodes, names := []*G.Node{x, w}, []string{"x", "w"}
	if b != nil {
		nodes, names = append(nodes, b), append(names, "b")
	}
	ss, err := nodeShapes("Dense", names, nodes...)
	if err != nil {
		return nil, err
	}
	return apply("Dense", op, op.shape, ss, nodes...)
}

type denseOp struct {
	pureOp
	bias bool
}

func (op denseOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op denseOp) Type() hm.Type {
	if op.bias {
		return fnT(tensorT(2), tensorT(2), tensorT(1), tensorT(2))
	}
	return fnT(tensorT(2), tensorT(2), tensorT(2))
}

func (op denseOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if err := rankIs("x", ss[0], 2, "B,in"); err != nil {
		return nil, err
	}
	if err := rankIs("w", ss[1], 2, "out,in"); err != nil {
		return nil, err
	}
	if ss[0][1] != ss[1][1] {
		return nil, fmt.Errorf("x %v has %d features but w %v expects %d (w is [out, in])", ss[0], ss[0][1], ss[1], ss[1][1])
	}
	if op.bias {
		if err := rankIs("b", ss[2], 1, "out"); err != nil {
			return nil, err
		}
		if ss[2][0] != ss[1][0] {
			return nil, fmt.Errorf("bias b %v must have %d elements, one per output of w %v", ss[2], ss[1][0], ss[1])
		}
	}
	return tensor.Shape{ss[0][0], ss[1][0]}, nil
}

func (op denseOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op denseOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op denseOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op denseOp) Hashcode() uint32                  { return opHash(op) }

func (op denseOp) String() string {
	s := "Dense("
	if op.bias {
		s += "bias"
	}
	return s + ")"
}

func (op denseOp) DiffWRT(n int) []bool { return trues(n) }

func (op denseOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(matMulOp{}, grad, in[1]) // [B,out]·[out,in]
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(matMulOp{transA: true}, grad, in[0]) // [B,out]ᵀ·[B,in]
	if err != nil {
		return nil, err
	}
	if !op.bias {
		return G.Nodes{dx, dw}, nil
	}
	db, err := G.ApplyOp(biasGradOp{}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

func (op denseOp) lower(e *emitter, in []operand, out operand) error {
	ids := []kernels.BufID{in[0].ID, in[1].ID}
	if op.bias {
		ids = append(ids, in[2].ID)
	}
	e.Emit(kernels.OpGemm, ids, []kernels.BufID{out.ID}, kernels.GemmArgs{
		M: in[0].Shape[0], N: in[1].Shape[0], K: in[0].Shape[1],
		TransB: true, Alpha: 1, Bias: op.bias,
	})
	return nil
}

// MatMul is c = op(a)·op(b), where op transposes its matrix when the flag is
// set: a [M, K] (or [K, M] with transA), b [K, N] (or [N, K] with transB).
// Dense's backward is made of it.
func MatMul(a, b *G.Node, transA, transB bool) (*G.Node, error) {
	op := matMulOp{transA: transA, transB: transB}
	ss, err := nodeShapes("MatMul", []string{"a", "b"}, a, b)
	if err != nil {
		return nil, err
	}
	return apply("MatMul", op, op.shape, ss, a, b)
}

type matMulOp struct {
	pureOp
	transA, transB bool
}

func (op matMulOp) Arity() int    { return 2 }
func (op matMulOp) Type() hm.Type { return fnT(tensorT(2), tensorT(2), tensorT(2)) }

// dims returns M, N, K of the product from the stored shapes.
func (op matMulOp) dims(a, b tensor.Shape) (m, n, k, kb int) {
	m, k = a[0], a[1]
	if op.transA {
		m, k = a[1], a[0]
	}
	kb, n = b[0], b[1]
	if op.transB {
		kb, n = b[1], b[0]
	}
	return m, n, k, kb
}

func (op matMulOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if err := rankIs("a", ss[0], 2, ""); err != nil {
		return nil, err
	}
	if err := rankIs("b", ss[1], 2, ""); err != nil {
		return nil, err
	}
	m, n, k, kb := op.dims(ss[0], ss[1])
	if k != kb {
		return nil, fmt.Errorf("inner dimensions differ: op(a) of a %v is %dx%d, op(b) of b %v is %dx%d", ss[0], m, k, ss[1], kb, n)
	}
	return tensor.Shape{m, n}, nil
}

func (op matMulOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op matMulOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op matMulOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op matMulOp) Hashcode() uint32                  { return opHash(op) }

func (op matMulOp) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return "MatMul(" + t(op.transA) + t(op.transB) + ")"
}

func (op matMulOp) DiffWRT(n int) []bool { return trues(n) }

// SymDiff of C = op(A)·op(B) with dC = G:
//
//	d op(A) = G·op(B)ᵀ,   d op(B) = op(A)ᵀ·G,
//
// and a stored transposed operand takes the transpose of that, which the
// flags of one more MatMul express without moving data.
func (op matMulOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	a, b := in[0], in[1]
	var da, db *G.Node
	var err error
	if !op.transA { // dA = G·op(B)ᵀ
		da, err = G.ApplyOp(matMulOp{transB: !op.transB}, grad, b)
	} else { // dA = op(B)·Gᵀ
		da, err = G.ApplyOp(matMulOp{transA: op.transB, transB: true}, b, grad)
	}
	if err != nil {
		return nil, err
	}
	if !op.transB { // dB = op(A)ᵀ·G
		db, err = G.ApplyOp(matMulOp{transA: !op.transA}, a, grad)
	} else { // dB = Gᵀ·op(A)
		db, err = G.ApplyOp(matMulOp{transA: true, transB: op.transA}, grad, a)
	}
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, db}, nil
}

func (op matMulOp) lower(e *emitter, in []operand, out operand) error {
	m, n, k, _ := op.dims(in[0].Shape, in[1].Shape)
	e.Emit(kernels.OpGemm, []kernels.BufID{in[0].ID, in[1].ID}, []kernels.BufID{out.ID}, kernels.GemmArgs{
		M: m, N: n, K: k, TransA: op.transA, TransB: op.transB, Alpha: 1,
	})
	return nil
}

// biasGradOp sums a gradient over every axis but the channel axis 1:
// dy [N, C] (dense) or [N, C, H, W] (conv) → db [C].
type biasGradOp struct{ pureOp }

func (op biasGradOp) Arity() int    { return 1 }
func (op biasGradOp) Type() hm.Type { return fnT(hm.TypeVariable('a'), tensorT(1)) }

func (op biasGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if r := len(ss[0]); r < 2 {
		return nil, fmt.Errorf("input dy must have rank ≥ 2 (N,C,...), got rank %d", r)
	}
	return tensor.Shape{ss[0][1]}, nil
}

func (op biasGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op biasGradOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op biasGradOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op biasGradOp) Hashcode() uint32                  { return opHash(op) }
func (op biasGradOp) String() string                    { return "BiasGrad" }
func (op biasGradOp) DiffWRT(n int) []bool              { return noDiff(n) }
func (op biasGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, notTwice(op)
}

func (op biasGradOp) lower(e *emitter, in []operand, out operand) error {
	s := in[0].Shape
	e.Emit(kernels.OpBiasGrad, []kernels.BufID{in[0].ID}, []kernels.BufID{out.ID}, kernels.BiasGradArgs{
		N: s[0], C: s[1], HW: numel(s[2:]),
	})
	return nil
}

func trues(n int) []bool {
	b := make([]bool, n)
	for i := range b {
		b[i] = true
	}
	return b
}
