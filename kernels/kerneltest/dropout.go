package kerneltest

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// The dropout family: the mask is bit-exact across backends (the
// counter-based stream of kernels.DropoutArgs), so mask must match exactly
// and y = x·mask within one rounding.

func init() {
	Register(Family{Name: kernels.OpDropout.String(), Cases: dropoutCases, Bench: dropoutBench})
}

func dropoutCase(n int, p float32, seed uint64, training bool, step float32) Case {
	mode := float32(0)
	name := fmt.Sprintf("N=%d,P=%g,seed=%d,step=%g", n, p, seed, step)
	if training {
		mode = 1
	} else {
		name += ",eval"
	}
	return Case{
		Name: name, Op: kernels.OpDropout, Args: kernels.DropoutArgs{N: n, P: p, Seed: seed},
		In:  []Operand{In(n, nil), In(2, Values(mode, step))},
		Out: []Operand{Out(n), Out(n)},
		// y = x·mask is one float32 rounding; the mask itself is 0 or a
		// float32 constant, exact.
		Tol:   Tol{Rtol: 1e-7},
		Bytes: 12 * float64(n),
	}
}

func dropoutCases(short bool) []Case {
	var cs []Case
	for _, n := range []int{1, 7, 1025, 70001} {
		cs = append(cs, dropoutCase(n, 0.5, 1, true, 0), dropoutCase(n, 0.1, 42, true, 7))
	}
	return append(cs,
		dropoutCase(1025, 0, 3, true, 2),
		dropoutCase(1025, 1, 3, true, 2),
		dropoutCase(1025, 0.5, 3, false, 2),
		dropoutCase(70001, 0.5, 3, false, 9),
		dropoutCase(1025, 0.3, 1<<63+12345, true, 100000),
	)
}

func dropoutBench() []Case { return []Case{dropoutCase(128*512, 0.5, 1, true, 3)} }
