package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// TestReLUKernels holds the vector ReLU epilogue and gradient to the scalar
// loops bit for bit (signed zeros; a NaN stays a NaN) on lengths around the 16-lane step.
func TestReLUKernels(t *testing.T) {
	if !reluAVX512 {
		t.Log("no AVX-512: only the scalar loops run here")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), -float32(math.NaN()), float32(math.Inf(-1)), 1e-40}
	gen := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			if rng.IntN(4) == 0 {
				v[i] = special[rng.IntN(len(special))]
			} else {
				v[i] = float32(rng.NormFloat64())
			}
		}
		return v
	}
	same := func(what string, n int, got, want []float32) {
		t.Helper()
		for i := range want {
			if got[i] != got[i] && want[i] != want[i] {
				continue // a NaN is a NaN: its sign and payload are not kept
			}
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s n=%d [%d]: vector %v (%#x), scalar %v (%#x)", what, n, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
	saved := reluAVX512
	defer func() { reluAVX512 = saved }()
	for n := 0; n <= 40; n++ {
		for _, b := range []float32{0, -0.5, 0.25} {
			v := gen(n)
			v0, v1 := cpClone(v), cpClone(v)
			reluAVX512 = false
			biasAct(v0, b, kernels.ActReLU)
			reluAVX512 = saved
			biasAct(v1, b, kernels.ActReLU)
			same("biasAct", n, v1, v0)
		}
		y, dy := gen(n), gen(n)
		dx0, dx1 := make([]float32, n), make([]float32, n)
		reluAVX512 = false
		actGradRange(kernels.ActReLU, dx0, y, dy)
		reluAVX512 = saved
		actGradRange(kernels.ActReLU, dx1, y, dy)
		same("actGrad", n, dx1, dx0)
	}
}

// TestSum64 checks the row sum, vector part and scalar tail, against an
// exact sum (float64 is exact for these: integers times 2⁻⁸ below 2⁴⁰).
func TestSum64(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 31, 32, 33, 63, 64, 100, 784, 1000} {
		x := make([]float32, n)
		var want float64
		for i := range x {
			x[i] = float32(rng.IntN(1<<20)-1<<19) / 256
			want += float64(x[i])
		}
		if got := sum64(x); got != want {
			t.Errorf("n=%d: sum64 = %v, want %v", n, got, want)
		}
	}
}

// TestAddTo holds the vector addTo to the scalar one on lengths around the
// 16-lane step, and checks it leaves dst past len(src) alone.
func TestAddTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	saved := reluAVX512
	defer func() { reluAVX512 = saved }()
	for n := 0; n <= 40; n++ {
		src := make([]float32, n)
		dst := make([]float32, n+3)
		for i := range dst {
			dst[i] = float32(rng.NormFloat64())
		}
		for i := range src {
			src[i] = float32(rng.NormFloat64())
		}
		d0, d1 := cpClone(dst), cpClone(dst)
		reluAVX512 = false
		addTo(d0, src)
		reluAVX512 = saved
		addTo(d1, src)
		for i := range d0 {
			if d0[i] != d1[i] || (i >= n && d1[i] != dst[i]) {
				t.Fatalf("n=%d [%d]: vector %v, scalar %v, before %v", n, i, d1[i], d0[i], dst[i])
			}
		}
	}
}
