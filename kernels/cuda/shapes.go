package cuda

// Shape arithmetic and argument checks of the launchers: pure Go, without
// the driver, so that they are built and tested without the gpu tag (CI
// has no GPU, and a gpu test binary cannot start without one).

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// Tile sizes of gemm_core.cuh.
const (
	tileM, tileN, tileK = 64, 64, 16
	gemmThreads         = 128
)

// maxElems bounds every buffer and index space a kernel walks: the kernels
// index with 32-bit ints.
const maxElems = math.MaxInt32

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func align256(n int64) int64 { return (n + 255) &^ 255 }

// splitK chooses how many slices the K loop of an M×N product is cut into:
// one unless the output has fewer tiles than the GPU has SMs and the loop
// is long; then enough slices for about two blocks per SM, each at least 4
// k-tiles (64) long, at most 32, and with the partial sums (splits·M·N
// floats) within the 32-bit index range. kper is the k-tiles per slice.
func splitK(sms, m, n, k int) (splits, kper int) {
	tiles := ceilDiv(m, tileM) * ceilDiv(n, tileN)
	ktiles := ceilDiv(k, tileK)
	splits = 1
	if tiles < sms && ktiles >= 8 {
		splits = min(ceilDiv(2*sms, tiles), ktiles/4, 32)
		for splits > 1 && splits*m*n > maxElems {
			splits--
		}
	}
	kper = ceilDiv(max(ktiles, 1), splits)
	return ceilDiv(max(ktiles, 1), kper), kper // no empty slice
}

func checkAct(act kernels.Act) error {
	if act > kernels.ActTanh {
		return fmt.Errorf("unknown activation %d", act)
	}
	return nil
}

// convOut is the output extent of a correlation along one axis.
func convOut(in, k, stride, pad, dil int) int { return (in+2*pad-dil*(k-1)-1)/stride + 1 }

// checkConv rejects arguments that describe no valid correlation, or whose
// OH, OW disagree with the other sizes (the rules of kernels/cpu).
func checkConv(a kernels.ConvArgs) error {
	if a.N < 1 || a.C < 1 || a.H < 1 || a.W < 1 || a.K < 1 || a.R < 1 || a.S < 1 {
		return fmt.Errorf("sizes must be positive, got N=%d C=%d H=%d W=%d K=%d R=%d S=%d", a.N, a.C, a.H, a.W, a.K, a.R, a.S)
	}
	if a.StrideH < 1 || a.StrideW < 1 || a.DilH < 1 || a.DilW < 1 || a.PadH < 0 || a.PadW < 0 {
		return fmt.Errorf("stride %d×%d and dilation %d×%d must be ≥ 1, padding %d×%d ≥ 0", a.StrideH, a.StrideW, a.DilH, a.DilW, a.PadH, a.PadW)
	}
	oh, ow := convOut(a.H, a.R, a.StrideH, a.PadH, a.DilH), convOut(a.W, a.S, a.StrideW, a.PadW, a.DilW)
	if oh < 1 || ow < 1 || a.OH != oh || a.OW != ow {
		return fmt.Errorf("output %d×%d, but a %d×%d input with a %d×%d filter (stride %d×%d, pad %d×%d, dilation %d×%d) gives %d×%d",
			a.OH, a.OW, a.H, a.W, a.R, a.S, a.StrideH, a.StrideW, a.PadH, a.PadW, a.DilH, a.DilW, oh, ow)
	}
	return checkAct(a.Act)
}

// checkPool is checkConv for pooling (the rules of kernels/cpu): padding
// stays below the window, so every window holds an input.
func checkPool(a kernels.PoolArgs) error {
	if a.N < 1 || a.C < 1 || a.H < 1 || a.W < 1 || a.KH < 1 || a.KW < 1 || a.StrideH < 1 || a.StrideW < 1 {
		return fmt.Errorf("sizes and strides must be positive, got N=%d C=%d H=%d W=%d window %d×%d stride %d×%d", a.N, a.C, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW)
	}
	if a.PadH < 0 || a.PadW < 0 || a.PadH >= a.KH || a.PadW >= a.KW {
		return fmt.Errorf("padding %d×%d must be ≥ 0 and smaller than the %d×%d window", a.PadH, a.PadW, a.KH, a.KW)
	}
	oh, ow := convOut(a.H, a.KH, a.StrideH, a.PadH, 1), convOut(a.W, a.KW, a.StrideW, a.PadW, 1)
	if oh < 1 || ow < 1 || a.OH != oh || a.OW != ow {
		return fmt.Errorf("output %d×%d, but a %d×%d input with a %d×%d window (stride %d×%d, pad %d×%d) gives %d×%d",
			a.OH, a.OW, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW, a.PadH, a.PadW, oh, ow)
	}
	return nil
}

// transposeDims checks the args and pads shape and perm in front to rank 4
// (the rules of kernels/cpu).
func transposeDims(a kernels.TransposeArgs) (xd, perm [4]int, err error) {
	if a.Rank < 0 || a.Rank > 4 {
		return xd, perm, fmt.Errorf("rank %d, want 0..4", a.Rank)
	}
	pad := 4 - a.Rank
	var seen [4]bool
	for i := range 4 {
		xd[i], perm[i] = 1, i
	}
	for i := 0; i < a.Rank; i++ {
		p := a.Perm[i]
		if p < 0 || p >= a.Rank || seen[p] {
			return xd, perm, fmt.Errorf("perm %v is not a permutation of 0..%d", a.Perm[:a.Rank], a.Rank-1)
		}
		if a.Shape[i] < 0 {
			return xd, perm, fmt.Errorf("negative dimension in shape %v", a.Shape[:a.Rank])
		}
		seen[p] = true
		xd[pad+i] = a.Shape[i]
		perm[pad+i] = pad + p
	}
	return xd, perm, nil
}
