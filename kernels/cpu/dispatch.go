package cpu

import (
	"fmt"
	"unsafe"

	"github.com/gaborlab/gabor/kernels"
)

// bind prepares one instruction: it checks the operand count and lengths
// against the arguments and returns the step that runs the kernel. Every
// length check lives here, once, so the kernels themselves trust their slices.
func bind(x *Executable, in kernels.Instr) (step, error) {
	o := operands{x: x, in: in}
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
	return nil, fmt.Errorf("op %s: %w on the cpu backend", in.Op, kernels.ErrNotImplemented)
}

// bindArgs checks the instruction against its operand contract
// (kernels.CheckOperands: Args, counts, buffer lengths) and hands the typed
// Args to its binder, which may then take every operand as given.
func bindArgs[A any](o operands, f func(operands, A) (step, error)) (step, error) {
	if err := kernels.CheckOperands(o.x.prog, o.in); err != nil {
		return nil, err
	}
	a, err := kernels.ArgsOf[A](o.in)
	if err != nil {
		return nil, err
	}
	return f(o, a)
}

// operands cuts an instruction's buffers out of the arena; bindArgs has
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
