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

// optTable checks the groups of k tensors (p.., g.., state..) followed by
// the hyper buffer, which must not overlap (each is updated in place), and
// builds the kernel's table: per tensor the addresses of its groups, its
// length and its first block. It returns the table, the hyper address and
// the number of blocks.
func optTable(o operands, sizes []int, groups int, names string, hyperLen int) ([]uint64, uint64, int, error) {
	k := len(sizes)
	if err := o.count(groups*k+1, 0); err != nil {
		return nil, 0, 0, fmt.Errorf("%w (%s for %d tensors, then hyper)", err, names, k)
	}
	width := groups + 2
	table := make([]uint64, 0, k*width)
	blocks := 0
	for i, n := range sizes {
		if n < 0 {
			return nil, 0, 0, fmt.Errorf("tensor %d has negative size %d", i, n)
		}
		for j := 0; j < groups; j++ {
			p, err := o.input(j*k+i, n, fmt.Sprintf("%c%d", names[j], i))
			if err != nil {
				return nil, 0, 0, err
			}
			table = append(table, p)
		}
		table = append(table, uint64(n), uint64(blocks))
		blocks += ceilDiv(n, optChunk)
	}
	hid := o.in.In[groups*k]
	p := o.bd.x.prog
	if hid < 0 || int(hid) >= len(p.Buffers) {
		return nil, 0, 0, fmt.Errorf("hyper buffer b%d does not exist", hid)
	}
	if p.Buffers[hid].Len < hyperLen {
		return nil, 0, 0, fmt.Errorf("hyper buffer b%d holds %d floats, want ≥ %d", hid, p.Buffers[hid].Len, hyperLen)
	}
	hyper := o.bd.base + 4*uint64(p.Buffers[hid].Offset)
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
	table, hyper, blocks, err := optTable(o, a.Sizes, 3, "pgv", 1)
	if err != nil || blocks == 0 {
		return nil, err
	}
	var ar args
	ar.ptr(o.bd.table(table)).ptr(hyper).i64(len(a.Sizes)).f32(a.Momentum).f32(a.WeightDecay).flag(a.Nesterov)
	what := fmt.Sprintf("%d tensors %v momentum=%g wd=%g nesterov=%v", len(a.Sizes), a.Sizes, a.Momentum, a.WeightDecay, a.Nesterov)
	return o.launch1("sgd_f32", [3]int{blocks, 1, 1}, [3]int{eltThreads, 1, 1}, ar, what)
}

func bindAdam(o operands, a kernels.AdamArgs) ([]launch, error) {
	table, hyper, blocks, err := optTable(o, a.Sizes, 4, "pgmv", 2)
	if err != nil || blocks == 0 {
		return nil, err
	}
	var ar args
	ar.ptr(o.bd.table(table)).ptr(hyper).i64(len(a.Sizes)).f32(a.Beta1).f32(a.Beta2).f32(a.Eps).f32(a.WeightDecay)
	what := fmt.Sprintf("%d tensors %v beta1=%g beta2=%g eps=%g wd=%g", len(a.Sizes), a.Sizes, a.Beta1, a.Beta2, a.Eps, a.WeightDecay)
	return o.launch1("adam_f32", [3]int{blocks, 1, 1}, [3]int{eltThreads, 1, 1}, ar, what)
}
