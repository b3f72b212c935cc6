//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

// The ReLU epilogue and gradient in AVX-512 (relu_avx512_amd64.s). In Go,
// max(x, 0) is a six-instruction sequence (it orders NaN and signed zeros)
// and the gradient selects one element at a time. On a LeNet step (batch
// 128, GOMAXPROCS=1, profile) the epilogue went from 1.1 to under 0.1 ms
// and the gradient from 1.0 to 0.4 ms (now bound by memory).

//go:noescape
func reluBiasAVX512(v *float32, n int, b float32)

//go:noescape
func reluGradAVX512(dx, y, dy *float32, n int)

// reluAVX512 is whether reluBias and reluGrad use the assembly; tests switch
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
