package kerneltest

import (
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// Bench times every family's benchmark shapes on backend be, as
// sub-benchmarks named family/shape/backend
// (BenchmarkKernels/gemm/M=128,N=512,K=784/cpu), reporting GFLOP/s for
// compute-bound kernels and GB/s (bytes read + written) for the others.
// Setup, loading and data are outside the timer; each iteration is one Run
// of the instruction followed by Sync.
func Bench(b *testing.B, be kernels.Backend) {
	BenchVariants(b, be, []Variant{{Name: be.Name()}})
}

// Variant is one way of running a backend's kernels (a CPU code path):
// Use switches to it and returns the function that switches back (nil Use:
// nothing to switch).
type Variant struct {
	Name string
	Use  func() (restore func())
}

// BenchVariants is Bench once per variant, the variant's name last:
// family/shape/variant (BenchmarkKernels/bias_grad/N=128,C=512/avx2), so
// that one machine times every path it supports side by side.
func BenchVariants(b *testing.B, be kernels.Backend, vs []Variant) {
	for _, f := range Families() {
		if f.Bench == nil {
			continue
		}
		b.Run(f.Name, func(b *testing.B) {
			for _, c := range f.Bench() {
				b.Run(c.Name, func(b *testing.B) {
					for _, v := range vs {
						b.Run(v.Name, func(b *testing.B) {
							if v.Use != nil {
								defer v.Use()()
							}
							benchCase(b, be, c)
						})
					}
				})
			}
		})
	}
}

func benchCase(b *testing.B, be kernels.Backend, c Case) {
	l := newLayout(b.Name(), c)
	x, err := l.load(be)
	if err != nil {
		b.Fatalf("load: %v", err)
	}
	defer x.Close()
	seg := l.prog.Forward
	if err := x.Run(seg); err != nil { // warm-up, and a check that it runs at all
		b.Fatalf("run: %v", err)
	}
	for b.Loop() {
		if err := x.Run(seg); err != nil {
			b.Fatalf("run: %v", err)
		}
		if err := x.Sync(); err != nil {
			b.Fatalf("sync: %v", err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	switch {
	case c.FLOPs > 0:
		b.ReportMetric(c.FLOPs/sec/1e9, "GFLOP/s")
	case c.Bytes > 0:
		b.ReportMetric(c.Bytes/sec/1e9, "GB/s")
	}
}
