package kernels

import (
	"fmt"
	"strings"
)

// The operand contract of every op, in one place: what an instruction's
// Args say its buffers must hold. Every backend checks an instruction
// against it once, when a Program is loaded, so that kernels can trust
// their operands; the backends keep only what is theirs (overlap rules,
// limits of their index arithmetic).

// Operand is one buffer an instruction reads or writes, as its Args
// describe it.
type Operand struct {
	Name string // for messages: "x", "bias", "p0", "hyper [lr, step]"
	Len  int    // the floats the buffer must hold
	Min  bool   // Len is a lower bound, not an exact length
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

// Operands checks in's Args (sizes, enumerations, geometry) and returns
// the operands the instruction must have, in the order of the table on Op.
// Where an op has optional operands (a bias, OpSoftmaxXent's probs,
// OpSoftmaxXentBwd's dloss) the Args or the instruction's own counts say
// which form it takes.
func Operands(in Instr) (ins, outs []Operand, err error) {
	switch in.Op {
	case OpGemm:
		a, err := ArgsOf[GemmArgs](in)
		if err != nil {
			return nil, nil, err
		}
		if err := nonNeg("M, N, K", a.M, a.N, a.K); err != nil {
			return nil, nil, err
		}
		if err := a.Act.check(); err != nil {
			return nil, nil, err
		}
		ins = ops("A", a.M*a.K, "B", a.K*a.N)
		if a.Bias {
			ins = append(ins, Operand{Name: "bias", Len: a.N})
		}
		return ins, ops("C", a.M*a.N), nil
	case OpUnary:
		a, err := ArgsOf[UnaryArgs](in)
		if err != nil {
			return nil, nil, err
		}
		if a.Fn > UnaryScale {
			return nil, nil, fmt.Errorf("unknown unary function %d", a.Fn)
		}
		return ops("x", a.N), ops("y", a.N), nonNeg("N", a.N)
	case OpActGrad:
		a, err := ArgsOf[ActGradArgs](in)
		if err != nil {
			return nil, nil, err
		}
		if err := a.Act.check(); err != nil {
			return nil, nil, err
		}
		return ops("y", a.N, "dy", a.N), ops("dx", a.N), nonNeg("N", a.N)
	case OpBinary:
		a, err := ArgsOf[BinaryArgs](in)
		if err != nil {
			return nil, nil, err
		}
		_, nb, err := a.Normalized()
		return ops("a", a.N, "b", nb), ops("c", a.N), err
	case OpReduce:
		a, err := ArgsOf[ReduceArgs](in)
		if err != nil {
			return nil, nil, err
		}
		return ops("x", a.Outer*a.Mid*a.Inner), ops("y", a.Outer*a.Inner), nonNeg("Outer, Mid, Inner", a.Outer, a.Mid, a.Inner)
	case OpBroadcast:
		a, err := ArgsOf[BroadcastArgs](in)
		if err != nil {
			return nil, nil, err
		}
		return ops("x", a.Outer*a.Inner), ops("y", a.Outer*a.Mid*a.Inner), nonNeg("Outer, Mid, Inner", a.Outer, a.Mid, a.Inner)
	case OpBiasGrad:
		a, err := ArgsOf[BiasGradArgs](in)
		if err != nil {
			return nil, nil, err
		}
		return ops("dy", a.N*a.C*a.HW), ops("db", a.C), nonNeg("N, C, HW", a.N, a.C, a.HW)
	case OpTranspose:
		a, err := ArgsOf[TransposeArgs](in)
		if err != nil {
			return nil, nil, err
		}
		xd, _, err := a.Padded()
		n := xd[0] * xd[1] * xd[2] * xd[3]
		return ops("x", n), ops("y", n), err
	case OpCopy:
		a, err := ArgsOf[CopyArgs](in)
		if err != nil {
			return nil, nil, err
		}
		return ops("x", a.N), ops("y", a.N), nonNeg("N", a.N)
	case OpFill:
		a, err := ArgsOf[FillArgs](in)
		if err != nil {
			return nil, nil, err
		}
		return nil, ops("y", a.N), nonNeg("N", a.N)
	case OpConv2D, OpConv2DBwdData, OpConv2DBwdFilter, OpIm2Col, OpCol2Im:
		a, err := ArgsOf[ConvArgs](in)
		if err != nil {
			return nil, nil, err
		}
		return a.operands(in.Op)
	case OpMaxPool, OpMaxPoolBwd, OpAvgPool, OpAvgPoolBwd:
		a, err := ArgsOf[PoolArgs](in)
		if err != nil {
			return nil, nil, err
		}
		return a.operands(in.Op)
	case OpSoftmax:
		a, err := ArgsOf[SoftmaxArgs](in)
		if err != nil {
			return nil, nil, err
		}
		return ops("x", a.Rows*a.D), ops("y", a.Rows*a.D), nonNeg("Rows, D", a.Rows, a.D)
	case OpSoftmaxXent:
		a, err := ArgsOf[XentArgs](in)
		if err != nil {
			return nil, nil, err
		}
		outs = ops("loss", 1)
		if len(in.Out) != 1 {
			outs = append(outs, Operand{Name: "probs", Len: a.N * a.D})
		}
		return ops("logits", a.N*a.D, "labels", a.N), outs, nonNeg("N, D", a.N, a.D)
	case OpSoftmaxXentBwd:
		a, err := ArgsOf[XentArgs](in)
		if err != nil {
			return nil, nil, err
		}
		ins = ops("probs", a.N*a.D, "labels", a.N)
		if len(in.In) != 2 {
			ins = append(ins, Operand{Name: "dloss", Len: 1})
		}
		return ins, ops("dlogits", a.N*a.D), nonNeg("N, D", a.N, a.D)
	case OpDropout:
		a, err := ArgsOf[DropoutArgs](in)
		if err != nil {
			return nil, nil, err
		}
		if !(a.P >= 0 && a.P <= 1) {
			return nil, nil, fmt.Errorf("drop probability P=%v outside [0, 1]", a.P)
		}
		return ops("x", a.N, "ctl [training, step]", 2), ops("y", a.N, "mask", a.N), nonNeg("N", a.N)
	case OpSGD:
		a, err := ArgsOf[SGDArgs](in)
		if err != nil {
			return nil, nil, err
		}
		ins, err = optimOperands(a.Sizes, "pgv", "hyper [lr]", 1)
		return ins, nil, err
	case OpAdam:
		a, err := ArgsOf[AdamArgs](in)
		if err != nil {
			return nil, nil, err
		}
		ins, err = optimOperands(a.Sizes, "pgmv", "hyper [lr, step]", 2)
		return ins, nil, err
	}
	return nil, nil, fmt.Errorf("op %s: %w", in.Op, ErrNotImplemented)
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

// optimOperands lists an optimizer's inputs: group j of tensor i (groups
// named by the letters of groups: p, g, then the state) is In[j·k + i] with
// sizes[i] floats, then the hyper buffer of at least hyperLen floats.
func optimOperands(sizes []int, groups, hyper string, hyperLen int) ([]Operand, error) {
	k := len(sizes)
	ins := make([]Operand, 0, len(groups)*k+1)
	for _, g := range groups {
		for i, n := range sizes {
			if n < 0 {
				return nil, fmt.Errorf("tensor %d has negative size %d", i, n)
			}
			ins = append(ins, Operand{Name: fmt.Sprintf("%c%d", g, i), Len: n})
		}
	}
	return append(ins, Operand{Name: hyper, Len: hyperLen, Min: true}), nil
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
