package graph

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Softmax normalizes over the last axis: y[r, j] = e^{x[r,j]} / Σ_k e^{x[r,k]}.
func Softmax(x *G.Node) (*G.Node, error) {
	op := softmaxOp{}
	return apply("Softmax", op, []string{"x"}, x)
}

// SoftmaxCrossEntropy is the mean negative log-likelihood of the labels under
// softmax(logits): logits [N, D], labels [N] holding class indices as float32
// → the scalar −(1/N) Σ_n log softmax(logits_n)[labels_n]. One fused kernel
// computes it stably (log-sum-exp) and keeps the probabilities, from which
// the gradient is (probs − onehot(labels))/N. Labels are not differentiated.
func SoftmaxCrossEntropy(logits, labels *G.Node) (*G.Node, error) {
	op := xentOp{}
	return apply("SoftmaxCrossEntropy", op, []string{"logits", "labels"}, logits, labels)
}

type softmaxOp struct{}

func (op softmaxOp) arity() int { return 1 }

func (op softmaxOp) typ() hm.Type { return sameT(1) }

func (op softmaxOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if len(ss[0]) < 1 {
		return nil, fmt.Errorf("input x must have rank ≥ 1 (rows over the last axis), got rank 0")
	}
	if numel(ss[0]) == 0 {
		return nil, fmt.Errorf("input x has shape %v with no elements", ss[0])
	}
	return ss[0].Clone(), nil
}

func (op softmaxOp) String() string { return "Softmax" }

// softmaxArgs views a tensor as rows over its last axis.
func softmaxArgs(s tensor.Shape) kernels.SoftmaxArgs {
	d := s[len(s)-1]
	return kernels.SoftmaxArgs{Rows: numel(s) / d, D: d}
}

func (op softmaxOp) lower(e *emitter, in []operand, out operand) error {
	e.Emit(kernels.OpSoftmax, []kernels.BufID{in[0].ID}, []kernels.BufID{out.ID}, softmaxArgs(in[0].Shape))
	return nil
}

// softmaxGradOp is the softmax's backward from its output:
// dx = y ⊙ (dy − Σ_j dy_j·y_j), the sum taken per row.
type softmaxGradOp struct{}

func (op softmaxGradOp) arity() int { return 2 }

func (op softmaxGradOp) typ() hm.Type { return sameT(2) }

func (op softmaxGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if len(ss[0]) < 1 || !ss[0].Eq(ss[1]) {
		return nil, fmt.Errorf("y %v and dy %v must have the same shape, of rank ≥ 1", ss[0], ss[1])
	}
	return ss[0].Clone(), nil
}

func (op softmaxGradOp) String() string { return "SoftmaxGrad" }

func (op softmaxGradOp) lower(e *emitter, in []operand, out operand) error {
	y, dy := in[0], in[1]
	a := softmaxArgs(y.Shape)
	n := a.Rows * a.D
	prod := e.Temp("softmax_grad.y_dy", y.Shape)
	dot := e.Temp("softmax_grad.dot", []int{a.Rows})
	diff := e.Temp("softmax_grad.diff", y.Shape)
	e.Emit(kernels.OpBinary, []kernels.BufID{y.ID, dy.ID}, []kernels.BufID{prod}, kernels.BinaryArgs{
		Fn: kernels.BinaryMul, N: n,
	})
	e.Emit(kernels.OpReduce, []kernels.BufID{prod}, []kernels.BufID{dot}, kernels.ReduceArgs{
		Outer: a.Rows, Mid: a.D, Inner: 1,
	})
	e.Emit(kernels.OpBinary, []kernels.BufID{dy.ID, dot}, []kernels.BufID{diff}, kernels.BinaryArgs{
		Fn: kernels.BinarySub, N: n, Bcast: kernels.BcastOuter, Inner: a.D,
	})
	e.Emit(kernels.OpBinary, []kernels.BufID{diff, y.ID}, []kernels.BufID{out.ID}, kernels.BinaryArgs{
		Fn: kernels.BinaryMul, N: n,
	})
	return nil
}

type xentOp struct{}

func (op xentOp) arity() int   { return 2 }
func (op xentOp) typ() hm.Type { return fnT(tensorT(2), tensorT(1), tensorT(0)) }

func (op xentOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if err := checkXent(ss[0], ss[1]); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}

func checkXent(logits, labels tensor.Shape) error {
	if err := rankIs("logits", logits, 2, "N,D"); err != nil {
		return err
	}
	if err := rankIs("labels", labels, 1, "N"); err != nil {
		return err
	}
	if logits[0] != labels[0] {
		return fmt.Errorf("logits %v hold %d rows but labels %v hold %d", logits, logits[0], labels, labels[0])
	}
	return nil
}

func (op xentOp) String() string { return "SoftmaxCrossEntropy" }

// lower computes the loss and keeps the probabilities as the side "probs" of
// the logits, which the backward pass reads instead of a second softmax.
func (op xentOp) lower(e *emitter, in []operand, out operand) error {
	l := in[0].Shape
	probs := e.Temp("xent.probs", l)
	e.Emit(kernels.OpSoftmaxXent, []kernels.BufID{in[0].ID, in[1].ID}, []kernels.BufID{out.ID, probs}, kernels.XentArgs{N: l[0], D: l[1]})
	e.SetSide("probs", in[0].Node, op, probs)
	return nil
}

// xentGradOp is dlogits = (softmax(logits) − onehot(labels))·dloss/N over
// (logits, labels, dloss).
type xentGradOp struct{}

func (op xentGradOp) arity() int { return 3 }

func (op xentGradOp) typ() hm.Type {
	return fnT(tensorT(2), tensorT(1), hm.TypeVariable('a'), tensorT(2))
}

func (op xentGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if err := checkXent(ss[0], ss[1]); err != nil {
		return nil, err
	}
	if numel(ss[2]) != 1 {
		return nil, fmt.Errorf("dloss %v must hold one value", ss[2])
	}
	return ss[0].Clone(), nil
}

func (op xentGradOp) String() string { return "SoftmaxCrossEntropyGrad" }

// lower reads the forward's probabilities when recorded, else recomputes them.
func (op xentGradOp) lower(e *emitter, in []operand, out operand) error {
	l := in[0].Shape
	probs, ok := e.Side("probs", in[0].Node, xentOp{})
	if !ok {
		probs = e.Temp("xent_grad.probs", l)
		e.Emit(kernels.OpSoftmax, []kernels.BufID{in[0].ID}, []kernels.BufID{probs}, kernels.SoftmaxArgs{Rows: l[0], D: l[1]})
	}
	e.Emit(kernels.OpSoftmaxXentBwd, []kernels.BufID{probs, in[1].ID, in[2].ID}, []kernels.BufID{out.ID}, kernels.XentArgs{N: l[0], D: l[1]})
	return nil
}
