package cpu

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// References of the elementwise family: OpUnary, OpActGrad, OpBinary,
// OpCopy, OpFill.

// refUnary: y[i] = Fn(x[i]). relu(x) = max(x, 0) with NaN passed through;
// log and sqrt follow IEEE (−Inf, NaN) outside their domain.
func refUnary(_ kernels.Instr, a kernels.UnaryArgs, inputs [][]float64) ([][]float64, error) {
	if err := refWant(inputs, []string{"x"}, a.N); err != nil {
		return nil, err
	}
	var f func(float64) float64
	switch a.Fn {
	case kernels.UnaryReLU:
		f = func(v float64) float64 { return math.Max(v, 0) }
	case kernels.UnarySigmoid:
		f = func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	case kernels.UnaryTanh:
		f = math.Tanh
	case kernels.UnaryNeg:
		f = func(v float64) float64 { return -v }
	case kernels.UnaryExp:
		f = math.Exp
	case kernels.UnaryLog:
		f = math.Log
	case kernels.UnarySquare:
		f = func(v float64) float64 { return v * v }
	case kernels.UnarySqrt:
		f = math.Sqrt
	case kernels.UnaryScale:
		alpha := float64(a.Alpha)
		f = func(v float64) float64 { return alpha * v }
	default:
		return nil, fmt.Errorf("unknown unary function %d", a.Fn)
	}
	y := make([]float64, a.N)
	for i, v := range inputs[0] {
		y[i] = f(v)
	}
	return [][]float64{y}, nil
}

// refActGrad: dx[i] = dy[i]·f'(x[i]) with f' written in y = f(x):
// none 1, sigmoid y(1−y), tanh 1−y²; relu selects: dx = y > 0 ? dy : 0
// (so a NaN dy of a dead unit does not leak).
func refActGrad(_ kernels.Instr, a kernels.ActGradArgs, inputs [][]float64) ([][]float64, error) {
	if err := refWant(inputs, []string{"y", "dy"}, a.N, a.N); err != nil {
		return nil, err
	}
	y, dy := inputs[0], inputs[1]
	dx := make([]float64, a.N)
	for i := range dx {
		var d float64
		switch a.Act {
		case kernels.ActNone:
			d = 1
		case kernels.ActReLU: // a selection, as PyTorch's threshold_backward: dy passes or 0
			if y[i] > 0 {
				dx[i] = dy[i]
			}
			continue
		case kernels.ActSigmoid:
			d = y[i] * (1 - y[i])
		case kernels.ActTanh:
			d = 1 - y[i]*y[i]
		default:
			return nil, fmt.Errorf("unknown activation %d", a.Act)
		}
		dx[i] = dy[i] * d
	}
	return [][]float64{dx}, nil
}

// refBinary: c[i] = a[i] Fn b[idx(i)], idx by the broadcast mode
// (see kernels.Bcast).
func refBinary(_ kernels.Instr, a kernels.BinaryArgs, inputs [][]float64) ([][]float64, error) {
	var nb int
	idx := func(i int) int { return i }
	switch a.Bcast {
	case kernels.BcastNone:
		nb = a.N
	case kernels.BcastScalar:
		nb, idx = 1, func(int) int { return 0 }
	case kernels.BcastInner:
		if a.Inner <= 0 || a.N%a.Inner != 0 {
			return nil, fmt.Errorf("BcastInner: N=%d is not a multiple of Inner=%d", a.N, a.Inner)
		}
		nb, idx = a.Inner, func(i int) int { return i % a.Inner }
	case kernels.BcastChannel:
		if a.Inner <= 0 || a.C <= 0 || a.N%(a.C*a.Inner) != 0 {
			return nil, fmt.Errorf("BcastChannel: N=%d is not a multiple of C·Inner=%d·%d", a.N, a.C, a.Inner)
		}
		nb, idx = a.C, func(i int) int { return (i / a.Inner) % a.C }
	case kernels.BcastOuter:
		if a.Inner <= 0 || a.N%a.Inner != 0 {
			return nil, fmt.Errorf("BcastOuter: N=%d is not a multiple of Inner=%d", a.N, a.Inner)
		}
		nb, idx = a.N/a.Inner, func(i int) int { return i / a.Inner }
	default:
		return nil, fmt.Errorf("unknown broadcast mode %d", a.Bcast)
	}
	if err := refWant(inputs, []string{"a", "b"}, a.N, nb); err != nil {
		return nil, err
	}
	x, b := inputs[0], inputs[1]
	c := make([]float64, a.N)
	for i := range c {
		u, v := x[i], b[idx(i)]
		switch a.Fn {
		case kernels.BinaryAdd:
			c[i] = u + v
		case kernels.BinarySub:
			c[i] = u - v
		case kernels.BinaryMul:
			c[i] = u * v
		case kernels.BinaryDiv:
			c[i] = u / v
		default:
			return nil, fmt.Errorf("unknown binary function %d", a.Fn)
		}
	}
	return [][]float64{c}, nil
}

// refCopy: y = x.
func refCopy(_ kernels.Instr, a kernels.CopyArgs, inputs [][]float64) ([][]float64, error) {
	if err := refWant(inputs, []string{"x"}, a.N); err != nil {
		return nil, err
	}
	return [][]float64{append([]float64(nil), inputs[0]...)}, nil
}

// refFill: y[i] = Value.
func refFill(_ kernels.Instr, a kernels.FillArgs, inputs [][]float64) ([][]float64, error) {
	if err := refWant(inputs, nil); err != nil {
		return nil, err
	}
	if a.N < 0 {
		return nil, fmt.Errorf("negative N=%d", a.N)
	}
	y := make([]float64, a.N)
	for i := range y {
		y[i] = float64(a.Value)
	}
	return [][]float64{y}, nil
}
