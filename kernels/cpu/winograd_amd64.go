//go:build amd64 && !purego

package cpu

//go:noescape
func winoInAVX2(src *float32, wp, plane, c int, dst *float32, xi int)

//go:noescape
func winoOutAVX2(m *float32, xi, mk, k int, y *float32, yk, ow, rows, cols int, bias *float32, relu int)

//go:noescape
func winoGemm4AVX2(kc int, a *float32, lda int, b *float32, c *float32, ldc int)

// winoReady says whether the Winograd kernels can run: they are AVX2 code,
// which every AVX-512 processor runs too.
func winoReady() bool { return activePath != pathGeneric && pathSupported(pathAVX2) }

// winoIn transforms one octet's patches of c channels (see winoInAVX2).
func winoIn(src []float32, wp, plane, c int, dst []float32, xi int) {
	// the last floats read and written: channel c−1, row 3, column 17; ξ 15, channel c−1, lane 7
	if (c-1)*plane+3*wp+17 >= len(src) || 15*xi+(c-1)*16+7 >= len(dst) {
		panic("cpu.winoIn: out of bounds")
	}
	winoInAVX2(&src[0], wp, plane, c, &dst[0], xi)
}

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

// winoGemm computes M = U·V for one ξ: U kp×c (row stride c, kp even),
// V packed panels of 16 columns (c×16 each), M kp × 16·panels (row stride
// ldm). The rows go in whole tiles: 6×16 ones, and one or two 4×16 ones
// for the rest (32 = 4·6 + 2·4, 64 = 10·6 + 4).
func winoGemm(c, kp, panels int, u, v, m []float32, ldm int) {
	if kp%2 != 0 || kp*c > len(u) || panels*c*16 > len(v) || (kp-1)*ldm+16*panels > len(m) {
		panic("cpu.winoGemm: out of bounds")
	}
	six := kp / 6 * 6
	switch kp - six {
	case 2:
		six -= 6 // 6 + 2 = 4 + 4
	}
	for p := 0; p < panels; p++ {
		b := &v[p*c*16]
		ir := 0
		for ; ir < six; ir += 6 {
			sgemmAVX2x6x16(c, &u[ir*c], &u[(ir+3)*c], c, 1, b, nil, &m[ir*ldm+16*p], ldm, 1, 0, 0)
		}
		for ; ir < kp; ir += 4 {
			winoGemm4AVX2(c, &u[ir*c], c, b, &m[ir*ldm+16*p], ldm)
		}
	}
}
