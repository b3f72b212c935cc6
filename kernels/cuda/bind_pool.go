//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of pool.cu.

func bindPool(o operands, a kernels.PoolArgs) ([]launch, error) {
	planes := a.N * a.C
	nx, ny := planes*a.H*a.W, planes*a.OH*a.OW
	geom := []int{planes, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW, a.PadH, a.PadW, a.OH, a.OW}
	what := fmt.Sprintf("x [%d %d %d %d] window %d×%d stride %d×%d pad %d×%d → %d×%d",
		a.N, a.C, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW, a.PadH, a.PadW, a.OH, a.OW)
	in, out := o.in.In, o.in.Out
	switch o.in.Op {
	case kernels.OpMaxPool:
		x, y, sw := o.input(0), o.output(0), o.output(1)
		if o.overlap(out[0], in[0]) || o.overlap(out[1], in[0]) || o.overlap(out[0], out[1]) {
			return nil, fmt.Errorf("outputs overlap x or each other")
		}
		var ar args
		ar.ptr(x).ptr(y).ptr(sw).ints(geom...)
		return o.elt("maxpool_fwd_f32", ny, ar, what)

	case kernels.OpMaxPoolBwd:
		dy, sw, dx := o.input(0), o.input(1), o.output(0)
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
		x, y := o.input(0), o.output(0)
		if err := o.disjoint(out[0], "y", in...); err != nil {
			return nil, err
		}
		var ar args
		ar.ptr(x).ptr(y).ints(geom...)
		return o.elt("avgpool_fwd_f32", ny, ar, what)

	case kernels.OpAvgPoolBwd:
		dy, dx := o.input(0), o.output(0)
		if err := o.disjoint(out[0], "dx", in...); err != nil {
			return nil, err
		}
		var ar args
		ar.ptr(dy).ptr(dx).ints(geom...)
		return o.elt("avgpool_bwd_f32", nx, ar, what)
	}
	return nil, fmt.Errorf("bindPool: unexpected op %s", o.in.Op)
}
