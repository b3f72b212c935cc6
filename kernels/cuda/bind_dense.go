//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of gemm.cu and conv.cu.

// prec is the kernel-name suffix of the GEMM flavour in use.
func (o operands) prec() string {
	if o.bd.x.b.opts.TF32 {
		return "tf32"
	}
	return "f32"
}

// gemmTail adds the split-K reduction (with the epilogue) after a main
// launch that wrote partial sums to ws.
func (o operands) gemmTail(ls []launch, ws, c, bias uint64, m, n, splits int, alpha, beta float32, act kernels.Act, what string) ([]launch, error) {
	var a args
	a.ptr(ws).ptr(c).ptr(bias).ints(m, n, splits).f32(alpha).f32(beta).i64(int(act))
	red, err := o.elt("gemm_splitk_reduce_f32", m*n, a, what+fmt.Sprintf(", reduce %d splits", splits))
	return append(ls, red...), err
}

func bindGemm(o operands, a kernels.GemmArgs) ([]launch, error) {
	m, n, k := a.M, a.N, a.K
	pa, pb, pc := o.input(0), o.input(1), o.output(0)
	var bias uint64
	if a.Bias {
		bias = o.input(2)
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
	splits, kper := splitK(o.dev().sms, m, n, k)
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

// convGeom is the geometry argument list of every conv.cu kernel, and the
// launch description for messages.
func convGeom(a kernels.ConvArgs) (geom []int, what string) {
	geom = []int{a.N, a.C, a.H, a.W, a.K, a.R, a.S, a.StrideH, a.StrideW, a.PadH, a.PadW, a.DilH, a.DilW, a.OH, a.OW}
	what = fmt.Sprintf("x [%d %d %d %d] w [%d %d %d %d] y [%d %d %d %d] stride %d×%d pad %d×%d dil %d×%d",
		a.N, a.C, a.H, a.W, a.K, a.C, a.R, a.S, a.N, a.K, a.OH, a.OW, a.StrideH, a.StrideW, a.PadH, a.PadW, a.DilH, a.DilW)
	return geom, what
}

// The implicit GEMMs of the convolutions index rows (pixels) and columns
// (filter taps) separately, each bounded by a buffer's length, which bind
// checks against the 32-bit range; the virtual im2col matrix may be larger.

func bindConv2D(o operands, a kernels.ConvArgs) ([]launch, error) {
	x, w, y := o.input(0), o.input(1), o.output(0)
	var bias uint64
	if a.Bias {
		bias = o.input(2)
	}
	if err := o.disjoint(o.in.Out[0], "y", o.in.In...); err != nil {
		return nil, err
	}
	geom, what := convGeom(a)
	var ar args
	ar.ptr(x).ptr(w).ptr(bias).ptr(y).i64(int(a.Act)).ints(geom...)
	grid := [3]int{ceilDiv(a.N*a.OH*a.OW, tileM), ceilDiv(a.K, tileN), 1}
	return o.launch1("conv2d_fwd_"+o.prec(), grid, [3]int{gemmThreads, 1, 1}, ar, what+fmt.Sprintf(" bias=%v act=%s", a.Bias, a.Act))
}

func bindConv2DBwdData(o operands, a kernels.ConvArgs) ([]launch, error) {
	dy, w, dx := o.input(0), o.input(1), o.output(0)
	if err := o.disjoint(o.in.Out[0], "dx", o.in.In...); err != nil {
		return nil, err
	}
	geom, what := convGeom(a)
	var ar args
	ar.ptr(dy).ptr(w).ptr(dx).ints(geom...)
	grid := [3]int{ceilDiv(a.N*a.H*a.W, tileM), ceilDiv(a.C, tileN), 1}
	return o.launch1("conv2d_bwd_data_"+o.prec(), grid, [3]int{gemmThreads, 1, 1}, ar, what)
}

func bindConv2DBwdFilter(o operands, a kernels.ConvArgs) ([]launch, error) {
	x, dy, dw := o.input(0), o.input(1), o.output(0)
	if err := o.disjoint(o.in.Out[0], "dw", o.in.In...); err != nil {
		return nil, err
	}
	crs, pix := a.C*a.R*a.S, a.N*a.OH*a.OW
	splits, kper := splitK(o.dev().sms, a.K, crs, pix)
	var ws uint64
	if splits > 1 {
		ws = o.bd.workspace(4 * int64(splits) * int64(a.K) * int64(crs))
	}
	geom, what := convGeom(a)
	var ar args
	ar.ptr(x).ptr(dy).ptr(dw).ptr(ws).f32(a.Beta).ints(splits, kper).ints(geom...)
	grid := [3]int{ceilDiv(a.K, tileM), ceilDiv(crs, tileN), splits}
	what += fmt.Sprintf(" beta=%g", a.Beta)
	ls, err := o.launch1("conv2d_bwd_filter_"+o.prec(), grid, [3]int{gemmThreads, 1, 1}, ar, what)
	if err != nil || splits == 1 {
		return ls, err
	}
	return o.gemmTail(ls, ws, dw, 0, a.K, crs, splits, 1, a.Beta, kernels.ActNone, what)
}

func bindIm2Col(o operands, a kernels.ConvArgs) ([]launch, error) {
	x, cols := o.input(0), o.output(0)
	if err := o.disjoint(o.in.Out[0], "cols", o.in.In...); err != nil {
		return nil, err
	}
	geom, what := convGeom(a)
	var ar args
	ar.ptr(x).ptr(cols).ints(geom...)
	return o.elt("im2col_f32", a.N*a.OH*a.OW*a.C*a.R*a.S, ar, what)
}

func bindCol2Im(o operands, a kernels.ConvArgs) ([]launch, error) {
	cols, dx := o.input(0), o.output(0)
	if err := o.disjoint(o.in.Out[0], "dx", o.in.In...); err != nil {
		return nil, err
	}
	geom, what := convGeom(a)
	var ar args
	ar.ptr(cols).ptr(dx).ints(geom...)
	return o.elt("col2im_f32", a.N*a.C*a.H*a.W, ar, what)
}
