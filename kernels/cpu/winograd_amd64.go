//go:build amd64 && !purego

package cpu

//go:noescape
func winoInAVX2(src *float32, wp, plane, c int, dst *float32, cs, xi int)

//go:noescape
func winoDyAVX2(src *float32, ow, plane, k int, dst *float32, cs, xi, rows int, mask *int32)

//go:noescape
func winoOutAVX2(m *float32, xi, mk, k int, y *float32, yk, ow, rows, cols int, bias *float32, relu int)

// winoReady says whether the Winograd kernels can run: they are AVX2 code,
// which every AVX-512 processor runs too.
func winoReady() bool { return activePath != pathGeneric && pathSupported(pathAVX2) }

// winoIn transforms one octet's patches of c channels (see winoInAVX2).
func winoIn(src []float32, wp, plane, c int, dst []float32, cs, xi int) {
	// the last floats read and written: channel c−1, row 3, column 17; ξ 15, channel c−1, lane 7
	if (c-1)*plane+3*wp+17 >= len(src) || 15*xi+(c-1)*cs+7 >= len(dst) {
		panic("cpu.winoIn: out of bounds")
	}
	winoInAVX2(&src[0], wp, plane, c, &dst[0], cs, xi)
}

// winoDy transforms one octet's output gradients of k channels, the first
// rows (1 or 2) and cols (1..16) of each plane (see winoDyAVX2).
func winoDy(src []float32, ow, plane, k int, dst []float32, cs, xi, rows, cols int) {
	if rows < 1 || rows > 2 || cols < 1 || cols > 16 || (k-1)*plane+(rows-1)*ow+cols > len(src) || 15*xi+(k-1)*cs+7 >= len(dst) {
		panic("cpu.winoDy: out of bounds")
	}
	var mask *int32
	if cols < 16 {
		mask = &winoMask[16-cols]
	}
	winoDyAVX2(&src[0], ow, plane, k, &dst[0], cs, xi, rows, mask)
}

// winoMask[16−n:] starts with n columns to read (−1) and then 16 not to.
var winoMask = [32]int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}

// winoOut transforms one octet of M back into k output planes (see winoOutAVX2).
func winoOut(m []float32, xi, mk, k int, y []float32, yk, ow, rows, cols int, bias []float32, relu int) {
	if 15*xi+(k-1)*mk+7 >= len(m) || (k-1)*yk+(rows-1)*ow+cols > len(y) || cols < 1 || cols > 16 || rows < 1 || rows > 2 {
		panic("cpu.winoOut: out of bounds")
	}
	var bp *float32
	if bias != nil {
		bp = &bias[0]
	}
	winoOutAVX2(&m[0], xi, mk, k, &y[0], yk, ow, rows, cols, bp, relu)
}

// winoGemm computes M = U·V (M += U·V with acc) for one ξ: U kp×c (row
// stride lda, kp even), V packed panels of 16 columns (c×16 each), M kp ×
// 16·panels (row stride ldm). The rows go in whole tiles: 6×16 ones, and
// one or two 4×16 ones for the rest (32 = 4·6 + 2·4, 64 = 10·6 + 4).
func winoGemm(c, kp, panels int, u []float32, lda int, v, m []float32, ldm int, acc bool) {
	if kp%2 != 0 || (kp-1)*lda+c > len(u) || panels*c*16 > len(v) || (kp-1)*ldm+16*panels > len(m) {
		panic("cpu.winoGemm: out of bounds")
	}
	six := kp / 6 * 6
	if kp-six == 2 {
		six -= 6 // 6 + 2 = 4 + 4
	}
	var beta float32
	loadC := 0
	if acc {
		beta, loadC = 1, 1
	}
	for p := 0; p < panels; p++ {
		b := &v[p*c*16]
		ir := 0
		for ; ir < six; ir += 6 {
			sgemmAVX2x6x16(c, &u[ir*lda], &u[(ir+3)*lda], lda, 1, b, nil, &m[ir*ldm+16*p], ldm, 1, beta, loadC)
		}
		for ; ir < kp; ir += 4 {
			sgemmAVX2x4x16(c, &u[ir*lda], lda, 1, b, &m[ir*ldm+16*p], ldm, 1, beta, loadC)
		}
	}
}
