package kerneltest

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// The softmax families: softmax (and log-softmax), softmax_xent (loss with
// and without probs), softmax_xent_bwd (with and without dloss, in place).
// Logits are N(0, 5²) (with a case at ±100, where an unshifted exp would
// overflow float32); 4000 rows cross the CPU's parallel split.

// tolSoftmax: the reference and a float64-internal kernel differ only by
// the final float32 rounding (Rtol); a float32-internal kernel adds a few
// ulp of the values ≤ 1 (Atol).
var tolSoftmax = Tol{Atol: 1e-6, Rtol: 1e-5}

var softmaxShapes = [][2]int{{1, 1}, {1, 10}, {128, 10}, {7, 1025}, {4000, 10}}

func init() {
	Register(Family{Name: kernels.OpSoftmax.String(), Cases: softmaxCases, Bench: softmaxBench})
	Register(Family{Name: kernels.OpSoftmaxXent.String(), Cases: xentCases, Bench: xentBench})
	Register(Family{Name: kernels.OpSoftmaxXentBwd.String(), Cases: xentBwdCases, Bench: xentBwdBench})
}

func softmaxCase(rows, d int, log bool, std float64) Case {
	name := fmt.Sprintf("Rows=%d,D=%d", rows, d)
	if log {
		name += ",log"
	}
	if std != 5 {
		name += fmt.Sprintf(",std=%g", std)
	}
	return Case{
		Name: name, Op: kernels.OpSoftmax, Args: kernels.SoftmaxArgs{Rows: rows, D: d, Log: log},
		In: []Operand{In(rows*d, Normal(std))}, Out: []Operand{Out(rows * d)}, Tol: tolSoftmax,
		Bytes: 8 * float64(rows*d),
	}
}

func softmaxCases(short bool) []Case {
	var cs []Case
	for _, s := range softmaxShapes {
		cs = append(cs, softmaxCase(s[0], s[1], false, 5), softmaxCase(s[0], s[1], true, 5))
	}
	return append(cs, softmaxCase(16, 10, false, 100), softmaxCase(16, 10, true, 100))
}

func softmaxBench() []Case { return []Case{softmaxCase(128, 10, false, 5)} }

func xentCase(n, d int, probs bool, std float64) Case {
	c := Case{
		Name: fmt.Sprintf("N=%d,D=%d", n, d), Op: kernels.OpSoftmaxXent, Args: kernels.XentArgs{N: n, D: d},
		In:  []Operand{In(n*d, Normal(std)), In(n, Labels(d))},
		Out: []Operand{Out(1)}, Tol: tolSoftmax, Bytes: 4 * float64(n*d+n+1),
	}
	if probs {
		c.Out = append(c.Out, Out(n*d))
		c.Bytes += 4 * float64(n*d)
	} else {
		c.Name += ",loss-only"
	}
	if std != 5 {
		c.Name += fmt.Sprintf(",std=%g", std)
	}
	return c
}

func xentCases(short bool) []Case {
	var cs []Case
	for _, s := range softmaxShapes {
		cs = append(cs, xentCase(s[0], s[1], true, 5))
	}
	return append(cs, xentCase(128, 10, false, 5), xentCase(16, 10, true, 100))
}

func xentBench() []Case { return []Case{xentCase(128, 10, true, 5)} }

func xentBwdCase(n, d int, dloss, alias bool) Case {
	c := Case{
		Name: fmt.Sprintf("N=%d,D=%d", n, d), Op: kernels.OpSoftmaxXentBwd, Args: kernels.XentArgs{N: n, D: d},
		In:  []Operand{In(n*d, Uniform(0, 1)), In(n, Labels(d))},
		Out: []Operand{Out(n * d)}, Tol: tolSoftmax, Bytes: 4 * float64(2*n*d+n),
	}
	if dloss {
		c.Name += ",dloss"
		c.In = append(c.In, In(1, Values(2.5)))
	}
	if alias {
		c.Name += ",inplace"
		c.Alias = map[int]int{0: 0}
	}
	return c
}

func xentBwdCases(short bool) []Case {
	var cs []Case
	for _, s := range softmaxShapes {
		cs = append(cs, xentBwdCase(s[0], s[1], false, false), xentBwdCase(s[0], s[1], true, false))
	}
	return append(cs, xentBwdCase(128, 10, true, true), xentBwdCase(4000, 10, false, true))
}

func xentBwdBench() []Case { return []Case{xentBwdCase(128, 10, false, false)} }
