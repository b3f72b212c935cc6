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

// bindArgs asserts the instruction's Args to the type its binder takes.
func bindArgs[A any](o operands, f func(operands, A) ([]launch, error)) ([]launch, error) {
	a, ok := o.in.Args.(A)
	if !ok {
		var want A
		return nil, fmt.Errorf("args are %T, want %T", o.in.Args, want)
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

// count checks the number of inputs and outputs.
func (o operands) count(nIn, nOut int) error {
	if len(o.in.In) != nIn || len(o.in.Out) != nOut {
		return fmt.Errorf("has %d inputs and %d outputs, want %d and %d", len(o.in.In), len(o.in.Out), nIn, nOut)
	}
	return nil
}

// input returns the address of In[k], which must hold n floats.
func (o operands) input(k, n int, what string) (uint64, error) {
	return o.addr("In", o.in.In, k, n, what)
}

// output returns the address of Out[k], which must hold n floats.
func (o operands) output(k, n int, what string) (uint64, error) {
	return o.addr("Out", o.in.Out, k, n, what)
}

func (o operands) addr(side string, ids []kernels.BufID, k, n int, what string) (uint64, error) {
	if k >= len(ids) {
		return 0, fmt.Errorf("%s[%d] (%s) is missing", side, k, what)
	}
	id := ids[k]
	p := o.bd.x.prog
	if id < 0 || int(id) >= len(p.Buffers) {
		return 0, fmt.Errorf("%s[%d] (%s) is b%d, which does not exist", side, k, what, id)
	}
	b := &p.Buffers[id]
	if b.Len != n {
		return 0, fmt.Errorf("%s[%d] (%s) b%d %q %v holds %d floats, want %d", side, k, what, id, b.Name, b.Shape, b.Len, n)
	}
	if n > maxElems {
		return 0, fmt.Errorf("%s[%d] (%s) has %d floats; the kernels index with 32-bit ints (at most %d)", side, k, what, n, maxElems)
	}
	return o.bd.base + 4*uint64(b.Offset), nil
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

// nonNeg checks that each named size is ≥ 0.
func nonNeg(names string, v ...int) error {
	for _, n := range v {
		if n < 0 {
			return fmt.Errorf("sizes %s = %v must not be negative", names, v)
		}
	}
	return nil
}
