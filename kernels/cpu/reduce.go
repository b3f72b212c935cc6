package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Reductions and their adjoint: OpReduce, OpBroadcast, OpBiasGrad.
//
// A reduction over the middle axis of [Outer, Mid, Inner] is computed tile
// by tile: a tile is up to reduceTile consecutive inner positions of one
// outer index, summed over Mid into float64 accumulators on the stack. The
// reads are contiguous rows, the sum is float64 (so a long reduction loses
// nothing to float32 rounding), and tiles are independent, so they are what
// the workers share. When Inner = 1 a tile is one contiguous row.
// Parallelism comes from Outer·⌈Inner/reduceTile⌉ tiles; a single huge sum
// (Outer = Inner = 1) runs on one core, which is fine at the sizes a
// training step reduces (a loss over a batch).

// reduceTile is the number of inner positions one tile accumulates.
const reduceTile = 64

func bindReduce(o operands, a kernels.ReduceArgs) (step, error) {
	outer, mid, inner := a.Outer, a.Mid, a.Inner
	x, y := o.input(0), o.output(0)
	if overlaps(x, y) {
		return nil, fmt.Errorf("y overlaps x")
	}
	scale := 1.0
	if a.Mean {
		scale = 1 / float64(mid)
	}
	if inner == 1 {
		return parallelStep(outer, max(1, elemGrain/max(1, mid)), func(lo, hi int) {
			for o := lo; o < hi; o++ {
				y[o] = float32(sum64(x[o*mid:(o+1)*mid]) * scale)
			}
		}), nil
	}
	tiles := (inner + reduceTile - 1) / reduceTile
	grain := max(1, elemGrain/max(1, mid*min(inner, reduceTile)))
	return parallelStep(outer*tiles, grain, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			o, i0 := t/tiles, (t%tiles)*reduceTile
			w := min(reduceTile, inner-i0)
			var buf [reduceTile]float64
			acc := buf[:w] // rows are resliced to len(acc): no bounds checks inside
			base := o*mid*inner + i0
			for m := 0; m < mid; m++ {
				row := x[base+m*inner:][:len(acc)]
				for i, v := range row {
					acc[i] += float64(v)
				}
			}
			dst := y[o*inner+i0:][:len(acc)]
			for i, a := range acc {
				dst[i] = float32(a * scale)
			}
		}
	}), nil
}

// sum64 adds a row in float64 with four independent accumulators, which
// hides the add latency.
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	s0, i := sum64Vec(x)
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func bindBroadcast(o operands, a kernels.BroadcastArgs) (step, error) {
	outer, mid, inner, scale := a.Outer, a.Mid, a.Inner, a.Scale
	x, y := o.input(0), o.output(0)
	if overlaps(x, y) {
		return nil, fmt.Errorf("y overlaps x")
	}
	// One work item is one output row y[o, m, :].
	return parallelStep(outer*mid, max(1, elemGrain/max(1, inner)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			src := x[(r/mid)*inner : (r/mid+1)*inner]
			dst := y[r*inner : (r+1)*inner]
			if scale == 1 {
				copy(dst, src)
				continue
			}
			for i, v := range src {
				dst[i] = scale * v
			}
		}
	}), nil
}

// OpBiasGrad: db[c] = Beta·db + Σ_n Σ_hw dy[n, c, hw]. For a dense layer
// (HW = 1) it is a column sum of [N, C], done in tiles of columns; for a
// convolution each channel is N rows of HW contiguous values.
func bindBiasGrad(o operands, a kernels.BiasGradArgs) (step, error) {
	n, c, hw, beta := a.N, a.C, a.HW, float64(a.Beta)
	dy, db := o.input(0), o.output(0)
	if overlaps(dy, db) {
		return nil, fmt.Errorf("db overlaps dy")
	}
	put := func(j int, s float64) {
		if beta != 0 {
			s += beta * float64(db[j])
		}
		db[j] = float32(s)
	}
	if hw == 1 {
		tiles := (c + reduceTile - 1) / reduceTile
		return parallelStep(tiles, max(1, elemGrain/max(1, n*min(c, reduceTile))), func(lo, hi int) {
			for t := lo; t < hi; t++ {
				j0 := t * reduceTile
				w := min(reduceTile, c-j0)
				var buf [reduceTile]float64
				acc := buf[:w]
				done := colSum64Vec(dy[j0:], n, c, acc)
				for r := 0; r < n; r++ {
					row := dy[r*c+j0:][:len(acc)]
					for i := done; i < len(acc); i++ {
						acc[i] += float64(row[i])
					}
				}
				for i, a := range acc {
					put(j0+i, a)
				}
			}
		}), nil
	}
	return parallelStep(c, max(1, elemGrain/max(1, n*hw)), func(lo, hi int) {
		for j := lo; j < hi; j++ {
			var s float64
			for r := 0; r < n; r++ {
				s += sum64(dy[(r*c+j)*hw : (r*c+j+1)*hw])
			}
			put(j, s)
		}
	}), nil
}
