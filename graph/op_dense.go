package graph

import (
	"fmt"

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
	nodes, names := withBias([]*G.Node{x, w}, b)
	return apply("Dense", denseOp{bias: b != nil}, names, nodes...)
}

type denseOp struct{ bias bool }

func (op denseOp) arity() int { return 2 + btoi(op.bias) }

func (op denseOp) typ() hm.Type {
	if op.bias {
		return fnT(tensorT(2), tensorT(2), tensorT(1), tensorT(2))
	}
	return fnT(tensorT(2), tensorT(2), tensorT(2))
}

func (op denseOp) String() string {
	if op.bias {
		return "Dense(bias)"
	}
	return "Dense()"
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

func (op denseOp) lower(e *emitter, in []operand, out operand) error {
	e.Emit(kernels.OpGemm, ids(in...), ids(out), kernels.GemmArgs{
		M: in[0].Shape[0], N: in[1].Shape[0], K: in[0].Shape[1],
		TransB: true, Alpha: 1, Bias: op.bias,
	})
	return nil
}

// MatMul is c = op(a)·op(b), where op transposes its matrix when the flag is
// set: a [M, K] (or [K, M] with transA), b [K, N] (or [N, K] with transB).
// Dense's backward is made of it.
func MatMul(a, b *G.Node, transA, transB bool) (*G.Node, error) {
	return apply("MatMul", matMulOp{transA: transA, transB: transB}, []string{"a", "b"}, a, b)
}

type matMulOp struct{ transA, transB bool }

func (op matMulOp) arity() int   { return 2 }
func (op matMulOp) typ() hm.Type { return fnT(tensorT(2), tensorT(2), tensorT(2)) }

func (op matMulOp) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return "MatMul(" + t(op.transA) + t(op.transB) + ")"
}

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

func (op matMulOp) lower(e *emitter, in []operand, out operand) error {
	m, n, k, _ := op.dims(in[0].Shape, in[1].Shape)
	e.Emit(kernels.OpGemm, ids(in[0], in[1]), ids(out), kernels.GemmArgs{
		M: m, N: n, K: k, TransA: op.transA, TransB: op.transB, Alpha: 1,
	})
	return nil
}

// biasGradOp sums a gradient over every axis but the channel axis 1:
// dy [N, C] (dense) or [N, C, H, W] (conv) → db [C].
type biasGradOp struct{}

func (op biasGradOp) arity() int     { return 1 }
func (op biasGradOp) typ() hm.Type   { return fnT(hm.TypeVariable('a'), tensorT(1)) }
func (op biasGradOp) String() string { return "BiasGrad" }

func (op biasGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if r := len(ss[0]); r < 2 {
		return nil, fmt.Errorf("input dy must have rank ≥ 2 (N,C,...), got rank %d", r)
	}
	return tensor.Shape{ss[0][1]}, nil
}

func (op biasGradOp) lower(e *emitter, in []operand, out operand) error {
	s := in[0].Shape
	e.Emit(kernels.OpBiasGrad, ids(in[0]), ids(out), kernels.BiasGradArgs{N: s[0], C: s[1], HW: numel(s[2:])})
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
