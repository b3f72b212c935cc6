//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of eltwise.cu. The checks follow kernels/cpu: an output may be
// exactly its input (in place) but may not overlap it partially.

func bindUnary(o operands, a kernels.UnaryArgs) ([]launch, error) {
	x, y := o.input(0), o.output(0)
	if err := o.sameOrDisjoint(o.in.Out[0], o.in.In[0], "x"); err != nil {
		return nil, err
	}
	var ar args
	ar.ptr(x).ptr(y).ints(a.N, int(a.Fn)).f32(a.Alpha)
	return o.elt("unary_f32", a.N, ar, fmt.Sprintf("%s N=%d", a.Fn, a.N))
}

func bindActGrad(o operands, a kernels.ActGradArgs) ([]launch, error) {
	y, dy, dx := o.input(0), o.input(1), o.output(0)
	if err := o.sameOrDisjoint(o.in.Out[0], o.in.In[0], "y"); err != nil {
		return nil, err
	}
	if err := o.sameOrDisjoint(o.in.Out[0], o.in.In[1], "dy"); err != nil {
		return nil, err
	}
	var ar args
	ar.ptr(y).ptr(dy).ptr(dx).ints(a.N, int(a.Act))
	return o.elt("act_grad_f32", a.N, ar, fmt.Sprintf("%s N=%d", a.Act, a.N))
}

func bindBinary(o operands, a kernels.BinaryArgs) ([]launch, error) {
	// The degenerate broadcast modes run as the cheaper ones they equal.
	nrm, _, err := a.Normalized()
	if err != nil {
		return nil, err
	}
	bcast, inner, ch := nrm.Bcast, nrm.Inner, nrm.C
	pa, pb, pc := o.input(0), o.input(1), o.output(0)
	out := o.in.Out[0]
	if err := o.sameOrDisjoint(out, o.in.In[0], "a"); err != nil {
		return nil, err
	}
	if bcast == kernels.BcastNone {
		err = o.sameOrDisjoint(out, o.in.In[1], "b")
	} else if o.overlap(out, o.in.In[1]) {
		err = fmt.Errorf("output overlaps the broadcast operand b")
	}
	if err != nil {
		return nil, err
	}
	var ar args
	ar.ptr(pa).ptr(pb).ptr(pc).ints(a.N, int(a.Fn), int(bcast), max(inner, 1), max(ch, 1))
	return o.elt("binary_f32", a.N, ar, fmt.Sprintf("%s N=%d bcast=%d inner=%d C=%d", a.Fn, a.N, a.Bcast, a.Inner, a.C))
}

func bindCopy(o operands, a kernels.CopyArgs) ([]launch, error) {
	x, y := o.input(0), o.output(0)
	if err := o.sameOrDisjoint(o.in.Out[0], o.in.In[0], "x"); err != nil {
		return nil, err
	}
	if x == y {
		return nil, nil
	}
	var ar args
	ar.ptr(x).ptr(y).i64(a.N)
	return o.elt("copy_f32", a.N, ar, fmt.Sprintf("N=%d", a.N))
}

func bindFill(o operands, a kernels.FillArgs) ([]launch, error) {
	return o.fill(o.output(0), a.N, a.Value)
}

// fill is the launch of y[0..n) = v.
func (o operands) fill(y uint64, n int, v float32) ([]launch, error) {
	var ar args
	ar.ptr(y).i64(n).f32(v)
	return o.elt("fill_f32", n, ar, fmt.Sprintf("N=%d value=%g", n, v))
}

func bindTranspose(o operands, a kernels.TransposeArgs) ([]launch, error) {
	// y is written in order; y's axis i walks x by sx[i].
	yd, sx, n, err := a.Walk()
	if err != nil {
		return nil, err
	}
	x, y := o.input(0), o.output(0)
	if o.overlap(o.in.Out[0], o.in.In[0]) {
		return nil, fmt.Errorf("y overlaps x")
	}
	var ar args
	ar.ptr(x).ptr(y).i64(n).ints(max(yd[1], 1), max(yd[2], 1), max(yd[3], 1)).ints(sx[:]...)
	return o.elt("transpose_f32", n, ar, fmt.Sprintf("x %v perm %v", a.Shape[:a.Rank], a.Perm[:a.Rank]))
}

func bindDropout(o operands, a kernels.DropoutArgs) ([]launch, error) {
	x, ctl, y, mask := o.input(0), o.input(1), o.output(0), o.output(1)
	in, out := o.in.In, o.in.Out
	if err := o.sameOrDisjoint(out[0], in[0], "x"); err != nil {
		return nil, err
	}
	if o.overlap(out[1], in[0]) || o.overlap(out[1], out[0]) || o.overlap(out[1], in[1]) || o.overlap(out[0], in[1]) {
		return nil, fmt.Errorf("outputs overlap each other or ctl")
	}
	var ar args
	ar.ptr(x).ptr(ctl).ptr(y).ptr(mask).i64(a.N).f32(a.P).u64(a.Seed)
	return o.elt("dropout_f32", a.N, ar, fmt.Sprintf("N=%d P=%g seed=%d", a.N, a.P, a.Seed))
}
