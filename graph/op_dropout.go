package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Dropout zeroes each element with probability p during training and scales
// the survivors by 1/(1−p); in evaluation it is the identity. The mode and the
// step come from the program's control buffer, and the mask is a
// counter-based hash of (seed, step, index), so every backend draws the same
// mask and the backward pass can recompute it instead of storing it.
// Do runs in training mode at step 0.
func Dropout(x *G.Node, p float64, seed uint64) (*G.Node, error) {
	op := dropoutOp{p: float32(p), seed: seed}
	ss, err := nodeShapes("Dropout", []string{"x"}, x)
	if err != nil {
		return nil, err
	}
	if !(p >= 0 && p < 1) {
		return nil, fmt.Errorf("graph.Dropout: probability p must be in [0, 1), got %v", p)
	}
	return apply("Dropout", op, op.shape, ss, x)
}

type dropoutOp struct {
	pureOp
	p    float32
	seed uint64
}

func (op dropoutOp) Arity() int { return 1 }

func (op dropoutOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return fnT(a, a)
}

func (op dropoutOp) shape(ss []tensor.Shape) (tensor.Shape, error) { return ss[0].Clone(), nil }

func (op dropoutOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op dropoutOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op dropoutOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op dropoutOp) Hashcode() uint32                  { return opHash(op) }
func (op dropoutOp) String() string                    { return fmt.Sprintf("Dropout(p=%g, seed=%d)", op.p, op.seed) }
func (op dropoutOp) DiffWRT(n int) []bool              { return trues(n) }

// SymDiff: y = x·mask, so dx = dy·mask with the forward's mask.
func (op dropoutOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(dropoutGradOp{p: op.p, seed: op.seed}, in[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

func (op dropoutOp) args(s tensor.Shape) kernels.DropoutArgs {
	return kernels.DropoutArgs{N: numel(s), P: op.p, Seed: op.seed}
}

// lower keeps the mask as the side "mask" of x for the backward pass.
func (op dropoutOp) lower(e *emitter, in []operand, out operand) error {
	mask := e.Temp("dropout.mask", in[0].Shape)
	e.Emit(kernels.OpDropout, []kernels.BufID{in[0].ID, e.Control()}, []kernels.BufID{out.ID, mask}, op.args(in[0].Shape))
	e.SetSide("mask", in[0].Node, op, mask)
	return nil
}

// dropoutGradOp is dx = dy·mask over (x, dy). x is an input only so that the
// lowering can find the forward's mask, which is recorded against x.
type dropoutGradOp struct {
	pureOp
	p    float32
	seed uint64
}

func (op dropoutGradOp) Arity() int { return 2 }

func (op dropoutGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return fnT(a, a, a)
}

func (op dropoutGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if !ss[0].Eq(ss[1]) {
		return nil, fmt.Errorf("x %v and dy %v must have the same shape", ss[0], ss[1])
	}
	return ss[1].Clone(), nil
}

func (op dropoutGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op dropoutGradOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op dropoutGradOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op dropoutGradOp) Hashcode() uint32                  { return opHash(op) }

func (op dropoutGradOp) String() string {
	return fmt.Sprintf("DropoutGrad(p=%g, seed=%d)", op.p, op.seed)
}

func (op dropoutGradOp) DiffWRT(n int) []bool { return noDiff(n) }
func (op dropoutGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, notTwice(op)
}

// lower multiplies by the recorded mask, or, without one, runs the dropout
// kernel on dy itself: with the same seed, step and size it draws the same
// mask, so its output is dy·mask.
func (op dropoutGradOp) lower(e *emitter, in []operand, out operand) error {
	fwd := dropoutOp{p: op.p, seed: op.seed}
	n := numel(in[1].Shape)
	if mask, ok := e.Side("mask", in[0].Node, fwd); ok {
		e.Emit(kernels.OpBinary, []kernels.BufID{in[1].ID, mask}, []kernels.BufID{out.ID}, kernels.BinaryArgs{
			Fn: kernels.BinaryMul, N: n, Bcast: kernels.BcastNone,
		})
		return nil
	}
	mask := e.Temp("dropout.mask", in[1].Shape)
	e.Emit(kernels.OpDropout, []kernels.BufID{in[1].ID, e.Control()}, []kernels.BufID{out.ID, mask}, fwd.args(in[1].Shape))
	return nil
}
