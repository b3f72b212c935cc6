//go:build gpu

package train

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/gaborlab/gabor/data"
)

var (
	benchOnce sync.Once
	benchDS   *data.Dataset
	benchErr  error
)

// benchData is Fashion-MNIST from $GABOR_BENCH_DATA (the bundle carries
// it) or the standard places, else 60,000 synthetic digits: an epoch is the
// same work either way (468 steps of 128).
func benchData(b *testing.B) *data.Dataset {
	benchOnce.Do(func() {
		benchDS, benchErr = data.Load("fashion-mnist", os.Getenv("GABOR_BENCH_DATA"), data.LoadOptions{})
		if benchErr != nil {
			benchDS, benchErr = data.Synthetic(1, 60000, 10000)
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDS
}

// BenchmarkGPUEpoch times one training epoch of the canonical recipe
// (batch 128, 468 steps) on the cuda backend, as gabor bench and gabor
// train time it: gather, forward, backward, update, no evaluation. One
// iteration is one epoch; ms/epoch is the figure to compare with
// pytorch_ref.py's epoch_s. graph=on replays the step as a CUDA graph,
// graph=off issues its kernels one by one; both keep the data on the GPU.
func BenchmarkGPUEpoch(b *testing.B) {
	ds := benchData(b)
	for _, model := range parityModels {
		for _, graph := range []string{"on", "off"} {
			b.Run(fmt.Sprintf("model=%s/graph=%s", model, graph), func(b *testing.B) {
				b.Setenv("GABOR_CUDA_GRAPH", map[string]string{"on": "1", "off": "0"}[graph])
				cfg := DefaultConfig(model)
				cfg.Device, cfg.Dataset = "cuda", ds.Name
				s, err := NewStepper(cfg, ds)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				if _, err := s.Epoch(context.Background(), nil); err != nil { // warm-up: first-use costs
					b.Fatal(err)
				}
				var sec float64
				var images int
				b.ResetTimer()
				for range b.N {
					e, err := s.Epoch(context.Background(), nil)
					if err != nil {
						b.Fatal(err)
					}
					sec += e.Seconds
					images += e.Images
				}
				b.ReportMetric(1e3*sec/float64(b.N), "ms/epoch")
				b.ReportMetric(float64(images)/sec, "images/s")
				b.ReportMetric(float64(s.Program().ArenaLen)*4/(1<<20), "arena-MiB")
			})
		}
	}
}
