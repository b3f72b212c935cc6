package cpu

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// References of the optimizer updates. inputs are p0..pk−1, g0..gk−1, the
// state tensors, then hyper; p and the state are updated in place.

func refOptInputs(inputs [][]float64, sizes []int, groups int, names string, hyperMin int) error {
	k := len(sizes)
	if len(inputs) != groups*k+1 {
		return fmt.Errorf("got %d inputs, want %d (%s for %d tensors, then hyper)", len(inputs), groups*k+1, names, k)
	}
	for j := 0; j < groups; j++ {
		for i, n := range sizes {
			if got := len(inputs[j*k+i]); got != n {
				return fmt.Errorf("%c%d has %d values, want %d", names[j], i, got, n)
			}
		}
	}
	if h := len(inputs[groups*k]); h < hyperMin {
		return fmt.Errorf("hyper has %d values, want ≥ %d", h, hyperMin)
	}
	return nil
}

// refSGD: g' = g + wd·p; v = mom·v + g'; p −= lr·(g' + mom·v) (Nesterov) or
// p −= lr·v, with lr = hyper[0].
func refSGD(_ kernels.Instr, a kernels.SGDArgs, inputs [][]float64) ([][]float64, error) {
	if err := refOptInputs(inputs, a.Sizes, 3, "pgv", 1); err != nil {
		return nil, err
	}
	k := len(a.Sizes)
	lr, mom, wd := inputs[3*k][0], float64(a.Momentum), float64(a.WeightDecay)
	for t := 0; t < k; t++ {
		p, g, v := inputs[t], inputs[k+t], inputs[2*k+t]
		for i := range p {
			gi := g[i] + wd*p[i]
			if mom == 0 { // v holds g' (not 0·v + g', which would keep a NaN)
				v[i] = gi
			} else {
				v[i] = mom*v[i] + gi
			}
			if a.Nesterov {
				p[i] -= lr * (gi + mom*v[i])
			} else {
				p[i] -= lr * v[i]
			}
		}
	}
	return nil, nil
}

// refAdam: g' = g + wd·p; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'²;
// p −= lr·(m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + ε), lr = hyper[0], t = hyper[1] ≥ 1.
func refAdam(_ kernels.Instr, a kernels.AdamArgs, inputs [][]float64) ([][]float64, error) {
	if err := refOptInputs(inputs, a.Sizes, 4, "pgmv", 2); err != nil {
		return nil, err
	}
	k := len(a.Sizes)
	lr, t := inputs[4*k][0], inputs[4*k][1]
	if t < 1 || t != math.Floor(t) {
		return nil, fmt.Errorf("step count hyper[1] = %v, want an integer ≥ 1", t)
	}
	b1, b2, eps, wd := float64(a.Beta1), float64(a.Beta2), float64(a.Eps), float64(a.WeightDecay)
	bc1, bc2 := 1-math.Pow(b1, t), 1-math.Pow(b2, t)
	for j := 0; j < k; j++ {
		p, g, m, v := inputs[j], inputs[k+j], inputs[2*k+j], inputs[3*k+j]
		for i := range p {
			gi := g[i] + wd*p[i]
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			p[i] -= lr * (m[i] / bc1) / (math.Sqrt(v[i]/bc2) + eps)
		}
	}
	return nil, nil
}
