package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// OpGemm: C[M×N] = act(Alpha·op(A)·op(B) + Beta·C + bias[N]).
//
// The product is Sgemm's (blocked and parallel); this file adds the fused
// epilogue, one more pass over C while it is still warm in cache: add the
// bias row to every row and apply the activation, rows split across workers.

func bindGemm(o operands, a kernels.GemmArgs) (step, error) {
	m, n, k := a.M, a.N, a.K
	A, B, C := o.input(0), o.input(1), o.output(0)
	var bias []float32
	if a.Bias {
		bias = o.input(2)
	}
	if overlaps(C, A) || overlaps(C, B) || overlaps(C, bias) {
		return nil, fmt.Errorf("C overlaps an input")
	}
	lda, ldb := k, n // row strides of A and B as stored
	if a.TransA {
		lda = m
	}
	if a.TransB {
		ldb = k
	}
	if m == 0 || n == 0 {
		return func() error { return nil }, nil
	}
	ta, tb, alpha, beta, act := a.TransA, a.TransB, a.Alpha, a.Beta, a.Act
	var epilogue func(lo, hi int)
	if bias != nil || act != kernels.ActNone {
		epilogue = func(lo, hi int) { biasActRows(C[lo*n:hi*n], n, bias, act) }
	}
	rowGrain := max(1, elemGrain/n)
	return func() error {
		if k == 0 { // Sgemm need not handle an empty sum: C = Beta·C
			scaleOrZero(C, beta)
		} else {
			Sgemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, n)
		}
		if epilogue != nil {
			parallelFor(m, rowGrain, epilogue)
		}
		return nil
	}, nil
}

// biasActRows adds bias (nil: none) to each row of c (rows of n) and applies act.
func biasActRows(c []float32, n int, bias []float32, act kernels.Act) {
	for r := 0; r+n <= len(c); r += n {
		row := c[r : r+n]
		if bias != nil {
			for j, b := range bias[:n] {
				row[j] += b
			}
		}
		actRange(act, row)
	}
}

// scaleOrZero sets c = beta·c, with beta = 0 overwriting (NaNs do not survive).
func scaleOrZero(c []float32, beta float32) {
	if beta == 0 {
		clear(c)
		return
	}
	for i := range c {
		c[i] *= beta
	}
}
