//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of pool.cu.

func bindPool(o operands, a kernels.PoolArgs) ([]launch, error) {
	if err := checkPool(a); err != nil {
		return nil, err
	}
	planes := a.N * a.C
	nx, ny := planes*a.H*a.W, planes*a.OH*a.OW
	geom := []int{planes, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW, a.PadH, a.PadW, a.OH, a.OW}
	what := fmt.Sprintf("x [%d %d %d %d] window %d×%d stride %d×%d pad %d×%d → %d×%d",
		a.N, a.C, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW, a.PadH, a.PadW, a.OH, a.OW)
	in, out := o.in.In, o.in.Out
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
		if o.overlap(out[0], in[0]) || o.overlap(out[1], in[0]) || o.overlap(out[0], out[1]) {
			return nil, fmt.Errorf("outputs overlap x or each other")
		}
		var ar args
		ar.ptr(x).ptr(y).ptr(sw).ints(geom...)
		return o.elt("maxpool_fwd_f32", ny, ar, what)

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
		if err := o.disjoint(out[0], "dx", in...); err != nil {
			return nil, err
		}
		// Zero dx, then scatter dy by the switches.
		ls, err := o.fill(dx, nx, 0)
		if err != nil {
			return nil, err
		}
		var ar args
		ar.ptr(dy).ptr(sw).ptr(dx).ints(geom...)
		sc, err := o.elt("maxpool_bwd_f32", ny, ar, what)
		return append(ls, sc...), err

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
		if err := o.disjoint(out[0], "y", in...); err != nil {
			return nil, err
		}
		var ar args
		ar.ptr(x).ptr(y).ints(geom...)
		return o.elt("avgpool_fwd_f32", ny, ar, what)

	case kernels.OpAvgPoolBwd:
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
		if err := o.disjoint(out[0], "dx", in...); err != nil {
			return nil, err
		}
		var ar args
		ar.ptr(dy).ptr(dx).ints(geom...)
		return o.elt("avgpool_bwd_f32", nx, ar, what)
	}
	return nil, fmt.Errorf("bindPool: unexpected op %s", o.in.Op)
}
