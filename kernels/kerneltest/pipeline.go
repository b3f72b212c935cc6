package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gaborlab/gabor/kernels"
)

// The input pipeline's families (kernels/pipeline.go): the parity of a
// step the device runs on its own with the step a host would feed. Gather
// is exact for float data and one rounding for normalized pixels; the step
// bookkeeping is exact; scoring sums float64 terms, which a device may add
// in another order.

func init() {
	Register(Family{Name: kernels.OpGather.String(), Cases: gatherCases, Bench: gatherBench})
	Register(Family{Name: kernels.OpStepBegin.String(), Cases: stepBeginCases})
	Register(Family{Name: kernels.OpStepEnd.String(), Cases: stepEndCases})
	Register(Family{Name: kernels.OpEvalScore.String(), Cases: evalScoreCases})
}

// Ints fills with whole numbers in [lo, hi).
func Ints(lo, hi int) Fill {
	return func(r *rand.Rand, dst []float32) {
		for i := range dst {
			dst[i] = float32(lo + r.IntN(hi-lo))
		}
	}
}

// Perm fills with a random permutation of [0, len(dst)).
func Perm() Fill {
	return func(r *rand.Rand, dst []float32) {
		for i, k := range r.Perm(len(dst)) {
			dst[i] = float32(k)
		}
	}
}

// State is a pipeline state: k, the run's step, and the sums so far
// (sum, n, last, bad, badLoss, correct).
func State(k, step int, sums ...float32) Fill {
	v := make([]float32, kernels.StateLen)
	v[kernels.StK], v[kernels.StStep], v[kernels.StBad] = float32(k), float32(step), -1
	copy(v[kernels.StSum:], sums)
	return Values(v...)
}

func stateOut(f Fill) Operand { return Operand{Len: kernels.StateLen, Fill: f, Type: kernels.F64} }

func gatherCase(b, d, n, t, oneHot, k int, x, y kernels.DType) Case {
	a := kernels.GatherArgs{B: b, D: d, N: n, T: t, OneHot: oneHot, Mean: 0.2860, Std: 0.3530, X: x, Y: y}
	xs := Operand{Len: n * d, Fill: Ints(0, 256), Type: x}
	if x == kernels.F32 {
		xs = In(n*d, nil)
	}
	ys := Operand{Len: n * t, Fill: Ints(0, 10), Type: y}
	if y == kernels.F32 {
		ys = In(n*t, nil)
	}
	yw := b * t
	if oneHot > 0 {
		yw = b * oneHot
	}
	return Case{
		Name: fmt.Sprintf("B=%d,D=%d,N=%d,T=%d,onehot=%d,k=%d,%s,%s", b, d, n, t, oneHot, k, x, y),
		Op:   kernels.OpGather, Args: a,
		In:  []Operand{xs, ys, {Len: n, Fill: Perm(), Type: kernels.I32}, {Len: kernels.StateLen, Fill: State(k, 5), Type: kernels.F64}},
		Out: []Operand{Out(b * d), Out(yw)},
		// (v/255 − mean)/std in float32 is three roundings of a value ≤ 3.
		Tol:   Tol{Atol: 1e-6, Rtol: 1e-6},
		Bytes: float64(b * (d + 4*d + 4*t)),
	}
}

func gatherCases(short bool) []Case {
	u8, f32 := kernels.U8, kernels.F32
	cs := []Case{
		gatherCase(1, 1, 1, 1, 0, 0, u8, u8),
		gatherCase(7, 33, 50, 1, 0, 3, u8, u8),
		gatherCase(7, 33, 50, 1, 0, 7, u8, u8), // rows 49, 0, 1, …: the permutation wraps
		gatherCase(7, 33, 50, 1, 10, 2, u8, u8),
		gatherCase(5, 2, 64, 1, 0, 4, f32, u8),  // 2-D points
		gatherCase(9, 3, 40, 2, 0, 1, f32, f32), // regression rows
	}
	if !short {
		cs = append(cs, gatherCase(128, 784, 1000, 1, 0, 6, u8, u8)) // the split over workers
	}
	return cs
}

func gatherBench() []Case {
	return []Case{gatherCase(128, 784, 60000, 1, 0, 17, kernels.U8, kernels.U8)}
}

func stepBeginCase(steps, k, step int, hyper, ctl bool) Case {
	var out []Operand
	if hyper {
		out = append(out, Out(2))
	}
	if ctl {
		out = append(out, Out(2))
	}
	return Case{
		Name: fmt.Sprintf("steps=%d,k=%d,step=%d,hyper=%v,ctl=%v", steps, k, step, hyper, ctl),
		Op:   kernels.OpStepBegin, Args: kernels.StepBeginArgs{Steps: steps, Hyper: hyper, Ctl: ctl},
		In:  []Operand{In(steps, Uniform(0, 0.1)), {Len: kernels.StateLen, Fill: State(k, step), Type: kernels.F64}},
		Out: out,
	}
}

func stepBeginCases(bool) []Case {
	return []Case{
		stepBeginCase(1, 0, 0, true, true),
		stepBeginCase(468, 467, 1403, true, true),
		stepBeginCase(5, 3, 41, true, false),
		stepBeginCase(5, 2, 7, false, true),
	}
}

func stepEndCase(name string, steps, every int, loss float32, prior Fill) Case {
	return Case{
		Name: name, Op: kernels.OpStepEnd, Args: kernels.StepEndArgs{Steps: steps, Every: every},
		In:  []Operand{In(1, Values(loss))},
		Out: []Operand{stateOut(prior)}, Prior: true,
	}
}

func stepEndCases(bool) []Case {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	return []Case{
		stepEndCase("sampled", 10, 3, 0.625, State(2, 12, 1.5, 2, 0.75)),
		stepEndCase("not-sampled", 10, 3, 0.625, State(3, 13, 1.5, 2, 0.75)),
		stepEndCase("last-of-epoch", 10, 3, 0.5, State(9, 19, 1.5, 3, 0.75)),
		stepEndCase("every-step", 1, 1, 2.25, State(0, 0)),
		stepEndCase("first-nan", 10, 1, nan, State(4, 14, 1.5, 4, 0.75)),
		stepEndCase("inf-after-nan", 10, 1, inf, State(5, 15, 1.5, 5, 0.75, 11, nan)),
	}
}

func evalScoreCase(b, c, n, k int, mse bool) Case {
	a := kernels.EvalScoreArgs{B: b, C: c, N: n, MSE: mse, Y: kernels.U8}
	ys := Operand{Len: n, Fill: Ints(0, c), Type: kernels.U8}
	if mse {
		a.Y, ys = kernels.F32, In(n*c, nil)
	}
	return Case{
		Name: fmt.Sprintf("B=%d,C=%d,N=%d,k=%d,mse=%v", b, c, n, k, mse),
		Op:   kernels.OpEvalScore, Args: a,
		In:  []Operand{In(b*c, Normal(2)), ys},
		Out: []Operand{stateOut(State(k, 0, 3.5, 0, 0, 0, 0, 4))}, Prior: true,
		// float64 sums of float64 terms; a device may add them in another order.
		Tol: Tol{Atol: 1e-9, Rtol: 1e-12},
	}
}

func evalScoreCases(bool) []Case {
	return []Case{
		evalScoreCase(1, 1, 1, 0, false),
		evalScoreCase(7, 10, 20, 1, false),
		evalScoreCase(7, 10, 20, 2, false), // the last batch: 6 valid rows
		evalScoreCase(128, 10, 1000, 7, false),
		evalScoreCase(5, 3, 12, 2, true),
	}
}
