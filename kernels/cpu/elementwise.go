package cpu

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// Elementwise kernels: OpUnary, OpActGrad, OpBinary, OpCopy, OpFill.
//
// Each is one pass over contiguous memory, split across the workers in
// chunks of at least elemGrain elements (below that a hand-off to another
// goroutine, ~1–2 µs, costs more than it saves). The function is chosen once
// per call, outside the loop, so the inner loops are branch-free.
// In-place use (output = input, same buffer) is allowed: each element is
// read before it is written, at the same index.

// elemGrain is the smallest chunk worth giving to another worker.
const elemGrain = 1 << 14

// parallelStep wraps a range kernel into a step over n elements.
func parallelStep(n, grain int, body func(lo, hi int)) step {
	return func() error {
		parallelFor(n, grain, body)
		return nil
	}
}

// sameOrDisjoint allows an output to be exactly an input (in place) but not
// to overlap it partially, which no elementwise order can honour.
func sameOrDisjoint(out, in []float32, what string) error {
	if overlaps(out, in) && &out[0] != &in[0] {
		return fmt.Errorf("output overlaps %s partially", what)
	}
	return nil
}

// ---- unary ----

func bindUnary(o operands, a kernels.UnaryArgs) (step, error) {
	x, y := o.input(0), o.output(0)
	if err := sameOrDisjoint(y, x, "x"); err != nil {
		return nil, err
	}
	fn, alpha := a.Fn, a.Alpha
	return parallelStep(a.N, elemGrain, func(lo, hi int) { unaryRange(fn, alpha, y[lo:hi], x[lo:hi]) }), nil
}

// unaryRange computes y = fn(x) over equal-length slices.
func unaryRange(fn kernels.UnaryFn, alpha float32, y, x []float32) {
	y = y[:len(x)]
	switch fn {
	case kernels.UnaryReLU:
		for i, v := range x {
			y[i] = relu32(v)
		}
	case kernels.UnarySigmoid:
		for i, v := range x {
			y[i] = sigmoid32(v)
		}
	case kernels.UnaryTanh:
		for i, v := range x {
			y[i] = tanh32(v)
		}
	case kernels.UnaryNeg:
		for i, v := range x {
			y[i] = -v
		}
	case kernels.UnaryExp:
		for i, v := range x {
			y[i] = exp32(v)
		}
	case kernels.UnaryLog:
		for i, v := range x {
			y[i] = float32(math.Log(float64(v)))
		}
	case kernels.UnarySquare:
		for i, v := range x {
			y[i] = v * v
		}
	case kernels.UnarySqrt:
		for i, v := range x {
			y[i] = float32(math.Sqrt(float64(v)))
		}
	case kernels.UnaryScale:
		for i, v := range x {
			y[i] = alpha * v
		}
	}
}

// relu32 is max(x, 0), which lets NaN through (as PyTorch does), so a
// diverging run shows NaN instead of silently zeroing it. The builtin max
// compiles without a branch: a branch on the sign of random data is
// mispredicted half the time and costs ~8× the arithmetic.
func relu32(v float32) float32 { return max(v, 0) }

// actRange applies an activation in place.
func actRange(act kernels.Act, y []float32) {
	if fn, ok := act.Unary(); ok {
		unaryRange(fn, 0, y, y)
	}
}

// ---- activation gradient ----

func bindActGrad(o operands, a kernels.ActGradArgs) (step, error) {
	y, dy, dx := o.input(0), o.input(1), o.output(0)
	if err := sameOrDisjoint(dx, y, "y"); err != nil {
		return nil, err
	}
	if err := sameOrDisjoint(dx, dy, "dy"); err != nil {
		return nil, err
	}
	act := a.Act
	return parallelStep(a.N, elemGrain, func(lo, hi int) { actGradRange(act, dx[lo:hi], y[lo:hi], dy[lo:hi]) }), nil
}

// actGradRange computes dx = dy·f'(x) from y = f(x).
func actGradRange(act kernels.Act, dx, y, dy []float32) {
	dx, dy = dx[:len(y)], dy[:len(y)]
	switch act {
	case kernels.ActNone:
		copy(dx, dy)
	case kernels.ActReLU:
		if reluGradVec(dx, y, dy) {
			return
		}
		// dx = dy where y > 0, else +0: selected with an integer mask,
		// which compiles to a conditional move instead of a branch.
		for i, v := range y {
			var m uint32
			if v > 0 {
				m = ^uint32(0)
			}
			dx[i] = math.Float32frombits(math.Float32bits(dy[i]) & m)
		}
	case kernels.ActSigmoid:
		for i, v := range y {
			dx[i] = dy[i] * v * (1 - v)
		}
	case kernels.ActTanh:
		for i, v := range y {
			dx[i] = dy[i] * (1 - v*v)
		}
	}
}

