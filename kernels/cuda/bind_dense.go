//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of gemm.cu and conv.cu. Tile sizes are those of gemm_core.cuh.
const (
	tileM, tileN, tileK = 64, 64, 16
	gemmThreads         = 128
)

// prec is the kernel-name suffix of the GEMM flavour in use.
func (o operands) prec() string {
	if o.bd.x.b.opts.TF32 {
		return "tf32"
	}
	return "f32"
}

// splitK chooses how many slices the K loop of an M×N product is cut into:
// one unless the output has fewer tiles than the GPU has SMs and the loop
// is long; then enough slices for about two blocks per SM, each at least 4
// k-tiles (64) long, at most 32, and with the partial sums (splits·M·N
// floats) within the 32-bit index range. kper is the k-tiles per slice.
func (d *device) splitK(m, n, k int) (splits, kper int) {
	tiles := ceilDiv(m, tileM) * ceilDiv(n, tileN)
	ktiles := ceilDiv(k, tileK)
	splits = 1
	if tiles < d.sms && ktiles >= 8 {
		splits = min(ceilDiv(2*d.sms, tiles), ktiles/4, 32)
		for splits > 1 && splits*m*n > maxElems {
			splits--
		}
	}
	kper = ceilDiv(max(ktiles, 1), splits)
	return ceilDiv(max(ktiles, 1), kper), kper // no empty slice
}

// gemmTail adds the split-K reduction (with the epilogue) after a main
// launch that wrote partial sums to ws.
func (o operands) gemmTail(ls []launch, ws, c, bias uint64, m, n, splits int, alpha, beta float32, act kernels.Act, what string) ([]launch, error) {
	var a args
	a.ptr(ws).ptr(c).ptr(bias).ints(m, n, splits).f32(alpha).f32(beta).i64(int(act))
	red, err := o.elt("gemm_splitk_reduce_f32", m*n, a, what+fmt.Sprintf(", reduce %d splits", splits))
	return append(ls, red...), err
}

func checkAct(act kernels.Act) error {
	if act > kernels.ActTanh {
		return fmt.Errorf("unknown activation %d", act)
	}
	return nil
}

