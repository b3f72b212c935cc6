//go:build gpu

package cuda

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// binder turns instructions into launches. Beside the arena, some kernels
// need device memory of their own: tables written once at load (the
// optimizers' tensor lists) and a workspace reused by every instruction
// (split-K partial sums), which is safe because the instructions of an
// Executable run one after another on one stream. The allocation is laid
// out as [arena | workspace | tables], each part aligned to 256 bytes.
type binder struct {
	x        *Executable
	base     uint64 // device address of the allocation (0 while planning)
	plannedW int64  // workspace size learned by the planning pass
	work     int64  // largest workspace asked for so far
	tables   int64  // bytes of tables so far
	uploads  []upload
}

// upload is a table to copy to the device once the memory exists.
type upload struct {
	dst  uint64
	data []uint64
}

func newBinder(x *Executable, base uint64) *binder { return &binder{x: x, base: base} }

func (bd *binder) arenaBytes() int64 { return align256(4 * int64(bd.x.prog.ArenaLen)) }

// total is the size of the allocation the bound launches need.
func (bd *binder) total() int64 { return bd.arenaBytes() + align256(bd.work) + bd.tables }

// workspace returns scratch memory of at least n bytes, shared by all
// instructions.
func (bd *binder) workspace(n int64) uint64 {
	bd.work = max(bd.work, n)
	return bd.base + uint64(bd.arenaBytes())
}

// table places data in device memory (copied there at load) and returns
// its address.
func (bd *binder) table(data []uint64) uint64 {
	off := bd.arenaBytes() + align256(bd.plannedW) + bd.tables
	bd.tables += align256(int64(8 * len(data)))
	dst := bd.base + uint64(off)
	bd.uploads = append(bd.uploads, upload{dst, data})
	return dst
}

// bindAll binds every instruction of the program.
func (bd *binder) bindAll() ([][]launch, error) {
	p := bd.x.prog
	steps := make([][]launch, len(p.Instrs))
	for i, in := range p.Instrs {
		ls, err := bd.bind(in)
		if err != nil {
			return nil, bd.x.instrErr(i, err)
		}
		steps[i] = ls
	}
	return steps, nil
}

// bind checks one instruction's operands against its Args and prepares its
// launches; every length check lives in the binders, once, so the kernels
// trust their pointers.
func (bd *binder) bind(in kernels.Instr) ([]launch, error) {
	o := operands{bd: bd, in: in}
	switch in.Op {
	case kernels.OpGemm:
		return bindArgs(o, bindGemm)
	case kernels.OpUnary:
		return bindArgs(o, bindUnary)
	case kernels.OpActGrad:
		return bindArgs(o, bindActGrad)
	case kernels.OpBinary:
		return bindArgs(o, bindBinary)
	case kernels.OpReduce:
		return bindArgs(o, bindReduce)
	case kernels.OpBroadcast:
		return bindArgs(o, bindBroadcast)
	case kernels.OpBiasGrad:
		return bindArgs(o, bindBiasGrad)
	case kernels.OpTranspose:
		return bindArgs(o, bindTranspose)
	case kernels.OpCopy:
		return bindArgs(o, bindCopy)
	case kernels.OpFill:
		return bindArgs(o, bindFill)
	case kernels.OpConv2D, kernels.OpConv2DBwdData, kernels.OpConv2DBwdFilter, kernels.OpIm2Col, kernels.OpCol2Im:
		return bindArgs(o, bindConv)
	case kernels.OpMaxPool, kernels.OpMaxPoolBwd, kernels.OpAvgPool, kernels.OpAvgPoolBwd:
		return bindArgs(o, bindPool)
	case kernels.OpSoftmax:
		return bindArgs(o, bindSoftmax)
	case kernels.OpSoftmaxXent:
		return bindArgs(o, bindXent)
	case kernels.OpSoftmaxXentBwd:
		return bindArgs(o, bindXentBwd)
	case kernels.OpDropout:
		return bindArgs(o, bindDropout)
	case kernels.OpSGD:
		return bindArgs(o, bindSGD)
	case kernels.OpAdam:
		return bindArgs(o, bindAdam)
	}
	return nil, fmt.Errorf("op %s: %w on the cuda backend", in.Op, kernels.ErrNotImplemented)
}

