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

// bindArgs asserts the instruction's Args to the type its binder takes.
func bindArgs[A any](o operands, f func(operands, A) (step, error)) (step, error) {
	a, ok := o.in.Args.(A)
	if !ok {
		var want A
		return nil, fmt.Errorf("args are %T, want %T", o.in.Args, want)
	}
	return f(o, a)
}

// operands cuts an instruction's buffers out of the arena.
type operands struct {
	x  *Executable
	in kernels.Instr
}

// count checks the number of inputs and outputs.
func (o operands) count(nIn, nOut int) error {
	if len(o.in.In) != nIn || len(o.in.Out) != nOut {
		return fmt.Errorf("has %d inputs and %d outputs, want %d and %d", len(o.in.In), len(o.in.Out), nIn, nOut)
	}
	return nil
}

// input returns In[k], which must hold n floats; what names it in messages.
func (o operands) input(k, n int, what string) ([]float32, error) {
	return o.slice("In", o.in.In, k, n, what)
}

// output returns Out[k], which must hold n floats.
func (o operands) output(k, n int, what string) ([]float32, error) {
	return o.slice("Out", o.in.Out, k, n, what)
}

func (o operands) slice(side string, ids []kernels.BufID, k, n int, what string) ([]float32, error) {
	if k >= len(ids) {
		return nil, fmt.Errorf("%s[%d] (%s) is missing", side, k, what)
	}
	id := ids[k]
	if id < 0 || int(id) >= len(o.x.prog.Buffers) {
		return nil, fmt.Errorf("%s[%d] (%s) is b%d, which does not exist", side, k, what, id)
	}
	b := &o.x.prog.Buffers[id]
	if b.Len != n {
		return nil, fmt.Errorf("%s[%d] (%s) b%d %q %v holds %d floats, want %d", side, k, what, id, b.Name, b.Shape, b.Len, n)
	}
	return o.x.buf(id), nil
}

// overlaps reports whether two slices of the arena share any element.
func overlaps(a, b []float32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, b0 := &a[0], &b[0]
	aEnd, bEnd := &a[len(a)-1], &b[len(b)-1]
	return ptrLE(a0, bEnd) && ptrLE(b0, aEnd)
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

func ptrLE(a, b *float32) bool { return uintptr(unsafe.Pointer(a)) <= uintptr(unsafe.Pointer(b)) }
