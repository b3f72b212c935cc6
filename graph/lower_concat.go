package graph

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Concat and Slice as GEMMs with 0/1 selection matrices, so that both
// backends run them with kernels they already have. Along an axis, a
// tensor is [Outer, M, Inner]; transposed to [M, Outer·Inner] (no transpose
// when Outer = 1), taking rows start, start+step, ... is S·X with
//
//	S[j, m] = 1[m = start + j·step]      (S is Ms×M),
//
// the slice's gradient (gorgonia's sliceIncrOp, a scatter into zeros) is
// Sᵀ·dY, and a concatenation is Σ_k S_kᵀ·X_k, accumulated by the GEMM's β.
// S is built on the device from an iota — the switches of a 1×1 max-pool
// over ones are 0, 1, 2, ... — and exact comparisons of small integers in
// float32. The GEMM costs Ms·M·Outer·Inner multiply-adds where a copy
// would move Ms·Outer·Inner floats: a factor M, small for the channel or
// feature counts these models concatenate.

// iota writes 0, 1, ..., n−1 into a new buffer.
func (c *compiler) iota(n int) kernels.BufID {
	ones := c.e.Temp("iota.ones", []int{n})
	c.e.Emit(kernels.OpFill, nil, ids1(ones), kernels.FillArgs{N: n, Value: 1})
	y, sw := c.e.Temp("iota.pooled", []int{n}), c.e.Temp("iota", []int{n})
	c.e.Emit(kernels.OpMaxPool, ids1(ones), ids1(y, sw), kernels.PoolArgs{
		N: 1, C: 1, H: 1, W: n, KH: 1, KW: 1, StrideH: 1, StrideW: 1, OH: 1, OW: n})
	return sw
}

// selection returns S [rows, cols] with S[j, m] = 1[m = start + j·step].
func (c *compiler) selection(rows, cols, start, step int) kernels.BufID {
	s := tensor.Shape{rows, cols}
	w := c.ew(s)
	rowIdx, colIdx := w.temp("select.row"), w.temp("select.col")
	c.e.Emit(kernels.OpBroadcast, ids1(c.iota(rows)), ids1(rowIdx), kernels.BroadcastArgs{Outer: rows, Mid: cols, Inner: 1, Scale: float32(step)})
	c.e.Emit(kernels.OpBroadcast, ids1(c.iota(cols)), ids1(colIdx), kernels.BroadcastArgs{Outer: 1, Mid: rows, Inner: cols, Scale: 1})
	want := w.bin(kernels.BinaryAdd, rowIdx, c.constBuf(float64(start)), kernels.BcastScalar, "select.want")
	out := w.temp("select")
	if err := c.lowerCompare("==", operand{ID: colIdx, Shape: s}, operand{ID: want, Shape: s}, s, out); err != nil {
		panic(err) // same shapes on both sides: cannot fail
	}
	return out
}

// alongAxis splits shape into [Outer, M, Inner] around axis.
func alongAxis(shape []int, axis int) (outer, m, inner int) {
	return numel(shape[:axis]), shape[axis], numel(shape[axis+1:])
}

// toFront transposes x [outer, m, inner] into a new [m, outer·inner]
// buffer, or returns x itself when outer = 1.
func (c *compiler) toFront(x kernels.BufID, outer, m, inner int) kernels.BufID {
	if outer == 1 {
		return x
	}
	t := c.e.Temp("axis to front", []int{m, outer, inner})
	c.e.Emit(kernels.OpTranspose, ids1(x), ids1(t), kernels.TransposeArgs{Rank: 3, Shape: [4]int{outer, m, inner}, Perm: [4]int{1, 0, 2}})
	return t
}

// fromFront transposes t [m, outer, inner] back into dst [outer, m, inner].
func (c *compiler) fromFront(t, dst kernels.BufID, outer, m, inner int) {
	c.e.Emit(kernels.OpTranspose, ids1(t), ids1(dst), kernels.TransposeArgs{Rank: 3, Shape: [4]int{m, outer, inner}, Perm: [4]int{1, 0, 2}})
}

// result is dst itself when no transpose follows, else a temporary.
func (c *compiler) frontResult(dst kernels.BufID, outer, m, inner int) kernels.BufID {
	if outer == 1 {
		return dst
	}
	return c.e.Temp("axis at front", []int{m, outer, inner})
}

