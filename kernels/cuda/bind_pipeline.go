//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of pipeline.cu: the input pipeline's ops. Their operands'
// dtypes and lengths are checked by kernels.CheckOperands; what is left is
// this backend's rules (no output overlaps an input) and the grids.

func bindGather(o operands, a kernels.GatherArgs) ([]launch, error) {
	for k, name := range []string{"x", "y"} {
		if err := o.disjoint(o.in.Out[k], name, o.in.In...); err != nil {
			return nil, err
		}
	}
	if o.overlap(o.in.Out[0], o.in.Out[1]) {
		return nil, fmt.Errorf("outputs x and y overlap")
	}
	var ar args
	ar.ptr(o.input(0)).ptr(o.input(1)).ptr(o.input(2)).ptr(o.input(3)).ptr(o.output(0)).ptr(o.output(1)).
		ints(a.B, a.D, a.N, a.T, a.OneHot).f32(a.Mean).f32(a.Std).flag(a.X == kernels.U8).flag(a.Y == kernels.U8)
	return o.launch1("gather_f32", [3]int{min(a.B, 65535*16), 1, 1}, [3]int{eltThreads, 1, 1}, ar,
		fmt.Sprintf("B=%d D=%d N=%d T=%d onehot=%d %s/%s", a.B, a.D, a.N, a.T, a.OneHot, a.X, a.Y))
}

func bindStepBegin(o operands, a kernels.StepBeginArgs) ([]launch, error) {
	var hyper, ctl uint64 // null: the program has none
	k := 0
	if a.Hyper {
		hyper, k = o.output(k), k+1
	}
	if a.Ctl {
		ctl = o.output(k)
	}
	for _, out := range o.in.Out {
		if err := o.disjoint(out, "hyper/ctl", o.in.In...); err != nil {
			return nil, err
		}
	}
	var ar args
	ar.ptr(o.input(0)).ptr(o.input(1)).ptr(hyper).ptr(ctl).i64(a.Steps)
	return o.launch1("step_begin", [3]int{1, 1, 1}, [3]int{32, 1, 1}, ar, fmt.Sprintf("steps=%d", a.Steps))
}

func bindStepEnd(o operands, a kernels.StepEndArgs) ([]launch, error) {
	if err := o.disjoint(o.in.Out[0], "state", o.in.In...); err != nil {
		return nil, err
	}
	var ar args
	ar.ptr(o.input(0)).ptr(o.output(0)).ints(a.Steps, a.Every)
	return o.launch1("step_end", [3]int{1, 1, 1}, [3]int{32, 1, 1}, ar, fmt.Sprintf("steps=%d every=%d", a.Steps, a.Every))
}

func bindEvalScore(o operands, a kernels.EvalScoreArgs) ([]launch, error) {
	if err := o.disjoint(o.in.Out[0], "state", o.in.In...); err != nil {
		return nil, err
	}
	var ar args
	ar.ptr(o.input(0)).ptr(o.input(1)).ptr(o.output(0)).ints(a.B, a.C, a.N).flag(a.MSE)
	return o.launch1("eval_score", [3]int{1, 1, 1}, [3]int{eltThreads, 1, 1}, ar,
		fmt.Sprintf("B=%d C=%d N=%d mse=%v", a.B, a.C, a.N, a.MSE))
}
