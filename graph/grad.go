package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The gradient rules of gabor's ops, all in one place. gorgonia.Grad calls
// an op's SymDiff with its inputs x, its output y and the gradient dy of the
// loss with respect to y; the rule returns the gradient of every input
// (nil where an input is not differentiated), built from ops of the set, so
// the backward graph lowers like the forward one.
//
// The gradient ops themselves have no rule: gabor differentiates once, and
// their DiffWRT answers false for every input, so gorgonia never asks.
func symDiff(s spec, x G.Nodes, y, dy *G.Node) (G.Nodes, error) {
	var b gradBuilder
	var dx G.Nodes
	switch op := s.(type) {
	case denseOp: // y = x·wᵀ + b: dx = dy·w, dw = dyᵀ·x, db = Σ_rows dy
		dx = G.Nodes{b.op(matMulOp{}, dy, x[1]), b.op(matMulOp{transA: true}, dy, x[0])}
		if op.bias {
			dx = append(dx, b.op(biasGradOp{}, dy))
		}
	case matMulOp:
		dx = matMulGrad(&b, op, x[0], x[1], dy)
	case actOp: // from y (relu: y > 0, sigmoid: y(1−y), tanh: 1−y²): a fused activation drops x
		dx = G.Nodes{b.op(actGradOp{fn: op.fn}, y, dy)}
	case convOp: // dx: the transposed convolution of dy; dw: x correlated with dy
		xs, ws := x[0].Shape(), x[1].Shape()
		dx = G.Nodes{
			b.op(convTransposeOp{stride: op.stride, pad: op.pad, outH: xs[2], outW: xs[3]}, dy, x[1]),
			b.op(convFilterGradOp{stride: op.stride, pad: op.pad, r: ws[2], s: ws[3]}, x[0], dy),
		}
		if op.bias {
			dx = append(dx, b.op(biasGradOp{}, dy))
		}
	case convTransposeOp: // linear in its input: the forward convolution; dw with the roles of x and dy swapped
		ws := x[1].Shape()
		dx = G.Nodes{
			b.op(convOp{stride: op.stride, pad: op.pad}, dy, x[1]),
			b.op(convFilterGradOp{stride: op.stride, pad: op.pad, r: ws[2], s: ws[3]}, dy, x[0]),
		}
	case maxPoolOp: // each output is one input: route dy back by the switches
		dx = G.Nodes{b.op(unpoolOp{poolParams: op.poolParams}, dy, x[0])}
	case avgPoolOp: // spread dy evenly over each window
		xs := x[0].Shape()
		dx = G.Nodes{b.op(avgPoolGradOp{poolParams: op.poolParams, h: xs[2], w: xs[3]}, dy)}
	case reshapeOp:
		dx = G.Nodes{b.op(reshapeOp{to: append(tensor.Shape(nil), shapeOf(x[0])...)}, dy)}
	case dropoutOp: // y = x·mask: dx = dy·mask, with the forward's mask
		dx = G.Nodes{b.op(dropoutGradOp{p: op.p, seed: op.seed}, x[0], dy)}
	case softmaxOp: // dx = y ⊙ (dy − Σ dy·y)
		dx = G.Nodes{b.op(softmaxGradOp{}, y, dy)}
	case xentOp: // dlogits = (softmax(logits) − onehot(labels))·dloss/N; labels are data
		dx = G.Nodes{b.op(xentGradOp{oneHot: op.oneHot}, x[0], x[1], dy), nil}
	default:
		return nil, fmt.Errorf("%v: second derivatives are not supported", s)
	}
	return dx, b.err
}

// matMulGrad: for C = op(A)·op(B) with dC = G, d op(A) = G·op(B)ᵀ and
// d op(B) = op(A)ᵀ·G; a stored transposed operand takes the transpose of
// that, which the flags of one more MatMul express without moving data.
func matMulGrad(b *gradBuilder, op matMulOp, a, bm, g *G.Node) G.Nodes {
	var da, db *G.Node
	if !op.transA { // dA = G·op(B)ᵀ
		da = b.op(matMulOp{transB: !op.transB}, g, bm)
	} else { // dA = op(B)·Gᵀ
		da = b.op(matMulOp{transA: op.transB, transB: true}, bm, g)
	}
	if !op.transB { // dB = op(A)ᵀ·G
		db = b.op(matMulOp{transA: !op.transA}, a, g)
	} else { // dB = Gᵀ·op(A)
		db = b.op(matMulOp{transA: true, transB: op.transA}, g, a)
	}
	return G.Nodes{da, db}
}

// diffWRT says which inputs an op is differentiated with respect to: none
// for the gradient ops and Unpool2D (they have no rule above), all but the
// labels for the loss, every input otherwise. (An empty answer would make
// gorgonia's analysis reject the graph, so the answer always has n entries.)
func diffWRT(s spec, n int) []bool {
	d := make([]bool, n)
	switch s.(type) {
	case biasGradOp, actGradOp, convFilterGradOp, unpoolOp, avgPoolGradOp, dropoutGradOp, softmaxGradOp, xentGradOp:
		return d
	}
	for i := range d {
		d[i] = true
	}
	if _, ok := s.(xentOp); ok && n == 2 {
		d[1] = false
	}
	return d
}

// gradBuilder adds gradient nodes, keeping the first error.
type gradBuilder struct{ err error }

func (b *gradBuilder) op(s spec, in ...*G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	n, err := G.ApplyOp(gop{s}, in...)
	if err != nil {
		b.err = fmt.Errorf("gradient %v: %w", s, err)
	}
	return n
}
