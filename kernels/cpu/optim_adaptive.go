package cpu

import (
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// The adaptive optimizer updates OpAdagrad and OpRMSprop, in place, in
// float32 in the order of kernels/ops.go (PyTorch's): one instruction over
// every parameter tensor, split across workers as optim.go's, lr read from
// hyper[0] at run time. Each keeps one state tensor per parameter: Adagrad
// the running sum of squared gradients, RMSprop their moving average.

// adaptive binds an update whose state s evolves by next(s, g) and whose
// step is lr·g/(sqrt(s) + eps).
func adaptive(o operands, sizes []int, wd, eps float32, next func(s, g float32) float32) (step, error) {
	t, hyper, err := optTensors(o, sizes, 3)
	if err != nil {
		return nil, err
	}
	var lr float32
	bodies := make([]func(lo, hi int), len(sizes))
	for i := range bodies {
		p, g, s := t[0][i], t[1][i], t[2][i]
		bodies[i] = func(lo, hi int) {
			p, g, s := p[lo:hi], g[lo:hi], s[lo:hi]
			for j := range p {
				gj := g[j]
				if wd != 0 {
					gj += wd * p[j]
				}
				sj := next(s[j], gj)
				s[j] = sj
				p[j] -= lr * gj / (float32(math.Sqrt(float64(sj))) + eps)
			}
		}
	}
	return func() error {
		lr = hyper[0]
		for i, body := range bodies {
			parallelFor(len(t[0][i]), elemGrain, body)
		}
		return nil
	}, nil
}

// OpAdagrad (see kernels.AdagradArgs): sum += g'²; p −= lr·g'/(sqrt(sum) + ε).
func bindAdagrad(o operands, a kernels.AdagradArgs) (step, error) {
	return adaptive(o, a.Sizes, a.WeightDecay, a.Eps, func(s, g float32) float32 { return s + g*g })
}

// OpRMSprop (see kernels.RMSpropArgs): sq = α·sq + (1−α)·g'²;
// p −= lr·g'/(sqrt(sq) + ε).
func bindRMSprop(o operands, a kernels.RMSpropArgs) (step, error) {
	alpha := a.Alpha
	return adaptive(o, a.Sizes, a.WeightDecay, a.Eps, func(s, g float32) float32 { return alpha*s + (1-alpha)*g*g })
}
