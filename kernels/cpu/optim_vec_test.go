package cpu

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSGDVec holds the SGD update of every path (the vector kernel on the
// bulk, the scalar loop on the tail) to the scalar loop bit for bit, with
// and without weight decay and Nesterov, on lengths around the 8-lane step
// and with signed zeros, NaN and infinities among the values.
func TestSGDVec(t *testing.T) {
	forEachPath(t, func(t *testing.T, p cpuPath) {
		rng := rand.New(rand.NewPCG(3, 4))
		special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-40, 3e38}
		gen := func(n int) []float32 {
			v := make([]float32, n)
			for i := range v {
				if rng.IntN(8) == 0 {
					v[i] = special[rng.IntN(len(special))]
				} else {
					v[i] = float32(rng.NormFloat64())
				}
			}
			return v
		}
		for _, wd := range []float32{0, float32(math.Copysign(0, -1)), 5e-4} {
			for _, mom := range []float32{0, 0.9} {
				for _, nest := range []bool{false, true} {
					for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 1000} {
						p0, g, v0 := gen(n), gen(n), gen(n)
						pw, vw := slices.Clone(p0), slices.Clone(v0)
						sgdScalar(pw, g, vw, wd, mom, 0.05, nest)
						pg, vg := slices.Clone(p0), slices.Clone(v0)
						done := sgdVec(pg, g, vg, wd, mom, 0.05, nest)
						sgdScalar(pg[done:], g[done:], vg[done:], wd, mom, 0.05, nest)
						if want := n / 8 * 8; p.vectorLoops() && mom != 0 && done != want {
							t.Fatalf("wd=%g mom=%g nesterov=%v n=%d: vector kernel did %d elements, want %d", wd, mom, nest, n, done, want)
						}
						for i := range pw {
							if !sameFloat(pg[i], pw[i]) || !sameFloat(vg[i], vw[i]) {
								t.Fatalf("wd=%g mom=%g nesterov=%v n=%d [%d]: p %v v %v, scalar p %v v %v", wd, mom, nest, n, i, pg[i], vg[i], pw[i], vw[i])
							}
						}
					}
				}
			}
		}
	})
}

// sameFloat: equal bits, or both NaN (a NaN's payload is not kept).
func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}
