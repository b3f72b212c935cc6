package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// convOut is the output extent of a correlation along one axis:
// ⌊(in + 2·pad − dil·(k−1) − 1)/stride⌋ + 1, and 0 when the dilated filter
// is wider than the padded input (Go's division would round −1/2 up to 0).
func convOut(in, k, stride, pad, dil int) int {
	span := in + 2*pad - dil*(k-1) - 1
	if span < 0 {
		return 0
	}
	return span/stride + 1
}

// checkConvArgs rejects convolution arguments that describe no valid
// correlation or whose OH, OW disagree with the other sizes.
func checkConvArgs(op kernels.Op, a kernels.ConvArgs) error {
	if a.N < 1 || a.C < 1 || a.H < 1 || a.W < 1 || a.K < 1 || a.R < 1 || a.S < 1 {
		return fmt.Errorf("%s: sizes must be positive, got N=%d C=%d H=%d W=%d K=%d R=%d S=%d", op, a.N, a.C, a.H, a.W, a.K, a.R, a.S)
	}
	if a.StrideH < 1 || a.StrideW < 1 || a.DilH < 1 || a.DilW < 1 || a.PadH < 0 || a.PadW < 0 {
		return fmt.Errorf("%s: stride %d×%d and dilation %d×%d must be ≥ 1, padding %d×%d ≥ 0", op, a.StrideH, a.StrideW, a.DilH, a.DilW, a.PadH, a.PadW)
	}
	oh := convOut(a.H, a.R, a.StrideH, a.PadH, a.DilH)
	ow := convOut(a.W, a.S, a.StrideW, a.PadW, a.DilW)
	if oh < 1 || ow < 1 || a.OH != oh || a.OW != ow {
		return fmt.Errorf("%s: output %d×%d, but a %d×%d input with a %d×%d filter (stride %d×%d, pad %d×%d, dilation %d×%d) gives %d×%d",
			op, a.OH, a.OW, a.H, a.W, a.R, a.S, a.StrideH, a.StrideW, a.PadH, a.PadW, a.DilH, a.DilW, oh, ow)
	}
	return nil
}

// checkPoolArgs is checkConvArgs for pooling. Padding must stay below the
// window, so every window holds at least one input position.
func checkPoolArgs(op kernels.Op, a kernels.PoolArgs) error {
	if a.N < 1 || a.C < 1 || a.H < 1 || a.W < 1 || a.KH < 1 || a.KW < 1 || a.StrideH < 1 || a.StrideW < 1 {
		return fmt.Errorf("%s: sizes and strides must be positive, got N=%d C=%d H=%d W=%d window %d×%d stride %d×%d", op, a.N, a.C, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW)
	}
	if a.PadH < 0 || a.PadW < 0 || a.PadH >= a.KH || a.PadW >= a.KW {
		return fmt.Errorf("%s: padding %d×%d must be ≥ 0 and smaller than the %d×%d window", op, a.PadH, a.PadW, a.KH, a.KW)
	}
	oh := convOut(a.H, a.KH, a.StrideH, a.PadH, 1)
	ow := convOut(a.W, a.KW, a.StrideW, a.PadW, 1)
	if oh < 1 || ow < 1 || a.OH != oh || a.OW != ow {
		return fmt.Errorf("%s: output %d×%d, but a %d×%d input with a %d×%d window (stride %d×%d, pad %d×%d) gives %d×%d",
			op, a.OH, a.OW, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW, a.PadH, a.PadW, oh, ow)
	}
	return nil
}
