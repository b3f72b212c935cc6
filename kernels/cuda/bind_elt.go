//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of eltwise.cu. The checks follow kernels/cpu: an output may be
// exactly its input (in place) but may not overlap it partially.

func bindUnary(o operands, a kernels.UnaryArgs) ([]launch, error) {
	if err := o.count(1, 1); err != nil {
		return nil, err
	}
	if a.Fn > kernels.UnaryScale {
		return nil, fmt.Errorf("unknown unary function %d", a.Fn)
	}
	if err := nonNeg("N", a.N); err != nil {
		return nil, err
	}
	x, err := o.input(0, a.N, "x")
	if err != nil {
		return nil, err
	}
	y, err := o.output(0, a.N, "y")
	if err != nil {
		return nil, err
	}
	if err := o.sameOrDisjoint(o.in.Out[0], o.in.In[0], "x"); err != nil {
		return nil, err
	}
	var ar args
	ar.ptr(x).ptr(y).ints(a.N, int(a.Fn)).f32(a.Alpha)
	return o.elt("unary_f32", a.N, ar, fmt.Sprintf("%s N=%d", a.Fn, a.N))
}

func bindActGrad(o operands, a kernels.ActGradArgs) ([]launch, error) {
	if err := o.count(2, 1); err != nil {
		return nil, err
	}
	if err := checkAct(a.Act); err != nil {
		return nil, err
	}
	if err := nonNeg("N", a.N); err != nil {
		return nil, err
	}
	y, err := o.input(0, a.N, "y")
	if err != nil {
		return nil, err
	}
	dy, err := o.input(1, a.N, "dy")
	if err != nil {
		return nil, err
	}
	dx, err := o.output(0, a.N, "dx")
	if err != nil {
		return nil, err
	}
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
	if err := o.count(2, 1); err != nil {
		return nil, err
	}
	if a.Fn > kernels.BinaryDiv {
		return nil, fmt.Errorf("unknown binary function %d", a.Fn)
	}
	if err := nonNeg("N, Inner, C", a.N, a.Inner, a.C); err != nil {
		return nil, err
	}
	bcast, inner, ch := a.Bcast, a.Inner, a.C
	// The degenerate modes equal cheaper ones (as kernels/cpu normalizes them).
	switch {
	case bcast == kernels.BcastOuter && inner == 1:
		bcast = kernels.BcastNone
	case bcast == kernels.BcastChannel && inner == 1:
		bcast, inner = kernels.BcastInner, ch
	}
	var nb int
	switch bcast {
	case kernels.BcastNone:
		nb = a.N
	case kernels.BcastScalar:
		nb = 1
	case kernels.BcastInner:
		if inner <= 0 || a.N%inner != 0 {
			return nil, fmt.Errorf("BcastInner: N=%d is not a multiple of Inner=%d", a.N, a.Inner)
		}
		nb = inner
	case kernels.BcastChannel:
		if inner <= 0 || ch <= 0 || a.N%(ch*inner) != 0 {
			return nil, fmt.Errorf("BcastChannel: N=%d is not a multiple of C·Inner=%d·%d", a.N, a.C, a.Inner)
		}
		nb = ch
	case kernels.BcastOuter:
		if inner <= 0 || a.N%inner != 0 {
			return nil, fmt.Errorf("BcastOuter: N=%d is not a multiple of Inner=%d", a.N, a.Inner)
		}
		nb = a.N / inner
	default:
		return nil, fmt.Errorf("unknown broadcast mode %d", a.Bcast)
	}
	pa, err := o.input(0, a.N, "a")
	if err != nil {
		return nil, err
	}
	pb, err := o.input(1, nb, "b")
	if err != nil {
		return nil, err
	}
	pc, err := o.output(0, a.N, "c")
	if err != nil {
		return nil, err
	}
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
	if err := o.count(1, 1); err != nil {
		return nil, err
	}
	if err := nonNeg("N", a.N); err != nil {
		return nil, err
	}
	x, err := o.input(0, a.N, "x")
	if err != nil {
		return nil, err
	}
	y, err := o.output(0, a.N, "y")
	if err != nil {
		return nil, err
	}
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
	if err := o.count(0, 1); err != nil {
		return nil, err
	}
	if err := nonNeg("N", a.N); err != nil {
		return nil, err
	}
	y, err := o.output(0, a.N, "y")
	if err != nil {
		return nil, err
	}
	return o.fill(y, a.N, a.Value)
}

// fill is the launch of y[0..n) = v.
func (o operands) fill(y uint64, n int, v float32) ([]launch, error) {
	var ar args
	ar.ptr(y).i64(n).f32(v)
	return o.elt("fill_f32", n, ar, fmt.Sprintf("N=%d value=%g", n, v))
}

func bindTranspose(o operands, a kernels.TransposeArgs) ([]launch, error) {
	if err := o.count(1, 1); err != nil {
		return nil, err
	}
	xd, perm, err := transposeDims(a)
	if err != nil {
		return nil, err
	}
	n := xd[0] * xd[1] * xd[2] * xd[3]
	x, err := o.input(0, n, "x")
	if err != nil {
		return nil, err
	}
	y, err := o.output(0, n, "y")
	if err != nil {
		return nil, err
	}
	if o.overlap(o.in.Out[0], o.in.In[0]) {
		return nil, fmt.Errorf("y overlaps x")
	}
	// y's axis i walks x with the stride of x's axis perm[i].
	xs := [4]int{xd[1] * xd[2] * xd[3], xd[2] * xd[3], xd[3], 1}
	var yd, sx [4]int
	for i := range 4 {
		yd[i], sx[i] = xd[perm[i]], xs[perm[i]]
	}
	var ar args
	ar.ptr(x).ptr(y).i64(n).ints(max(yd[1], 1), max(yd[2], 1), max(yd[3], 1)).ints(sx[:]...)
	return o.elt("transpose_f32", n, ar, fmt.Sprintf("x %v perm %v", a.Shape[:a.Rank], a.Perm[:a.Rank]))
}

func bindDropout(o operands, a kernels.DropoutArgs) ([]launch, error) {
	if err := o.count(2, 2); err != nil {
		return nil, err
	}
	if !(a.P >= 0 && a.P <= 1) {
		return nil, fmt.Errorf("drop probability P=%v outside [0, 1]", a.P)
	}
	if err := nonNeg("N", a.N); err != nil {
		return nil, err
	}
	x, err := o.input(0, a.N, "x")
	if err != nil {
		return nil, err
	}
	ctl, err := o.input(1, 2, "ctl [training, step]")
	if err != nil {
		return nil, err
	}
	y, err := o.output(0, a.N, "y")
	if err != nil {
		return nil, err
	}
	mask, err := o.output(1, a.N, "mask")
	if err != nil {
		return nil, err
	}
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
