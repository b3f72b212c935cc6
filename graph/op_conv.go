package graph

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Conv2D is a 2-D convolution (a cross-correlation, as in every framework):
// x [N, C, H, W], w [K, C, R, S], b [K] or nil → y [N, K, OH, OW] with
// OH = (H + 2·pad[0] − R)/stride[0] + 1 (likewise OW):
//
//	y[n,k,oh,ow] = b[k] + Σ_{c,r,s} x[n, c, oh·sh + r − ph, ow·sw + s − pw]·w[k,c,r,s]
//
// Gradients: dx is the transposed convolution of dy (ConvTranspose2D),
// dw correlates x with dy, db sums dy over N, OH, OW.
func Conv2D(x, w, b *G.Node, stride, pad [2]int) (*G.Node, error) {
	nodes, names := withBias([]*G.Node{x, w}, b)
	return apply("Conv2D", convOp{stride: stride, pad: pad, bias: b != nil}, names, nodes...)
}

// ConvTranspose2D is the adjoint of Conv2D with filters w, stride and pad:
// y [N, K, OH, OW], w [K, C, R, S] → x [N, C, outH, outW], so that
// ⟨Conv2D(x, w), y⟩ = ⟨x, ConvTranspose2D(y, w)⟩. outH and outW are given
// because a strided convolution maps several input sizes to one output size;
// Conv2D of an outH×outW input must give OH×OW. The deconvnet projects
// activations back to pixels with it.
func ConvTranspose2D(y, w *G.Node, stride, pad [2]int, outH, outW int) (*G.Node, error) {
	op := convTransposeOp{stride: stride, pad: pad, outH: outH, outW: outW}
	return apply("ConvTranspose2D", op, []string{"y", "w"}, y, w)
}

// convGeom checks the spatial parameters and returns the output size of a
// convolution (or pooling) window r×s over h×w.
func convGeom(h, w, r, s int, stride, pad [2]int) (oh, ow int, err error) {
	if stride[0] < 1 || stride[1] < 1 {
		return 0, 0, fmt.Errorf("stride %s must be positive", pairStr(stride))
	}
	if pad[0] < 0 || pad[1] < 0 {
		return 0, 0, fmt.Errorf("pad %s must not be negative", pairStr(pad))
	}
	if h+2*pad[0] < r || w+2*pad[1] < s {
		return 0, 0, fmt.Errorf("window %dx%d is larger than the padded input %dx%d", r, s, h+2*pad[0], w+2*pad[1])
	}
	return kernels.ConvOut(h, r, stride[0], pad[0], 1), kernels.ConvOut(w, s, stride[1], pad[1], 1), nil
}

type convOp struct {
	stride, pad [2]int
	bias        bool
}

func (op convOp) arity() int { return 2 + btoi(op.bias) }

func (op convOp) typ() hm.Type {
	if op.bias {
		return fnT(tensorT(4), tensorT(4), tensorT(1), tensorT(4))
	}
	return fnT(tensorT(4), tensorT(4), tensorT(4))
}

func (op convOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	x, w := ss[0], ss[1]
	if err := rankIs("x", x, 4, "N,C,H,W"); err != nil {
		return nil, err
	}
	if err := rankIs("w", w, 4, "K,C,R,S"); err != nil {
		return nil, err
	}
	if x[1] != w[1] {
		return nil, fmt.Errorf("x %v has %d channels but w %v expects %d (w is [K, C, R, S])", x, x[1], w, w[1])
	}
	if op.bias {
		if err := rankIs("b", ss[2], 1, "K"); err != nil {
			return nil, err
		}
		if ss[2][0] != w[0] {
			return nil, fmt.Errorf("bias b %v must have %d elements, one per filter of w %v", ss[2], w[0], w)
		}
	}
	oh, ow, err := convGeom(x[2], x[3], w[2], w[3], op.stride, op.pad)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{x[0], w[0], oh, ow}, nil
}

func (op convOp) String() string {
	s := fmt.Sprintf("Conv2D(stride=%s, pad=%s", pairStr(op.stride), pairStr(op.pad))
	if op.bias {
		s += ", bias"
	}
	return s + ")"
}

// convArgs fills the kernel arguments of the forward convolution x ⊛ w.
func convArgs(x, w tensor.Shape, stride, pad [2]int) kernels.ConvArgs {
	a := kernels.ConvArgs{
		N: x[0], C: x[1], H: x[2], W: x[3],
		K: w[0], R: w[2], S: w[3],
		StrideH: stride[0], StrideW: stride[1],
		PadH: pad[0], PadW: pad[1],
		DilH: 1, DilW: 1,
	}
	a.OH, a.OW = kernels.ConvOut(a.H, a.R, a.StrideH, a.PadH, 1), kernels.ConvOut(a.W, a.S, a.StrideW, a.PadW, 1)
	return a
}

