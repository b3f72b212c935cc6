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

// refFunc computes one instruction of an op in float64 (see Reference).
type refFunc func(in kernels.Instr, inputs [][]float64) ([][]float64, error)

// references is the reference's op table: one entry per op of the
// vocabulary (TestBinderTable checks that none is missing).
var references = [kernels.NumOps]refFunc{
	kernels.OpGemm:            refTyped(refGemm),
	kernels.OpUnary:           refTyped(refUnary),
	kernels.OpActGrad:         refTyped(refActGrad),
	kernels.OpBinary:          refTyped(refBinary),
	kernels.OpReduce:          refTyped(refReduce),
	kernels.OpBroadcast:       refTyped(refBroadcast),
	kernels.OpBiasGrad:        refTyped(refBiasGrad),
	kernels.OpTranspose:       refTyped(refTranspose),
	kernels.OpCopy:            refTyped(refCopy),
	kernels.OpFill:            refTyped(refFill),
	kernels.OpConv2D:          refConvPool,
	kernels.OpConv2DBwdData:   refConvPool,
	kernels.OpConv2DBwdFilter: refConvPool,
	kernels.OpIm2Col:          refConvPool,
	kernels.OpCol2Im:          refConvPool,
	kernels.OpMaxPool:         refConvPool,
	kernels.OpMaxPoolBwd:      refConvPool,
	kernels.OpAvgPool:         refConvPool,
	kernels.OpAvgPoolBwd:      refConvPool,
	kernels.OpSoftmax:         refTyped(refSoftmax),
	kernels.OpSoftmaxXent:     refTyped(refXent),
	kernels.OpSoftmaxXentBwd:  refTyped(refXentBwd),
	kernels.OpDropout:         refTyped(refDropout),
	kernels.OpSGD:             refTyped(refSGD),
	kernels.OpAdam:            refTyped(refAdam),
	kernels.OpAdagrad:         refTyped(refAdagrad),
	kernels.OpRMSprop:         refTyped(refRMSprop),
	kernels.OpGather:          refTyped(refGather),
	kernels.OpStepBegin:       refTyped(refStepBegin),
	kernels.OpStepEnd:         refTyped(refStepEnd),
	kernels.OpEvalScore:       refTyped(refEvalScore),
}

func reference(in kernels.Instr, inputs [][]float64) ([][]float64, error) {
	if int(in.Op) >= len(references) || references[in.Op] == nil {
		return nil, fmt.Errorf("no reference for op %s: %w", in.Op, kernels.ErrNotImplemented)
	}
	return references[in.Op](in, inputs)
}

// refTyped asserts the Args type and hands the typed Args to f.
func refTyped[A any](f func(in kernels.Instr, a A, inputs [][]float64) ([][]float64, error)) refFunc {
	return func(in kernels.Instr, inputs [][]float64) ([][]float64, error) {
		a, ok := in.Args.(A)
		if !ok {
			var want A
			return nil, fmt.Errorf("args are %T, want %T", in.Args, want)
		}
		return f(in, a, inputs)
	}
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
