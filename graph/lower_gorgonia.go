package graph

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Lowerings of further gorgonia built-ins, each a composition of existing
// kernels so that both backends run it without a kernel of its own:
//
//	abs x        relu(x) + relu(−x)
//	sign x       1[x > 0] − 1[−x > 0]
//	cube x       x²·x
//	log1p x      log(x + 1)          (float32: loses digits for |x| < 1e−4)
//	expm1 x      exp(x) − 1          (likewise)
//	inv x        1 ÷ x
//	invSqrt x    1 ÷ √x
//	log2 x       log(x)·(1/ln 2)
//	a ^ b        integer or ½ constant exponent: products, √; else exp(b·log a)
//	a < b, ...   masks of 0/1 built from 1[d > 0] = relu'(d) for d = a − b
//	Max along    max-pooling over the reduced axis (a window as long as it)
//	A × v, v ⋅ w, v ⊗ w   one GEMM each
//
// 1[d > 0] is the ReLU gradient kernel applied to ones: exact for every
// finite d, so a == b, a ≥ b and the others are exact too.

// ew emits elementwise instructions over tensors of one shape.
type ew struct {
	c *compiler
	s tensor.Shape
	n int
}

func (c *compiler) ew(s tensor.Shape) ew { return ew{c: c, s: s, n: numel(s)} }

func (w ew) temp(name string) kernels.BufID { return w.c.e.Temp(name, w.s) }

func (w ew) unTo(fn kernels.UnaryFn, src, dst kernels.BufID, alpha float32) kernels.BufID {
	w.c.e.Emit(kernels.OpUnary, ids1(src), ids1(dst), kernels.UnaryArgs{Fn: fn, N: w.n, Alpha: alpha})
	return dst
}

func (w ew) un(fn kernels.UnaryFn, src kernels.BufID, name string) kernels.BufID {
	return w.unTo(fn, src, w.temp(name), 0)
}

// binTo writes a ∘ b into dst; b has n elements or one (bc = BcastScalar).
func (w ew) binTo(fn kernels.BinaryFn, a, b kernels.BufID, bc kernels.Bcast, dst kernels.BufID) kernels.BufID {
	w.c.e.Emit(kernels.OpBinary, ids1(a, b), ids1(dst), kernels.BinaryArgs{Fn: fn, N: w.n, Bcast: bc})
	return dst
}

func (w ew) bin(fn kernels.BinaryFn, a, b kernels.BufID, bc kernels.Bcast, name string) kernels.BufID {
	return w.binTo(fn, a, b, bc, w.temp(name))
}

func (w ew) ones() kernels.BufID {
	o := w.temp("ones")
	w.c.e.Emit(kernels.OpFill, nil, ids1(o), kernels.FillArgs{N: w.n, Value: 1})
	return o
}

// positive writes 1[d > 0] (0 for d ≤ 0) into dst.
func (w ew) positive(d, ones, dst kernels.BufID) kernels.BufID {
	w.c.e.Emit(kernels.OpActGrad, ids1(d, ones), ids1(dst), kernels.ActGradArgs{Act: kernels.ActReLU, N: w.n})
	return dst
}

