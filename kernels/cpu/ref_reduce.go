package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// References of the reductions and their adjoint: OpReduce, OpBroadcast,
// OpBiasGrad.

// refReduce: y[o, i] = Σ_m x[o, m, i], divided by Mid when Mean.
func refReduce(_ kernels.Instr, a kernels.ReduceArgs, inputs [][]float64) ([][]float64, error) {
	if a.Outer < 0 || a.Mid < 0 || a.Inner < 0 {
		return nil, fmt.Errorf("negative size Outer=%d Mid=%d Inner=%d", a.Outer, a.Mid, a.Inner)
	}
	if err := refWant(inputs, []string{"x"}, a.Outer*a.Mid*a.Inner); err != nil {
		return nil, err
	}
	x := inputs[0]
	y := make([]float64, a.Outer*a.Inner)
	for o := 0; o < a.Outer; o++ {
		for i := 0; i < a.Inner; i++ {
			var s float64
			for m := 0; m < a.Mid; m++ {
				s += x[(o*a.Mid+m)*a.Inner+i]
			}
			if a.Mean {
				s /= float64(a.Mid)
			}
			y[o*a.Inner+i] = s
		}
	}
	return [][]float64{y}, nil
}

// refBroadcast: y[o, m, i] = Scale·x[o, i].
func refBroadcast(_ kernels.Instr, a kernels.BroadcastArgs, inputs [][]float64) ([][]float64, error) {
	if a.Outer < 0 || a.Mid < 0 || a.Inner < 0 {
		return nil, fmt.Errorf("negative size Outer=%d Mid=%d Inner=%d", a.Outer, a.Mid, a.Inner)
	}
	if err := refWant(inputs, []string{"x"}, a.Outer*a.Inner); err != nil {
		return nil, err
	}
	x := inputs[0]
	y := make([]float64, a.Outer*a.Mid*a.Inner)
	for o := 0; o < a.Outer; o++ {
		for m := 0; m < a.Mid; m++ {
			for i := 0; i < a.Inner; i++ {
				y[(o*a.Mid+m)*a.Inner+i] = float64(a.Scale) * x[o*a.Inner+i]
			}
		}
	}
	return [][]float64{y}, nil
}

// refBiasGrad: db[c] = Beta·db + Σ_n Σ_hw dy[n, c, hw]; Beta = 0 ignores the
// prior db (which is then not an input).
func refBiasGrad(_ kernels.Instr, a kernels.BiasGradArgs, inputs [][]float64) ([][]float64, error) {
	if a.N < 0 || a.C < 0 || a.HW < 0 {
		return nil, fmt.Errorf("negative size N=%d C=%d HW=%d", a.N, a.C, a.HW)
	}
	names, lens := []string{"dy"}, []int{a.N * a.C * a.HW}
	if a.Beta != 0 {
		names, lens = append(names, "db (prior, read because Beta ≠ 0)"), append(lens, a.C)
	}
	if err := refWant(inputs, names, lens...); err != nil {
		return nil, err
	}
	dy := inputs[0]
	db := make([]float64, a.C)
	for c := range db {
		var s float64
		for n := 0; n < a.N; n++ {
			for h := 0; h < a.HW; h++ {
				s += dy[(n*a.C+c)*a.HW+h]
			}
		}
		if a.Beta != 0 {
			s += float64(a.Beta) * inputs[1][c]
		}
		db[c] = s
	}
	return [][]float64{db}, nil
}
