package cpu

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// Multi-tensor optimizer updates, in place, in float32 as PyTorch does them
// (OpSGD, OpAdam). One instruction updates every parameter tensor; each
// tensor is split across workers when it is large (a 784×512 weight) and
// run inline when small (a bias). Hyper-parameters that change during
// training (lr, the step count) are read from the hyper buffer at run time.

// optTensors cuts the groups of k tensors (p.., g.., state..) out of the
// inputs; group j of tensor i is In[j·k + i] (kernels.Operands has checked
// that it holds Sizes[i] floats), and the hyper buffer follows. It checks
// that no two of them overlap, since each is updated in place.
func optTensors(o operands, sizes []int, groups int) ([][][]float32, []float32, error) {
	k := len(sizes)
	t := make([][][]float32, groups)
	var all [][]float32
	for j := range t {
		t[j] = make([][]float32, k)
		for i := range sizes {
			t[j][i] = o.input(j*k + i)
			all = append(all, t[j][i])
		}
	}
	hyper := o.input(groups * k)
	all = append(all, hyper)
	for a := range all {
		for b := a + 1; b < len(all); b++ {
			if overlaps(all[a], all[b]) {
				return nil, nil, fmt.Errorf("operands %d and %d overlap; every tensor is updated in place", a, b)
			}
		}
	}
	return t, hyper, nil
}

// OpSGD (see kernels.SGDArgs), per element with lr = hyper[0]:
//
//	g' = g + wd·p
//	v  = mom·v + g'            (v = g' when mom = 0)
//	p -= lr·(g' + mom·v)       Nesterov
//	p -= lr·v                  classic
//
// PyTorch starts v as a copy of g' on the first step; with v = 0 initially
// mom·0 + g' is the same value, so the buffers simply start at zero.
func bindSGD(o operands, a kernels.SGDArgs) (step, error) {
	t, hyper, err := optTensors(o, a.Sizes, 3)
	if err != nil {
		return nil, err
	}
	mom, wd, nesterov := a.Momentum, a.WeightDecay, a.Nesterov
	var lr float32
	bodies := make([]func(lo, hi int), len(a.Sizes))
	for i := range bodies {
		p, g, v := t[0][i], t[1][i], t[2][i]
		bodies[i] = func(lo, hi int) {
			p, g, v := p[lo:hi], g[lo:hi], v[lo:hi]
			done := sgdVec(p, g, v, wd, mom, lr, nesterov)
			sgdScalar(p[done:], g[done:], v[done:], wd, mom, lr, nesterov)
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

// sgdScalar is OpSGD's update of one range, the reference of sgdVec, which
// does the bulk of each range on the vector paths (the mlp's update, 670 k
// parameters at batch 128: 2.4–3.9 ms a step with this loop, 0.43–0.58 ms
// so; profile, AVX2, 2 cores, load 1.9).
func sgdScalar(p, g, v []float32, wd, mom, lr float32, nesterov bool) {
	g, v = g[:len(p)], v[:len(p)]
	for j := range p {
		gj := g[j]
		if wd != 0 {
			gj += wd * p[j]
		}
		vj := gj
		if mom != 0 {
			vj = mom*v[j] + gj
		}
		v[j] = vj
		if nesterov {
			p[j] -= lr * (gj + mom*vj)
		} else {
			p[j] -= lr * vj
		}
	}
}

// OpAdam (see kernels.AdamArgs), per element with lr = hyper[0] and the
// 1-based step t = hyper[1]; weight decay is L2 added to the gradient, as
// PyTorch's Adam (not AdamW):
//
//	g' = g + wd·p
//	m  = β1·m + (1−β1)·g';   v = β2·v + (1−β2)·g'²
//	p -= (lr/(1−β1^t)) · m / (sqrt(v)/sqrt(1−β2^t) + ε)
//
// which is the documented formula rearranged the way PyTorch evaluates it.
func bindAdam(o operands, a kernels.AdamArgs) (step, error) {
	t, hyper, err := optTensors(o, a.Sizes, 4)
	if err != nil {
		return nil, err
	}
	b1, b2, eps, wd := a.Beta1, a.Beta2, a.Eps, a.WeightDecay
	var stepSize, invSqrtBc2 float32
	bodies := make([]func(lo, hi int), len(a.Sizes))
	for i := range bodies {
		p, g, m, v := t[0][i], t[1][i], t[2][i], t[3][i]
		bodies[i] = func(lo, hi int) {
			p, g, m, v := p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]
			for j := range p {
				gj := g[j]
				if wd != 0 {
					gj += wd * p[j]
				}
				mj := b1*m[j] + (1-b1)*gj
				vj := b2*v[j] + (1-b2)*gj*gj
				m[j], v[j] = mj, vj
				denom := float32(math.Sqrt(float64(vj)))*invSqrtBc2 + eps
				p[j] -= stepSize * mj / denom
			}
		}
	}
	return func() error {
		lr, step := float64(hyper[0]), float64(hyper[1])
		if step < 1 || step != math.Floor(step) {
			return fmt.Errorf("Adam step count hyper[1] = %v, want an integer ≥ 1", hyper[1])
		}
		bc1 := 1 - math.Pow(float64(b1), step)
		bc2 := 1 - math.Pow(float64(b2), step)
		stepSize = float32(lr / bc1)
		invSqrtBc2 = float32(1 / math.Sqrt(bc2))
		for i, body := range bodies {
			parallelFor(len(t[0][i]), elemGrain, body)
		}
		return nil
	}, nil
}
