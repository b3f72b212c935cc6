package cpu

import "fmt"

// sgemmRowsB is a GEMM whose right operand is never copied: C = A·B (C
// overwritten) with A m×k row-major (row stride lda) and row p of B the n
// floats at b[boff[p]:]. The rows may overlap; the convolutions point them
// into padded images (conv_direct.go), so B is the unfolded image without
// ever being written out. Only the last partial row tile of A is packed.
// The kernel loads B nr (32 with AVX-512, 16 with AVX2) columns at a time,
// also past n in the last panel (those columns are not stored): b must hold
// max(boff) + ⌈n/nr⌉·nr floats; callers allow for 32.
// It runs serially (the convolutions split the batch) and only with
// sgemmRowsReady. Panels outside, row tiles inside: the rows of one 32-wide
// panel are then reused by all row tiles while they are in L1 (the convnet's
// 32→32 forward: 20.6 → 18.9 ms at batch 128; the other layers unchanged).
func sgemmRowsB(m, n, k int, a []float32, lda int, b []float32, boff []int, c []float32, ldc int) {
	mr, nr := sgemmRowsTile()
	top := 0
	for _, o := range boff[:k] {
		top = max(top, o)
	}
	if top+(n+nr-1)/nr*nr > len(b) || len(a) < (m-1)*lda+k || len(c) < (m-1)*ldc+n || top < 0 {
		panic(fmt.Sprintf("cpu.sgemmRowsB: m=%d n=%d k=%d: len(a)=%d lda=%d, len(b)=%d < %d, len(c)=%d ldc=%d",
			m, n, k, len(a), lda, len(b), top+(n+nr-1)/nr*nr, len(c), ldc))
	}
	ws := sgemmGetWork()
	defer sgemmPutWork(ws)
	kc := sgemmBlock(k, sgemmKcMax, 1)
	mFull := m / mr * mr
	ws.ap = sgemmGrow(ws.ap, kc*mr)
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		var beta float32
		if pc > 0 {
			beta = 1 // later depth blocks add onto the first
		}
		if mFull < m {
			sgemmPackA(m-mFull, kb, mr, a, lda, 1, mFull, pc, ws.ap)
		}
		for jr := 0; jr < n; jr += nr {
			for ir := 0; ir < m; ir += mr {
				ar, ars, acs := a[ir*lda+pc:], lda, 1
				if ir >= mFull {
					ar, ars, acs = ws.ap, 1, mr
				}
				sgemmRowsKernel(kb, ar, ars, acs, b[jr:], boff[pc:pc+kb], c[ir*ldc+jr:], ldc, beta, min(mr, m-ir), min(nr, n-jr))
			}
		}
	}
}
