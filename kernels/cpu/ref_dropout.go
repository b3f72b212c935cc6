package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// refDropout: with ctl = [training, step], in training mask[i] =
// 1/(1−P) (in float32) when u_i ≥ P else 0, and y = x·mask; in evaluation
// y = x, mask = 1. u_i is the counter-based draw of dropout.go; the
// reference shares those bits because they are the spec, not a kernel.
func refDropout(_ kernels.Instr, a kernels.DropoutArgs, inputs [][]float64) ([][]float64, error) {
	if err := refWant(inputs, []string{"x", "ctl"}, a.N, 2); err != nil {
		return nil, err
	}
	if !(a.P >= 0 && a.P <= 1) {
		return nil, fmt.Errorf("drop probability P=%v outside [0, 1]", a.P)
	}
	x, ctl := inputs[0], inputs[1]
	y, mask := make([]float64, a.N), make([]float64, a.N)
	key := dropKey(a.Seed, float32(ctl[1]))
	scale := float64(1 / (1 - a.P))
	for i := range y {
		m := 1.0
		if ctl[0] != 0 {
			m = 0
			if dropUnit(key, i) >= a.P {
				m = scale
			}
		}
		mask[i], y[i] = m, x[i]*m
	}
	return [][]float64{y, mask}, nil
}
