package kerneltest

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// The optimizer families: sgd (classic and Nesterov momentum, weight
// decay, momentum 0) and adam (first and a later step, weight decay), over
// several tensors of odd sizes in one instruction, updated in place.

// tolOptim: a handful of float32 operations per element on values of
// order 1 (p) and lr·O(1) updates: a few ulp relative plus a floor.
var tolOptim = Tol{Atol: 1e-6, Rtol: 1e-6}

var optSizes = []int{7, 1, 1025, 70001}

// mlpSizes are the parameter tensors of the canonical mlp.
var mlpSizes = []int{512 * 784, 512, 512 * 512, 512, 10 * 512, 10}

func init() {
	Register(Family{Name: kernels.OpSGD.String(), Cases: sgdCases, Bench: sgdBench})
	Register(Family{Name: kernels.OpAdam.String(), Cases: adamCases, Bench: adamBench})
}

func total(sizes []int) int {
	n := 0
	for _, s := range sizes {
		n += s
	}
	return n
}

func sgdCase(sizes []int, mom, wd float32, nesterov bool, lr float32) Case {
	k := len(sizes)
	c := Case{
		Name: fmt.Sprintf("tensors=%d,momentum=%g,wd=%g,lr=%g", k, mom, wd, lr), Op: kernels.OpSGD,
		Args: kernels.SGDArgs{Sizes: sizes, Momentum: mom, WeightDecay: wd, Nesterov: nesterov},
		Tol:  tolOptim, Bytes: 20 * float64(total(sizes)),
	}
	if nesterov {
		c.Name += ",nesterov"
	}
	for g := 0; g < 3; g++ { // p, g, v
		for _, n := range sizes {
			c.In = append(c.In, In(n, Normal(1)))
		}
	}
	c.In = append(c.In, In(2, Values(lr, 5)))
	for i := 0; i < k; i++ {
		c.InPlace = append(c.InPlace, i, 2*k+i)
	}
	return c
}

func sgdCases(short bool) []Case {
	return []Case{
		sgdCase(optSizes, 0.9, 0, false, 0.05),
		sgdCase(optSizes, 0.9, 5e-4, true, 0.02),
		sgdCase(optSizes, 0, 0, false, 0.1),
		sgdCase(optSizes, 0, 1e-2, false, 0.1),
		sgdCase([]int{3}, 0.5, 0, true, 1),
	}
}

func sgdBench() []Case { return []Case{sgdCase(mlpSizes, 0.9, 0, false, 0.05)} }

func adamCase(sizes []int, wd float32, lr float32, step float32) Case {
	k := len(sizes)
	c := Case{
		Name: fmt.Sprintf("tensors=%d,wd=%g,lr=%g,t=%g", k, wd, lr, step), Op: kernels.OpAdam,
		Args: kernels.AdamArgs{Sizes: sizes, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: wd},
		Tol:  tolOptim, Bytes: 28 * float64(total(sizes)),
	}
	fills := []Fill{Normal(1), Normal(1), Normal(0.1), Uniform(0, 0.01)} // p, g, m, v ≥ 0
	for _, f := range fills {
		for _, n := range sizes {
			c.In = append(c.In, In(n, f))
		}
	}
	c.In = append(c.In, In(2, Values(lr, step)))
	for i := 0; i < k; i++ {
		c.InPlace = append(c.InPlace, i, 2*k+i, 3*k+i)
	}
	return c
}

func adamCases(short bool) []Case {
	return []Case{
		adamCase(optSizes, 0, 1e-3, 1),
		adamCase(optSizes, 0, 1e-3, 10),
		adamCase(optSizes, 1e-2, 3e-4, 1000),
	}
}

func adamBench() []Case { return []Case{adamCase(mlpSizes, 0, 1e-3, 10)} }
