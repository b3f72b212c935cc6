package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Binders of the convolution and pooling family: the overlap rules here
// (kernels.CheckOperands has checked the geometry and the operands), the
// kernels in conv.go, conv_bwd.go, im2col.go and pool.go.

func bindConv2D(o operands, a kernels.ConvArgs) (step, error) {
	x, w, y := o.input(0), o.input(1), o.output(0)
	var bias []float32
	if a.Bias {
		bias = o.input(2)
	}
	if overlaps(y, x) || overlaps(y, w) || overlaps(y, bias) {
		return nil, fmt.Errorf("y overlaps an input")
	}
	return func() error { conv2dFwd(a, x, w, bias, y); return nil }, nil
}

func bindConv2DBwdData(o operands, a kernels.ConvArgs) (step, error) {
	dy, w, dx := o.input(0), o.input(1), o.output(0)
	if overlaps(dx, dy) || overlaps(dx, w) {
		return nil, fmt.Errorf("dx overlaps an input")
	}
	return func() error { conv2dBwdData(a, dy, w, dx); return nil }, nil
}

func bindConv2DBwdFilter(o operands, a kernels.ConvArgs) (step, error) {
	x, dy, dw := o.input(0), o.input(1), o.output(0)
	if overlaps(dw, x) || overlaps(dw, dy) {
		return nil, fmt.Errorf("dw overlaps an input")
	}
	return func() error { conv2dBwdFilter(a, x, dy, dw); return nil }, nil
}

func bindIm2Col(o operands, a kernels.ConvArgs) (step, error) {
	x, cols := o.input(0), o.output(0)
	if overlaps(x, cols) {
		return nil, fmt.Errorf("cols overlaps x")
	}
	return func() error { im2col(a, x, cols); return nil }, nil
}

func bindCol2Im(o operands, a kernels.ConvArgs) (step, error) {
	cols, dx := o.input(0), o.output(0)
	if overlaps(cols, dx) {
		return nil, fmt.Errorf("dx overlaps cols")
	}
	return func() error { col2im(a, cols, dx); return nil }, nil
}

func bindMaxPool(o operands, a kernels.PoolArgs) (step, error) {
	x, y, sw := o.input(0), o.output(0), o.output(1)
	if overlaps(y, x) || overlaps(sw, x) || overlaps(y, sw) {
		return nil, fmt.Errorf("outputs overlap each other or x")
	}
	return func() error { maxPoolFwd(a, x, y, sw); return nil }, nil
}

func bindMaxPoolBwd(o operands, a kernels.PoolArgs) (step, error) {
	dy, sw, dx := o.input(0), o.input(1), o.output(0)
	if overlaps(dx, dy) || overlaps(dx, sw) {
		return nil, fmt.Errorf("dx overlaps an input")
	}
	return func() error { maxPoolBwd(a, dy, sw, dx); return nil }, nil
}

func bindAvgPool(o operands, a kernels.PoolArgs) (step, error) {
	x, y := o.input(0), o.output(0)
	if overlaps(y, x) {
		return nil, fmt.Errorf("y overlaps x")
	}
	return func() error { avgPoolFwd(a, x, y); return nil }, nil
}

func bindAvgPoolBwd(o operands, a kernels.PoolArgs) (step, error) {
	dy, dx := o.input(0), o.output(0)
	if overlaps(dx, dy) {
		return nil, fmt.Errorf("dx overlaps dy")
	}
	return func() error { avgPoolBwd(a, dy, dx); return nil }, nil
}
