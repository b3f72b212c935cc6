//go:build amd64 && !purego

package cpu

// The ReLU epilogue and gradient, addTo, the float64 row sum and the tap
// dot products in assembly: AVX-512 (stream_avx512_amd64.s, 16 lanes) and
// AVX2 (stream_avx2_amd64.s, 8 lanes), picked by activePath (cpupath.go).
// In Go, max(x, 0) is a six-instruction sequence (it orders NaN and signed
// zeros) and the gradient selects one element at a time. On a LeNet step
// (batch 128, GOMAXPROCS=1, profile, AVX-512) the epilogue went from 1.1 to
// under 0.1 ms and the gradient from 1.0 to 0.4 ms (now bound by memory).

//go:noescape
func reluBiasAVX512(v *float32, n int, b float32)

//go:noescape
func reluGradAVX512(dx, y, dy *float32, n int)

//go:noescape
func sum64AVX512(x *float32, n int) float64

//go:noescape
func tapDots8AVX512(d, x *float32, n int, out *float32)

//go:noescape
func addToAVX512(dst, src *float32, n int)

//go:noescape
func reluBiasAVX2(v *float32, n int, b float32)

//go:noescape
func reluGradAVX2(dx, y, dy *float32, n int)

//go:noescape
func sum64AVX2(x *float32, n int) float64

//go:noescape
func tapDots8AVX2(d, x *float32, n int, out *float32)

//go:noescape
func addToAVX2(dst, src *float32, n int)

// streamVec says whether the vector loops run (avx2 and avx512, the
// paths cpuPath.vectorLoops names).
func streamVec() bool { return activePath.vectorLoops() }

// reluBiasVec does v[i] = max(v[i]+b, 0) and reports whether it could.
func reluBiasVec(v []float32, b float32) bool {
	if !streamVec() || len(v) == 0 {
		return streamVec()
	}
	if activePath == pathAVX512 {
		reluBiasAVX512(&v[0], len(v), b)
	} else {
		reluBiasAVX2(&v[0], len(v), b)
	}
	return true
}

// reluGradVec does dx[i] = y[i] > 0 ? dy[i] : 0 over len(y) and reports
// whether it could.
func reluGradVec(dx, y, dy []float32) bool {
	if !streamVec() || len(y) == 0 {
		return streamVec()
	}
	_, _ = dx[len(y)-1], dy[len(y)-1]
	if activePath == pathAVX512 {
		reluGradAVX512(&dx[0], &y[0], &dy[0], len(y))
	} else {
		reluGradAVX2(&dx[0], &y[0], &dy[0], len(y))
	}
	return true
}

// sum64Vec widens 32 floats a step into 32 float64 lanes (four
// accumulators of eight doubles, or eight of four) and adds the lanes in
// one fixed tree, so both paths give the same bits; the bias gradients of
// the convnet (9.6 M elements a step) took 17 ms of CPU per step with the
// scalar loop of sum64, 2.5 ms so (profile, AVX-512).
//
// sum64Vec returns Σ x[i] over the largest multiple of 32 elements of x
// and that count, 0 on the generic path.
func sum64Vec(x []float32) (float64, int) {
	n := len(x) / 32 * 32
	if !streamVec() || n == 0 {
		return 0, 0
	}
	if activePath == pathAVX512 {
		return sum64AVX512(&x[0], n), n
	}
	return sum64AVX2(&x[0], n), n
}

// tapDots8 adds onto out [8·16] the lane sums of Σ d[t]·x[t+s], s < 8
// (see tapDots8AVX512; the AVX2 kernel does lanes 0–7, then 8–15, with the
// same per-lane operations), and reports whether it could.
func tapDots8(d, x []float32, out []float32) bool {
	n := len(d)
	if !streamVec() || n == 0 || n%16 != 0 {
		return false
	}
	_, _ = x[n+22], out[127]
	if activePath == pathAVX512 {
		tapDots8AVX512(&d[0], &x[0], n, &out[0])
	} else {
		tapDots8AVX2(&d[0], &x[0], n, &out[0])
	}
	return true
}

// addToVec does dst[i] += src[i] for i < len(src) and reports whether it could.
func addToVec(dst, src []float32) bool {
	if !streamVec() || len(src) == 0 {
		return streamVec()
	}
	_ = dst[len(src)-1]
	if activePath == pathAVX512 {
		addToAVX512(&dst[0], &src[0], len(src))
	} else {
		addToAVX2(&dst[0], &src[0], len(src))
	}
	return true
}

//go:noescape
func colSum64AVX2(x *float32, rows, ld int, acc *float64)

//go:noescape
func normU8AVX2(dst *float32, src *uint8, n int, mean, std float32)

// colSum64Vec adds onto acc[j] (j < len(acc)) the float64 sum over rows
// r < rows of x[r·ld + j], rows in order, for the largest multiple of 16
// columns, and returns that count (0 on the generic path). Each column sees
// the scalar loop's additions in its order: the same bits.
func colSum64Vec(x []float32, rows, ld int, acc []float64) int {
	w := len(acc) / 16 * 16
	if !streamVec() || w == 0 || rows == 0 {
		return 0
	}
	_ = x[(rows-1)*ld+w-1]
	for j := 0; j < w; j += 16 {
		colSum64AVX2(&x[j], rows, ld, &acc[j])
	}
	return w
}

// normU8Vec sets dst[i] = (float32(src[i])/255 − mean)/std for the largest
// multiple of 8 elements of src and returns that count (0 on the generic
// path): the gather's normalization, to the bit of its table.
func normU8Vec(dst []float32, src []uint8, mean, std float32) int {
	n := len(src) / 8 * 8
	if !streamVec() || n == 0 {
		return 0
	}
	_ = dst[n-1]
	normU8AVX2(&dst[0], &src[0], n, mean, std)
	return n
}

//go:noescape
func biasRowsAVX2(c *float32, ldc, rows, cols int, bias *float32, relu int)

// biasRowsVec does c[r·ldc+j] += bias[j], then max(·, 0) if relu, for
// r < rows and the largest multiple of 8 columns below cols, and returns
// that count (0 on the generic path); the same bits as the scalar loops.
func biasRowsVec(c []float32, ldc, rows, cols int, bias []float32, relu bool) int {
	w := cols / 8 * 8
	if !streamVec() || w == 0 || rows == 0 {
		return 0
	}
	_, _ = c[(rows-1)*ldc+w-1], bias[w-1]
	r := 0
	if relu {
		r = 1
	}
	biasRowsAVX2(&c[0], ldc, rows, w, &bias[0], r)
	return w
}

//go:noescape
func fmaPeakAVX2(n int)

// fmaPeak runs n steps of the FMA peak loop of the active path and returns
// the float32 operations done, 0 on the generic path (no such loop). The
// AVX2 loop serves the AVX-512 path too: it measures the 256-bit peak,
// half the 512-bit one on cores with two 512-bit FMA units.
func fmaPeak(n int) int {
	if !streamVec() || n <= 0 {
		return 0
	}
	fmaPeakAVX2(n)
	return 192 * n
}
