package graph

import (
	"fmt"

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
	if x != nil && !(p >= 0 && p < 1) {
		return nil, fmt.Errorf("graph.Dropout: probability p must be in [0, 1), got %v", p)
	}
	return apply("Dropout", dropoutOp{p: float32(p), seed: seed}, []string{"x"}, x)
}

type dropoutOp struct {
	p    float32
	seed uint64
}

func (op dropoutOp) arity() int { return 1 }

func (op dropoutOp) typ() hm.Type { return sameT(1) }

func (op dropoutOp) shape(ss []tensor.Shape) (tensor.Shape, error) { return ss[0].Clone(), nil }

func (op dropoutOp) String() string { return fmt.Sprintf("Dropout(p=%g, seed=%d)", op.p, op.seed) }

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
	p    float32
	seed uint64
}

func (op dropoutGradOp) arity() int { return 2 }

func (op dropoutGradOp) typ() hm.Type { return sameT(2) }

func (op dropoutGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if !ss[0].Eq(ss[1]) {
		return nil, fmt.Errorf("x %v and dy %v must have the same shape", ss[0], ss[1])
	}
	return ss[1].Clone(), nil
}

func (op dropoutGradOp) String() string {
	return fmt.Sprintf("DropoutGrad(p=%g, seed=%d)", op.p, op.seed)
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