func bindGemm(o operands, a kernels.GemmArgs) ([]launch, error) {
	nIn := 2
	if a.Bias {
		nIn = 3
	}
	if err := o.count(nIn, 1); err != nil {
		return nil, err
	}
	if err := nonNeg("M, N, K", a.M, a.N, a.K); err != nil {
		return nil, err
	}
	if err := checkAct(a.Act); err != nil {
		return nil, err
	}
	m, n, k := a.M, a.N, a.K
	pa, err := o.input(0, m*k, "A")
	if err != nil {
		return nil, err
	}
	pb, err := o.input(1, k*n, "B")
	if err != nil {
		return nil, err
	}
	var bias uint64
	if a.Bias {
		if bias, err = o.input(2, n, "bias"); err != nil {
			return nil, err
		}
	}
	pc, err := o.output(0, m*n, "C")
	if err != nil {
		return nil, err
	}
	if err := o.disjoint(o.in.Out[0], "C", o.in.In...); err != nil {
		return nil, err
	}
	if m == 0 || n == 0 {
		return nil, nil
	}
	tr := map[bool]string{false: "n", true: "t"}
	kernel := fmt.Sprintf("gemm_%s_%s%s", o.prec(), tr[a.TransA], tr[a.TransB])
	what := fmt.Sprintf("M=%d N=%d K=%d transA=%v transB=%v alpha=%g beta=%g bias=%v act=%s", m, n, k, a.TransA, a.TransB, a.Alpha, a.Beta, a.Bias, a.Act)
	splits, kper := o.dev().splitK(m, n, k)
	var ws uint64
	if splits > 1 {
		ws = o.bd.workspace(4 * int64(splits) * int64(m) * int64(n))
	}
	var ar args
	ar.ptr(pa).ptr(pb).ptr(pc).ptr(bias).ptr(ws).ints(m, n, k).f32(a.Alpha).f32(a.Beta).i64(int(a.Act)).ints(splits, kper)
	grid := [3]int{ceilDiv(m, tileM), ceilDiv(n, tileN), splits}
	ls, err := o.launch1(kernel, grid, [3]int{gemmThreads, 1, 1}, ar, what)
	if err != nil || splits == 1 {
		return ls, err
	}
	return o.gemmTail(ls, ws, pc, bias, m, n, splits, a.Alpha, a.Beta, a.Act, what)
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

func bindConv(o operands, a kernels.ConvArgs) ([]launch, error) {
	if err := checkConv(a); err != nil {
		return nil, err
	}
	nx, nw := a.N*a.C*a.H*a.W, a.K*a.C*a.R*a.S
	ny, crs := a.N*a.K*a.OH*a.OW, a.C*a.R*a.S
	geom := []int{a.N, a.C, a.H, a.W, a.K, a.R, a.S, a.StrideH, a.StrideW, a.PadH, a.PadW, a.DilH, a.DilW, a.OH, a.OW}
	what := fmt.Sprintf("x [%d %d %d %d] w [%d %d %d %d] y [%d %d %d %d] stride %d×%d pad %d×%d dil %d×%d",
		a.N, a.C, a.H, a.W, a.K, a.C, a.R, a.S, a.N, a.K, a.OH, a.OW, a.StrideH, a.StrideW, a.PadH, a.PadW, a.DilH, a.DilW)
	block := [3]int{gemmThreads, 1, 1}
	// The implicit GEMMs index rows (pixels) and columns (filter taps)
	// separately, each bounded by a buffer's length, which input and output
	// check against the 32-bit range; the virtual im2col matrix may be larger.

	switch o.in.Op {
	case kernels.OpConv2D:
		nIn := 2
		if a.Bias {
			nIn = 3
		}
		if err := o.count(nIn, 1); err != nil {
			return nil, err
		}
		x, err := o.input(0, nx, "x")
		if err != nil {
			return nil, err
		}
		w, err := o.input(1, nw, "w")
		if err != nil {
			return nil, err
		}
		var bias uint64
		if a.Bias {
			if bias, err = o.input(2, a.K, "bias"); err != nil {
				return nil, err
			}
		}
		y, err := o.output(0, ny, "y")
		if err != nil {
			return nil, err
		}
		if err := o.disjoint(o.in.Out[0], "y", o.in.In...); err != nil {
			return nil, err
		}
		var ar args
		ar.ptr(x).ptr(w).ptr(bias).ptr(y).i64(int(a.Act)).ints(geom...)
		grid := [3]int{ceilDiv(a.N*a.OH*a.OW, tileM), ceilDiv(a.K, tileN), 1}
		return o.launch1("conv2d_fwd_"+o.prec(), grid, block, ar, what+fmt.Sprintf(" bias=%v act=%s", a.Bias, a.Act))

	case kernels.OpConv2DBwdData:
		if err := o.count(2, 1); err != nil {
			return nil, err
		}
		dy, err := o.input(0, ny, "dy")
		if err != nil {
			return nil, err
		}
		w, err := o.input(1, nw, "w")
		if err != nil {
			return nil, err
		}
		dx, err := o.output(0, nx, "dx")
		if err != nil {
			return nil, err
		}
		if err := o.disjoint(o.in.Out[0], "dx", o.in.In...); err != nil {
			return nil, err
		}
		var ar args
		ar.ptr(dy).ptr(w).ptr(dx).ints(geom...)
		grid := [3]int{ceilDiv(a.N*a.H*a.W, tileM), ceilDiv(a.C, tileN), 1}
		return o.launch1("conv2d_bwd_data_"+o.prec(), grid, block, ar, what)

	case kernels.OpConv2DBwdFilter:
		if err := o.count(2, 1); err != nil {
			return nil, err
		}
		x, err := o.input(0, nx, "x")
		if err != nil {
			return nil, err
		}
		dy, err := o.input(1, ny, "dy")
		if err != nil {
			return nil, err
		}
		dw, err := o.output(0, nw, "dw")
		if err != nil {
			return nil, err
		}
		if err := o.disjoint(o.in.Out[0], "dw", o.in.In...); err != nil {
			return nil, err
		}
		pix := a.N * a.OH * a.OW
		splits, kper := o.dev().splitK(a.K, crs, pix)
		var ws uint64
		if splits > 1 {
			ws = o.bd.workspace(4 * int64(splits) * int64(a.K) * int64(crs))
		}
		var ar args
		ar.ptr(x).ptr(dy).ptr(dw).ptr(ws).f32(a.Beta).ints(splits, kper).ints(geom...)
		grid := [3]int{ceilDiv(a.K, tileM), ceilDiv(crs, tileN), splits}
		what += fmt.Sprintf(" beta=%g", a.Beta)
		ls, err := o.launch1("conv2d_bwd_filter_"+o.prec(), grid, block, ar, what)
		if err != nil || splits == 1 {
			return ls, err
		}
		return o.gemmTail(ls, ws, dw, 0, a.K, crs, splits, 1, a.Beta, kernels.ActNone, what)

	case kernels.OpIm2Col:
		if err := o.count(1, 1); err != nil {
			return nil, err
		}
		x, err := o.input(0, nx, "x")
		if err != nil {
			return nil, err
		}
		cols, err := o.output(0, a.N*a.OH*a.OW*crs, "cols")
		if err != nil {
			return nil, err
		}
		if err := o.disjoint(o.in.Out[0], "cols", o.in.In...); err != nil {
			return nil, err
		}
		var ar args
		ar.ptr(x).ptr(cols).ints(geom...)
		return o.elt("im2col_f32", a.N*a.OH*a.OW*crs, ar, what)

	case kernels.OpCol2Im:
		if err := o.count(1, 1); err != nil {
			return nil, err
		}
		cols, err := o.input(0, a.N*a.OH*a.OW*crs, "cols")
		if err != nil {
			return nil, err
		}
		dx, err := o.output(0, nx, "dx")
		if err != nil {
			return nil, err
		}
		if err := o.disjoint(o.in.Out[0], "dx", o.in.In...); err != nil {
			return nil, err
		}
		var ar args
		ar.ptr(cols).ptr(dx).ints(geom...)
		return o.elt("col2im_f32", nx, ar, what)
	}
	return nil, fmt.Errorf("bindConv: unexpected op %s", o.in.Op)
}
