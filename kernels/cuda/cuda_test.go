//go:build gpu

package cuda

import (
	"math"
	"testing"

	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/kernels/kerneltest"
)

// These tests need a GPU: gorgonia.org/cu exits the process at start-up
// without one. Build them with `make gpu-bundle` and run them there.

func open(t testing.TB, opts Options) *Backend {
	t.Helper()
	b, err := New(opts)
	if err != nil {
		t.Fatalf("opening the cuda backend: %v", err)
	}
	return b
}

// TestConformance holds the backend to the float64 reference on every case
// of every family, with GEMMs and convolutions in exact FP32; then it runs
// the families that use the tensor cores again in TF32, with the TF32
// tolerance below (the other families do not depend on the GEMM flavour).
func TestConformance(t *testing.T) {
	t.Run("fp32", func(t *testing.T) { kerneltest.Run(t, open(t, Options{TF32: false})) })
	t.Run("tf32", func(t *testing.T) {
		b := open(t, Options{TF32: true})
		for _, f := range kerneltest.Families() {
			terms := tf32Terms[f.Name]
			if terms == nil {
				continue
			}
			t.Run(f.Name, func(t *testing.T) {
				for _, c := range f.Cases(testing.Short()) {
					c.Tol = tf32Tol(terms(c.Args))
					t.Run(c.Name, func(t *testing.T) { kerneltest.RunCase(t, b, c) })
				}
			})
		}
	})
}

// tf32Terms gives, per family that runs on the tensor cores, the number of
// products summed into one output, scaled by |alpha| where there is one.
var tf32Terms = map[string]func(args any) float64{
	kernels.OpGemm.String(): func(a any) float64 {
		g := a.(kernels.GemmArgs)
		return float64(g.K) * math.Max(1, float64(g.Alpha*g.Alpha))
	},
	kernels.OpConv2D.String(): func(a any) float64 {
		c := a.(kernels.ConvArgs)
		return float64(c.C * c.R * c.S)
	},
	kernels.OpConv2DBwdData.String(): func(a any) float64 {
		c := a.(kernels.ConvArgs)
		return float64(c.K * c.R * c.S)
	},
	kernels.OpConv2DBwdFilter.String(): func(a any) float64 {
		c := a.(kernels.ConvArgs)
		return float64(c.N * c.OH * c.OW)
	},
}

// tf32Tol is the accepted error of a TF32 product of `terms` N(0,1)·N(0,1)
// terms. cvt.rna rounds each operand to 10 mantissa bits, a relative error
// uniform in ±2^-11, so a product carries a relative error of standard
// deviation 2^-11·√(2/3) ≈ 4e-4 and, the data being N(0,1), an absolute one
// of about 4e-4; the errors of independent terms add in quadrature, so an
// output is off by about 4e-4·√terms. Atol is 10 times that; Rtol 2e-3
// (twice the worst relative error of one product) covers outputs dominated
// by a few large terms. An indexing error is off by O(√terms) and fails.
func tf32Tol(terms float64) kerneltest.Tol {
	return kerneltest.Tol{Atol: 1e-5 + 4e-3*math.Sqrt(terms), Rtol: 2e-3}
}

// BenchmarkKernels times every family at the canonical models' shapes on
// the default backend (TF32 tensor cores):
// BenchmarkKernels/gemm/M=128,N=512,K=784,tB,bias,relu/cuda. Each iteration
// is one Run followed by a Sync, so small kernels measure launch latency
// (a captured step graph removes most of it).
func BenchmarkKernels(b *testing.B) { kerneltest.Bench(b, open(b, Options{TF32: true})) }

// BenchmarkKernelsFP32 is BenchmarkKernels with exact FP32 GEMMs and
// convolutions, under the name cuda-fp32.
func BenchmarkKernelsFP32(b *testing.B) {
	kerneltest.Bench(b, fp32Backend{open(b, Options{TF32: false})})
}

// fp32Backend is the exact-FP32 backend under its own name.
type fp32Backend struct{ *Backend }

func (fp32Backend) Name() string { return "cuda-fp32" }
