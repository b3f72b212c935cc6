//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of pool.cu.

// poolGeom is the geometry argument list of every pool.cu kernel, and the
// launch description for messages.
func poolGeom(a kernels.PoolArgs) (geom []int, what string) {
	geom = []int{a.N * a.C, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW, a.PadH, a.PadW, a.OH, a.OW}
	what = fmt.Sprintf("x [%d %d %d %d] window %d×%d stride %d×%d pad %d×%d → %d×%d",
		a.N, a.C, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW, a.PadH, a.PadW, a.OH, a.OW)
	return geom, what
}

func bindMaxPool(o operands, a kernels.PoolArgs) ([]launch, error) {
	in, out := o.in.In, o.in.Out
	x, y, sw := o.input(0), o.output(0), o.output(1)
	if o.overlap(out[0], in[0]) || o.overlap(out[1], in[0]) || o.overlap(out[0], out[1]) {
		return nil, fmt.Errorf("outputs overlap x or each other")
	}
	geom, what := poolGeom(a)
	var ar args
	ar.ptr(x).ptr(y).ptr(sw).ints(geom...)
	return o.elt("maxpool_fwd_f32", a.N*a.C*a.OH*a.OW, ar, what)
}

func bindMaxPoolBwd(o operands, a kernels.PoolArgs) ([]launch, error) {
	dy, sw, dx := o.input(0), o.input(1), o.output(0)
	if err := o.disjoint(o.in.Out[0], "dx", o.in.In...); err != nil {
		return nil, err
	}
	// Zero dx, then scatter dy by the switches.
	ls, err := o.fill(dx, a.N*a.C*a.H*a.W, 0)
	if err != nil {
		return nil, err
	}
	geom, what := poolGeom(a)
	var ar args
	ar.ptr(dy).ptr(sw).ptr(dx).ints(geom...)
	sc, err := o.elt("maxpool_bwd_f32", a.N*a.C*a.OH*a.OW, ar, what)
	return append(ls, sc...), err
}

func bindAvgPool(o operands, a kernels.PoolArgs) ([]launch, error) {
	x, y := o.input(0), o.output(0)
	if err := o.disjoint(o.in.Out[0], "y", o.in.In...); err != nil {
		return nil, err
	}
	geom, what := poolGeom(a)
	var ar args
	ar.ptr(x).ptr(y).ints(geom...)
	return o.elt("avgpool_fwd_f32", a.N*a.C*a.OH*a.OW, ar, what)
}

func bindAvgPoolBwd(o operands, a kernels.PoolArgs) ([]launch, error) {
	dy, dx := o.input(0), o.output(0)
	if err := o.disjoint(o.in.Out[0], "dx", o.in.In...); err != nil {
		return nil, err
	}
	geom, what := poolGeom(a)
	var ar args
	ar.ptr(dy).ptr(dx).ints(geom...)
	return o.elt("avgpool_bwd_f32", a.N*a.C*a.H*a.W, ar, what)
}
