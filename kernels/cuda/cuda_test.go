//go:build gpu

package cuda

import (
	"math"
	"math/rand/v2"
	"strings"
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

// TestGatherAndCorrectCount checks the input pipeline against a host
// computation: a shuffled batch gathered and normalized from a uint8
// dataset, and the correct-count of a batch of logits.
func TestGatherAndCorrectCount(t *testing.T) {
	const n, dim, batch, classes = 1000, 29, 77, 10
	r := rand.New(rand.NewPCG(1, 2))
	images, labels := make([]uint8, n*dim), make([]uint8, n)
	for i := range images {
		images[i] = uint8(r.IntN(256))
	}
	for i := range labels {
		labels[i] = uint8(r.IntN(classes))
	}
	perm := make([]int32, n)
	for i, k := range r.Perm(n) {
		perm[i] = int32(k)
	}

	p := &kernels.Program{Loss: -1, Logits: -1, Hyper: -1, Ctl: -1}
	add := func(name string, n int) kernels.BufID {
		p.Buffers = append(p.Buffers, kernels.Buffer{Name: name, Shape: []int{n}, Len: n, View: -1, Offset: p.ArenaLen})
		p.ArenaLen += n + 3 // a gap: nothing may write there
		return kernels.BufID(len(p.Buffers) - 1)
	}
	pos, x, lab := add("pos", 1), add("x", batch*dim), add("labels", batch)
	logits, count := add("logits", batch*classes), add("count", 1)

	be := open(t, DefaultOptions())
	ex, err := be.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	e := ex.(*Executable)
	ds, err := e.UploadDataset(images, labels, dim)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if err := ds.SetPerm(perm); err != nil {
		t.Fatal(err)
	}
	const first = n - 40 // the batch wraps around the end of the permutation
	if err := e.Write(pos, []float32{first}); err != nil {
		t.Fatal(err)
	}
	const mean, std = 0.2860, 0.3530
	g, err := e.GatherLaunch(ds, pos, x, lab, mean, std)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Issue(g); err != nil {
		t.Fatal(err)
	}
	gotX, gotL := make([]float32, batch*dim), make([]float32, batch)
	if err := e.Read(x, gotX); err != nil {
		t.Fatal(err)
	}
	if err := e.Read(lab, gotL); err != nil {
		t.Fatal(err)
	}
	for b := 0; b < batch; b++ {
		k := int(perm[(first+b)%n])
		if gotL[b] != float32(labels[k]) {
			t.Fatalf("label of batch row %d (image %d) = %v, want %d", b, k, gotL[b], labels[k])
		}
		for j := 0; j < dim; j++ {
			want := (float32(images[k*dim+j])/255 - mean) / std
			if got := gotX[b*dim+j]; math.Abs(float64(got-want)) > 1e-6 {
				t.Fatalf("x[%d, %d] (image %d) = %v, want %v", b, j, k, got, want)
			}
		}
	}

	// Correct-count: random logits, labels = argmax for a known subset.
	lg, lb := make([]float32, batch*classes), make([]float32, batch)
	want := 0
	for i := range lg {
		lg[i] = float32(r.NormFloat64())
	}
	for b := range lb {
		arg := 0
		for j := 1; j < classes; j++ {
			if lg[b*classes+j] > lg[b*classes+arg] {
				arg = j
			}
		}
		if b%3 == 0 {
			lb[b] = float32(arg)
			want++
		} else {
			lb[b] = float32((arg + 1 + b%(classes-1)) % classes)
		}
	}
	if err := e.Write(logits, lg); err != nil {
		t.Fatal(err)
	}
	if err := e.Write(lab, lb); err != nil {
		t.Fatal(err)
	}
	if err := e.Write(count, []float32{5}); err != nil {
		t.Fatal(err)
	}
	cc, err := e.CorrectCountLaunch(logits, lab, count, classes)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // accumulates
		if err := e.Issue(cc); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]float32, 1)
	if err := e.Read(count, got); err != nil {
		t.Fatal(err)
	}
	if got[0] != float32(5+2*want) {
		t.Fatalf("count = %v, want 5 + 2·%d", got[0], want)
	}
}

// TestLoadErrors: a malformed instruction is refused at Load, with the
// instruction, op and node in the message.
func TestLoadErrors(t *testing.T) {
	p := &kernels.Program{Loss: -1, Logits: -1, Hyper: -1, Ctl: -1, ArenaLen: 30}
	for i, n := range []int{6, 6, 9} {
		p.Buffers = append(p.Buffers, kernels.Buffer{Name: string(rune('a' + i)), Len: n, View: -1, Offset: 10 * i})
	}
	p.Instrs = []kernels.Instr{{Op: kernels.OpGemm, In: []kernels.BufID{0, 1}, Out: []kernels.BufID{2},
		Args: kernels.GemmArgs{M: 2, N: 3, K: 3, Alpha: 1}, Node: "fc1"}}
	p.Forward = kernels.Segment{Start: 0, End: 1}
	_, err := open(t, DefaultOptions()).Load(p)
	if err == nil {
		t.Fatal("Load accepted a 2×3·3×3 product whose B holds 6 floats")
	}
	for _, s := range []string{"instruction 0", "gemm", "fc1", "(B)", "want 9"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}
