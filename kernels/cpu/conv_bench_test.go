package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// The convolution layers of the zoo at batch 128: LeNet's two 5×5 layers
// (the first padded to keep 28×28) and the convnet's four padded 3×3 layers.
var benchConvLayers = []struct{ c, h, k, r, pad int }{
	{1, 28, 6, 5, 2},
	{6, 14, 16, 5, 0},
	{1, 28, 32, 3, 1},
	{32, 28, 32, 3, 1},
	{32, 14, 64, 3, 1},
	{64, 14, 64, 3, 1},
}

// benchConv times fn on every zoo layer and reports GFLOP/s, counting
// 2·N·K·OH·OW·C·R·S for each of the three passes (padding taps included).
func benchConv(b *testing.B, fn func(a kernels.ConvArgs, x, w, y, dw []float32)) {
	for _, l := range benchConvLayers {
		a, _ := convArgs(128, l.c, l.h, l.h, l.k, l.r, l.r, 1, l.pad, 1)
		a.Bias, a.Act = true, kernels.ActReLU
		b.Run(fmt.Sprintf("N=%d,C=%d,H=%d,K=%d,R=%d", a.N, a.C, a.H, a.K, a.R), func(b *testing.B) {
			benchPaths(b, func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 1))
				x := cpRand(rng, a.N*a.C*a.H*a.W).s
				w := cpRand(rng, a.K*a.C*a.R*a.S).s
				y := cpRand(rng, a.N*a.K*a.OH*a.OW).s
				dw := make([]float32, len(w))
				fn(a, x, w, y, dw) // warm the scratch
				b.ResetTimer()
				for b.Loop() {
					fn(a, x, w, y, dw)
				}
				flops := 2 * float64(a.N*a.K*a.OH*a.OW*a.C*a.R*a.S)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		})
	}
}

func BenchmarkConv2DFwd(b *testing.B) {
	bias := make([]float32, 64)
	benchConv(b, func(a kernels.ConvArgs, x, w, y, _ []float32) { conv2dFwd(a, x, w, bias[:a.K], y) })
}

func BenchmarkConv2DBwdData(b *testing.B) {
	benchConv(b, func(a kernels.ConvArgs, x, w, y, _ []float32) { conv2dBwdData(a, y, w, x) })
}

func BenchmarkConv2DBwdFilter(b *testing.B) {
	benchConv(b, func(a kernels.ConvArgs, x, _, y, dw []float32) { conv2dBwdFilter(a, x, y, dw) })
}

// The pools after the zoo's convolutions; GB/s counts x read once and y
// (plus switches for max) written once, forward, and the reverse backward.
var benchPoolLayers = []struct{ c, h int }{{6, 28}, {16, 10}, {32, 28}, {64, 14}}

func benchPool(b *testing.B, streams int, fn func(a kernels.PoolArgs, x, y, sw []float32)) {
	for _, l := range benchPoolLayers {
		a, _ := poolArgs(128, l.c, l.h, l.h, 2, 2, 0)
		b.Run(fmt.Sprintf("N=%d,C=%d,H=%d,K=2", a.N, a.C, a.H), func(b *testing.B) {
			benchPaths(b, func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 1))
				x := cpRand(rng, a.N*a.C*a.H*a.W).s
				y, sw := make([]float32, a.N*a.C*a.OH*a.OW), make([]float32, a.N*a.C*a.OH*a.OW)
				maxPoolFwd(a, x, y, sw)
				b.ResetTimer()
				for b.Loop() {
					fn(a, x, y, sw)
				}
				bytes := 4 * float64(len(x)+streams*len(y))
				b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		})
	}
}

func BenchmarkMaxPoolFwd(b *testing.B) {
	benchPool(b, 2, func(a kernels.PoolArgs, x, y, sw []float32) { maxPoolFwd(a, x, y, sw) })
}

func BenchmarkMaxPoolBwd(b *testing.B) {
	benchPool(b, 2, func(a kernels.PoolArgs, x, y, sw []float32) { maxPoolBwd(a, y, sw, x) })
}

func BenchmarkAvgPoolFwd(b *testing.B) {
	benchPool(b, 1, func(a kernels.PoolArgs, x, y, _ []float32) { avgPoolFwd(a, x, y) })
}

func BenchmarkAvgPoolBwd(b *testing.B) {
	benchPool(b, 1, func(a kernels.PoolArgs, x, y, _ []float32) { avgPoolBwd(a, y, x) })
}