// lowerUnaryMore lowers the unary functions that have no kernel of their
// own; ok is false for a function it does not know.
func (c *compiler) lowerUnaryMore(fn string, x operand, out kernels.BufID) bool {
	w := c.ew(x.Shape)
	switch fn {
	case "abs":
		pos := w.un(kernels.UnaryReLU, x.ID, "abs.pos")
		neg := w.un(kernels.UnaryReLU, w.un(kernels.UnaryNeg, x.ID, "abs.negx"), "abs.neg")
		w.binTo(kernels.BinaryAdd, pos, neg, kernels.BcastNone, out)
	case "sign":
		ones := w.ones()
		pos := w.positive(x.ID, ones, w.temp("sign.pos"))
		neg := w.positive(w.un(kernels.UnaryNeg, x.ID, "sign.negx"), ones, w.temp("sign.neg"))
		w.binTo(kernels.BinarySub, pos, neg, kernels.BcastNone, out)
	case "cube":
		w.binTo(kernels.BinaryMul, w.un(kernels.UnarySquare, x.ID, "cube.sq"), x.ID, kernels.BcastNone, out)
	case "log1p":
		w.unTo(kernels.UnaryLog, w.bin(kernels.BinaryAdd, x.ID, c.constBuf(1), kernels.BcastScalar, "log1p.1p"), out, 0)
	case "expm1":
		w.binTo(kernels.BinarySub, w.un(kernels.UnaryExp, x.ID, "expm1.exp"), c.constBuf(1), kernels.BcastScalar, out)
	case "inv":
		w.binTo(kernels.BinaryDiv, w.ones(), x.ID, kernels.BcastNone, out)
	case "invSqrt":
		w.binTo(kernels.BinaryDiv, w.ones(), w.un(kernels.UnarySqrt, x.ID, "invsqrt.sqrt"), kernels.BcastNone, out)
	case "log2":
		w.unTo(kernels.UnaryScale, w.un(kernels.UnaryLog, x.ID, "log2.ln"), out, float32(1/math.Ln2))
	default:
		return false
	}
	return true
}

// binaryInto writes a ∘ b into dst of shape out, each operand either of
// out's size or a scalar.
func (c *compiler) binaryInto(fn kernels.BinaryFn, a, b operand, out tensor.Shape, dst kernels.BufID) error {
	size := numel(out)
	na, nb := numel(a.Shape), numel(b.Shape)
	switch {
	case na == size && nb == size:
		c.e.Emit(kernels.OpBinary, ids(a, b), ids1(dst), kernels.BinaryArgs{Fn: fn, N: size})
	case na == size && nb == 1:
		c.e.Emit(kernels.OpBinary, ids(a, b), ids1(dst), kernels.BinaryArgs{Fn: fn, N: size, Bcast: kernels.BcastScalar})
	case na == 1 && nb == size:
		// s ∘ t: broadcast the scalar first, so one kernel serves every operator.
		s := c.e.Temp("scalar broadcast", out)
		c.e.Emit(kernels.OpBroadcast, ids(a), ids1(s), kernels.BroadcastArgs{Outer: 1, Mid: size, Inner: 1, Scale: 1})
		c.e.Emit(kernels.OpBinary, []kernels.BufID{s, b.ID}, ids1(dst), kernels.BinaryArgs{Fn: fn, N: size})
	default:
		return fmt.Errorf("operands of shapes %v and %v do not match the output %v", a.Shape, b.Shape, out)
	}
	return nil
}

// lowerCompare writes the 0/1 mask of a sym b (gorgonia's comparisons with
// retSame) from d = a − b: 1[a > b] = 1[d > 0], 1[a < b] = 1[−d > 0], and
// the others from those two.
func (c *compiler) lowerCompare(sym string, a, b operand, out tensor.Shape, dst kernels.BufID) error {
	w := c.ew(out)
	d := w.temp("cmp.diff")
	if err := c.binaryInto(kernels.BinarySub, a, b, out, d); err != nil {
		return err
	}
	ones := w.ones()
	gt := func(into kernels.BufID) kernels.BufID { return w.positive(d, ones, into) }
	lt := func(into kernels.BufID) kernels.BufID {
		return w.positive(w.un(kernels.UnaryNeg, d, "cmp.negdiff"), ones, into)
	}
	switch sym {
	case ">":
		gt(dst)
	case "<":
		lt(dst)
	case ">=":
		w.binTo(kernels.BinarySub, ones, lt(w.temp("cmp.lt")), kernels.BcastNone, dst)
	case "<=":
		w.binTo(kernels.BinarySub, ones, gt(w.temp("cmp.gt")), kernels.BcastNone, dst)
	case "!=":
		w.binTo(kernels.BinaryAdd, gt(w.temp("cmp.gt")), lt(w.temp("cmp.lt")), kernels.BcastNone, dst)
	case "==":
		ne := w.bin(kernels.BinaryAdd, gt(w.temp("cmp.gt")), lt(w.temp("cmp.lt")), kernels.BcastNone, "cmp.ne")
		w.binTo(kernels.BinarySub, ones, ne, kernels.BcastNone, dst)
	default:
		return fmt.Errorf("comparison %q is not supported", sym)
	}
	return nil
}

