package cpu

import (
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// References of OpAdagrad and OpRMSprop in float64: inputs are p.., g..,
// the state tensors, then hyper [lr]; p and the state are updated in place.

// refAdagrad: g' = g + wd·p; sum += g'²; p −= lr·g'/(sqrt(sum) + ε).
func refAdagrad(_ kernels.Instr, a kernels.AdagradArgs, inputs [][]float64) ([][]float64, error) {
	if err := refOptInputs(inputs, a.Sizes, 3, "pgs", 1); err != nil {
		return nil, err
	}
	k := len(a.Sizes)
	lr, eps, wd := inputs[3*k][0], float64(a.Eps), float64(a.WeightDecay)
	for t := 0; t < k; t++ {
		p, g, s := inputs[t], inputs[k+t], inputs[2*k+t]
		for i := range p {
			gi := g[i] + wd*p[i]
			s[i] += gi * gi
			p[i] -= lr * gi / (math.Sqrt(s[i]) + eps)
		}
	}
	return nil, nil
}

// refRMSprop: g' = g + wd·p; sq = α·sq + (1−α)·g'²; p −= lr·g'/(sqrt(sq) + ε).
func refRMSprop(_ kernels.Instr, a kernels.RMSpropArgs, inputs [][]float64) ([][]float64, error) {
	if err := refOptInputs(inputs, a.Sizes, 3, "pgs", 1); err != nil {
		return nil, err
	}
	k := len(a.Sizes)
	lr, alpha, eps, wd := inputs[3*k][0], float64(a.Alpha), float64(a.Eps), float64(a.WeightDecay)
	for t := 0; t < k; t++ {
		p, g, s := inputs[t], inputs[k+t], inputs[2*k+t]
		for i := range p {
			gi := g[i] + wd*p[i]
			s[i] = alpha*s[i] + (1-alpha)*gi*gi
			p[i] -= lr * gi / (math.Sqrt(s[i]) + eps)
		}
	}
	return nil, nil
}