// BenchmarkLeNetConvPoolStep runs the convolution and pooling kernels of one
// LeNet training step at batch 128 (forward: conv1+ReLU, pool, conv2+ReLU,
// pool; backward: the two pool scatters, conv2's data and filter gradients,
// conv1's filter gradient; the ReLU gradients and the dense layers are other
// kernels) and reports the time that part of an epoch (468 steps) takes.
func BenchmarkLeNetConvPoolStep(b *testing.B) { benchPaths(b, benchLeNetConvPoolStep) }

func benchLeNetConvPoolStep(b *testing.B) {
	c1, _ := convArgs(128, 1, 28, 28, 6, 5, 5, 1, 2, 1)
	p1, _ := poolArgs(128, 6, 28, 28, 2, 2, 0)
	c2, _ := convArgs(128, 6, 14, 14, 16, 5, 5, 1, 0, 1)
	p2, _ := poolArgs(128, 16, 10, 10, 2, 2, 0)
	c1.Bias, c1.Act, c2.Bias, c2.Act = true, kernels.ActReLU, true, kernels.ActReLU
	rng := rand.New(rand.NewPCG(1, 1))
	x := cpRand(rng, 128*784).s
	w1, b1 := cpRand(rng, 6*25).s, cpRand(rng, 6).s
	w2, b2 := cpRand(rng, 16*150).s, cpRand(rng, 16).s
	y1, d1 := make([]float32, 128*6*784), make([]float32, 128*6*784)
	q1, s1, e1 := make([]float32, 128*6*196), make([]float32, 128*6*196), make([]float32, 128*6*196)
	y2, d2 := make([]float32, 128*16*100), make([]float32, 128*16*100)
	q2, s2, e2 := make([]float32, 128*16*25), make([]float32, 128*16*25), cpRand(rng, 128*16*25).s
	dw1, dw2 := make([]float32, len(w1)), make([]float32, len(w2))
	step := func() {
		conv2dFwd(c1, x, w1, b1, y1)
		maxPoolFwd(p1, y1, q1, s1)
		conv2dFwd(c2, q1, w2, b2, y2)
		maxPoolFwd(p2, y2, q2, s2)
		maxPoolBwd(p2, e2, s2, d2)
		conv2dBwdData(c2, d2, w2, e1)
		conv2dBwdFilter(c2, q1, d2, dw2)
		maxPoolBwd(p1, e1, s1, d1)
		conv2dBwdFilter(c1, x, d1, dw1)
	}
	step()
	for b.Loop() {
		step()
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*468, "s/epoch")
}

// BenchmarkConv2DWinograd compares the direct and the Winograd F(2×2, 3×3)
// forward, backward data and filter passes on the convnet's 3×3 layers (the
// active path; Winograd needs AVX2).
func BenchmarkConv2DWinograd(b *testing.B) {
	if !winoReady() {
		b.Skip("no Winograd kernels on this path")
	}
	defer func() { convPath = convPathAuto }()
	for _, l := range benchConvLayers[3:] {
		a, _ := convArgs(128, l.c, l.h, l.h, l.k, l.r, l.r, 1, l.pad, 1)
		a.Bias, a.Act = true, kernels.ActReLU
		rng := rand.New(rand.NewPCG(1, 1))
		x := cpRand(rng, a.N*a.C*a.H*a.W).s
		w := cpRand(rng, a.K*a.C*a.R*a.S).s
		y := cpRand(rng, a.N*a.K*a.OH*a.OW).s
		bias, dw := make([]float32, a.K), make([]float32, len(w))
		for _, pass := range []string{"fwd", "bwd_data", "bwd_filter"} {
			for _, p := range []struct {
				name string
				path int
			}{{"direct", convPathDirect}, {"winograd", convPathWinograd}} {
				b.Run(fmt.Sprintf("%s/N=%d,C=%d,H=%d,K=%d/%s", pass, a.N, a.C, a.H, a.K, p.name), func(b *testing.B) {
					convPath = p.path
					for b.Loop() {
						switch pass {
						case "fwd":
							conv2dFwd(a, x, w, bias, y)
						case "bwd_data":
							conv2dBwdData(a, y, w, x)
						default:
							conv2dBwdFilter(a, x, y, dw)
						}
					}
					flops := 2 * float64(a.N*a.K*a.OH*a.OW*a.C*a.R*a.S)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
