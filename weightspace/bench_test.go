package weightspace

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
)

// The workloads of the speed goals, on lenet at its seeded
// initialization (the weights do not change the cost) and synthetic test
// digits: a 21×21 random plane on 1,000 images (goal ≤ 60 s on 2 cores;
// 41×41 on 2,000 ≤ 3 s on a GPU), and an ablation curve of 20 fractions ×
// 3 methods on 10,000 images (≤ 60 s). Each backend built in is measured.
//
//	go test -run '^$' -bench . -benchtime 1x ./weightspace
func BenchmarkWeightSpace(b *testing.B) {
	ds, err := data.Synthetic(0, 1, 10000)
	if err != nil {
		b.Fatal(err)
	}
	build := func(batch int) (*graph.Model, error) { return models.NewWith("lenet", batch, 1, models.Options{}) }
	m, _ := build(1)
	vals, _ := models.ParamValues(m)
	center := Point(vals)
	for _, dev := range kernels.Names() {
		for _, w := range []struct {
			grid, images int
		}{{21, 1000}, {41, 2000}} {
			if w.grid == 41 && dev != "cuda" {
				continue
			}
			b.Run(fmt.Sprintf("plane/model=lenet,grid=%d,images=%d/%s", w.grid, w.images, dev), func(b *testing.B) {
				e, err := NewEvaluator(build, Subset(ds.Test, w.images, 1), data.FashionNormalization(), EvaluatorOptions{Batch: 500, Device: dev})
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				s := RandomPlane(center, paramsOf(m), 1)
				xs := Alphas(-1, 1, w.grid)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := Plane(context.Background(), e, s, center, xs, slices.Clone(xs), nil); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(w.grid*w.grid*w.images*b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
		b.Run(fmt.Sprintf("ablate/model=lenet,fractions=20,methods=3,images=10000/%s", dev), func(b *testing.B) {
			e, err := NewEvaluator(build, ds.Test, data.FashionNormalization(), EvaluatorOptions{Batch: 500, Device: dev})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			fr := Alphas(0, 0.95, 20)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Ablate(context.Background(), e, center, AblateOptions{Methods: []string{MethodRandom, MethodSmallest, MethodLargest},
					Scope: ScopeGlobal, Grain: GrainWeight, Fractions: fr, Seeds: 1, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(60*10000*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