// lowerPow writes a ^ b. A constant scalar exponent that is a small
// integer or ½ lowers exactly (products, a square root, a reciprocal), so a
// negative base keeps its sign as math.Pow gives it; any other exponent is
// exp(b·log a), which, like math.Pow, is NaN for a negative base.
func (c *compiler) lowerPow(a, b operand, out tensor.Shape, dst kernels.BufID) error {
	w := c.ew(out)
	if v, ok := c.consts[b.Node]; ok && numel(a.Shape) == w.n {
		switch v {
		case 0:
			c.e.Emit(kernels.OpFill, nil, ids1(dst), kernels.FillArgs{N: w.n, Value: 1})
			return nil
		case 1:
			c.e.Emit(kernels.OpCopy, ids(a), ids1(dst), kernels.CopyArgs{N: w.n})
			return nil
		case 2:
			w.unTo(kernels.UnarySquare, a.ID, dst, 0)
			return nil
		case 3:
			w.binTo(kernels.BinaryMul, w.un(kernels.UnarySquare, a.ID, "pow.sq"), a.ID, kernels.BcastNone, dst)
			return nil
		case 4:
			w.unTo(kernels.UnarySquare, w.un(kernels.UnarySquare, a.ID, "pow.sq"), dst, 0)
			return nil
		case 0.5:
			w.unTo(kernels.UnarySqrt, a.ID, dst, 0)
			return nil
		case -1:
			w.binTo(kernels.BinaryDiv, w.ones(), a.ID, kernels.BcastNone, dst)
			return nil
		case -2:
			w.binTo(kernels.BinaryDiv, w.ones(), w.un(kernels.UnarySquare, a.ID, "pow.sq"), kernels.BcastNone, dst)
			return nil
		}
		w.unTo(kernels.UnaryExp, w.unTo(kernels.UnaryScale, w.un(kernels.UnaryLog, a.ID, "pow.log"), w.temp("pow.blog"), float32(v)), dst, 0)
		return nil
	}
	la := operand{ID: c.e.Temp("pow.log", a.Shape), Shape: a.Shape}
	c.e.Emit(kernels.OpUnary, ids(a), ids1(la.ID), kernels.UnaryArgs{Fn: kernels.UnaryLog, N: numel(a.Shape)})
	t := w.temp("pow.blog")
	if err := c.binaryInto(kernels.BinaryMul, la, b, out, t); err != nil {
		return err
	}
	w.unTo(kernels.UnaryExp, t, dst, 0)
	return nil
}

