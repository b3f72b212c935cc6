package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// Reference computes one instruction with plain float64 loops: the spec of
// every kernel, which the conformance suite holds each backend to.
//
// inputs holds the values of in.In, in order. Ops that read their output
// (OpGemm, OpBiasGrad and OpConv2DBwdFilter with Beta ≠ 0) take its prior
// value as one more input after them. The result holds the values of
// in.Out, in order. The in-place optimizer ops (OpSGD, OpAdam) update the
// p and state slices of inputs in place and return no outputs.
//
// Errors name the op and the operand at fault: a wrong count or length, a
// label that is not a class index, an unknown function.
func Reference(in kernels.Instr, inputs [][]float64) ([][]float64, error) {
	out, err := reference(in, inputs)
	if err != nil {
		return nil, fmt.Errorf("cpu.Reference %s (node %q): %w", in.Op, in.Node, err)
	}
	return out, nil
}

func reference(in kernels.Instr, inputs [][]float64) ([][]float64, error) {
	switch in.Op {
	case kernels.OpGemm:
		return refArgs(in, inputs, refGemm)
	case kernels.OpUnary:
		return refArgs(in, inputs, refUnary)
	case kernels.OpActGrad:
		return refArgs(in, inputs, refActGrad)
	case kernels.OpBinary:
		return refArgs(in, inputs, refBinary)
	case kernels.OpReduce:
		return refArgs(in, inputs, refReduce)
	case kernels.OpBroadcast:
		return refArgs(in, inputs, refBroadcast)
	case kernels.OpBiasGrad:
		return refArgs(in, inputs, refBiasGrad)
	case kernels.OpTranspose:
		return refArgs(in, inputs, refTranspose)
	case kernels.OpCopy:
		return refArgs(in, inputs, refCopy)
	case kernels.OpFill:
		return refArgs(in, inputs, refFill)
	case kernels.OpConv2D, kernels.OpConv2DBwdData, kernels.OpConv2DBwdFilter, kernels.OpIm2Col, kernels.OpCol2Im,
		kernels.OpMaxPool, kernels.OpMaxPoolBwd, kernels.OpAvgPool, kernels.OpAvgPoolBwd:
		return refConvPool(in, inputs)
	case kernels.OpSoftmax:
		return refArgs(in, inputs, refSoftmax)
	case kernels.OpSoftmaxXent:
		return refArgs(in, inputs, refXent)
	case kernels.OpSoftmaxXentBwd:
		return refArgs(in, inputs, refXentBwd)
	case kernels.OpDropout:
		return refArgs(in, inputs, refDropout)
	case kernels.OpSGD:
		return refArgs(in, inputs, refSGD)
	case kernels.OpAdam:
		return refArgs(in, inputs, refAdam)
	}
	return nil, fmt.Errorf("no reference for op %s: %w", in.Op, kernels.ErrNotImplemented)
}

// refArgs asserts the Args type and checks that the instruction's output
// count matches what the reference returns.
func refArgs[A any](in kernels.Instr, inputs [][]float64, f func(in kernels.Instr, a A, inputs [][]float64) ([][]float64, error)) ([][]float64, error) {
	a, ok := in.Args.(A)
	if !ok {
		var want A
		return nil, fmt.Errorf("args are %T, want %T", in.Args, want)
	}
	return f(in, a, inputs)
}

// refWant checks the number and lengths of the inputs: lens[i] floats for
// input i, named names[i] in messages.
func refWant(inputs [][]float64, names []string, lens ...int) error {
	if len(inputs) != len(lens) {
		return fmt.Errorf("got %d inputs, want %d (%v)", len(inputs), len(lens), names)
	}
	for i, n := range lens {
		if len(inputs[i]) != n {
			return fmt.Errorf("input %d (%s) has %d values, want %d", i, names[i], len(inputs[i]), n)
		}
	}
	return nil
}

// refLabel converts a label to a class index in [0, d).
func refLabel(v float64, row, d int) (int, error) {
	k := int(v)
	if float64(k) != v || k < 0 || k >= d {
		return 0, fmt.Errorf("label %v at row %d is not a class index in [0, %d)", v, row, d)
	}
	return k, nil
}
