//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of optim_adaptive.cu: one launch per instruction over every
// tensor, through optim.go's table (optTable, groups p, g, s).

func bindAdagrad(o operands, a kernels.AdagradArgs) ([]launch, error) {
	table, hyper, blocks, err := optTable(o, a.Sizes, 3)
	if err != nil || blocks == 0 {
		return nil, err
	}
	var ar args
	ar.ptr(o.bd.table(table)).ptr(hyper).i64(len(a.Sizes)).f32(1).f32(1).f32(a.Eps).f32(a.WeightDecay).flag(true)
	what := fmt.Sprintf("adagrad: %d tensors %v eps=%g wd=%g", len(a.Sizes), a.Sizes, a.Eps, a.WeightDecay)
	return o.launch1("adaptive_f32", [3]int{blocks, 1, 1}, [3]int{eltThreads, 1, 1}, ar, what)
}

func bindRMSprop(o operands, a kernels.RMSpropArgs) ([]launch, error) {
	table, hyper, blocks, err := optTable(o, a.Sizes, 3)
	if err != nil || blocks == 0 {
		return nil, err
	}
	var ar args
	ar.ptr(o.bd.table(table)).ptr(hyper).i64(len(a.Sizes)).f32(a.Alpha).f32(1 - a.Alpha).f32(a.Eps).f32(a.WeightDecay).flag(false)
	what := fmt.Sprintf("rmsprop: %d tensors %v alpha=%g eps=%g wd=%g", len(a.Sizes), a.Sizes, a.Alpha, a.Eps, a.WeightDecay)
	return o.launch1("adaptive_f32", [3]int{blocks, 1, 1}, [3]int{eltThreads, 1, 1}, ar, what)
}
