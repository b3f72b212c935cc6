package kernels

import "fmt"

// Shape arithmetic of the Args that every backend (and the reference)
// needs in the same form: broadcast normalization, transpose strides,
// the output extent of convolution and pooling.

// Normalized checks a and returns it with the degenerate broadcast modes
// replaced by the cheaper ones they equal (BcastOuter over Inner = 1 is
// BcastNone; BcastChannel over Inner = 1 is BcastInner over C), and nb, the
// floats the operand b holds.
func (a BinaryArgs) Normalized() (n BinaryArgs, nb int, err error) {
	if a.Fn > BinaryDiv {
		return a, 0, fmt.Errorf("unknown binary function %d", a.Fn)
	}
	if err := nonNeg("N, Inner, C", a.N, a.Inner, a.C); err != nil {
		return a, 0, err
	}
	n = a
	switch {
	case n.Bcast == BcastOuter && n.Inner == 1:
		n.Bcast = BcastNone
	case n.Bcast == BcastChannel && n.Inner == 1:
		n.Bcast, n.Inner = BcastInner, a.C
	}
	switch n.Bcast {
	case BcastNone:
		return n, a.N, nil
	case BcastScalar:
		return n, 1, nil
	case BcastInner:
		if n.Inner <= 0 || a.N%n.Inner != 0 {
			return a, 0, fmt.Errorf("BcastInner: N=%d is not a multiple of Inner=%d", a.N, a.Inner)
		}
		return n, n.Inner, nil
	case BcastChannel:
		if n.Inner <= 0 || a.C <= 0 || a.N%(a.C*n.Inner) != 0 {
			return a, 0, fmt.Errorf("BcastChannel: N=%d is not a multiple of C·Inner=%d·%d", a.N, a.C, a.Inner)
		}
		return n, a.C, nil
	case BcastOuter:
		if n.Inner <= 0 || a.N%n.Inner != 0 {
			return a, 0, fmt.Errorf("BcastOuter: N=%d is not a multiple of Inner=%d", a.N, a.Inner)
		}
		return n, a.N / n.Inner, nil
	}
	return a, 0, fmt.Errorf("unknown broadcast mode %d", a.Bcast)
}

// Padded checks a and pads Shape and Perm in front to rank 4: xd is x's
// shape as [4]int, perm the permutation of those four axes.
func (a TransposeArgs) Padded() (xd, perm [4]int, err error) {
	if a.Rank < 0 || a.Rank > 4 {
		return xd, perm, fmt.Errorf("rank %d, want 0..4", a.Rank)
	}
	pad := 4 - a.Rank
	var seen [4]bool
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

// Walk is how a transpose reads x while it writes y in order: yd is y's
// shape padded to rank 4, and sx[i] is the step through x for one step
// along y's axis i (x's row-major stride of axis perm[i]). n is the
// element count of either.
func (a TransposeArgs) Walk() (yd, sx [4]int, n int, err error) {
	xd, perm, err := a.Padded()
	if err != nil {
		return yd, sx, 0, err
	}
	xs := [4]int{xd[1] * xd[2] * xd[3], xd[2] * xd[3], xd[3], 1}
	for i := range 4 {
		yd[i], sx[i] = xd[perm[i]], xs[perm[i]]
	}
	return yd, sx, xd[0] * xd[1] * xd[2] * xd[3], nil
}

// ConvOut is the output extent of a correlation along one axis:
// ⌊(in + 2·pad − dil·(k−1) − 1)/stride⌋ + 1, and 0 when the dilated filter
// is wider than the padded input (Go's division would round −1/2 up to 0).
// Pooling is the case dil = 1.
func ConvOut(in, k, stride, pad, dil int) int {
	span := in + 2*pad - dil*(k-1) - 1
	if span < 0 {
		return 0
	}
	return span/stride + 1
}
