package kerneltest

import (
	"fmt"
	"math/rand/v2"

	"github.com/gaborlab/gabor/kernels"
)

// The pooling families: maxpool2d (values and switches), maxpool2d_bwd (the
// scatter by switches, also Unpool2D), avgpool2d and avgpool2d_bwd, over the
// zoo's pools, edge cases and a seeded sample of N ∈ {1,3}, C ∈ {1,3},
// H,W ∈ {1,7,28,33}, window ∈ {1,2,3}, stride ∈ {1,2}, pad ∈ {0,1}. Max
// pooling is also run on data with few distinct values, where windows hold
// equal maxima and the first one (row-major) must win.

func init() {
	for _, op := range []kernels.Op{kernels.OpMaxPool, kernels.OpMaxPoolBwd, kernels.OpAvgPool, kernels.OpAvgPoolBwd} {
		Register(Family{Name: op.String(), Bench: poolBench(op),
			Cases: func(short bool) []Case { return poolFamily(op, short) }})
	}
}

// PoolShape returns the PoolArgs of a square window with equal parameters
// along both axes; ok is false when the window does not fit or the padding
// is not below the window.
func PoolShape(n, c, h, w, k, stride, pad int) (a kernels.PoolArgs, ok bool) {
	a = kernels.PoolArgs{N: n, C: c, H: h, W: w, KH: k, KW: k, StrideH: stride, StrideW: stride, PadH: pad, PadW: pad}
	a.OH, a.OW = kernels.ConvOut(h, k, stride, pad, 1), kernels.ConvOut(w, k, stride, pad, 1)
	return a, pad < k && a.OH >= 1 && a.OW >= 1
}

func poolShapes(short bool) []kernels.PoolArgs {
	var out []kernels.PoolArgs
	add := func(a kernels.PoolArgs, ok bool) {
		if ok {
			out = append(out, a)
		}
	}
	add(PoolShape(3, 6, 28, 28, 2, 2, 0)) // lenet
	add(PoolShape(3, 16, 10, 10, 2, 2, 0))
	add(PoolShape(2, 3, 7, 7, 2, 2, 0)) // the last row and column fall outside every window
	add(PoolShape(1, 1, 1, 1, 1, 1, 0))
	add(PoolShape(3, 3, 1, 1, 3, 1, 1)) // windows mostly padding
	a, ok := PoolShape(3, 3, 33, 7, 3, 2, 1)
	a.KW, a.StrideW, a.PadW = 2, 1, 0
	a.OW = kernels.ConvOut(a.W, a.KW, a.StrideW, a.PadW, 1)
	add(a, ok)
	rng := rand.New(rand.NewPCG(8, 9))
	pick := func(v ...int) int { return v[rng.IntN(len(v))] }
	sample := 16
	if short {
		sample = 6
	}
	for want := len(out) + sample; len(out) < want; {
		hw := []int{1, 7, 28, 33}
		add(PoolShape(pick(1, 3), pick(1, 3), pick(hw...), pick(hw...), pick(1, 2, 3), pick(1, 2), pick(0, 1)))
	}
	return out
}

func poolName(a kernels.PoolArgs) string {
	return fmt.Sprintf("N=%d,C=%d,H=%d,W=%d,K=%dx%d,stride=%dx%d,pad=%dx%d", a.N, a.C, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW, a.PadH, a.PadW)
}

// Switches fills max-pool switches for a: for each output a random
// in-bounds position of its window, as the flat index h·W + w in its plane.
func Switches(a kernels.PoolArgs) Fill {
	return func(r *rand.Rand, dst []float32) {
		for i := range dst {
			o := i % (a.OH * a.OW)
			oh, ow := o/a.OW, o%a.OW
			h0, w0 := oh*a.StrideH-a.PadH, ow*a.StrideW-a.PadW
			h1, w1 := min(h0+a.KH, a.H), min(w0+a.KW, a.W)
			h0, w0 = max(h0, 0), max(w0, 0)
			dst[i] = float32((h0+r.IntN(h1-h0))*a.W + w0 + r.IntN(w1-w0))
		}
	}
}

// PoolCase is the conformance case of op over a; ties fills x with the
// integers 0..2 (max pooling only).
func PoolCase(op kernels.Op, a kernels.PoolArgs, ties bool) Case {
	nx, ny := a.N*a.C*a.H*a.W, a.N*a.C*a.OH*a.OW
	c := Case{Name: poolName(a), Op: op, Args: a}
	x := In(nx, nil)
	if ties {
		x.Fill = func(r *rand.Rand, dst []float32) {
			for i := range dst {
				dst[i] = float32(r.IntN(3))
			}
		}
		c.Name += ",ties"
	}
	area := a.KH * a.KW
	switch op {
	case kernels.OpMaxPool:
		c.In, c.Out = []Operand{x}, []Operand{Out(ny), Out(ny)}
	case kernels.OpMaxPoolBwd:
		// A pixel collects at most ⌈KH/sh⌉·⌈KW/sw⌉ ≤ area gradients.
		c.In, c.Out, c.Tol = []Operand{In(ny, nil), In(ny, Switches(a))}, []Operand{Out(nx)}, convTol(area)
	case kernels.OpAvgPool:
		c.In, c.Out, c.Tol = []Operand{x}, []Operand{Out(ny)}, convTol(area+1)
	case kernels.OpAvgPoolBwd:
		c.In, c.Out, c.Tol = []Operand{In(ny, nil)}, []Operand{Out(nx)}, convTol(area+1)
	}
	return c
}

func poolFamily(op kernels.Op, short bool) []Case {
	var cs []Case
	for _, a := range poolShapes(short) {
		cs = append(cs, PoolCase(op, a, false))
		if op == kernels.OpMaxPool {
			cs = append(cs, PoolCase(op, a, true))
		}
	}
	return cs
}

// poolBench: the pools after the zoo's convolutions at batch 128; bytes count
// x and y (and the switches, for max) once each.
func poolBench(op kernels.Op) func() []Case {
	return func() []Case {
		var cs []Case
		for _, l := range [][2]int{{6, 28}, {16, 10}, {32, 28}, {64, 14}} {
			a, _ := PoolShape(128, l[0], l[1], l[1], 2, 2, 0)
			c := PoolCase(op, a, false)
			c.Name = fmt.Sprintf("N=%d,C=%d,H=%d,K=2", a.N, a.C, a.H)
			nx, ny := float64(a.N*a.C*a.H*a.W), float64(a.N*a.C*a.OH*a.OW)
			streams := 1.0
			if op == kernels.OpMaxPool || op == kernels.OpMaxPoolBwd {
				streams = 2
			}
			c.Bytes = 4 * (nx + streams*ny)
			cs = append(cs, c)
		}
		return cs
	}
}
