package kerneltest

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// The transpose family: ranks 0 to 4, every permutation of rank 3, the
// permutations of rank 4 that models use (NCHW ↔ NHWC and reversal), and 2-D
// shapes that cross the CPU's 32×32 tiles.

func init() {
	Register(Family{Name: kernels.OpTranspose.String(), Cases: transposeCases, Bench: transposeBench})
}

func transposeCase(shape []int, perm []int) Case {
	a := kernels.TransposeArgs{Rank: len(shape)}
	n := 1
	for i := range shape {
		a.Shape[i], a.Perm[i] = shape[i], perm[i]
		n *= shape[i]
	}
	return Case{
		Name: fmt.Sprintf("shape=%v,perm=%v", shape, perm), Op: kernels.OpTranspose, Args: a,
		In: []Operand{In(n, nil)}, Out: []Operand{Out(n)}, Tol: tolExact, Bytes: 8 * float64(n),
	}
}

func transposeCases(short bool) []Case {
	cs := []Case{
		transposeCase([]int{}, []int{}),
		transposeCase([]int{1025}, []int{0}),
		transposeCase([]int{1, 7}, []int{1, 0}),
		transposeCase([]int{33, 65}, []int{1, 0}),
		transposeCase([]int{130, 70}, []int{1, 0}),
		transposeCase([]int{512, 784}, []int{1, 0}),
		transposeCase([]int{33, 65}, []int{0, 1}),
		transposeCase([]int{2, 3, 5, 7}, []int{0, 2, 3, 1}),
		transposeCase([]int{2, 3, 5, 7}, []int{0, 3, 1, 2}),
		transposeCase([]int{2, 3, 5, 7}, []int{3, 2, 1, 0}),
		transposeCase([]int{4, 33, 1, 40}, []int{1, 0, 3, 2}),
	}
	for _, p := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		cs = append(cs, transposeCase([]int{3, 5, 70}, p))
	}
	return cs
}

func transposeBench() []Case {
	return []Case{transposeCase([]int{512, 784}, []int{1, 0}), transposeCase([]int{128, 32, 784}, []int{0, 2, 1})}
}
