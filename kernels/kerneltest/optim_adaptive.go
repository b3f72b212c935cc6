package kerneltest

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// The adaptive optimizer families: adagrad and rmsprop, from zero state (the
// first step, where the update is about ±lr, or ±lr/sqrt(1−α) for RMSprop)
// and from a state some steps on, with and without weight decay, over
// several tensors of odd sizes in one instruction, updated in place.

func init() {
	Register(Family{Name: kernels.OpAdagrad.String(), Cases: adagradCases, Bench: adagradBench})
	Register(Family{Name: kernels.OpRMSprop.String(), Cases: rmspropCases, Bench: rmspropBench})
}

// zeros fills with 0: optimizer state before the first step.
var zeros = Map(Normal(1), func(float32) float32 { return 0 })

// adaptiveCase is p, g, state, hyper [lr] over sizes; state is filled by
// state (≥ 0: a sum or mean of squares).
func adaptiveCase(op kernels.Op, args kernels.Args, name string, sizes []int, state Fill, lr float32) Case {
	k := len(sizes)
	c := Case{Name: name, Op: op, Args: args, Tol: tolOptim, Bytes: 20 * float64(total(sizes))}
	for _, f := range []Fill{Normal(1), Normal(1), state} {
		for _, n := range sizes {
			c.In = append(c.In, In(n, f))
		}
	}
	c.In = append(c.In, In(2, Values(lr, 1)))
	for i := 0; i < k; i++ {
		c.InPlace = append(c.InPlace, i, 2*k+i)
	}
	return c
}

func adagradCase(sizes []int, wd, lr float32, state Fill, stateName string) Case {
	name := fmt.Sprintf("tensors=%d,wd=%g,lr=%g,state=%s", len(sizes), wd, lr, stateName)
	return adaptiveCase(kernels.OpAdagrad, kernels.AdagradArgs{Sizes: sizes, Eps: 1e-10, WeightDecay: wd}, name, sizes, state, lr)
}

func adagradCases(short bool) []Case {
	return []Case{
		adagradCase(optSizes, 0, 0.01, zeros, "zero"),
		adagradCase(optSizes, 0, 0.1, Uniform(0.5, 5), "later"),
		adagradCase(optSizes, 1e-2, 0.05, Uniform(0, 2), "later"),
	}
}

func adagradBench() []Case { return []Case{adagradCase(mlpSizes, 0, 0.01, Uniform(0, 1), "later")} }

func rmspropCase(sizes []int, alpha, wd, lr float32, state Fill, stateName string) Case {
	name := fmt.Sprintf("tensors=%d,alpha=%g,wd=%g,lr=%g,state=%s", len(sizes), alpha, wd, lr, stateName)
	return adaptiveCase(kernels.OpRMSprop, kernels.RMSpropArgs{Sizes: sizes, Alpha: alpha, Eps: 1e-8, WeightDecay: wd}, name, sizes, state, lr)
}

func rmspropCases(short bool) []Case {
	return []Case{
		rmspropCase(optSizes, 0.99, 0, 0.01, zeros, "zero"),
		rmspropCase(optSizes, 0.9, 0, 1e-3, Uniform(0.01, 1), "later"),
		rmspropCase(optSizes, 0.99, 1e-2, 1e-3, Uniform(0, 0.5), "later"),
		rmspropCase([]int{3}, 0, 0, 1, Uniform(0, 1), "later"),
	}
}

func rmspropBench() []Case {
	return []Case{rmspropCase(mlpSizes, 0.99, 0, 1e-3, Uniform(0, 1), "later")}
}