// ---- binary ----

// binaryKernel is c = a fn b[idx(i)], idx given by the broadcast mode.
type binaryKernel struct {
	fn       kernels.BinaryFn
	bcast    kernels.Bcast
	inner, c int
	ca, aa   []float32 // c and a
	bb       []float32
}

func bindBinary(o operands, a kernels.BinaryArgs) (step, error) {
	// The degenerate broadcast modes run as the cheaper ones they equal.
	n, _, err := a.Normalized()
	if err != nil {
		return nil, err
	}
	k := &binaryKernel{fn: n.Fn, bcast: n.Bcast, inner: n.Inner, c: n.C,
		aa: o.input(0), bb: o.input(1), ca: o.output(0)}
	if err := sameOrDisjoint(k.ca, k.aa, "a"); err != nil {
		return nil, err
	}
	if k.bcast == kernels.BcastNone {
		err = sameOrDisjoint(k.ca, k.bb, "b")
	} else if overlaps(k.ca, k.bb) {
		err = fmt.Errorf("output overlaps the broadcast operand b")
	}
	if err != nil {
		return nil, err
	}
	if a.N == 0 {
		return func() error { return nil }, nil
	}
	return parallelStep(a.N, elemGrain, k.run), nil
}

// run computes elements [lo, hi), walking the broadcast blocks that the
// range crosses so each inner loop is a plain vector–vector or
// vector–scalar loop.
func (k *binaryKernel) run(lo, hi int) {
	c, a, b := k.ca, k.aa, k.bb
	switch k.bcast {
	case kernels.BcastNone:
		binVV(k.fn, c[lo:hi], a[lo:hi], b[lo:hi])
	case kernels.BcastScalar:
		binVS(k.fn, c[lo:hi], a[lo:hi], b[0])
	case kernels.BcastInner:
		for i := lo; i < hi; {
			j := i % k.inner
			e := min(hi, i-j+k.inner)
			binVV(k.fn, c[i:e], a[i:e], b[j:j+e-i])
			i = e
		}
	default: // BcastChannel, BcastOuter: b is constant over each block of Inner
		for i := lo; i < hi; {
			blk := i / k.inner
			e := min(hi, (blk+1)*k.inner)
			idx := blk
			if k.bcast == kernels.BcastChannel {
				idx = blk % k.c
			}
			binVS(k.fn, c[i:e], a[i:e], b[idx])
			i = e
		}
	}
}

func binVV(fn kernels.BinaryFn, c, a, b []float32) {
	c, b = c[:len(a)], b[:len(a)]
	switch fn {
	case kernels.BinaryAdd:
		for i, v := range a {
			c[i] = v + b[i]
		}
	case kernels.BinarySub:
		for i, v := range a {
			c[i] = v - b[i]
		}
	case kernels.BinaryMul:
		for i, v := range a {
			c[i] = v * b[i]
		}
	case kernels.BinaryDiv:
		for i, v := range a {
			c[i] = v / b[i]
		}
	}
}

func binVS(fn kernels.BinaryFn, c, a []float32, s float32) {
	c = c[:len(a)]
	switch fn {
	case kernels.BinaryAdd:
		for i, v := range a {
			c[i] = v + s
		}
	case kernels.BinarySub:
		for i, v := range a {
			c[i] = v - s
		}
	case kernels.BinaryMul:
		for i, v := range a {
			c[i] = v * s
		}
	case kernels.BinaryDiv:
		for i, v := range a {
			c[i] = v / s
		}
	}
}

// ---- copy and fill ----

// copyGrain is larger than elemGrain: memmove moves ~10 GB/s per core, so a
// chunk must be big before a second core pays off.
const copyGrain = 1 << 16

func bindCopy(o operands, a kernels.CopyArgs) (step, error) {
	x, y := o.input(0), o.output(0)
	if err := sameOrDisjoint(y, x, "x"); err != nil {
		return nil, err
	}
	if a.N == 0 || &x[0] == &y[0] {
		return func() error { return nil }, nil
	}
	return parallelStep(a.N, copyGrain, func(lo, hi int) { copy(y[lo:hi], x[lo:hi]) }), nil
}

func bindFill(o operands, a kernels.FillArgs) (step, error) {
	y, v := o.output(0), a.Value
	return parallelStep(a.N, copyGrain, func(lo, hi int) { fill32(y[lo:hi], v) }), nil
}

// fill32 sets every element of s to v: memclr for +0, else one element
// doubled by memmove, which runs at copy speed where a scalar store loop
// does not.
func fill32(s []float32, v float32) {
	if len(s) == 0 {
		return
	}
	if math.Float32bits(v) == 0 {
		clear(s)
		return
	}
	s[0] = v
	for n := 1; n < len(s); n *= 2 {
		copy(s[n:], s[:n])
	}
}