// bindArgs checks the instruction against its operand contract
// (kernels.CheckOperands: Args, counts, buffer lengths) and this backend's
// 32-bit index range, and hands the typed Args to its binder, which may
// then take every operand as given.
func bindArgs[A any](o operands, f func(operands, A) ([]launch, error)) ([]launch, error) {
	p := o.bd.x.prog
	if err := kernels.CheckOperands(p, o.in); err != nil {
		return nil, err
	}
	for _, ids := range [][]kernels.BufID{o.in.In, o.in.Out} {
		for _, id := range ids {
			if err := o.fits(id); err != nil {
				return nil, err
			}
		}
	}
	a, err := kernels.ArgsOf[A](o.in)
	if err != nil {
		return nil, err
	}
	return f(o, a)
}

// operands resolves an instruction's buffers to device addresses.
type operands struct {
	bd *binder
	in kernels.Instr
}

func (o operands) dev() *device { return o.bd.x.dev }

// launch1 is the common case of an instruction that is one launch.
func (o operands) launch1(kernel string, grid, block [3]int, a args, what string) ([]launch, error) {
	l, err := o.dev().newLaunch(kernel, grid, block, 0, a, what)
	if err != nil {
		return nil, err
	}
	return []launch{l}, nil
}

// elt is one grid-stride launch over n elements (none when n = 0).
func (o operands) elt(kernel string, n int, a args, what string) ([]launch, error) {
	if n == 0 {
		return nil, nil
	}
	return o.launch1(kernel, o.dev().eltGrid(n), [3]int{eltThreads, 1, 1}, a, what)
}

// input returns the address of In[k].
func (o operands) input(k int) uint64 { return o.addr(o.in.In[k]) }

// output returns the address of Out[k].
func (o operands) output(k int) uint64 { return o.addr(o.in.Out[k]) }

// checked returns the address of In[k] after checking that it holds n
// floats, for the launches that are not instructions (data.go).
func (o operands) checked(k, n int, what string) (uint64, error) {
	id := o.in.In[k]
	if err := kernels.CheckBuf(o.bd.x.prog, id, kernels.Operand{Name: what, Len: n}); err != nil {
		return 0, fmt.Errorf("In[%d] %w", k, err)
	}
	if err := o.fits(id); err != nil {
		return 0, err
	}
	return o.addr(id), nil
}

// fits checks a buffer against the kernels' 32-bit index range.
func (o operands) fits(id kernels.BufID) error {
	b := &o.bd.x.prog.Buffers[id]
	if b.Len > maxElems {
		return fmt.Errorf("b%d %q has %d floats; the kernels index with 32-bit ints (at most %d)", id, b.Name, b.Len, maxElems)
	}
	return nil
}

func (o operands) addr(id kernels.BufID) uint64 {
	return o.bd.base + 4*uint64(o.bd.x.prog.Buffers[id].Offset)
}

// span is the arena range [lo, hi) of a buffer, in floats.
func (o operands) span(id kernels.BufID) (lo, hi int) {
	b := &o.bd.x.prog.Buffers[id]
	return b.Offset, b.Offset + b.Len
}

// overlap reports whether two operands share any element.
func (o operands) overlap(a, b kernels.BufID) bool {
	alo, ahi := o.span(a)
	blo, bhi := o.span(b)
	return alo < bhi && blo < ahi && alo < ahi && blo < bhi
}

// sameOrDisjoint allows an output to be exactly an input (in place) but
// not to overlap it partially.
func (o operands) sameOrDisjoint(out, in kernels.BufID, what string) error {
	olo, ohi := o.span(out)
	ilo, ihi := o.span(in)
	if o.overlap(out, in) && (olo != ilo || ohi != ihi) {
		return fmt.Errorf("output overlaps %s partially", what)
	}
	return nil
}

// disjoint requires an output to share nothing with the given operands.
func (o operands) disjoint(out kernels.BufID, what string, others ...kernels.BufID) error {
	for _, id := range others {
		if o.overlap(out, id) {
			return fmt.Errorf("%s overlaps another operand (b%d)", what, id)
		}
	}
	return nil
}