// sliceRange reads a sliceOp's range along an axis of length m.
func sliceRange(op G.Op, m int) (start, n, step int, err error) {
	f := field(op, "Slice")
	if !f.IsValid() || f.IsNil() {
		return 0, m, 1, nil
	}
	s, ok := f.Interface().(tensor.Slice)
	if !ok {
		return 0, 0, 0, fmt.Errorf("slice of type %s", f.Type())
	}
	start, end, step := s.Start(), s.End(), s.Step()
	if step <= 0 {
		step = 1
	}
	if start < 0 || end > m || start >= end {
		return 0, 0, 0, fmt.Errorf("slice [%d:%d] of an axis of length %d", start, end, m)
	}
	return start, (end - start + step - 1) / step, step, nil
}

// lowerSlice lowers sliceOp (x → x[.., start:end:step, ..]) and sliceIncrOp
// ((x, dy) → zeros of x's shape with dy added into the slice).
func (c *compiler) lowerSlice(n *G.Node, in []operand, incr bool) error {
	op := n.Op()
	x := in[0]
	axis := intField(op, "along")
	if axis < 0 || axis >= len(x.Shape) {
		return fmt.Errorf("slice along axis %d of a tensor of shape %v", axis, x.Shape)
	}
	outer, m, inner := alongAxis(x.Shape, axis)
	start, ms, step, err := sliceRange(op, m)
	if err != nil {
		return err
	}
	sel := c.selection(ms, m, start, step)
	out := c.outBuffer(n)
	if !incr {
		if want := outer * ms * inner; numel(shapeOf(n)) != want {
			return fmt.Errorf("slice of %v holds %d values, the node's shape %v holds %d", x.Shape, want, shapeOf(n), numel(shapeOf(n)))
		}
		res := c.frontResult(out, outer, ms, inner)
		c.e.Emit(kernels.OpGemm, ids1(sel, c.toFront(x.ID, outer, m, inner)), ids1(res), kernels.GemmArgs{
			M: ms, N: outer * inner, K: m, Alpha: 1})
		if outer > 1 {
			c.fromFront(res, out, outer, ms, inner)
		}
		return nil
	}
	dy := in[1]
	if numel(dy.Shape) != outer*ms*inner {
		return fmt.Errorf("the gradient %v does not fit a slice of %v", dy.Shape, x.Shape)
	}
	res := c.frontResult(out, outer, m, inner)
	c.e.Emit(kernels.OpGemm, ids1(sel, c.toFront(dy.ID, outer, ms, inner)), ids1(res), kernels.GemmArgs{
		M: m, N: outer * inner, K: ms, TransA: true, Alpha: 1})
	if outer > 1 {
		c.fromFront(res, out, outer, m, inner)
	}
	return nil
}

// lowerConcat lowers concatOp along its axis.
func (c *compiler) lowerConcat(n *G.Node, in []operand) error {
	axis := intField(n.Op(), "axis")
	os := shapeOf(n)
	if axis < 0 || axis >= len(os) {
		return fmt.Errorf("concatenation along axis %d into %v", axis, os)
	}
	outer, mt, inner := alongAxis(os, axis)
	out := c.outBuffer(n)
	res := c.frontResult(out, outer, mt, inner)
	off := 0
	for k, x := range in {
		if len(x.Shape) != len(os) {
			return fmt.Errorf("input %d has shape %v, the result %v", k, x.Shape, os)
		}
		o, mk, i := alongAxis(x.Shape, axis)
		if o != outer || i != inner {
			return fmt.Errorf("input %d of shape %v does not fit a concatenation into %v along axis %d", k, x.Shape, os, axis)
		}
		sel := c.selection(mk, mt, off, 1)
		beta := float32(1)
		if k == 0 {
			beta = 0
		}
		c.e.Emit(kernels.OpGemm, ids1(sel, c.toFront(x.ID, outer, mk, inner)), ids1(res), kernels.GemmArgs{
			M: mt, N: outer * inner, K: mk, TransA: true, Alpha: 1, Beta: beta})
		off += mk
	}
	if off != mt {
		return fmt.Errorf("inputs fill %d of the %d positions along axis %d", off, mt, axis)
	}
	if outer > 1 {
		c.fromFront(res, out, outer, mt, inner)
	}
	return nil
}
