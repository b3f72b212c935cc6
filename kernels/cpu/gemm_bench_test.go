package cpu

import (
	"fmt"
	"testing"
)

// sgemmBenchShapes are the products of training the canonical models at
// batch 128: the MLP's forward (NT), input-gradient (NN) and weight-gradient
// (TN) products, and the im2col products of the convnet and LeNet layers
// (M = batch·H·W output pixels).
var sgemmBenchShapes = []sgemmCase{
	{transB: true, m: 128, n: 512, k: 784},   // mlp fc1 forward
	{transB: true, m: 128, n: 512, k: 512},   // mlp fc2 forward
	{transB: true, m: 128, n: 10, k: 512},    // mlp fc3 forward
	{m: 128, n: 784, k: 512},                 // mlp fc1 dX
	{m: 128, n: 512, k: 512},                 // mlp fc2 dX
	{transA: true, m: 512, n: 784, k: 128},   // mlp fc1 dW
	{transA: true, m: 10, n: 512, k: 128},    // mlp fc3 dW
	{transB: true, m: 100352, n: 32, k: 9},   // convnet conv1 forward
	{transB: true, m: 100352, n: 32, k: 288}, // convnet conv2 forward
	{transB: true, m: 25088, n: 64, k: 576},  // convnet conv4 forward
	{m: 100352, n: 288, k: 32},               // convnet conv2 dCols
	{transA: true, m: 32, n: 288, k: 100352}, // convnet conv2 dW
	{transB: true, m: 100352, n: 6, k: 25},   // lenet conv1 forward
	{transB: true, m: 12800, n: 16, k: 150},  // lenet conv2 forward
	{transA: true, m: 16, n: 150, k: 12800},  // lenet conv2 dW
	{transA: true, m: 6, n: 25, k: 100352},   // lenet conv1 dW
	{m: 7, n: 5, k: 3},                       // tiny
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range sgemmBenchShapes {
		tr := map[[2]bool]string{{false, false}: "NN", {false, true}: "NT", {true, false}: "TN", {true, true}: "TT"}[[2]bool{s.transA, s.transB}]
		b.Run(fmt.Sprintf("M=%d,N=%d,K=%d,%s", s.m, s.n, s.k, tr), func(b *testing.B) {
			benchPaths(b, func(b *testing.B) {
				x := make([]float32, s.m*s.k)
				y := make([]float32, s.k*s.n)
				z := make([]float32, s.m*s.n)
				for i := range x {
					x[i] = float32(i%7) * 0.25
				}
				for i := range y {
					y[i] = float32(i%5) * 0.5
				}
				lda, ldb := s.k, s.n
				if s.transA {
					lda = s.m
				}
				if s.transB {
					ldb = s.k
				}
				b.ResetTimer()
				for b.Loop() {
					Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, x, lda, y, ldb, 0, z, s.n)
				}
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		})
	}
}
