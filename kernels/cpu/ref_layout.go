package cpu

import (
	"github.com/gaborlab/gabor/kernels"
)

// refTranspose: y[j_0, …, j_{r−1}] = x[i_0, …, i_{r−1}] with i_{Perm[k]} = j_k,
// so y's axis k is x's axis Perm[k] and y's shape is Shape[Perm[k]].
func refTranspose(_ kernels.Instr, a kernels.TransposeArgs, inputs [][]float64) ([][]float64, error) {
	xd, perm, err := a.Padded()
	if err != nil {
		return nil, err
	}
	n := xd[0] * xd[1] * xd[2] * xd[3]
	if err := refWant(inputs, []string{"x"}, n); err != nil {
		return nil, err
	}
	x := inputs[0]
	var yd [4]int
	for k := range 4 {
		yd[k] = xd[perm[k]]
	}
	y := make([]float64, 0, n)
	var j, i [4]int
	for j[0] = 0; j[0] < yd[0]; j[0]++ {
		for j[1] = 0; j[1] < yd[1]; j[1]++ {
			for j[2] = 0; j[2] < yd[2]; j[2]++ {
				for j[3] = 0; j[3] < yd[3]; j[3]++ {
					for k := range 4 {
						i[perm[k]] = j[k]
					}
					y = append(y, x[((i[0]*xd[1]+i[1])*xd[2]+i[2])*xd[3]+i[3]])
				}
			}
		}
	}
	return [][]float64{y}, nil
}
