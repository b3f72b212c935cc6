package kernels

import (
	"fmt"
	"reflect"
	"strings"
)

// The operand contract of every op, in one place: what an instruction's
// Args say its buffers must hold. Each Args type checks itself and lists
// its operands (args.go); every backend checks an instruction against that
// once, when a Program is loaded, so that kernels can trust their operands;
// the backends keep only what is theirs (overlap rules, limits of their
// index arithmetic).

// Args is implemented by the argument type of every op (GemmArgs for
// OpGemm, and so on: the table on Op and opArgs below).
type Args interface {
	// Check rejects Args that describe no valid call: negative sizes,
	// unknown enumerations, inconsistent geometry.
	Check() error
	// Operands lists the buffers an instruction with these Args reads and
	// writes, in the order of the table on Op. in is that instruction: its
	// Op picks the member of a family that shares one Args type
	// (ConvArgs, PoolArgs, XentArgs), and its operand counts pick the form
	// of an op with optional operands (OpSoftmaxXent's probs,
	// OpSoftmaxXentBwd's dloss). The Args must have passed Check.
	Operands(in Instr) (ins, outs []Operand)
}

// opArgs is the Args type each op takes, as a zero value. An op without an
// entry is not part of the vocabulary.
var opArgs = [NumOps]Args{
	OpGemm:            GemmArgs{},
	OpUnary:           UnaryArgs{},
	OpActGrad:         ActGradArgs{},
	OpBinary:          BinaryArgs{},
	OpReduce:          ReduceArgs{},
	OpBroadcast:       BroadcastArgs{},
	OpBiasGrad:        BiasGradArgs{},
	OpTranspose:       TransposeArgs{},
	OpCopy:            CopyArgs{},
	OpFill:            FillArgs{},
	OpConv2D:          ConvArgs{},
	OpConv2DBwdData:   ConvArgs{},
	OpConv2DBwdFilter: ConvArgs{},
	OpIm2Col:          ConvArgs{},
	OpCol2Im:          ConvArgs{},
	OpMaxPool:         PoolArgs{},
	OpMaxPoolBwd:      PoolArgs{},
	OpAvgPool:         PoolArgs{},
	OpAvgPoolBwd:      PoolArgs{},
	OpSoftmax:         SoftmaxArgs{},
	OpSoftmaxXent:     XentArgs{},
	OpSoftmaxXentBwd:  XentArgs{},
	OpDropout:         DropoutArgs{},
	OpSGD:             SGDArgs{},
	OpAdam:            AdamArgs{},
	OpAdagrad:         AdagradArgs{},
	OpRMSprop:         RMSpropArgs{},
	OpGather:          GatherArgs{},
	OpStepBegin:       StepBeginArgs{},
	OpStepEnd:         StepEndArgs{},
	OpEvalScore:       EvalScoreArgs{},
}

// Operand is one buffer an instruction reads or writes, as its Args
// describe it.
type Operand struct {
	Name string // for messages: "x", "bias", "p0", "hyper [lr, step]"
	Len  int    // the elements the buffer must hold
	Min  bool   // Len is a lower bound, not an exact length
	Type DType  // the buffer's element type (F32 unless the op says)
}

// ArgsOf returns in.Args as the type A an op's kernels take.
func ArgsOf[A any](in Instr) (A, error) {
	a, ok := in.Args.(A)
	if !ok {
		var want A
		return want, fmt.Errorf("args are %T, want %T", in.Args, want)
	}
	return a, nil
}

// Operands checks that in's Args are of the type its op takes and pass
// their Check, and returns the operands the instruction must have (see
// Args.Operands). An op outside the vocabulary is ErrNotImplemented.
func Operands(in Instr) (ins, outs []Operand, err error) {
	if int(in.Op) >= NumOps || opArgs[in.Op] == nil {
		return nil, nil, fmt.Errorf("op %s: %w", in.Op, ErrNotImplemented)
	}
	want := opArgs[in.Op]
	if reflect.TypeOf(in.Args) != reflect.TypeOf(want) {
		return nil, nil, fmt.Errorf("args are %T, want %T", in.Args, want)
	}
	a := in.Args.(Args)
	if err := a.Check(); err != nil {
		return nil, nil, err
	}
	ins, outs = a.Operands(in)
	return ins, outs, nil
}

// CheckOperands checks in against Operands: its Args, the number of its
// inputs and outputs, and that each buffer exists in p and holds the
// floats its Args say.
func CheckOperands(p *Program, in Instr) error {
	ins, outs, err := Operands(in)
	if err != nil {
		return err
	}
	if len(in.In) != len(ins) || len(in.Out) != len(outs) {
		return fmt.Errorf("has %d inputs and %d outputs, want %d (%s) and %d (%s)",
			len(in.In), len(in.Out), len(ins), names(ins), len(outs), names(outs))
	}
	if err := checkBufs(p, "In", in.In, ins); err != nil {
		return err
	}
	return checkBufs(p, "Out", in.Out, outs)
}

func checkBufs(p *Program, side string, ids []BufID, want []Operand) error {
	for k, w := range want {
		if err := CheckBuf(p, ids[k], w); err != nil {
			return fmt.Errorf("%s[%d] %w", side, k, err)
		}
	}
	return nil
}

// CheckBuf checks that buffer id exists in p and holds what w says.
func CheckBuf(p *Program, id BufID, w Operand) error {
	if id < 0 || int(id) >= len(p.Buffers) {
		return fmt.Errorf("(%s) is b%d, which does not exist", w.Name, id)
	}
	b := &p.Buffers[id]
	switch {
	case b.DType != w.Type:
		return fmt.Errorf("(%s) b%d %q %v holds %s, want %s", w.Name, id, b.Name, b.Shape, b.DType, w.Type)
	case w.Min && b.Len < w.Len:
		return fmt.Errorf("(%s) b%d %q %v holds %d floats, want ≥ %d", w.Name, id, b.Name, b.Shape, b.Len, w.Len)
	case !w.Min && b.Len != w.Len:
		return fmt.Errorf("(%s) b%d %q %v holds %d floats, want %d", w.Name, id, b.Name, b.Shape, b.Len, w.Len)
	}
	return nil
}

// ops builds operands from name, length pairs.
func ops(nameLen ...any) []Operand {
	o := make([]Operand, 0, len(nameLen)/2)
	for i := 0; i+1 < len(nameLen); i += 2 {
		o = append(o, Operand{Name: nameLen[i].(string), Len: nameLen[i+1].(int)})
	}
	return o
}

func names(o []Operand) string {
	s := make([]string, len(o))
	for i, op := range o {
		s[i] = op.Name
	}
	return strings.Join(s, ", ")
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

func (a Act) check() error {
	if a > ActTanh {
		return fmt.Errorf("unknown activation %d", a)
	}
	return nil
}
