package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Binding of the convolution and pooling family: operand checks here, the
// kernels in conv.go, conv_bwd.go, im2col.go and pool.go.

func bindConv(o operands, a kernels.ConvArgs) (step, error) {
	if err := checkConvArgs(o.in.Op, a); err != nil {
		return nil, err
	}
	nx := a.N * a.C * a.H * a.W
	nw := a.K * a.C * a.R * a.S
	ny := a.N * a.K * a.OH * a.OW
	ncols := a.N * a.OH * a.OW * a.C * a.R * a.S
	var errs error // the first operand error; get and put do nothing after it
	get := func(k, n int, what string) []float32 {
		if errs != nil {
			return nil
		}
		var s []float32
		s, errs = o.input(k, n, what)
		return s
	}
	put := func(k, n int, what string) []float32 {
		if errs != nil {
			return nil
		}
		var s []float32
		s, errs = o.output(k, n, what)
		return s
	}
	var s step
	switch o.in.Op {
	case kernels.OpConv2D:
		nIn := 2
		if a.Bias {
			nIn = 3
		}
		if err := o.count(nIn, 1); err != nil {
			return nil, err
		}
		x, w := get(0, nx, "x"), get(1, nw, "w")
		var bias []float32
		if a.Bias {
			bias = get(2, a.K, "bias")
		}
		y := put(0, ny, "y")
		if errs == nil && (overlaps(y, x) || overlaps(y, w) || overlaps(y, bias)) {
			errs = fmt.Errorf("y overlaps an input")
		}
		s = func() error { conv2dFwd(a, x, w, bias, y); return nil }
	case kernels.OpConv2DBwdData:
		if err := o.count(2, 1); err != nil {
			return nil, err
		}
		dy, w, dx := get(0, ny, "dy"), get(1, nw, "w"), put(0, nx, "dx")
		if errs == nil && (overlaps(dx, dy) || overlaps(dx, w)) {
			errs = fmt.Errorf("dx overlaps an input")
		}
		s = func() error { conv2dBwdData(a, dy, w, dx); return nil }
	case kernels.OpConv2DBwdFilter:
		if err := o.count(2, 1); err != nil {
			return nil, err
		}
		x, dy, dw := get(0, nx, "x"), get(1, ny, "dy"), put(0, nw, "dw")
		if errs == nil && (overlaps(dw, x) || overlaps(dw, dy)) {
			errs = fmt.Errorf("dw overlaps an input")
		}
		s = func() error { conv2dBwdFilter(a, x, dy, dw); return nil }
	case kernels.OpIm2Col:
		if err := o.count(1, 1); err != nil {
			return nil, err
		}
		x, cols := get(0, nx, "x"), put(0, ncols, "cols")
		if errs == nil && overlaps(x, cols) {
			errs = fmt.Errorf("cols overlaps x")
		}
		s = func() error { im2col(a, x, cols); return nil }
	case kernels.OpCol2Im:
		if err := o.count(1, 1); err != nil {
			return nil, err
		}
		cols, dx := get(0, ncols, "cols"), put(0, nx, "dx")
		if errs == nil && overlaps(cols, dx) {
			errs = fmt.Errorf("dx overlaps cols")
		}
		s = func() error { col2im(a, cols, dx); return nil }
	}
	if errs != nil {
		return nil, errs
	}
	return s, nil
}

func bindPool(o operands, a kernels.PoolArgs) (step, error) {
	if err := checkPoolArgs(o.in.Op, a); err != nil {
		return nil, err
	}
	nx := a.N * a.C * a.H * a.W
	ny := a.N * a.C * a.OH * a.OW
	switch o.in.Op {
	case kernels.OpMaxPool:
		if err := o.count(1, 2); err != nil {
			return nil, err
		}
		x, err := o.input(0, nx, "x")
		if err != nil {
			return nil, err
		}
		y, err := o.output(0, ny, "y")
		if err != nil {
			return nil, err
		}
		sw, err := o.output(1, ny, "switches")
		if err != nil {
			return nil, err
		}
		if overlaps(y, x) || overlaps(sw, x) || overlaps(y, sw) {
			return nil, fmt.Errorf("outputs overlap each other or x")
		}
		return func() error { maxPoolFwd(a, x, y, sw); return nil }, nil
	case kernels.OpMaxPoolBwd:
		if err := o.count(2, 1); err != nil {
			return nil, err
		}
		dy, err := o.input(0, ny, "dy")
		if err != nil {
			return nil, err
		}
		sw, err := o.input(1, ny, "switches")
		if err != nil {
			return nil, err
		}
		dx, err := o.output(0, nx, "dx")
		if err != nil {
			return nil, err
		}
		if overlaps(dx, dy) || overlaps(dx, sw) {
			return nil, fmt.Errorf("dx overlaps an input")
		}
		return func() error { maxPoolBwd(a, dy, sw, dx); return nil }, nil
	case kernels.OpAvgPool:
		if err := o.count(1, 1); err != nil {
			return nil, err
		}
		x, err := o.input(0, nx, "x")
		if err != nil {
			return nil, err
		}
		y, err := o.output(0, ny, "y")
		if err != nil {
			return nil, err
		}
		if overlaps(y, x) {
			return nil, fmt.Errorf("y overlaps x")
		}
		return func() error { avgPoolFwd(a, x, y); return nil }, nil
	default: // OpAvgPoolBwd
		if err := o.count(1, 1); err != nil {
			return nil, err
		}
		dy, err := o.input(0, ny, "dy")
		if err != nil {
			return nil, err
		}
		dx, err := o.output(0, nx, "dx")
		if err != nil {
			return nil, err
		}
		if overlaps(dx, dy) {
			return nil, fmt.Errorf("dx overlaps dy")
		}
		return func() error { avgPoolBwd(a, dy, dx); return nil }, nil
	}
}
