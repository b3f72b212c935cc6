package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Softmax normalizes over the last axis: y[r, j] = e^{x[r,j]} / Σ_k e^{x[r,k]}.
func Softmax(x *G.Node) (*G.Node, error) {
	op := softmaxOp{}
	ss, err := nodeShapes("Softmax", []string{"x"}, x)
	if err != nil {
		return nil, err
	}
	return apply("Softmax", op, op.shape, ss, x)
}

// SoftmaxCrossEntropy is the mean negative log-likelihood of the labels under
// softmax(logits): logits [N, D], labels [N] holding class indices as float32
// → the scalar −(1/N) Σ_n log softmax(logits_n)[labels_n]. One fused kernel
// computes it stably (log-sum-exp) and keeps the probabilities, from which
// the gradient is (probs − onehot(labels))/N. Labels are not differentiated.
func SoftmaxCrossEntropy(logits, labels *G.Node) (*G.Node, error) {
	op := xentOp{}
	ss, err := nodeShapes("SoftmaxCrossEntropy", []string{"logits", "labels"}, logits, labels)
	if err != nil {
		return nil, err
	}
	return apply("SoftmaxCrossEntropy", op, op.shape, ss, logits, labels)
}

type softmaxOp struct{ pureOp }

func (op softmaxOp) Arity() int { return 1 }

func (op softmaxOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return fnT(a, a)
}

func (op softmaxOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if len(ss[0]) < 1 {
		return nil, fmt.Errorf("input x must have rank ≥ 1 (rows over the last axis), got rank 0")
	}
	if numel(ss[0]) == 0 {
		return nil, fmt.Errorf("input x has shape %v with no elements", ss[0])
	}
	return ss[0].Clone(), nil
}

func (op softmaxOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op softmaxOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op softmaxOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op softmaxOp) Hashcode() uint32                  { return opHash(op) }
func (op softmaxOp) String() string                    { return "Softmax" }
func (op softmaxOp) DiffWRT(n int) []bool              { return trues(n) }

func (op softmaxOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(softmaxGradOp{}, out, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

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
type softmaxGradOp struct{ pureOp }

func (op softmaxGradOp) Arity() int { return 2 }

func (op softmaxGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return fnT(a, a, a)
}

func (op softmaxGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if len(ss[0]) < 1 || !ss[0].Eq(ss[1]) {
		return nil, fmt.Errorf("y %v and dy %v must have the same shape, of rank ≥ 1", ss[0], ss[1])
	}
	return ss[0].Clone(), nil
}

func (op softmaxGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op softmaxGradOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op softmaxGradOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op softmaxGradOp) Hashcode() uint32                  { return opHash(op) }
func (op softmaxGradOp) String() string                    { return "SoftmaxGrad" }
func (op softmaxGradOp) DiffWRT(n int) []bool              { return noDiff(n) }
func (op softmaxGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, notTwice(op)
}

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

type xentOp struct{ pureOp }

func (op xentOp) Arity() int    { return 2 }
func (op xentOp) Type() hm.Type { return fnT(tensorT(2), tensorT(1), tensorT(0)) }

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

func (op xentOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op xentOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op xentOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op xentOp) Hashcode() uint32                  { return opHash(op) }
func (op xentOp) String() string                    { return "SoftmaxCrossEntropy" }
func (op xentOp) DiffWRT(n int) []bool              { return []bool{true, false} }

func (op xentOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dl, err := G.ApplyOp(xentGradOp{}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dl, nil}, nil
}

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
type xentGradOp struct{ pureOp }

func (op xentGradOp) Arity() int { return 3 }

func (op xentGradOp) Type() hm.Type {
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

func (op xentGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op xentGradOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op xentGradOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op xentGradOp) Hashcode() uint32                  { return opHash(op) }
func (op xentGradOp) String() string                    { return "SoftmaxCrossEntropyGrad" }
func (op xentGradOp) DiffWRT(n int) []bool              { return noDiff(n) }
func (op xentGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, notTwice(op)
}

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