func (op convOp) lower(e *emitter, in []operand, out operand) error {
	a := convArgs(in[0].Shape, in[1].Shape, op.stride, op.pad)
	a.Bias = op.bias
	ids := []kernels.BufID{in[0].ID, in[1].ID}
	if op.bias {
		ids = append(ids, in[2].ID)
	}
	e.Emit(kernels.OpConv2D, ids, []kernels.BufID{out.ID}, a)
	return nil
}

// convTransposeOp is ConvTranspose2D and the data gradient of Conv2D:
// (y [N,K,OH,OW], w [K,C,R,S]) → [N, C, outH, outW].
type convTransposeOp struct {
	stride, pad [2]int
	outH, outW  int
}

func (op convTransposeOp) arity() int   { return 2 }
func (op convTransposeOp) typ() hm.Type { return fnT(tensorT(4), tensorT(4), tensorT(4)) }

func (op convTransposeOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	y, w := ss[0], ss[1]
	if err := rankIs("y", y, 4, "N,K,OH,OW"); err != nil {
		return nil, err
	}
	if err := rankIs("w", w, 4, "K,C,R,S"); err != nil {
		return nil, err
	}
	if y[1] != w[0] {
		return nil, fmt.Errorf("y %v has %d channels but w %v has %d filters", y, y[1], w, w[0])
	}
	if op.outH < 1 || op.outW < 1 {
		return nil, fmt.Errorf("output size %dx%d must be positive", op.outH, op.outW)
	}
	oh, ow, err := convGeom(op.outH, op.outW, w[2], w[3], op.stride, op.pad)
	if err != nil {
		return nil, err
	}
	if oh != y[2] || ow != y[3] {
		return nil, fmt.Errorf("a %dx%d input convolved with w %v (stride %s, pad %s) gives %dx%d, but y %v is %dx%d",
			op.outH, op.outW, w, pairStr(op.stride), pairStr(op.pad), oh, ow, y, y[2], y[3])
	}
	return tensor.Shape{y[0], w[1], op.outH, op.outW}, nil
}

func (op convTransposeOp) String() string {
	return fmt.Sprintf("ConvTranspose2D(stride=%s, pad=%s, out=%dx%d)", pairStr(op.stride), pairStr(op.pad), op.outH, op.outW)
}

func (op convTransposeOp) lower(e *emitter, in []operand, out operand) error {
	y, w := in[0].Shape, in[1].Shape
	a := convArgs(tensor.Shape{y[0], w[1], op.outH, op.outW}, w, op.stride, op.pad)
	e.Emit(kernels.OpConv2DBwdData, []kernels.BufID{in[0].ID, in[1].ID}, []kernels.BufID{out.ID}, a)
	return nil
}

// convFilterGradOp is the filter gradient of Conv2D:
// (x [N,C,H,W], dy [N,K,OH,OW]) → dw [K, C, r, s].
type convFilterGradOp struct {
	stride, pad [2]int
	r, s        int
}

func (op convFilterGradOp) arity() int   { return 2 }
func (op convFilterGradOp) typ() hm.Type { return fnT(tensorT(4), tensorT(4), tensorT(4)) }

func (op convFilterGradOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	x, dy := ss[0], ss[1]
	if err := rankIs("x", x, 4, "N,C,H,W"); err != nil {
		return nil, err
	}
	if err := rankIs("dy", dy, 4, "N,K,OH,OW"); err != nil {
		return nil, err
	}
	if x[0] != dy[0] {
		return nil, fmt.Errorf("x %v and dy %v differ in batch size", x, dy)
	}
	oh, ow, err := convGeom(x[2], x[3], op.r, op.s, op.stride, op.pad)
	if err != nil {
		return nil, err
	}
	if oh != dy[2] || ow != dy[3] {
		return nil, fmt.Errorf("a %dx%d filter over x %v gives %dx%d, but dy %v is %dx%d", op.r, op.s, x, oh, ow, dy, dy[2], dy[3])
	}
	return tensor.Shape{dy[1], x[1], op.r, op.s}, nil
}

func (op convFilterGradOp) String() string {
	return fmt.Sprintf("Conv2DFilterGrad(stride=%s, pad=%s, filter=%dx%d)", pairStr(op.stride), pairStr(op.pad), op.r, op.s)
}

func (op convFilterGradOp) lower(e *emitter, in []operand, out operand) error {
	x, dy := in[0].Shape, in[1].Shape
	a := convArgs(x, tensor.Shape{dy[1], x[1], op.r, op.s}, op.stride, op.pad)
	e.Emit(kernels.OpConv2DBwdFilter, []kernels.BufID{in[0].ID, in[1].ID}, []kernels.BufID{out.ID}, a)
	return nil
}
