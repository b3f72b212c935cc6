package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// BenchmarkFMAPeak measures one core's FMA peak (GFLOP/s) with a loop of
// independent register FMAs; the GEMM and convolution GFLOP/s are read
// against it (times the worker count for the parallel kernels).
func BenchmarkFMAPeak(b *testing.B) {
	benchPaths(b, func(b *testing.B) {
		if fmaPeak(1) == 0 {
			b.Skip("no FMA loop on this path")
		}
		const steps = 1 << 20
		flops := 0
		for b.Loop() {
			flops += fmaPeak(steps)
		}
		b.ReportMetric(float64(flops)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// The streaming kernels at the zoo's sizes: the ReLU epilogue and gradient
// over the convnet's first activation (128·32·28·28 floats), addTo over one
// 28×28 plane of 32 channels, and the float64 row sum over one such plane.
// GB/s counts each stream read or written once.
func BenchmarkStream(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	big := 128 * 32 * 28 * 28
	x, y, dy := cpRand(rng, big).s, cpRand(rng, big).s, cpRand(rng, big).s
	cases := []struct {
		name    string
		n, strm int
		fn      func(n int)
	}{
		{"ReLUBias", big, 2, func(n int) { biasAct(x[:n], 0.125, kernels.ActReLU) }},
		{"ReLUGrad", big, 3, func(n int) { actGradRange(kernels.ActReLU, x[:n], y[:n], dy[:n]) }},
		{"AddTo", 32 * 784, 3, func(n int) { addTo(x[:n], y[:n]) }},
		{"Sum64", 32 * 784, 1, func(n int) { _ = sum64(y[:n]) }},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%s/n=%d", c.name, c.n), func(b *testing.B) {
			benchPaths(b, func(b *testing.B) {
				for b.Loop() {
					c.fn(c.n)
				}
				b.ReportMetric(4*float64(c.strm*c.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		})
	}
}
