package models_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
)

// BenchmarkTrainStep times one whole training step (forward, backward,
// SGD-momentum update) of a compiled zoo model on the cpu backend, with the
// batch already in place, and reports it as the canonical epoch time
// (468 steps of 128 images).
func BenchmarkTrainStep(b *testing.B) {
	for _, name := range []string{"mlp", "lenet", "convnet"} {
		b.Run(fmt.Sprintf("model=%s,batch=128/cpu", name), func(b *testing.B) {
			m, err := models.New(name, 128, 1)
			if err != nil {
				b.Fatal(err)
			}
			p, err := graph.Compile(m, graph.Options{Optimizer: &graph.Optimizer{Kind: "sgd", Momentum: 0.9}})
			if err != nil {
				b.Fatal(err)
			}
			be, _ := kernels.Open("cpu")
			ex, err := be.Load(p)
			if err != nil {
				b.Fatal(err)
			}
			defer ex.Close()
			vals, _ := models.ParamValues(m)
			for i, s := range p.Params {
				ex.Write(s.Value, vals[i])
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, 128*784)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			y := make([]float32, 128)
			for i := range y {
				y[i] = float32(rng.IntN(10))
			}
			ex.Write(p.Inputs["x"], x)
			ex.Write(p.Inputs["labels"], y)
			ex.Write(p.Hyper, []float32{0.01, 1})
			step := kernels.Segment{Start: p.Forward.Start, End: p.Update.End}
			if err := ex.Run(step); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := ex.Run(step); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(sec*468, "epoch_s")
			b.ReportMetric(128/sec, "images/s")
		})
	}
}
