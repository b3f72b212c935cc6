package graph

import (
	"fmt"
	"hash"

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
	op := convOp{stride: stride, pad: pad, bias: b != nil}
	nodes, names := []*G.Node{x, w}, []string{"x", "w"}
	if b != nil {
		nodes, names = append(nodes, b), append(names, "b")
	}
	ss, err := nodeShapes("Conv2D", names, nodes...)
	if err != nil {
		return nil, err
	}
	return apply("Conv2D", op, op.shape, ss, nodes...)
}

// ConvTranspose2D is the adjoint of Conv2D with filters w, stride and pad:
// y [N, K, OH, OW], w [K, C, R, S] → x [N, C, outH, outW], so that
// ⟨Conv2D(x, w), y⟩ = ⟨x, ConvTranspose2D(y, w)⟩. outH and outW are given
// because a strided convolution maps several input sizes to one output size;
// Conv2D of an outH×outW input must give OH×OW. The deconvnet projects
// activations back to pixels with it.
func ConvTranspose2D(y, w *G.Node, stride, pad [2]int, outH, outW int) (*G.Node, error) {
	op := convTransposeOp{stride: stride, pad: pad, outH: outH, outW: outW}
	ss, err := nodeShapes("ConvTranspose2D", []string{"y", "w"}, y, w)
	if err != nil {
		return nil, err
	}
	return apply("ConvTranspose2D", op, op.shape, ss, y, w)
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
	pureOp
	stride, pad [2]int
	bias        bool
}

func (op convOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op convOp) Type() hm.Type {
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

func (op convOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op convOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op convOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op convOp) Hashcode() uint32                  { return opHash(op) }

func (op convOp) String() string {
	s := fmt.Sprintf("Conv2D(stride=%s, pad=%s", pairStr(op.stride), pairStr(op.pad))
	if op.bias {
		s += ", bias"
	}
	return s + ")"
}

func (op convOp) DiffWRT(n int) []bool { return trues(n) }

func (op convOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	x, w := in[0].Shape(), in[1].Shape()
	dx, err := G.ApplyOp(convTransposeOp{stride: op.stride, pad: op.pad, outH: x[2], outW: x[3]}, grad, in[1])
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(convFilterGradOp{stride: op.stride, pad: op.pad, r: w[2], s: w[3]}, in[0], grad)
	if err != nil {
		return nil, err
	}
	if !op.bias {
		return G.Nodes{dx, dw}, nil
	}
	db, err := G.ApplyOp(biasGradOp{}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
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
	pureOp
	stride, pad [2]int
	outH, outW  int
}

func (op convTransposeOp) Arity() int    { return 2 }
func (op convTransposeOp) Type() hm.Type { return fnT(tensorT(4), tensorT(4), tensorT(4)) }

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

func (op convTransposeOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op convTransposeOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op convTransposeOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op convTransposeOp) Hashcode() uint32                  { return opHash(op) }

func (op convTransposeOp) String() string {
	return fmt.Sprintf("ConvTranspose2D(stride=%s, pad=%s, out=%dx%d)", pairStr(op.stride), pairStr(op.pad), op.outH, op.outW)
}

func (op convTransposeOp) DiffWRT(n int) []bool { return trues(n) }

// SymDiff: the transposed convolution x = Cᵀ_w(y) is linear in y, so dy is
// the forward convolution of the incoming gradient g; and since
// x[n,c,h,w] = Σ y[n,k,oh,ow]·w[k,c,r,s] over h = oh·sh + r − ph,
// dw[k,c,r,s] = Σ g[n,c,h,w]·y[n,k,oh,ow]: the filter gradient of a
// convolution whose input is g and whose output gradient is y.
func (op convTransposeOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	w := in[1].Shape()
	dy, err := G.ApplyOp(convOp{stride: op.stride, pad: op.pad}, grad, in[1])
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(convFilterGradOp{stride: op.stride, pad: op.pad, r: w[2], s: w[3]}, grad, in[0])
	if err != nil {
		return nil, err
	}
	return G.Nodes{dy, dw}, nil
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
	pureOp
	stride, pad [2]int
	r, s        int
}

func (op convFilterGradOp) Arity() int    { return 2 }
func (op convFilterGradOp) Type() hm.Type { return fnT(tensorT(4), tensorT(4), tensorT(4)) }

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

func (op convFilterGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op convFilterGradOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op convFilterGradOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op convFilterGradOp) Hashcode() uint32                  { return opHash(op) }

func (op convFilterGradOp) String() string {
	return fmt.Sprintf("Conv2DFilterGrad(stride=%s, pad=%s, filter=%dx%d)", pairStr(op.stride), pairStr(op.pad), op.r, op.s)
}

func (op convFilterGradOp) DiffWRT(n int) []bool { return noDiff(n) }
func (op convFilterGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, notTwice(op)
}

func (op convFilterGradOp) lower(e *emitter, in []operand, out operand) error {
	x, dy := in[0].Shape, in[1].Shape
	a := convArgs(x, tensor.Shape{dy[1], x[1], op.r, op.s}, op.stride, op.pad)
	e.Emit(kernels.OpConv2DBwdFilter, []kernels.BufID{in[0].ID, in[1].ID}, []kernels.BufID{out.ID}, a)
	return nil
}
