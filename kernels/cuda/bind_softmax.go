//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Launchers of softmax.cu. Invalid labels cannot be reported by a kernel;
// see softmax.cu for how they show (NaN).

// rowsPerBlock is the rows of the warp-per-row kernels in a 128-thread block.
const rowsPerBlock = 4

func bindSoftmax(o operands, a kernels.SoftmaxArgs) ([]launch, error) {
	x, y := o.input(0), o.output(0)
	if err := o.sameOrDisjoint(o.in.Out[0], o.in.In[0], "x"); err != nil {
		return nil, err
	}
	if a.Rows == 0 {
		return nil, nil
	}
	var ar args
	ar.ptr(x).ptr(y).ints(a.Rows, a.D).flag(a.Log)
	grid := [3]int{min(ceilDiv(a.Rows, rowsPerBlock), 32*o.dev().sms), 1, 1}
	return o.launch1("softmax_f32", grid, [3]int{32 * rowsPerBlock, 1, 1}, ar, fmt.Sprintf("rows=%d D=%d log=%v", a.Rows, a.D, a.Log))
}

// bindXent: Out is (loss, probs) or (loss) alone. The loss is one sum over
// all rows, so the kernel is one block of 1024 threads.
func bindXent(o operands, a kernels.XentArgs) ([]launch, error) {
	nOut := len(o.in.Out)
	logits, labels, loss := o.input(0), o.input(1), o.output(0)
	in, out := o.in.In, o.in.Out
	var probs uint64
	if nOut == 2 {
		probs = o.output(1)
		if err := o.disjoint(out[1], "probs", in[0], in[1], out[0]); err != nil {
			return nil, err
		}
	}
	if err := o.disjoint(out[0], "loss", in...); err != nil {
		return nil, err
	}
	var ar args
	ar.ptr(logits).ptr(labels).ptr(loss).ptr(probs).ints(a.N, a.D)
	return o.launch1("xent_fwd_f32", [3]int{1, 1, 1}, [3]int{1024, 1, 1}, ar, fmt.Sprintf("N=%d D=%d probs=%v", a.N, a.D, nOut == 2))
}

// bindXentBwd: In is (probs, labels) or (probs, labels, dloss).
func bindXentBwd(o operands, a kernels.XentArgs) ([]launch, error) {
	nIn := len(o.in.In)
	probs, labels, dx := o.input(0), o.input(1), o.output(0)
	var dloss uint64
	if nIn == 3 {
		dloss = o.input(2)
	}
	in, out := o.in.In, o.in.Out
	if err := o.sameOrDisjoint(out[0], in[0], "probs"); err != nil {
		return nil, err
	}
	if err := o.disjoint(out[0], "dlogits", in[1:]...); err != nil {
		return nil, err
	}
	var ar args
	ar.ptr(probs).ptr(labels).ptr(dloss).ptr(dx).ints(a.N, a.D)
	return o.elt("xent_bwd_f32", a.N*a.D, ar, fmt.Sprintf("N=%d D=%d dloss=%v", a.N, a.D, nIn == 3))
}
