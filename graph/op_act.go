package graph

import (
	"fmt"
	"hash"

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
	op := actOp{fn: act}
	ss, err := nodeShapes(fn, []string{"x"}, x)
	if err != nil {
		return nil, err
	}
	return apply(fn, op, op.shape, ss, x)
}

// actOp applies an activation elementwise. Its gradient is written in terms
// of the output y (relu: y > 0, sigmoid: y(1−y), tanh: 1−y²), so a compiler
// that fuses the activation into the GEMM or convolution before it never
// needs the pre-activation.
type actOp struct {
	pureOp
	fn kernels.Act
}

// act tells the compiler which activation this is, for fusing it into the
// GEMM or convolution that feeds it.
func (op actOp) act() kernels.Act { return op.fn }

func (op actOp) Arity() int { return 1 }

func (op actOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return fnT(a, a)
}

func (op actOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if numel(ss[0]) == 0 {
		return nil, fmt.Errorf("input x has shape %v with no elements", ss[0])
	}
	return ss[0].Clone(), nil
}

func (op actOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op actOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op actOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op actOp) Hashcode() uint32                  { return opHash(op) }
func (op actOp) String() string                    { return "Act(" + op.fn.String() + ")" }
func (op actOp) DiffWRT(n int) []bool              { return trues(n) }

func (op actOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(actGradOp{fn: op.fn}, out, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

func (op actOp) lower(e *emitter, in []operand, out operand) error {
	var fn kernels.UnaryFn
	switch op.fn {
	case kernels.ActReLU:
		fn = kernels.UnaryReLU
	case kernels.ActSigmoid:
		fn = kernels.UnarySigmoid
	case kernels.ActTanh:
		fn = kernels.UnaryTanh
	default:
		return fmt.Errorf("no elementwise kernel for activation %v", op.fn)
	}
	e.Emit(kernels.OpUnary, []kernels.BufID{in[0].ID}, []kernels.BufID{out.ID}, kernels.UnaryArgs{
		Fn: fn, N: numel(in[0].Shape),
	})
	return nil
}

// actGradOp is dx = dy·f'(x) computed from (y, dy), y = f(x).
type actGradOp struct {
	pureOp
	fn kernels.Act
}

func (op actGradOp) Arity() int { return 2 }

func (op actGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return fnT(a, a, a)
}

func (op actGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if !ss[0].Eq(ss[1]) {
		return nil, fmt.Errorf("y %v and dy %v must have the same shape", ss[0], ss[1])
	}
	return ss[0].Clone(), nil
}

func (op actGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op actGradOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op actGradOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op actGradOp) Hashcode() uint32                  { return opHash(op) }
func (op actGradOp) String() string                    { return "ActGrad(" + op.fn.String() + ")" }
func (op actGradOp) DiffWRT(n int) []bool              { return noDiff(n) }
func (op actGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, notTwice(op)
}

func (op actGradOp) lower(e *emitter, in []operand, out operand) error {
	e.Emit(kernels.OpActGrad, []kernels.BufID{in[0].ID, in[1].ID}, []kernels.BufID{out.ID}, kernels.ActGradArgs{
		Act: op.fn, N: numel(in[0].Shape),
	})
	return nil
}
