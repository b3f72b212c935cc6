package graph

import (
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BenchmarkDo measures an op's Do, the TapeMachine's path: lowering, loading
// a one-op program on the cpu backend, copying in and out, running. The
// difference from the kernel's own time (kernels/cpu benchmarks) is the
// per-call overhead the TapeMachine oracle pays.
func BenchmarkDo(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	cases := []struct {
		name string
		op   G.Op
		in   []*tensor.Dense
	}{
		{"Dense/B=128,in=784,out=512", gop{denseOp{bias: true}},
			[]*tensor.Dense{randT(rng, -1, 1, 128, 784), randT(rng, -1, 1, 512, 784), randT(rng, -1, 1, 512)}},
		{"Conv2D/N=32,C=1,H=28,K=6,R=5", gop{convOp{stride: [2]int{1, 1}, pad: [2]int{2, 2}, bias: true}},
			[]*tensor.Dense{randT(rng, -1, 1, 32, 1, 28, 28), randT(rng, -1, 1, 6, 1, 5, 5), randT(rng, -1, 1, 6)}},
		{"ReLU/N=65536", gop{actOp{fn: 1}}, []*tensor.Dense{randT(rng, -1, 1, 65536)}},
		{"ReLU/N=16", gop{actOp{fn: 1}}, []*tensor.Dense{randT(rng, -1, 1, 16)}},
	}
	for _, c := range cases {
		vals := make([]G.Value, len(c.in))
		for i, v := range c.in {
			vals[i] = v
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.op.Do(vals...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
