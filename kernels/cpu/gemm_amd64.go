//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

// Assembly micro-kernels (gemm_avx512_amd64.s, gemm_avx2_amd64.s), chosen at
// start-up from what the processor and the OS support.

//go:noescape
func sgemmAVX512x12x32(kc int, a *float32, rsa, csa int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, loadC, rows, cols int)

//go:noescape
func sgemmAVX512x12x16(kc int, a *float32, rsa, csa int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, loadC, rows, cols int)

//go:noescape
func sgemmAVX2x4x16(kc int, a *float32, rsa, csa int, b *float32, c *float32, ldc int, alpha, beta float32, loadC int)

//go:noescape
func sgemmPackBNAVX2(rows, panels, width int, src *float32, lds int, dst *float32, ldd int)

//go:noescape
func sgemmPackATAVX2(kc int, src *float32, lds int, dst *float32, rows int)

//go:noescape
func sgemmPackBTAVX2(blocks int, src *float32, lds int, dst *float32, ldd int)

//go:noescape
func sgemmAVX2x6x16(kc int, a, a3 *float32, rsa, csa int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, loadC int)

var sgemmAVX512 = &sgemmKernel{name: "avx512", mr: 12, nr: 32, fn: sgemmKernelAVX512, narrow: sgemmAVX512Narrow}

// sgemmAVX512Narrow takes over when N ≤ 16 (LeNet's 6 and 16 channels, the
// 10 classes), where half or more of a 32-wide tile would be padding.
var sgemmAVX512Narrow = &sgemmKernel{name: "avx512-narrow", mr: 12, nr: 16, fn: sgemmKernelAVX512Narrow}

// sgemmAVX2's 6-row tile takes a deeper block than the 12-row ones: 6×768
// floats is the same 18 KiB of L1, and a dense layer's 784 inputs become two
// blocks instead of three (a third fewer passes over C and kernel calls).
var sgemmAVX2 = &sgemmKernel{name: "avx2", mr: 6, nr: 16, fn: sgemmKernelAVX2, fn4: sgemmKernelAVX2x4, kc: 768}

// sgemmKernels lists the kernels this machine can run, fastest first; the
// generic one is always last.
var sgemmKernels = func() []*sgemmKernel {
	var ks []*sgemmKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, sgemmAVX512, sgemmAVX512Narrow)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, sgemmAVX2)
	}
	return append(ks, sgemmGeneric)
}()

func sgemmLoadC(beta float32) int {
	if beta != 0 {
		return 1
	}
	return 0
}

// sgemmPanelRows16 and sgemmPanelRows32 are the row offsets p·nr of a packed
// panel, for the kernels' boff argument.
var sgemmPanelRows16, sgemmPanelRows32 = panelRows(16), panelRows(32)

func panelRows(nr int) []int {
	off := make([]int, sgemmKcMax)
	for p := range off {
		off[p] = p * nr
	}
	return off
}

func sgemmKernelAVX512(kc int, a []float32, rsa, csa int, bp []float32, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	sgemmAVX512x12x32(kc, &a[0], rsa, csa, &bp[0], &sgemmPanelRows32[0], &c[0], ldc, alpha, beta, sgemmLoadC(beta), rows, cols)
}

func sgemmKernelAVX512Narrow(kc int, a []float32, rsa, csa int, bp []float32, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	sgemmAVX512x12x16(kc, &a[0], rsa, csa, &bp[0], &sgemmPanelRows16[0], &c[0], ldc, alpha, beta, sgemmLoadC(beta), rows, cols)
}

// sgemmKernelAVX2 runs a packed panel: no offset table (the kernel steps
// through the panel's rows itself).
func sgemmKernelAVX2(kc int, a []float32, rsa, csa int, bp []float32, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	sgemmTileAVX2(kc, a, rsa, csa, bp, nil, c, ldc, alpha, beta, rows, cols)
}

// sgemmKernelAVX2x4 is sgemmKernelAVX2 for a tile of four rows (all of
// which exist), a partial tile of columns merged as there.
func sgemmKernelAVX2x4(kc int, a []float32, rsa, csa int, bp []float32, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	_ = bp[16*kc-1]
	if cols == 16 {
		_ = c[3*ldc+15]
		sgemmAVX2x4x16(kc, &a[0], rsa, csa, &bp[0], &c[0], ldc, alpha, beta, sgemmLoadC(beta))
		return
	}
	var t [4 * 16]float32
	sgemmAVX2x4x16(kc, &a[0], rsa, csa, &bp[0], &t[0], 16, alpha, 0, 0)
	sgemmMerge(t[:], 16, c, ldc, beta, rows, cols)
}

// sgemmTileAVX2 runs full 6×16 tiles in place; a partial tile is computed
// into a local buffer and merged here, which keeps the assembly free of masks.
// B's rows are at boff (nil: a packed panel, row p at 16·p).
func sgemmTileAVX2(kc int, a []float32, rsa, csa int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	sgemmTileAVX2Split(kc, a, a[3*rsa:], rsa, csa, b, boff, c, ldc, alpha, beta, rows, cols)
}

