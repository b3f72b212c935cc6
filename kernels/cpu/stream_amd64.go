//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

// The ReLU epilogue and gradient and the float64 row sum in AVX-512
// (stream_avx512_amd64.s). In Go,
// max(x, 0) is a six-instruction sequence (it orders NaN and signed zeros)
// and the gradient selects one element at a time. On a LeNet step (batch
// 128, GOMAXPROCS=1, profile) the epilogue went from 1.1 to under 0.1 ms
// and the gradient from 1.0 to 0.4 ms (now bound by memory).

//go:noescape
func reluBiasAVX512(v *float32, n int, b float32)

//go:noescape
func reluGradAVX512(dx, y, dy *float32, n int)

// reluAVX512 is whether reluBiasVec, reluGradVec and sum64Vec use the assembly; tests switch
// it off to compare both.
var reluAVX512 = cpu.X86.HasAVX512F

// reluBiasVec does v[i] = max(v[i]+b, 0) and reports whether it could.
func reluBiasVec(v []float32, b float32) bool {
	if !reluAVX512 || len(v) == 0 {
		return reluAVX512
	}
	reluBiasAVX512(&v[0], len(v), b)
	return true
}

// reluGradVec does dx[i] = y[i] > 0 ? dy[i] : 0 over len(y) and reports
// whether it could.
func reluGradVec(dx, y, dy []float32) bool {
	if !reluAVX512 || len(y) == 0 {
		return reluAVX512
	}
	_, _ = dx[len(y)-1], dy[len(y)-1]
	reluGradAVX512(&dx[0], &y[0], &dy[0], len(y))
	return true
}

//go:noescape
func sum64AVX512(x *float32, n int) float64

// sum64Vec widens 32 floats a step into four accumulators of eight doubles;
// the bias gradients of the convnet (9.6 M elements a step) took 17 ms of
// CPU per step with the scalar loop of sum64, 2.5 ms so (profile).
//
// sum64Vec returns Σ x[i] over the largest multiple of 32 elements of x
// and that count, 0 without AVX-512.
func sum64Vec(x []float32) (float64, int) {
	n := len(x) / 32 * 32
	if !reluAVX512 || n == 0 {
		return 0, 0
	}
	return sum64AVX512(&x[0], n), n
}

//go:noescape
func tapDots8AVX512(d, x *float32, n int, out *float32)

// tapDots8 adds onto out [8·16] the lane sums of Σ d[t]·x[t+s], s < 8
// (see tapDots8AVX512), and reports whether it could.
func tapDots8(d, x []float32, out []float32) bool {
	n := len(d)
	if !reluAVX512 || n == 0 || n%16 != 0 {
		return false
	}
	_, _ = x[n+22], out[127]
	tapDots8AVX512(&d[0], &x[0], n, &out[0])
	return true
}

//go:noescape
func addToAVX512(dst, src *float32, n int)

// addToVec does dst[i] += src[i] for i < len(src) and reports whether it could.
func addToVec(dst, src []float32) bool {
	if !reluAVX512 || len(src) == 0 {
		return reluAVX512
	}
	_ = dst[len(src)-1]
	addToAVX512(&dst[0], &src[0], len(src))
	return true
}
