package graph

import (
	"slices"

	"github.com/gaborlab/gabor/kernels"
)

// emitAdaptive appends the fused Adagrad or RMSprop update (kernels.OpAdagrad,
// kernels.OpRMSprop) over all parameters, with one state tensor each: the
// running sum of squared gradients ("optim.sum.<param>") or their moving
// average ("optim.square_avg.<param>"), PyTorch's names for them. Defaults
// are PyTorch's: ε = 1e-10 for Adagrad, ε = 1e-8 and α = 0.99 for RMSprop.
func (c *compiler) emitAdaptive(o *Optimizer, sizes []int, values, grads []kernels.BufID, state func(string) []kernels.BufID) error {
	hyper := []kernels.BufID{c.e.prog.Hyper}
	eps := o.Eps
	if o.Kind == "adagrad" {
		if eps == 0 {
			eps = 1e-10
		}
		in := slices.Concat(values, grads, state("sum"), hyper)
		c.e.Emit(kernels.OpAdagrad, in, nil, kernels.AdagradArgs{Sizes: sizes, Eps: eps, WeightDecay: o.WeightDecay})
		return nil
	}
	if eps == 0 {
		eps = 1e-8
	}
	alpha := o.Alpha
	if alpha == 0 {
		alpha = 0.99
	}
	if !(alpha > 0 && alpha < 1) {
		return c.fail(nil, "rmsprop alpha %v must be in (0, 1)", alpha)
	}
	in := slices.Concat(values, grads, state("square_avg"), hyper)
	c.e.Emit(kernels.OpRMSprop, in, nil, kernels.RMSpropArgs{Sizes: sizes, Alpha: alpha, Eps: eps, WeightDecay: o.WeightDecay})
	return nil
}
