package geometry

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gaborlab/gabor/models"
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

// BenchmarkProgramMap/512x512: the same map through the compiled forward
// program on the CPU backend, in batches of ProgramBatch.
func BenchmarkProgramMap(b *testing.B) {
	m, err := models.MLP2D(ProgramBatch, 5, models.MLP2DOptions{Hidden: []int{16, 16}, Act: models.ActReLU})
	if err != nil {
		b.Fatal(err)
	}
	vals, _ := models.ParamValues(m)
	by := map[string][]float32{}
	for i, p := range m.Params {
		by[p.Name()] = vals[i]
	}
	g := Grid{Box: Box{-2, -2, 2, 2}, NX: 512, NY: 512}
	b.Run("512x512/cpu", func(b *testing.B) {
		for b.Loop() {
			if _, err := ProgramMap(m, func(n string) ([]float32, bool) { v, ok := by[n]; return v, ok }, g, "cpu"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRegionsTrained: the exact regions of a 2-16-16-2 ReLU net
// trained on moons (scripts/docs-regions.sh's, read from testdata), in the
// window of its figure.
func BenchmarkRegionsTrained(b *testing.B) {
	raw, err := os.ReadFile("testdata/moons-2-16-16-2.json")
	if err != nil {
		b.Fatal(err)
	}
	n, err := ParseNet(raw)
	if err != nil {
		b.Fatal(err)
	}
	box := Box{-2.4, -2.45, 2.5, 2.45}
	rs, _ := Regions(n, box)
	b.ReportMetric(float64(len(rs)), "regions")
	b.Run("moons-2-16-16-2", func(b *testing.B) {
		for b.Loop() {
			if _, err := Regions(n, box); err != nil {
				b.Fatal(err)
			}
		}
	})
}
