package cpu

import (
	"fmt"
	"unsafe"

	"github.com/gaborlab/gabor/kernels"
)

// opBinder prepares one instruction whose operands kernels.CheckOperands
// has checked (Args, counts, buffer lengths): it applies this backend's own
// rules (overlaps) and returns the step that runs the kernel.
type opBinder func(o operands) (step, error)

// binders is the cpu backend's op table: one entry per op of the
// vocabulary (TestBinderTable checks that none is missing).
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

// bind prepares one instruction: it checks it against its operand contract
// once, here, so the kernels themselves trust their slices, and hands it
// to the op's binder.
func bind(x *Executable, in kernels.Instr) (step, error) {
	if int(in.Op) >= len(binders) || binders[in.Op] == nil {
		return nil, fmt.Errorf("op %s: %w on the cpu backend", in.Op, kernels.ErrNotImplemented)
	}
	if err := kernels.CheckOperands(x.prog, in); err != nil {
		return nil, err
	}
	return binders[in.Op](operands{x: x, in: in})
}

// typed adapts a binder that takes the op's Args type.
func typed[A any](f func(operands, A) (step, error)) opBinder {
	return func(o operands) (step, error) {
		a, err := kernels.ArgsOf[A](o.in)
		if err != nil {
			return nil, err
		}
		return f(o, a)
	}
}

// operands cuts an instruction's buffers out of the arena; bind has
// checked that they exist and hold what the Args say.
type operands struct {
	x  *Executable
	in kernels.Instr
}

// input returns In[k].
func (o operands) input(k int) []float32 { return o.x.buf(o.in.In[k]) }

// output returns Out[k].
func (o operands) output(k int) []float32 { return o.x.buf(o.in.Out[k]) }

// overlaps reports whether two slices of the arena share any element.
func overlaps(a, b []float32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, b0 := &a[0], &b[0]
	aEnd, bEnd := &a[len(a)-1], &b[len(b)-1]
	return ptrLE(a0, bEnd) && ptrLE(b0, aEnd)
}

func ptrLE(a, b *float32) bool { return uintptr(unsafe.Pointer(a)) <= uintptr(unsafe.Pointer(b)) }
