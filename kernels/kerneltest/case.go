package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/gaborlab/gabor/kernels"
)

// Case is one instruction to check (or time): an op, its arguments, and how
// to make its operands.
type Case struct {
	// Name lists the parameters, "M=7,N=33,K=1,tA"; it is the subtest name.
	Name string
	Op   kernels.Op
	Args any
	// In and Out are the operands in the order of the op's table (see
	// kernels.Op). An In operand's Fill makes its data (nil: standard
	// normal); an Out operand's Fill makes its prior contents (nil: NaN, so
	// a kernel that reads its output or leaves an element unwritten fails).
	In, Out []Operand
	// Prior: the op reads its outputs (Beta ≠ 0): their prior contents are
	// passed to the reference after the inputs.
	Prior bool
	// InPlace lists the In operands the op updates (OpSGD, OpAdam); they are
	// compared with the reference's updated inputs. Every other input must
	// come back bit for bit.
	InPlace []int
	// Alias maps an Out index to the In index whose buffer it reuses (an
	// in-place kernel: relu over its own input).
	Alias map[int]int
	// Tol bounds the error of every output.
	Tol Tol
	// FLOPs and Bytes are the work of one run, for benchmarks: GFLOP/s is
	// reported when FLOPs > 0, else GB/s from Bytes (data read + written).
	FLOPs, Bytes float64
}

// Operand is one buffer of a Case. Type is its element type (F32 unless
// set); the Fill makes float32 values, which a U8, I32 or F64 operand holds
// converted (exactly, when they are whole numbers in its range).
type Operand struct {
	Len  int
	Fill Fill
	Type kernels.DType
}

// Fill writes an operand's data, drawing from r.
type Fill func(r *rand.Rand, dst []float32)

// Tol is the accepted error of a float32 result against the float64
// reference: |got − want| ≤ Atol + Rtol·|want|. A NaN (or ±Inf) want needs
// the same got.
type Tol struct{ Atol, Rtol float64 }

func (t Tol) ok(g, want float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(g)
	case math.IsInf(want, 0):
		return g == want
	}
	return math.Abs(g-want) <= t.Atol+t.Rtol*math.Abs(want)
}

// excess is how far beyond the tolerance got is, as a multiple of it (for
// finding the worst element).
func (t Tol) excess(got, want float64) float64 {
	if t.ok(got, want) {
		return 0
	}
	d := math.Abs(got - want)
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return math.Inf(1)
	}
	return d / (t.Atol + t.Rtol*math.Abs(want) + 1e-300)
}

// Family is one kernel family: the cases the conformance suite checks and
// the shapes the benchmarks time.
type Family struct {
	Name string // the op's name, "gemm", "conv2d_bwd_data"
	// Cases returns the conformance cases; short asks for fewer or smaller
	// ones (go test -short), never for weaker checks.
	Cases func(short bool) []Case
	// Bench returns realistic shapes (the canonical models at batch 128),
	// with FLOPs or Bytes set. May be nil.
	Bench func() []Case
}

var (
	famMu    sync.Mutex
	families = map[string]Family{}
)

// Register adds a family to the suite; each family's file calls it from an
// init. It panics on a duplicate name.
func Register(f Family) {
	famMu.Lock()
	defer famMu.Unlock()
	if _, dup := families[f.Name]; dup {
		panic("kerneltest: family registered twice: " + f.Name)
	}
	families[f.Name] = f
}

// Families returns the registered families sorted by name.
func Families() []Family {
	famMu.Lock()
	defer famMu.Unlock()
	out := make([]Family, 0, len(families))
	for _, f := range families {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ---- fills ----

// Normal fills with N(0, std²).
func Normal(std float64) Fill {
	return func(r *rand.Rand, dst []float32) {
		for i := range dst {
			dst[i] = float32(r.NormFloat64() * std)
		}
	}
}

// Uniform fills with U[lo, hi).
func Uniform(lo, hi float64) Fill {
	return func(r *rand.Rand, dst []float32) {
		for i := range dst {
			dst[i] = float32(lo + (hi-lo)*r.Float64())
		}
	}
}

// Labels fills with class indices in [0, d), stored as float32.
func Labels(d int) Fill {
	return func(r *rand.Rand, dst []float32) {
		for i := range dst {
			dst[i] = float32(r.IntN(d))
		}
	}
}

// Values fills with exactly v (dst must have len(v) elements): control and
// hyper-parameter buffers.
func Values(v ...float32) Fill {
	return func(_ *rand.Rand, dst []float32) {
		if len(dst) != len(v) {
			panic(fmt.Sprintf("kerneltest.Values: %d values for an operand of %d", len(v), len(dst)))
		}
		copy(dst, v)
	}
}

// Map fills with f applied to the values of another fill (for example the
// output range of an activation).
func Map(base Fill, f func(float32) float32) Fill {
	return func(r *rand.Rand, dst []float32) {
		base(r, dst)
		for i, v := range dst {
			dst[i] = f(v)
		}
	}
}

// In is an input operand of n elements filled by f.
func In(n int, f Fill) Operand { return Operand{Len: n, Fill: f} }

// Out is an output operand of n elements, NaN before the kernel runs.
func Out(n int) Operand { return Operand{Len: n} }
