//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of optim.cu: one launch per instruction, whatever the number of
// tensors, driven by a table built here and copied to the device at load.

// optChunk is OPT_CHUNK of optim.cu: the elements one block updates.
const optChunk = 4096

// optTable takes the groups of k tensors (p.., g.., state..) followed by
// the hyper buffer (kernels.Operands has checked their lengths), checks
// that they do not overlap (each is updated in place), and builds the
// kernel's table: per tensor the addresses of its groups, its length and
// its first block. It returns the table, the hyper address and the number
// of blocks.
func optTable(o operands, sizes []int, groups int) ([]uint64, uint64, int, error) {
	k := len(sizes)
	width := groups + 2
	table := make([]uint64, 0, k*width)
	blocks := 0
	for i, n := range sizes {
		for j := 0; j < groups; j++ {
			table = append(table, o.input(j*k+i))
		}
		table = append(table, uint64(n), uint64(blocks))
		blocks += ceilDiv(n, optChunk)
	}
	hyper := o.input(groups * k)
	for a := range o.in.In {
		for b := a + 1; b < len(o.in.In); b++ {
			if o.overlap(o.in.In[a], o.in.In[b]) {
				return nil, 0, 0, fmt.Errorf("operands %d and %d overlap; every tensor is updated in place", a, b)
			}
		}
	}
	return table, hyper, blocks, nil
}

func bindSGD(o operands, a kernels.SGDArgs) ([]launch, error) {
	table, hyper, blocks, err := optTable(o, a.Sizes, 3)
	if err != nil || blocks == 0 {
		return nil, err
	}
	var ar args
	ar.ptr(o.bd.table(table)).ptr(hyper).i64(len(a.Sizes)).f32(a.Momentum).f32(a.WeightDecay).flag(a.Nesterov)
	what := fmt.Sprintf("%d tensors %v momentum=%g wd=%g nesterov=%v", len(a.Sizes), a.Sizes, a.Momentum, a.WeightDecay, a.Nesterov)
	return o.launch1("sgd_f32", [3]int{blocks, 1, 1}, [3]int{eltThreads, 1, 1}, ar, what)
}

func bindAdam(o operands, a kernels.AdamArgs) ([]launch, error) {
	table, hyper, blocks, err := optTable(o, a.Sizes, 4)
	if err != nil || blocks == 0 {
		return nil, err
	}
	var ar args
	ar.ptr(o.bd.table(table)).ptr(hyper).i64(len(a.Sizes)).f32(a.Beta1).f32(a.Beta2).f32(a.Eps).f32(a.WeightDecay)
	what := fmt.Sprintf("%d tensors %v beta1=%g beta2=%g eps=%g wd=%g", len(a.Sizes), a.Sizes, a.Beta1, a.Beta2, a.Eps, a.WeightDecay)
	return o.launch1("adam_f32", [3]int{blocks, 1, 1}, [3]int{eltThreads, 1, 1}, ar, what)
}