// lowerLinAlgVec lowers gorgonia's matrix × vector, vector ⋅ vector and
// vector ⊗ vector as one GEMM each: a vector of k is a k×1 (or 1×k) matrix
// in the same storage.
func (c *compiler) lowerLinAlgVec(n *G.Node, in []operand, ta bool) error {
	a, b := in[0].Shape, in[1].Shape
	var g kernels.GemmArgs
	switch {
	case len(a) == 2 && len(b) == 1: // A × v
		g = kernels.GemmArgs{M: a[0], N: 1, K: a[1], TransA: ta}
		if ta {
			g.M, g.K = a[1], a[0]
		}
		if g.K != b[0] {
			return fmt.Errorf("matrix %v × vector %v (transA=%v)", a, b, ta)
		}
	case len(a) == 1 && len(b) == 1 && numel(shapeOf(n)) == 1: // v ⋅ w
		if a[0] != b[0] {
			return fmt.Errorf("dot product of vectors %v and %v", a, b)
		}
		g = kernels.GemmArgs{M: 1, N: 1, K: a[0]}
	case len(a) == 1 && len(b) == 1: // v ⊗ w
		g = kernels.GemmArgs{M: a[0], N: b[0], K: 1}
	default:
		return fmt.Errorf("%v × %v is not supported (matrix × matrix, matrix × vector, dot and outer products are)", a, b)
	}
	g.Alpha = 1
	c.e.Emit(kernels.OpGemm, ids(in[0], in[1]), ids1(c.outBuffer(n)), g)
	return nil
}

// lowerMax reduces by maximum over the listed axes (all when none), one
// axis at a time from the last: x viewed as [Outer, Mid, Inner] is the
// image [1, Outer, Mid, Inner] max-pooled by a Mid×1 window.
func (c *compiler) lowerMax(n *G.Node, x operand, along []int) error {
	shape := append([]int(nil), x.Shape...)
	if len(along) == 0 {
		for i := range shape {
			along = append(along, i)
		}
	}
	axes := append([]int(nil), along...)
	for i := range axes { // descending, so earlier axes keep their index
		if axes[i] < 0 || axes[i] >= len(shape) {
			return fmt.Errorf("max along axis %d of a tensor of shape %v", axes[i], shape)
		}
		for j := i + 1; j < len(axes); j++ {
			if axes[j] > axes[i] {
				axes[i], axes[j] = axes[j], axes[i]
			}
		}
	}
	cur := x.ID
	for i, ax := range axes {
		next := append(append([]int(nil), shape[:ax]...), shape[ax+1:]...)
		var dst kernels.BufID
		if i == len(axes)-1 {
			dst = c.outBuffer(n)
		} else {
			dst = c.e.Temp("partial max", next)
		}
		outer, mid, inner := numel(shape[:ax]), shape[ax], numel(shape[ax+1:])
		sw := c.e.Temp("max.switches", next)
		c.e.Emit(kernels.OpMaxPool, ids1(cur), ids1(dst, sw), kernels.PoolArgs{
			N: 1, C: outer, H: mid, W: inner, KH: mid, KW: 1, StrideH: mid, StrideW: 1, OH: 1, OW: inner})
		cur, shape = dst, next
	}
	if len(axes) == 0 { // the max of a scalar is itself
		c.e.Emit(kernels.OpCopy, ids1(cur), ids1(c.outBuffer(n)), kernels.CopyArgs{N: 1})
	}
	return nil
}

