package cpu

import (
	"math"
	"testing"
)

// ulps is the distance between got and the float32 rounding of want, in
// units in the last place.
func ulps(got float32, want float64) float64 {
	w := float32(want)
	if got == w {
		return 0
	}
	return math.Abs(float64(got)-want) / math.Abs(float64(math.Nextafter32(w, float32(math.Inf(1)))-w))
}

// TestFastMathAccuracy sweeps exp32, sigmoid32 and tanh32 over their float32
// range, subnormal results and the region near 0 where tanh must stay
// relatively accurate, and allows 1 ulp.
func TestFastMathAccuracy(t *testing.T) {
	type fn struct {
		name string
		fast func(float32) float32
		ref  func(float64) float64
		lo   float64
		hi   float64
	}
	for _, f := range []fn{
		{"exp", exp32, math.Exp, -103, 88.7},
		{"sigmoid", sigmoid32, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -103, 30},
		{"tanh", tanh32, math.Tanh, -12, 12},
	} {
		worst, at := 0.0, 0.0
		check := func(x float32) {
			if u := ulps(f.fast(x), f.ref(float64(x))); u > worst {
				worst, at = u, float64(x)
			}
		}
		const steps = 200000
		for i := 0; i <= steps; i++ {
			check(float32(f.lo + (f.hi-f.lo)*float64(i)/steps))
		}
		for e := -30; e <= 0; e++ { // tiny arguments, both signs
			x := float32(math.Ldexp(1.37, e))
			check(x)
			check(-x)
		}
		if worst > 1 {
			t.Errorf("%s: %.2f ulp at x = %v, want ≤ 1", f.name, worst, at)
		}
	}
	if !math.IsInf(float64(exp32(89)), 1) || exp32(-200) != 0 || sigmoid32(-200) != 0 || sigmoid32(50) != 1 || tanh32(-50) != -1 {
		t.Error("saturation: exp32(89), exp32(-200), sigmoid32(±), tanh32(-50) wrong")
	}
	nan := float32(math.NaN())
	if exp32(nan) == exp32(nan) || sigmoid32(nan) == sigmoid32(nan) || tanh32(nan) == tanh32(nan) {
		t.Error("NaN must propagate")
	}
	for _, x := range []float64{0, -1, -20, -700, -104.5} {
		if got, want := expNeg(x), math.Exp(x); math.Abs(got-want) > 1e-8*want+1e-44 {
			t.Errorf("expNeg(%v) = %v, want %v", x, got, want)
		}
	}
}
