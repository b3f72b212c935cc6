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
	if err := o.count(1, 1); err != nil {
		return nil, err
	}
	xd, perm, err := transposeDims(a)
	if err != nil {
		return nil, err
	}
	n := xd[0] * xd[1] * xd[2] * xd[3]
	k := &transposeKernel{}
	if k.x, err = o.input(0, n, "x"); err != nil {
		return nil, err
	}
	if k.y, err = o.output(0, n, "y"); err != nil {
		return nil, err
	}
	if overlaps(k.x, k.y) {
		return nil, fmt.Errorf("y overlaps x")
	}
	xs := [4]int{xd[1] * xd[2] * xd[3], xd[2] * xd[3], xd[3], 1}
	for i := range 4 {
		k.yd[i], k.sx[i] = xd[perm[i]], xs[perm[i]]
	}
	if n == 0 {
		return func() error { return nil }, nil
	}
	k.nt2 = (k.yd[2] + transposeTile - 1) / transposeTile
	items := k.yd[0] * k.yd[1] * k.nt2
	rowsPerItem := min(k.yd[2], transposeTile)
	return parallelStep(items, max(1, elemGrain/max(1, rowsPerItem*k.yd[3])), k.run), nil
}

// transposeDims checks the args and pads shape and perm to rank 4.
func transposeDims(a kernels.TransposeArgs) (xd, perm [4]int, err error) {
	if a.Rank < 0 || a.Rank > 4 {
		return xd, perm, fmt.Errorf("rank %d, want 0..4", a.Rank)
	}
	pad := 4 - a.Rank
	seen := [4]bool{}
	for i := range 4 {
		xd[i], perm[i] = 1, i
	}
	for i := 0; i < a.Rank; i++ {
		p := a.Perm[i]
		if p < 0 || p >= a.Rank || seen[p] {
			return xd, perm, fmt.Errorf("perm %v is not a permutation of 0..%d", a.Perm[:a.Rank], a.Rank-1)
		}
		if a.Shape[i] < 0 {
			return xd, perm, fmt.Errorf("negative dimension in shape %v", a.Shape[:a.Rank])
		}
		seen[p] = true
		xd[pad+i] = a.Shape[i]
		perm[pad+i] = pad + p
	}
	return xd, perm, nil
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
