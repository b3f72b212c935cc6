package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// OpTranspose: y = x with axes permuted (y's axis i is x's axis Perm[i]).
//
// Every tensor is padded in front to rank 4. y is written in order; for y
// axis i the walk through x moves by sx[i] = x's stride of axis Perm[i].
// When the last axis stays last (sx[3] = 1) each y row is a copy of an x
// row. Otherwise the last two y axes are walked in transposeTile² blocks so
// the strided reads of x stay within a few cache lines per block.

const transposeTile = 32

type transposeKernel struct {
	yd, sx [4]int
	x, y   []float32
	nt2    int // tiles along y axis 2
}

func bindTranspose(o operands, a kernels.TransposeArgs) (step, error) {
	yd, sx, n, err := a.Walk()
	if err != nil {
		return nil, err
	}
	k := &transposeKernel{yd: yd, sx: sx, x: o.input(0), y: o.output(0)}
	if overlaps(k.x, k.y) {
		return nil, fmt.Errorf("y overlaps x")
	}
	if n == 0 {
		return func() error { return nil }, nil
	}
	k.nt2 = (k.yd[2] + transposeTile - 1) / transposeTile
	items := k.yd[0] * k.yd[1] * k.nt2
	rowsPerItem := min(k.yd[2], transposeTile)
	return parallelStep(items, max(1, elemGrain/max(1, rowsPerItem*k.yd[3])), k.run), nil
}

func (k *transposeKernel) run(lo, hi int) {
	yd, sx, x, y := k.yd, k.sx, k.x, k.y
	for it := lo; it < hi; it++ {
		t2, r := it%k.nt2, it/k.nt2
		i0, i1 := r/yd[1], r%yd[1]
		xb := i0*sx[0] + i1*sx[1]
		yb := (i0*yd[1] + i1) * yd[2] * yd[3]
		r0, r1 := t2*transposeTile, min(yd[2], (t2+1)*transposeTile)
		if sx[3] == 1 {
			for i2 := r0; i2 < r1; i2++ {
				copy(y[yb+i2*yd[3]:yb+(i2+1)*yd[3]], x[xb+i2*sx[2]:])
			}
			continue
		}
		for j0 := 0; j0 < yd[3]; j0 += transposeTile {
			j1 := min(yd[3], j0+transposeTile)
			for i2 := r0; i2 < r1; i2++ {
				xo, yo := xb+i2*sx[2], yb+i2*yd[3]
				for i3 := j0; i3 < j1; i3++ {
					y[yo+i3] = x[xo+i3*sx[3]]
				}
			}
		}
	}
}
