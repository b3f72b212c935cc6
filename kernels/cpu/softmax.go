package cpu

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// Softmax and the fused softmax cross-entropy (OpSoftmax, OpSoftmaxXent,
// OpSoftmaxXentBwd).
//
// Each row is made stable by subtracting its maximum m before exp, so every
// exponent is ≤ 0 and the sum is in [1, D]:
//
//	softmax(x)_j = e^{x_j−m} / s,  log softmax(x)_j = x_j − m − log s,  s = Σ_j e^{x_j−m}
//
// The sum is float64 and exp is expNeg (fastmath.go), accurate to 1e-8
// relative, so the only visible error is the final float32 rounding; it is
// 3–4× cheaper than math.Exp. Rows are independent and split across
// workers when there are many.
//
// Labels are float32 holding integers; one that is not an integer in [0, D)
// is an error naming the row, never a silent out-of-bounds read.

// softmaxRow writes softmax (or log-softmax) of x into y and returns
// (m, log s), the row's log-sum-exp being m + log s.
func softmaxRow(y, x []float32, log bool) (m, logS float64) {
	m = math.Inf(-1)
	for _, v := range x {
		m = max(m, float64(v))
	}
	var s float64
	for j, v := range x {
		e := expNeg(float64(v) - m)
		s += e
		if !log && y != nil {
			y[j] = float32(e)
		}
	}
	logS = math.Log(s)
	if y == nil {
		return m, logS
	}
	if log {
		for j, v := range x {
			y[j] = float32(float64(v) - m - logS)
		}
	} else {
		inv := 1 / s
		for j := range y {
			y[j] = float32(float64(y[j]) * inv)
		}
	}
	return m, logS
}

func bindSoftmax(o operands, a kernels.SoftmaxArgs) (step, error) {
	rows, d, log := a.Rows, a.D, a.Log
	x, y := o.input(0), o.output(0)
	if err := sameOrDisjoint(y, x, "x"); err != nil {
		return nil, err
	}
	return parallelStep(rows, max(1, elemGrain/max(1, d)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			softmaxRow(y[r*d:(r+1)*d], x[r*d:(r+1)*d], log)
		}
	}), nil
}

// label returns labels[r] as a class index, or false when it is not an
// integer in [0, d).
func label(labels []float32, r, d int) (int, bool) {
	v := labels[r]
	k := int(v)
	return k, float32(k) == v && k >= 0 && k < d
}

// badLabel describes the first invalid label.
func badLabel(labels []float32, d int) error {
	for r := range labels {
		if _, ok := label(labels, r, d); !ok {
			return fmt.Errorf("label %v at row %d is not a class index in [0, %d)", labels[r], r, d)
		}
	}
	return nil
}

// OpSoftmaxXent: loss = −(1/N) Σ_n log softmax(logits_n)[label_n]
// = (1/N) Σ_n (m_n + log s_n − logits_n[label_n]); probs = softmax(logits).
// Out is (loss, probs) or (loss) alone.
func bindXent(o operands, a kernels.XentArgs) (step, error) {
	n, d := a.N, a.D
	logits, labels, loss := o.input(0), o.input(1), o.output(0)
	var probs []float32
	if len(o.in.Out) == 2 {
		probs = o.output(1)
		if overlaps(probs, logits) || overlaps(probs, labels) || overlaps(probs, loss) {
			return nil, fmt.Errorf("probs overlaps another operand")
		}
	}
	if overlaps(loss, logits) || overlaps(loss, labels) {
		return nil, fmt.Errorf("loss overlaps an input")
	}
	rowLoss := make([]float64, n) // per-row terms, summed in order afterwards
	body := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x := logits[r*d : (r+1)*d]
			var y []float32
			if probs != nil {
				y = probs[r*d : (r+1)*d]
			}
			m, logS := softmaxRow(y, x, false)
			if k, ok := label(labels, r, d); ok {
				rowLoss[r] = m + logS - float64(x[k])
			}
		}
	}
	return func() error {
		parallelFor(n, max(1, elemGrain/max(1, d)), body)
		if err := badLabel(labels, d); err != nil {
			return err
		}
		var s float64
		for _, v := range rowLoss {
			s += v
		}
		loss[0] = float32(s / float64(n))
		return nil
	}, nil
}

// OpSoftmaxXentBwd: dlogits = (probs − onehot(labels))·dloss/N, dloss = 1
// when the third input is absent. dlogits may be probs itself (in place).
func bindXentBwd(o operands, a kernels.XentArgs) (step, error) {
	n, d := a.N, a.D
	probs, labels, dx := o.input(0), o.input(1), o.output(0)
	var dloss []float32
	if len(o.in.In) == 3 {
		dloss = o.input(2)
	}
	if err := sameOrDisjoint(dx, probs, "probs"); err != nil {
		return nil, err
	}
	if overlaps(dx, labels) || overlaps(dx, dloss) {
		return nil, fmt.Errorf("dlogits overlaps labels or dloss")
	}
	var g float32 // dloss/N, read at run time
	body := func(lo, hi int) {
		for r := lo; r < hi; r++ {
			p, out := probs[r*d:(r+1)*d], dx[r*d:(r+1)*d]
			k, _ := label(labels, r, d) // checked before the loop
			pk := p[k]                  // read before an in-place pass overwrites it
			for j, v := range p {
				out[j] = v * g
			}
			out[k] = (pk - 1) * g
		}
	}
	return func() error {
		if err := badLabel(labels, d); err != nil {
			return err
		}
		g = 1 / float32(n)
		if dloss != nil {
			g = dloss[0] / float32(n)
		}
		parallelFor(n, max(1, elemGrain/max(1, d)), body)
		return nil
	}, nil
}
