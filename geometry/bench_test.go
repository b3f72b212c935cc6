package geometry

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkRegions/2-16-16-2: the exact linear regions of a ReLU net of
// that shape in [−2, 2]² (goal: ≤ 1 s on 2 cores).
func BenchmarkRegions(b *testing.B) {
	n := randomNet(rand.New(rand.NewPCG(5, 5)), ReLU, 16, 16, 2)
	box := Box{-2, -2, 2, 2}
	rs, _ := Regions(n, box)
	b.ReportMetric(float64(len(rs)), "regions")
	b.Run("2-16-16-2", func(b *testing.B) {
		for b.Loop() {
			if _, err := Regions(n, box); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecisionMap/512x512: a 2-16-16-2 net sampled on a 512×512 grid
// (goal: ≤ 0.2 s on 2 cores).
func BenchmarkDecisionMap(b *testing.B) {
	n := randomNet(rand.New(rand.NewPCG(5, 5)), ReLU, 16, 16, 2)
	g := Grid{Box: Box{-2, -2, 2, 2}, NX: 512, NY: 512}
	b.Run("512x512", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecisionMap(n, g); err != nil {
				b.Fatal(err)
			}
		}
	})
}