// lowerGorgoniaDropout lowers gorgonia's dropoutOp to gabor's counter-based
// dropout kernel, seeded by the node's id, and its dropoutDiffOp (over x,
// y, dy) to dy·mask with the forward's mask. The math is the usual one,
// y = x·1[kept]/(1−p) and dx = dy·1[kept]/(1−p); gorgonia v0.9.18's own
// dropoutDiffOp divides by p instead of 1−p (and so gives a zero gradient
// at p = 0), and its mask is clock-seeded: the TapeMachine is no oracle
// here, and the tests check the mask-independent properties. An op with
// p = 0 or in evaluation mode is the identity.
func (c *compiler) lowerGorgoniaDropout(n *G.Node, in []operand, diff bool) error {
	op := n.Op()
	p := field(op, "probability").Float() // promoted from the embedded op in the diff
	if !(p >= 0 && p < 1) {
		return fmt.Errorf("dropout probability %v is not in [0, 1)", p)
	}
	training := field(op, "isTraining").Bool()
	fwd := n
	x, src := in[0], in[0]
	if diff {
		fwd, src = in[1].Node, in[2]
	}
	size := numel(src.Shape)
	out := c.outBuffer(n)
	if p == 0 || !training {
		c.e.Emit(kernels.OpCopy, ids(src), ids1(out), kernels.CopyArgs{N: size})
		return nil
	}
	var seed uint64
	if fwd != nil {
		seed = uint64(fwd.ID())*0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D
	}
	args := kernels.DropoutArgs{N: size, P: float32(p), Seed: seed}
	const key = "gorgonia-dropout mask"
	if diff {
		if mask, ok := c.sideBuf(key, fwd); ok && fwd != nil {
			c.e.Emit(kernels.OpBinary, ids1(src.ID, mask), ids1(out), kernels.BinaryArgs{Fn: kernels.BinaryMul, N: size})
			return nil
		}
		// No recorded mask: the kernel with the same seed and step draws it again.
		c.e.Emit(kernels.OpDropout, ids1(src.ID, c.e.Control()), ids1(out, c.e.Temp("dropout.mask", src.Shape)), args)
		return nil
	}
	mask := c.e.Temp("dropout.mask", x.Shape)
	c.e.Emit(kernels.OpDropout, ids1(x.ID, c.e.Control()), ids1(out, mask), args)
	c.setSideBuf(key, n, mask)
	return nil
}

// lowerGorgoniaAvgPool lowers AveragePool2D as the average over each
// window, dividing by the window's size with padding counted (gabor's
// OpAvgPool, PyTorch's default). gorgonia v0.9.18's avgPoolOp divides by
// the input's width instead, and its avgPoolDiffOp sums the gradient over
// windows of the input: the TapeMachine agrees with the average only where
// the window's area equals the input's width, so the tests hold gabor
// against a float64 loop.
func (c *compiler) lowerGorgoniaAvgPool(n *G.Node, in []operand, diff bool) error {
	op := n.Op()
	pa := kernels.PoolArgs{
		KH: intField(op, "h"), KW: intField(op, "w"),
		PadH: intField(op, "padNorth"), PadW: intField(op, "padWest"),
		StrideH: intField(op, "strideH"), StrideW: intField(op, "strideW"),
	}
	if intField(op, "padSouth") != pa.PadH || intField(op, "padEast") != pa.PadW {
		return fmt.Errorf("asymmetric padding is not supported")
	}
	x := in[0]
	if len(x.Shape) != 4 {
		return fmt.Errorf("input must be NCHW, got %v", x.Shape)
	}
	pa.N, pa.C, pa.H, pa.W = x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	pa.OH, pa.OW = kernels.ConvOut(pa.H, pa.KH, pa.StrideH, pa.PadH, 1), kernels.ConvOut(pa.W, pa.KW, pa.StrideW, pa.PadW, 1)
	if err := pa.Check(); err != nil {
		return err
	}
	if diff { // avgPoolDiffOp(x, y, dy)
		c.e.Emit(kernels.OpAvgPoolBwd, ids(in[2]), ids1(c.outBuffer(n)), pa)
		return nil
	}
	c.e.Emit(kernels.OpAvgPool, ids(x), ids1(c.outBuffer(n)), pa)
	return nil
}

// lowerGlobalAvgPool lowers GlobalAveragePool2D, [N, C, H, W] → [N, C, 1, 1],
// as a mean over each plane. gorgonia v0.9.18 cannot differentiate it (its
// op has no gradient: gorgonia.Grad fails or panics through it), so it
// lowers only in programs without a backward pass through it.
func (c *compiler) lowerGlobalAvgPool(n *G.Node, x operand) error {
	if len(x.Shape) != 4 {
		return fmt.Errorf("input must be NCHW, got %v", x.Shape)
	}
	s := x.Shape
	c.e.Emit(kernels.OpReduce, ids(x), ids1(c.outBuffer(n)), kernels.ReduceArgs{
		Outer: s[0] * s[1], Mid: s[2] * s[3], Inner: 1, Mean: true})
	return nil
}
