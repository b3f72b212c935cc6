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

// align256 rounds a byte count up to the 256-byte alignment of the parts.
func align256(n int64) int64 { return (n + 255) &^ 255 }

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

// opBinder prepares the launches of one instruction whose operands bind
// has checked (kernels.CheckOperands and the 32-bit index range): it applies
// this backend's overlap rules and builds the launches.
type opBinder func(o operands) ([]launch, error)

// binders is the cuda backend's op table: one entry per op of the
// vocabulary (TestBinderTable and the source check in bind_table_test.go
// see that none is missing).
var binders = [kernels.NumOps]opBinder{
	kernels.OpGemm:            typed(bindGemm),
	kernels.OpUnary:           typed(bindUnary),
	kernels.OpActGrad:         typed(bindActGrad),
	kernels.OpBinary:          typed(bindBinary),
	kernels.OpReduce:          typed(bindReduce),
	kernels.OpBroadcast:       typed(bindBroadcast),
	kernels.OpBiasGrad:        typed(bindBiasGrad),
	kernels.OpTranspose:       typed(bindTranspose),
	kernels.OpCopy:            typed(bindCopy),
	kernels.OpFill:            typed(bindFill),
	kernels.OpConv2D:          typed(bindConv2D),
	kernels.OpConv2DBwdData:   typed(bindConv2DBwdData),
	kernels.OpConv2DBwdFilter: typed(bindConv2DBwdFilter),
	kernels.OpIm2Col:          typed(bindIm2Col),
	kernels.OpCol2Im:          typed(bindCol2Im),
	kernels.OpMaxPool:         typed(bindMaxPool),
	kernels.OpMaxPoolBwd:      typed(bindMaxPoolBwd),
	kernels.OpAvgPool:         typed(bindAvgPool),
	kernels.OpAvgPoolBwd:      typed(bindAvgPoolBwd),
	kernels.OpSoftmax:         typed(bindSoftmax),
	kernels.OpSoftmaxXent:     typed(bindXent),
	kernels.OpSoftmaxXentBwd:  typed(bindXentBwd),
	kernels.OpDropout:         typed(bindDropout),
	kernels.OpSGD:             typed(bindSGD),
	kernels.OpAdam:            typed(bindAdam),
	kernels.OpAdagrad:         typed(bindAdagrad),
	kernels.OpRMSprop:         typed(bindRMSprop),
	kernels.OpGather:          typed(bindGather),
	kernels.OpStepBegin:       typed(bindStepBegin),
	kernels.OpStepEnd:         typed(bindStepEnd),
	kernels.OpEvalScore:       typed(bindEvalScore),
}

// bind checks one instruction against its operand contract
// (kernels.CheckOperands: Args, counts, buffer lengths) and this backend's
// 32-bit index range, once, here, so the kernels trust their pointers, and
// hands it to the op's binder.
func (bd *binder) bind(in kernels.Instr) ([]launch, error) {
	if int(in.Op) >= len(binders) || binders[in.Op] == nil {
		return nil, fmt.Errorf("op %s: %w on the cuda backend", in.Op, kernels.ErrNotImplemented)
	}
	o := operands{bd: bd, in: in}
	if err := kernels.CheckOperands(bd.x.prog, in); err != nil {
		return nil, err
	}
	for _, ids := range [][]kernels.BufID{in.In, in.Out} {
		for _, id := range ids {
			if err := o.fits(id); err != nil {
				return nil, err
			}
		}
	}
	return binders[in.Op](o)
}

// typed adapts a binder that takes the op's Args type.
func typed[A any](f func(operands, A) ([]launch, error)) opBinder {
	return func(o operands) ([]launch, error) {
		a, err := kernels.ArgsOf[A](o.in)
		if err != nil {
			return nil, err
		}
		return f(o, a)
	}
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

// span is the arena range [lo, hi) of a buffer, in float slots.
func (o operands) span(id kernels.BufID) (lo, hi int) {
	b := &o.bd.x.prog.Buffers[id]
	return b.Offset, b.Offset + b.Floats()
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
