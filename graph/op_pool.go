package graph

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MaxPool2D takes the maximum of each kernel window: x [N, C, H, W] →
// y [N, C, OH, OW], OH = (H + 2·pad[0] − kernel[0])/stride[0] + 1.
// Padding never wins. The kernel also writes the switches (the position of
// each maximum), which the backward pass and Unpool2D reuse.
func MaxPool2D(x *G.Node, kernel, stride, pad [2]int) (*G.Node, error) {
	op := maxPoolOp{poolParams: poolParams{kernel, stride, pad}}
	return apply("MaxPool2D", op, []string{"x"}, x)
}

// AvgPool2D averages each kernel window, dividing by kernel[0]·kernel[1]
// (padding counts as zeros, as PyTorch's default).
func AvgPool2D(x *G.Node, kernel, stride, pad [2]int) (*G.Node, error) {
	op := avgPoolOp{poolParams: poolParams{kernel, stride, pad}}
	return apply("AvgPool2D", op, []string{"x"}, x)
}

// Unpool2D is the deconvnet's unpooling: it places each value of y at the
// position of the maximum that MaxPool2D(x, kernel, stride, pad) chose for
// it, and zero elsewhere (values of overlapping windows add). y has
// MaxPool2D(x)'s shape; the result has x's. It is also MaxPool2D's backward.
// It is not differentiated: it serves introspection.
func Unpool2D(y, x *G.Node, kernel, stride, pad [2]int) (*G.Node, error) {
	op := unpoolOp{poolParams: poolParams{kernel, stride, pad}}
	return apply("Unpool2D", op, []string{"y", "x"}, y, x)
}

// poolParams are the window geometry shared by the pooling ops.
type poolParams struct {
	kernel, stride, pad [2]int
}

func (p poolParams) String() string {
	return fmt.Sprintf("kernel=%s, stride=%s, pad=%s", pairStr(p.kernel), pairStr(p.stride), pairStr(p.pad))
}

// out checks x and the geometry and returns the pooled shape.
func (p poolParams) out(name string, x tensor.Shape) (tensor.Shape, error) {
	if err := rankIs(name, x, 4, "N,C,H,W"); err != nil {
		return nil, err
	}
	if p.kernel[0] < 1 || p.kernel[1] < 1 {
		return nil, fmt.Errorf("kernel %s must be positive", pairStr(p.kernel))
	}
	if 2*p.pad[0] > p.kernel[0] || 2*p.pad[1] > p.kernel[1] {
		return nil, fmt.Errorf("pad %s must be at most half the kernel %s", pairStr(p.pad), pairStr(p.kernel))
	}
	oh, ow, err := convGeom(x[2], x[3], p.kernel[0], p.kernel[1], p.stride, p.pad)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{x[0], x[1], oh, ow}, nil
}

// args fills the kernel arguments for pooling x.
func (p poolParams) args(x tensor.Shape) kernels.PoolArgs {
	return kernels.PoolArgs{
		N: x[0], C: x[1], H: x[2], W: x[3],
		KH: p.kernel[0], KW: p.kernel[1],
		StrideH: p.stride[0], StrideW: p.stride[1],
		PadH: p.pad[0], PadW: p.pad[1],
		OH: kernels.ConvOut(x[2], p.kernel[0], p.stride[0], p.pad[0], 1),
		OW: kernels.ConvOut(x[3], p.kernel[1], p.stride[1], p.pad[1], 1),
	}
}

type maxPoolOp struct {
	poolParams
}

func (op maxPoolOp) arity() int   { return 1 }
func (op maxPoolOp) typ() hm.Type { return fnT(tensorT(4), tensorT(4)) }

func (op maxPoolOp) shape(ss []tensor.Shape) (tensor.Shape, error) { return op.out("x", ss[0]) }

func (op maxPoolOp) String() string { return "MaxPool2D(" + op.poolParams.String() + ")" }

// lower pools into out and keeps the switches as the side "switches" of x,
// for the backward pass or an Unpool2D of the same x to reuse.
func (op maxPoolOp) lower(e *emitter, in []operand, out operand) error {
	sw := e.Temp("maxpool.switches", out.Shape)
	e.Emit(kernels.OpMaxPool, []kernels.BufID{in[0].ID}, []kernels.BufID{out.ID, sw}, op.args(in[0].Shape))
	e.SetSide("switches", in[0].Node, op, sw)
	return nil
}

