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
// the gradient is (probs − onehot(labels))/N. Labels of the logits' shape
// [N, D] are one-hot rows (or any target distribution t): the loss is then
// −(1/N) Σ_n Σ_j t[n,j]·log softmax(logits_n)[j]. Labels are not
// differentiated.
func SoftmaxCrossEntropy(logits, labels *G.Node) (*G.Node, error) {
	op := xentOp{oneHot: labels != nil && len(labels.Shape()) == 2}
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

// xentOp is the loss with class indices (labels [N]) or, with oneHot, with
// a target distribution per row (labels [N, D]: one-hot rows, or any soft
// labels).
type xentOp struct{ oneHot bool }

func (op xentOp) arity() int   { return 2 }
func (op xentOp) typ() hm.Type { return fnT(tensorT(2), tensorT(1+btoi(op.oneHot)), tensorT(0)) }

func (op xentOp) String() string {
	if op.oneHot {
		return "SoftmaxCrossEntropy(one-hot)"
	}
	return "SoftmaxCrossEntropy"
}

func (op xentOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if err := checkXent(ss[0], ss[1], op.oneHot); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}

func checkXent(logits, labels tensor.Shape, oneHot bool) error {
	if err := rankIs("logits", logits, 2, "N,D"); err != nil {
		return err
	}
	if oneHot {
		if !labels.Eq(logits) {
			return fmt.Errorf("one-hot labels %v must have the logits' shape %v", labels, logits)
		}
		return nil
	}
	if err := rankIs("labels", labels, 1, "N"); err != nil {
		return err
	}
	if logits[0] != labels[0] {
		return fmt.Errorf("logits %v hold %d rows but labels %v hold %d", logits, logits[0], labels, labels[0])
	}
	return nil
}

// lower computes the loss. With class indices one fused kernel does it and
// keeps the probabilities as the side "probs" of the logits, which the
// backward pass reads instead of a second softmax. With one-hot labels t:
// loss = −(1/N)·Σ t ⊙ log-softmax(logits), the log-probabilities kept as the
// side "logp".
func (op xentOp) lower(e *emitter, in []operand, out operand) error {
	l := in[0].Shape
	if !op.oneHot {
		probs := e.Temp("xent.probs", l)
		e.Emit(kernels.OpSoftmaxXent, ids(in[0], in[1]), []kernels.BufID{out.ID, probs}, kernels.XentArgs{N: l[0], D: l[1]})
		e.SetSide("probs", in[0].Node, op, probs)
		return nil
	}
	n := numel(l)
	logp, prod, sum := e.Temp("xent.logp", l), e.Temp("xent.t_logp", l), e.Temp("xent.sum", nil)
	e.Emit(kernels.OpSoftmax, ids(in[0]), ids1(logp), kernels.SoftmaxArgs{Rows: l[0], D: l[1], Log: true})
	e.Emit(kernels.OpBinary, []kernels.BufID{logp, in[1].ID}, ids1(prod), kernels.BinaryArgs{Fn: kernels.BinaryMul, N: n})
	e.Emit(kernels.OpReduce, ids1(prod), ids1(sum), kernels.ReduceArgs{Outer: 1, Mid: n, Inner: 1})
	e.Emit(kernels.OpUnary, ids1(sum), ids(out), kernels.UnaryArgs{Fn: kernels.UnaryScale, N: 1, Alpha: float32(-1 / float64(l[0]))})
	e.SetSide("logp", in[0].Node, op, logp)
	return nil
}

// xentGradOp is the loss's gradient over (logits, labels, dloss). With
// class indices: dlogits = (softmax(logits) − onehot(labels))·dloss/N. With
// a target distribution t: dlogits = (p·Σ_j t_j − t)·dloss/N per row, p the
// softmax, which is (p − t)·dloss/N when the rows of t sum to one.
type xentGradOp struct{ oneHot bool }

func (op xentGradOp) arity() int { return 3 }

func (op xentGradOp) typ() hm.Type {
	return fnT(tensorT(2), tensorT(1+btoi(op.oneHot)), hm.TypeVariable('a'), tensorT(2))
}

func (op xentGradOp) String() string {
	if op.oneHot {
		return "SoftmaxCrossEntropyGrad(one-hot)"
	}
	return "SoftmaxCrossEntropyGrad"
}

func (op xentGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if err := checkXent(ss[0], ss[1], op.oneHot); err != nil {
		return nil, err
	}
	if numel(ss[2]) != 1 {
		return nil, fmt.Errorf("dloss %v must hold one value", ss[2])
	}
	return ss[0].Clone(), nil
}

// lower reads the forward's probabilities when recorded, else recomputes them.
func (op xentGradOp) lower(e *emitter, in []operand, out operand) error {
	l := in[0].Shape
	rows, d, n := l[0], l[1], numel(l)
	if !op.oneHot {
		probs, ok := e.Side("probs", in[0].Node, xentOp{})
		if !ok {
			probs = e.Temp("xent_grad.probs", l)
			e.Emit(kernels.OpSoftmax, ids(in[0]), ids1(probs), kernels.SoftmaxArgs{Rows: rows, D: d})
		}
		e.Emit(kernels.OpSoftmaxXentBwd, []kernels.BufID{probs, in[1].ID, in[2].ID}, ids(out), kernels.XentArgs{N: rows, D: d})
		return nil
	}
	probs := e.Temp("xent_grad.probs", l)
	if logp, ok := e.Side("logp", in[0].Node, xentOp{oneHot: true}); ok {
		e.Emit(kernels.OpUnary, ids1(logp), ids1(probs), kernels.UnaryArgs{Fn: kernels.UnaryExp, N: n})
	} else {
		e.Emit(kernels.OpSoftmax, ids(in[0]), ids1(probs), kernels.SoftmaxArgs{Rows: rows, D: d})
	}
	mass, scaled, diff, g := e.Temp("xent_grad.rowsum", []int{rows}), e.Temp("xent_grad.p_mass", l), e.Temp("xent_grad.diff", l), e.Temp("xent_grad.g", l)
	e.Emit(kernels.OpReduce, ids(in[1]), ids1(mass), kernels.ReduceArgs{Outer: rows, Mid: d, Inner: 1})
	e.Emit(kernels.OpBinary, []kernels.BufID{probs, mass}, ids1(scaled), kernels.BinaryArgs{Fn: kernels.BinaryMul, N: n, Bcast: kernels.BcastOuter, Inner: d})
	e.Emit(kernels.OpBinary, []kernels.BufID{scaled, in[1].ID}, ids1(diff), kernels.BinaryArgs{Fn: kernels.BinarySub, N: n})
	e.Emit(kernels.OpBinary, []kernels.BufID{diff, in[2].ID}, ids1(g), kernels.BinaryArgs{Fn: kernels.BinaryMul, N: n, Bcast: kernels.BcastScalar})
	e.Emit(kernels.OpUnary, ids1(g), ids(out), kernels.UnaryArgs{Fn: kernels.UnaryScale, N: n, Alpha: float32(1 / float64(rows))})
	return nil
}
