package graph

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ReLU is y = max(x, 0), elementwise, for a tensor of any rank.
func ReLU(x *G.Node) (*G.Node, error) { return newActivation("ReLU", kernels.ActReLU, x) }

// Sigmoid is y = 1/(1+e^−x), elementwise.
func Sigmoid(x *G.Node) (*G.Node, error) { return newActivation("Sigmoid", kernels.ActSigmoid, x) }

// Tanh is y = tanh(x), elementwise.
func Tanh(x *G.Node) (*G.Node, error) { return newActivation("Tanh", kernels.ActTanh, x) }

func newActivation(fn string, act kernels.Act, x *G.Node) (*G.Node, error) {
	return apply(fn, actOp{fn: act}, []string{"x"}, x)
}

// actOp applies an activation elementwise. Its gradient is written in terms
// of the output y, so a compiler that fuses the activation into the GEMM or
// convolution before it never needs the pre-activation; fn tells the
// compiler which activation to fuse.
type actOp struct{ fn kernels.Act }

func (op actOp) arity() int     { return 1 }
func (op actOp) typ() hm.Type   { return sameT(1) }
func (op actOp) String() string { return "Act(" + op.fn.String() + ")" }

func (op actOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if numel(ss[0]) == 0 {
		return nil, fmt.Errorf("input x has shape %v with no elements", ss[0])
	}
	return ss[0].Clone(), nil
}

func (op actOp) lower(e *emitter, in []operand, out operand) error {
	fn, ok := op.fn.Unary()
	if !ok {
		return fmt.Errorf("no elementwise kernel for activation %v", op.fn)
	}
	e.Emit(kernels.OpUnary, ids(in[0]), ids(out), kernels.UnaryArgs{Fn: fn, N: numel(in[0].Shape)})
	return nil
}

// actGradOp is dx = dy·f'(x) computed from (y, dy), y = f(x).
type actGradOp struct{ fn kernels.Act }

func (op actGradOp) arity() int     { return 2 }
func (op actGradOp) typ() hm.Type   { return sameT(2) }
func (op actGradOp) String() string { return "ActGrad(" + op.fn.String() + ")" }

func (op actGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if !ss[0].Eq(ss[1]) {
		return nil, fmt.Errorf("y %v and dy %v must have the same shape", ss[0], ss[1])
	}
	return ss[0].Clone(), nil
}

func (op actGradOp) lower(e *emitter, in []operand, out operand) error {
	e.Emit(kernels.OpActGrad, ids(in[0], in[1]), ids(out), kernels.ActGradArgs{Act: op.fn, N: numel(in[0].Shape)})
	return nil
}