// unpoolOp is Unpool2D(y, x) and MaxPool2D's gradient (y = dy).
type unpoolOp struct {
	poolParams
}

func (op unpoolOp) arity() int   { return 2 }
func (op unpoolOp) typ() hm.Type { return fnT(tensorT(4), tensorT(4), tensorT(4)) }

func (op unpoolOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	if err := rankIs("y", ss[0], 4, "N,C,OH,OW"); err != nil {
		return nil, err
	}
	want, err := op.out("x", ss[1])
	if err != nil {
		return nil, err
	}
	if !want.Eq(ss[0]) {
		return nil, fmt.Errorf("y %v must have the shape %v of MaxPool2D(x %v, %v)", ss[0], want, ss[1], op.poolParams)
	}
	return ss[1].Clone(), nil
}

func (op unpoolOp) String() string { return "Unpool2D(" + op.poolParams.String() + ")" }

// lower scatters y by the switches of x: those a MaxPool2D of x with the same
// parameters recorded, or, when there is none (inside Do, or an x that was
// never pooled), switches computed here by pooling x again into temps.
func (op unpoolOp) lower(e *emitter, in []operand, out operand) error {
	x := in[1]
	a := op.args(x.Shape)
	sw, ok := e.Side("switches", x.Node, maxPoolOp{poolParams: op.poolParams})
	if !ok {
		pooled := tensor.Shape{a.N, a.C, a.OH, a.OW}
		y := e.Temp("unpool.pooled", pooled)
		sw = e.Temp("unpool.switches", pooled)
		e.Emit(kernels.OpMaxPool, []kernels.BufID{x.ID}, []kernels.BufID{y, sw}, a)
	}
	e.Emit(kernels.OpMaxPoolBwd, []kernels.BufID{in[0].ID, sw}, []kernels.BufID{out.ID}, a)
	return nil
}

type avgPoolOp struct {
	poolParams
}

func (op avgPoolOp) arity() int   { return 1 }
func (op avgPoolOp) typ() hm.Type { return fnT(tensorT(4), tensorT(4)) }

func (op avgPoolOp) shape(ss []tensor.Shape) (tensor.Shape, error) { return op.out("x", ss[0]) }

func (op avgPoolOp) String() string { return "AvgPool2D(" + op.poolParams.String() + ")" }

func (op avgPoolOp) lower(e *emitter, in []operand, out operand) error {
	e.Emit(kernels.OpAvgPool, []kernels.BufID{in[0].ID}, []kernels.BufID{out.ID}, op.args(in[0].Shape))
	return nil
}

// avgPoolGradOp spreads each dy evenly over its window: dy → dx [N, C, h, w].
// It carries x's spatial size, since strided windows do not determine it.
type avgPoolGradOp struct {
	poolParams
	h, w int
}

func (op avgPoolGradOp) arity() int   { return 1 }
func (op avgPoolGradOp) typ() hm.Type { return fnT(tensorT(4), tensorT(4)) }

func (op avgPoolGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	dy := ss[0]
	if err := rankIs("dy", dy, 4, "N,C,OH,OW"); err != nil {
		return nil, err
	}
	x := tensor.Shape{dy[0], dy[1], op.h, op.w}
	want, err := op.out("x", x)
	if err != nil {
		return nil, err
	}
	if !want.Eq(dy) {
		return nil, fmt.Errorf("dy %v must have the shape %v of AvgPool2D(x %v, %v)", dy, want, x, op.poolParams)
	}
	return x, nil
}

func (op avgPoolGradOp) String() string {
	return fmt.Sprintf("AvgPool2DGrad(%v, in=%dx%d)", op.poolParams, op.h, op.w)
}

func (op avgPoolGradOp) lower(e *emitter, in []operand, out operand) error {
	e.Emit(kernels.OpAvgPoolBwd, []kernels.BufID{in[0].ID}, []kernels.BufID{out.ID}, op.args(out.Shape))
	return nil
}
