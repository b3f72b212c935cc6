//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of reduce.cu.

// colsLaunch is reduce_cols_f32 over [outer, mid, inner]: y = scale·Σ_m + beta·y.
func (o operands) colsLaunch(x, y uint64, outer, mid, inner int, scale float64, beta float32, what string) ([]launch, error) {
	var ar args
	ar.ptr(x).ptr(y).ints(outer, mid, inner).f64(scale).f32(beta)
	grid := [3]int{ceilDiv(inner, 32), min(outer, 65535), 1}
	return o.launch1("reduce_cols_f32", grid, [3]int{32, 8, 1}, ar, what)
}

func bindReduce(o operands, a kernels.ReduceArgs) ([]launch, error) {
	outer, mid, inner := a.Outer, a.Mid, a.Inner
	x, y := o.input(0), o.output(0)
	if o.overlap(o.in.In[0], o.in.Out[0]) {
		return nil, fmt.Errorf("y overlaps x")
	}
	if outer*inner == 0 {
		return nil, nil
	}
	scale := 1.0
	if a.Mean {
		scale = 1 / float64(mid) // +Inf when Mid = 0: 0·Inf = NaN, the mean of nothing
	}
	what := fmt.Sprintf("[%d %d %d] mean=%v", outer, mid, inner, a.Mean)
	if inner == 1 {
		var ar args
		ar.ptr(x).ptr(y).ints(outer, mid).f64(scale)
		return o.launch1("reduce_rows_f32", [3]int{min(outer, 65535*16), 1, 1}, [3]int{eltThreads, 1, 1}, ar, what)
	}
	return o.colsLaunch(x, y, outer, mid, inner, scale, 0, what)
}

func bindBroadcast(o operands, a kernels.BroadcastArgs) ([]launch, error) {
	n := a.Outer * a.Mid * a.Inner
	x, y := o.input(0), o.output(0)
	if o.overlap(o.in.In[0], o.in.Out[0]) {
		return nil, fmt.Errorf("y overlaps x")
	}
	var ar args
	ar.ptr(x).ptr(y).ints(a.Outer, a.Mid, a.Inner).f32(a.Scale)
	return o.elt("broadcast_f32", n, ar, fmt.Sprintf("[%d %d %d] scale=%g", a.Outer, a.Mid, a.Inner, a.Scale))
}

func bindBiasGrad(o operands, a kernels.BiasGradArgs) ([]launch, error) {
	dy, db := o.input(0), o.output(0)
	if o.overlap(o.in.In[0], o.in.Out[0]) {
		return nil, fmt.Errorf("db overlaps dy")
	}
	if a.C == 0 {
		return nil, nil
	}
	what := fmt.Sprintf("dy [%d %d %d] beta=%g", a.N, a.C, a.HW, a.Beta)
	if a.HW == 1 { // a dense layer: column sums of [N, C]
		return o.colsLaunch(dy, db, 1, a.N, a.C, 1, a.Beta, what)
	}
	var ar args
	ar.ptr(dy).ptr(db).ints(a.N, a.C, a.HW).f32(a.Beta)
	return o.launch1("bias_grad_nchw_f32", [3]int{min(a.C, 65535*16), 1, 1}, [3]int{eltThreads, 1, 1}, ar, what)
}