// sgemmTileAVX2Split is sgemmTileAVX2 with rows 3-5 of A starting at a3.
func sgemmTileAVX2Split(kc int, a, a3 []float32, rsa, csa int, b []float32, boff []int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	var off *int
	if boff != nil {
		off = &boff[0]
	}
	if rows == 6 && cols == 16 {
		sgemmAVX2x6x16(kc, &a[0], &a3[0], rsa, csa, &b[0], off, &c[0], ldc, alpha, beta, sgemmLoadC(beta))
		return
	}
	var t [6 * 16]float32
	sgemmAVX2x6x16(kc, &a[0], &a3[0], rsa, csa, &b[0], off, &t[0], 16, alpha, 0, 0)
	sgemmMerge(t[:], 16, c, ldc, beta, rows, cols)
}

// sgemmRowsKernel is the kernel sgemmRowsB runs, B rows addressed through
// an offset table: the 12×32 AVX-512 one, or the 6×16 AVX2 one.
func sgemmRowsKernel(kc int, a []float32, rsa, csa int, b []float32, boff []int, c []float32, ldc int, beta float32, rows, cols int) {
	if sgemmActive == sgemmAVX512 {
		sgemmAVX512x12x32(kc, &a[0], rsa, csa, &b[0], &boff[0], &c[0], ldc, 1, beta, sgemmLoadC(beta), rows, cols)
		return
	}
	sgemmTileAVX2(kc, a, rsa, csa, b, boff, c, ldc, 1, beta, rows, cols)
}

// sgemmRowsTile is the mr×nr tile of sgemmRowsKernel.
func sgemmRowsTile() (mr, nr int) {
	if sgemmActive == sgemmAVX512 {
		return 12, 32
	}
	return 6, 16
}

// sgemmRowsReady says whether sgemmRowsB can run: an assembly kernel is the
// active one (tests that switch to the generic kernel get the packed path).
func sgemmRowsReady() bool { return sgemmActive == sgemmAVX512 || sgemmActive == sgemmAVX2 }

// sgemmSplitReady says whether sgemmSplitTile can run (the AVX2 kernel is
// the active one).
func sgemmSplitReady() bool { return sgemmActive == sgemmAVX2 }

// sgemmSplitTile adds onto the rows×cols tile of C (row stride ldc) the
// product over a depth of kc of A, whose rows 0-2 start at a0 and rows 3-5
// at a3, each one float after the previous and with unit depth stride, and
// a packed kc×16 panel of B.
func sgemmSplitTile(kc int, a0, a3, bp, c []float32, ldc, rows, cols int) {
	_, _ = a0[kc+1], a3[kc+1]
	sgemmTileAVX2Split(kc, a0, a3, 1, 1, bp, nil, c, ldc, 1, 1, rows, cols)
}

// sgemmPackBT16 transposes rows 0-15 of b (row stride ldb) into columns 0-15
// of a packed panel (row stride ldd): dst[p·ldd + j] = b[j·ldb + p], for the
// depths p below the largest multiple of 8 not above kb, which it returns
// (0 when the active path has no vector transpose: the caller packs all).
func sgemmPackBT16(kb int, b []float32, ldb int, dst []float32, ldd int) int {
	blocks := kb / 8
	if activePath == pathGeneric || blocks == 0 {
		return 0
	}
	_ = b[15*ldb+8*blocks-1]
	_ = dst[(8*blocks-1)*ldd+15]
	sgemmPackBTAVX2(blocks, &b[0], ldb, &dst[0], ldd)
	return 8 * blocks
}

// sgemmPackBN16 packs the first panels·nr columns of kb rows of b (row
// stride ldb) into panels micro-panels of nr columns (nr a multiple of 16)
// spaced ldd floats apart, row p of panel q at dst[q·ldd + p·nr], and
// reports whether it could (not on the generic path: the caller copies).
func sgemmPackBN16(kb, panels, nr int, b []float32, ldb int, dst []float32, ldd int) bool {
	if activePath == pathGeneric || nr%16 != 0 || kb == 0 || panels == 0 {
		return false
	}
	_ = b[(kb-1)*ldb+panels*nr-1]
	_ = dst[(panels-1)*ldd+kb*nr-1]
	sgemmPackBNAVX2(kb, panels, nr, &b[0], ldb, &dst[0], ldd)
	return true
}

// sgemmPackAT copies a whole tile of tr rows (4, 6 or 12) of a transposed
// A, dst[p·tr + r] = a[p·lda + r] for p < k, and reports whether it could
// (not on the generic path, nor for other tile heights).
func sgemmPackAT(k int, a []float32, lda int, dst []float32, tr int) bool {
	if activePath == pathGeneric || (tr != 4 && tr != 6 && tr != 12) || k == 0 {
		return false
	}
	_, _ = a[(k-1)*lda+tr-1], dst[k*tr-1]
	sgemmPackATAVX2(k, &a[0], lda, &dst[0], tr)
	return true
}
