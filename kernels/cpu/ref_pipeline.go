package cpu

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// References of the input pipeline's ops. Every operand arrives as float64
// whatever its dtype (u8 pixels and labels, i32 rows and f64 state are exact).
// The state is an output the ops update, so its prior value follows the
// inputs (as for the ops with Beta).

// refK is a state's counter k, checked to be a whole number in [0, limit).
func refK(st []float64, limit int, what string) (int, error) {
	k := st[kernels.StK]
	if !(k >= 0 && k < float64(limit)) || k != math.Trunc(k) {
		return 0, fmt.Errorf("%s %v of %d", what, k, limit)
	}
	return int(k), nil
}

// refGather: row b of the step is perm[(k·B + b) mod N]; pixels become
// (v/255 − mean)/std in float64, float inputs and targets are copied.
func refGather(_ kernels.Instr, a kernels.GatherArgs, inputs [][]float64) ([][]float64, error) {
	if err := refWant(inputs, []string{"xs", "ys", "perm", "state"}, a.N*a.D, a.N*a.T, a.N, kernels.StateLen); err != nil {
		return nil, err
	}
	xs, ys, perm, st := inputs[0], inputs[1], inputs[2], inputs[3]
	k, err := refK(st, math.MaxInt32, "batch")
	if err != nil {
		return nil, err
	}
	yw := a.T
	if a.OneHot > 0 {
		yw = a.OneHot
	}
	x, y := make([]float64, a.B*a.D), make([]float64, a.B*yw)
	for b := 0; b < a.B; b++ {
		r := int(perm[(k*a.B+b)%a.N])
		if r < 0 || r >= a.N {
			return nil, fmt.Errorf("permutation entry %d is %d, outside [0, %d)", (k*a.B+b)%a.N, r, a.N)
		}
		for j := 0; j < a.D; j++ {
			v := xs[r*a.D+j]
			if a.X == kernels.U8 {
				v = (v/255 - float64(a.Mean)) / float64(a.Std)
			}
			x[b*a.D+j] = v
		}
		if a.OneHot > 0 {
			l, err := refLabel(ys[r], r, a.OneHot)
			if err != nil {
				return nil, err
			}
			y[b*yw+l] = 1
			continue
		}
		copy(y[b*a.T:(b+1)*a.T], ys[r*a.T:(r+1)*a.T])
	}
	return [][]float64{x, y}, nil
}

// refStepBegin: hyper = [lr[k], step+1], ctl = [1, step].
func refStepBegin(_ kernels.Instr, a kernels.StepBeginArgs, inputs [][]float64) ([][]float64, error) {
	if err := refWant(inputs, []string{"lr", "state"}, a.Steps, kernels.StateLen); err != nil {
		return nil, err
	}
	k, err := refK(inputs[1], a.Steps, "step")
	if err != nil {
		return nil, err
	}
	step := inputs[1][kernels.StStep]
	var out [][]float64
	if a.Hyper {
		out = append(out, []float64{inputs[0][k], step + 1})
	}
	if a.Ctl {
		out = append(out, []float64{1, step})
	}
	return out, nil
}

// refStepEnd: sample the loss when the step is due, then k++ and step++.
func refStepEnd(_ kernels.Instr, a kernels.StepEndArgs, inputs [][]float64) ([][]float64, error) {
	if err := refWant(inputs, []string{"loss", "state (prior)"}, 1, kernels.StateLen); err != nil {
		return nil, err
	}
	st := append([]float64(nil), inputs[1]...)
	k, err := refK(st, a.Steps, "step")
	if err != nil {
		return nil, err
	}
	if (k+1)%a.Every == 0 || k == a.Steps-1 {
		l := inputs[0][0]
		st[kernels.StSum] += l
		st[kernels.StN]++
		st[kernels.StLast] = l
		if (math.IsNaN(l) || math.IsInf(l, 0)) && st[kernels.StBad] < 0 {
			st[kernels.StBad], st[kernels.StBadLoss] = st[kernels.StStep], l
		}
	}
	st[kernels.StK]++
	st[kernels.StStep]++
	return [][]float64{st}, nil
}

// refEvalScore: the batch's correct count and cross-entropy sum (or squared
// error sum), added to the state; then k++.
func refEvalScore(_ kernels.Instr, a kernels.EvalScoreArgs, inputs [][]float64) ([][]float64, error) {
	ny := a.N
	if a.MSE {
		ny = a.N * a.C
	}
	if err := refWant(inputs, []string{"logits", "ys", "state (prior)"}, a.B*a.C, ny, kernels.StateLen); err != nil {
		return nil, err
	}
	logits, ys := inputs[0], inputs[1]
	st := append([]float64(nil), inputs[2]...)
	k, err := refK(st, kernels.EvalBatches(a.N, a.B), "evaluation batch")
	if err != nil {
		return nil, err
	}
	lo := k * a.B
	for r := 0; r < min(a.B, a.N-lo); r++ {
		row := logits[r*a.C : (r+1)*a.C]
		if a.MSE {
			for c, v := range row {
				d := v - ys[(lo+r)*a.C+c]
				st[kernels.StSum] += d * d
			}
			continue
		}
		label, err := refLabel(ys[lo+r], lo+r, a.C)
		if err != nil {
			return nil, err
		}
		best, m := 0, math.Inf(-1)
		for c, v := range row {
			if v > row[best] {
				best = c
			}
			m = math.Max(m, v)
		}
		if best == label {
			st[kernels.StCorrect]++
		}
		var s float64
		for _, v := range row {
			s += math.Exp(v - m)
		}
		st[kernels.StSum] += math.Log(s) + m - row[label]
	}
	st[kernels.StK]++
	return [][]float64{st}, nil
}
