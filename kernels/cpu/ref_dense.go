package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// refGemm: C[i,j] = act(Alpha·Σ_p op(A)[i,p]·op(B)[p,j] + Beta·C[i,j] + bias[j]),
// op(A)[i,p] = A[p,i] when TransA (A stored K×M), else A[i,p]; likewise B.
// Beta = 0 ignores the prior C (which is then not an input).
func refGemm(_ kernels.Instr, a kernels.GemmArgs, inputs [][]float64) ([][]float64, error) {
	if a.M < 0 || a.N < 0 || a.K < 0 {
		return nil, fmt.Errorf("negative size M=%d N=%d K=%d", a.M, a.N, a.K)
	}
	m, n, k := a.M, a.N, a.K
	names, lens := []string{"A", "B"}, []int{m * k, k * n}
	if a.Bias {
		names, lens = append(names, "bias"), append(lens, n)
	}
	if a.Beta != 0 {
		names, lens = append(names, "C (prior, read because Beta ≠ 0)"), append(lens, m*n)
	}
	if err := refWant(inputs, names, lens...); err != nil {
		return nil, err
	}
	A, B := inputs[0], inputs[1]
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av, bv := A[i*k+p], B[p*n+j]
				if a.TransA {
					av = A[p*m+i]
				}
				if a.TransB {
					bv = B[j*k+p]
				}
				s += av * bv
			}
			v := float64(a.Alpha) * s
			if a.Beta != 0 {
				v += float64(a.Beta) * inputs[len(inputs)-1][i*n+j]
			}
			if a.Bias {
				v += inputs[2][j]
			}
			c[i*n+j] = refAct(a.Act, v)
		}
	}
	return [][]float64{c}, nil
}
