package kernels

import (
	"errors"
	"fmt"
)

// Check and Operands of every Args type (the Args interface), in the order
// of ops.go. The lengths follow from the math on each type there.

func (a GemmArgs) Check() error {
	if err := nonNeg("M, N, K", a.M, a.N, a.K); err != nil {
		return err
	}
	return a.Act.check()
}

// Operands: A, B [, bias when Bias] → C.
func (a GemmArgs) Operands(Instr) (ins, outs []Operand) {
	ins = ops("A", a.M*a.K, "B", a.K*a.N)
	if a.Bias {
		ins = append(ins, Operand{Name: "bias", Len: a.N})
	}
	return ins, ops("C", a.M*a.N)
}

func (a UnaryArgs) Check() error {
	if a.Fn > UnaryScale {
		return fmt.Errorf("unknown unary function %d", a.Fn)
	}
	return nonNeg("N", a.N)
}

// Operands: x → y.
func (a UnaryArgs) Operands(Instr) (ins, outs []Operand) { return ops("x", a.N), ops("y", a.N) }

func (a ActGradArgs) Check() error {
	if err := a.Act.check(); err != nil {
		return err
	}
	return nonNeg("N", a.N)
}

// Operands: y, dy → dx.
func (a ActGradArgs) Operands(Instr) (ins, outs []Operand) {
	return ops("y", a.N, "dy", a.N), ops("dx", a.N)
}

// Check is Normalized's check.
func (a BinaryArgs) Check() error {
	_, _, err := a.Normalized()
	return err
}

// Operands: a, b → c, where b holds what the broadcast mode indexes.
func (a BinaryArgs) Operands(Instr) (ins, outs []Operand) {
	_, nb, _ := a.Normalized()
	return ops("a", a.N, "b", nb), ops("c", a.N)
}

func (a ReduceArgs) Check() error { return nonNeg("Outer, Mid, Inner", a.Outer, a.Mid, a.Inner) }

// Operands: x [Outer, Mid, Inner] → y [Outer, Inner].
func (a ReduceArgs) Operands(Instr) (ins, outs []Operand) {
	return ops("x", a.Outer*a.Mid*a.Inner), ops("y", a.Outer*a.Inner)
}

func (a BroadcastArgs) Check() error { return nonNeg("Outer, Mid, Inner", a.Outer, a.Mid, a.Inner) }

// Operands: x [Outer, Inner] → y [Outer, Mid, Inner].
func (a BroadcastArgs) Operands(Instr) (ins, outs []Operand) {
	return ops("x", a.Outer*a.Inner), ops("y", a.Outer*a.Mid*a.Inner)
}

func (a BiasGradArgs) Check() error { return nonNeg("N, C, HW", a.N, a.C, a.HW) }

// Operands: dy [N, C, HW] → db [C].
func (a BiasGradArgs) Operands(Instr) (ins, outs []Operand) {
	return ops("dy", a.N*a.C*a.HW), ops("db", a.C)
}

// Check is Padded's check.
func (a TransposeArgs) Check() error {
	_, _, err := a.Padded()
	return err
}

// Operands: x → y, both of Shape's element count.
func (a TransposeArgs) Operands(Instr) (ins, outs []Operand) {
	xd, _, _ := a.Padded()
	n := xd[0] * xd[1] * xd[2] * xd[3]
	return ops("x", n), ops("y", n)
}

func (a CopyArgs) Check() error { return nonNeg("N", a.N) }

// Operands: x → y.
func (a CopyArgs) Operands(Instr) (ins, outs []Operand) { return ops("x", a.N), ops("y", a.N) }

func (a FillArgs) Check() error { return nonNeg("N", a.N) }

// Operands: no input → y.
func (a FillArgs) Operands(Instr) (ins, outs []Operand) { return nil, ops("y", a.N) }

// Check rejects convolution arguments that describe no valid correlation,
// whose OH, OW disagree with the other sizes, or whose activation is unknown.
func (a ConvArgs) Check() error {
	if a.N < 1 || a.C < 1 || a.H < 1 || a.W < 1 || a.K < 1 || a.R < 1 || a.S < 1 {
		return fmt.Errorf("sizes must be positive, got N=%d C=%d H=%d W=%d K=%d R=%d S=%d", a.N, a.C, a.H, a.W, a.K, a.R, a.S)
	}
	if a.StrideH < 1 || a.StrideW < 1 || a.DilH < 1 || a.DilW < 1 || a.PadH < 0 || a.PadW < 0 {
		return fmt.Errorf("stride %d×%d and dilation %d×%d must be ≥ 1, padding %d×%d ≥ 0", a.StrideH, a.StrideW, a.DilH, a.DilW, a.PadH, a.PadW)
	}
	oh := ConvOut(a.H, a.R, a.StrideH, a.PadH, a.DilH)
	ow := ConvOut(a.W, a.S, a.StrideW, a.PadW, a.DilW)
	if oh < 1 || ow < 1 || a.OH != oh || a.OW != ow {
		return fmt.Errorf("output %d×%d, but a %d×%d input with a %d×%d filter (stride %d×%d, pad %d×%d, dilation %d×%d) gives %d×%d",
			a.OH, a.OW, a.H, a.W, a.R, a.S, a.StrideH, a.StrideW, a.PadH, a.PadW, a.DilH, a.DilW, oh, ow)
	}
	return a.Act.check()
}

// Operands of the convolution family, by in.Op; none for an op outside it.
func (a ConvArgs) Operands(in Instr) (ins, outs []Operand) {
	nx, nw, ny := a.N*a.C*a.H*a.W, a.K*a.C*a.R*a.S, a.N*a.K*a.OH*a.OW
	ncols := a.N * a.OH * a.OW * a.C * a.R * a.S
	switch in.Op {
	case OpConv2D:
		ins = ops("x", nx, "w", nw)
		if a.Bias {
			ins = append(ins, Operand{Name: "bias", Len: a.K})
		}
		return ins, ops("y", ny)
	case OpConv2DBwdData:
		return ops("dy", ny, "w", nw), ops("dx", nx)
	case OpConv2DBwdFilter:
		return ops("x", nx, "dy", ny), ops("dw", nw)
	case OpIm2Col:
		return ops("x", nx), ops("cols", ncols)
	case OpCol2Im:
		return ops("cols", ncols), ops("dx", nx)
	}
	return nil, nil
}

// Check is ConvArgs.Check for pooling. Padding must stay below the window,
// so every window holds at least one input position.
func (a PoolArgs) Check() error {
	if a.N < 1 || a.C < 1 || a.H < 1 || a.W < 1 || a.KH < 1 || a.KW < 1 || a.StrideH < 1 || a.StrideW < 1 {
		return fmt.Errorf("sizes and strides must be positive, got N=%d C=%d H=%d W=%d window %d×%d stride %d×%d", a.N, a.C, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW)
	}
	if a.PadH < 0 || a.PadW < 0 || a.PadH >= a.KH || a.PadW >= a.KW {
		return fmt.Errorf("padding %d×%d must be ≥ 0 and smaller than the %d×%d window", a.PadH, a.PadW, a.KH, a.KW)
	}
	oh := ConvOut(a.H, a.KH, a.StrideH, a.PadH, 1)
	ow := ConvOut(a.W, a.KW, a.StrideW, a.PadW, 1)
	if oh < 1 || ow < 1 || a.OH != oh || a.OW != ow {
		return fmt.Errorf("output %d×%d, but a %d×%d input with a %d×%d window (stride %d×%d, pad %d×%d) gives %d×%d",
			a.OH, a.OW, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW, a.PadH, a.PadW, oh, ow)
	}
	return nil
}

// Operands of the pooling family, by in.Op; none for an op outside it.
func (a PoolArgs) Operands(in Instr) (ins, outs []Operand) {
	nx, ny := a.N*a.C*a.H*a.W, a.N*a.C*a.OH*a.OW
	switch in.Op {
	case OpMaxPool:
		return ops("x", nx), ops("y", ny, "switches", ny)
	case OpMaxPoolBwd:
		return ops("dy", ny, "switches", ny), ops("dx", nx)
	case OpAvgPool:
		return ops("x", nx), ops("y", ny)
	case OpAvgPoolBwd:
		return ops("dy", ny), ops("dx", nx)
	}
	return nil, nil
}

func (a SoftmaxArgs) Check() error { return nonNeg("Rows, D", a.Rows, a.D) }

// Operands: x → y, Rows·D floats each.
func (a SoftmaxArgs) Operands(Instr) (ins, outs []Operand) {
	return ops("x", a.Rows*a.D), ops("y", a.Rows*a.D)
}

func (a XentArgs) Check() error { return nonNeg("N, D", a.N, a.D) }

// Operands: OpSoftmaxXent is logits, labels → loss [, probs unless it has
// one output]; OpSoftmaxXentBwd is probs, labels [, dloss unless it has two
// inputs] → dlogits.
func (a XentArgs) Operands(in Instr) (ins, outs []Operand) {
	nl := a.N * a.D
	if in.Op == OpSoftmaxXentBwd {
		ins = ops("probs", nl, "labels", a.N)
		if len(in.In) != 2 {
			ins = append(ins, Operand{Name: "dloss", Len: 1})
		}
		return ins, ops("dlogits", nl)
	}
	outs = ops("loss", 1)
	if len(in.Out) != 1 {
		outs = append(outs, Operand{Name: "probs", Len: nl})
	}
	return ops("logits", nl, "labels", a.N), outs
}

func (a DropoutArgs) Check() error {
	if !(a.P >= 0 && a.P <= 1) {
		return fmt.Errorf("drop probability P=%v outside [0, 1]", a.P)
	}
	return nonNeg("N", a.N)
}

// Operands: x, ctl [training, step] → y, mask.
func (a DropoutArgs) Operands(Instr) (ins, outs []Operand) {
	return ops("x", a.N, "ctl [training, step]", 2), ops("y", a.N, "mask", a.N)
}

func (a SGDArgs) Check() error { return sizesNonNeg(a.Sizes) }

// Operands: p0..pk-1, g0..gk-1, v0..vk-1, hyper [lr]; no output.
func (a SGDArgs) Operands(Instr) (ins, outs []Operand) {
	return optimOperands(a.Sizes, "pgv", "hyper [lr]", 1), nil
}

func (a AdamArgs) Check() error { return sizesNonNeg(a.Sizes) }

// Operands: p.., g.., m.., v.., hyper [lr, step]; no output.
func (a AdamArgs) Operands(Instr) (ins, outs []Operand) {
	return optimOperands(a.Sizes, "pgmv", "hyper [lr, step]", 2), nil
}

func (a AdagradArgs) Check() error { return sizesNonNeg(a.Sizes) }

// Operands: p.., g.., sum.., hyper [lr]; no output.
func (a AdagradArgs) Operands(Instr) (ins, outs []Operand) {
	return optimOperands(a.Sizes, "pgs", "hyper [lr]", 1), nil
}

func (a RMSpropArgs) Check() error {
	if !(a.Alpha >= 0 && a.Alpha < 1) {
		return fmt.Errorf("rmsprop alpha %v outside [0, 1)", a.Alpha)
	}
	return sizesNonNeg(a.Sizes)
}

// Operands: p.., g.., sq.., hyper [lr]; no output.
func (a RMSpropArgs) Operands(Instr) (ins, outs []Operand) {
	return optimOperands(a.Sizes, "pgs", "hyper [lr]", 1), nil
}

func sizesNonNeg(sizes []int) error {
	for i, n := range sizes {
		if n < 0 {
			return fmt.Errorf("tensor %d has negative size %d", i, n)
		}
	}
	return nil
}

// optimOperands lists an optimizer's inputs: group j of tensor i (groups
// named by the letters of groups: p, g, then the state) is In[j·k + i] with
// sizes[i] floats, then the hyper buffer of at least hyperLen floats.
func optimOperands(sizes []int, groups, hyper string, hyperLen int) []Operand {
	k := len(sizes)
	ins := make([]Operand, 0, len(groups)*k+1)
	for _, g := range groups {
		for i, n := range sizes {
			ins = append(ins, Operand{Name: fmt.Sprintf("%c%d", g, i), Len: n})
		}
	}
	return append(ins, Operand{Name: hyper, Len: hyperLen, Min: true})
}

// The input pipeline's ops.

func (a GatherArgs) Check() error {
	if err := nonNeg("B, D, N, T, OneHot", a.B, a.D, a.N, a.T, a.OneHot); err != nil {
		return err
	}
	switch {
	case a.B < 1 || a.D < 1 || a.N < 1 || a.T < 1:
		return fmt.Errorf("gather of B=%d rows of D=%d inputs and T=%d targets from N=%d: all must be ≥ 1", a.B, a.D, a.T, a.N)
	case a.X != U8 && a.X != F32:
		return fmt.Errorf("gather: inputs of %s, want u8 or f32", a.X)
	case a.Y != U8 && a.Y != F32:
		return fmt.Errorf("gather: targets of %s, want u8 or f32", a.Y)
	case a.Y == U8 && a.T != 1:
		return fmt.Errorf("gather: u8 targets are class labels, one per row (T=%d)", a.T)
	case a.OneHot > 0 && a.Y != U8:
		return errors.New("gather: one-hot rows are made from u8 class labels")
	case a.X == U8 && a.Std == 0:
		return errors.New("gather: normalization std is 0")
	}
	return nil
}

// Operands: xs, ys, perm, state → x [B·D], y [B·T] (or [B·OneHot]).
func (a GatherArgs) Operands(Instr) (ins, outs []Operand) {
	ylen := a.B * a.T
	if a.OneHot > 0 {
		ylen = a.B * a.OneHot
	}
	ins = []Operand{{Name: "xs", Len: a.N * a.D, Type: a.X}, {Name: "ys", Len: a.N * a.T, Type: a.Y},
		{Name: "perm", Len: a.N, Type: I32}, {Name: "state", Len: StateLen, Type: F64}}
	return ins, ops("x", a.B*a.D, "y", ylen)
}

func (a StepBeginArgs) Check() error {
	if a.Steps < 1 {
		return fmt.Errorf("step_begin: a rate table of %d steps, want ≥ 1", a.Steps)
	}
	return nil
}

// Operands: lr, state → [hyper [lr, t]] [ctl [training, step]].
func (a StepBeginArgs) Operands(Instr) (ins, outs []Operand) {
	ins = []Operand{{Name: "lr", Len: a.Steps}, {Name: "state", Len: StateLen, Type: F64}}
	if a.Hyper {
		outs = append(outs, Operand{Name: "hyper [lr, step]", Len: 2, Min: true})
	}
	if a.Ctl {
		outs = append(outs, Operand{Name: "ctl [training, step]", Len: 2, Min: true})
	}
	return ins, outs
}

func (a StepEndArgs) Check() error {
	if a.Steps < 1 || a.Every < 1 {
		return fmt.Errorf("step_end: %d steps per epoch, loss sampled every %d: both must be ≥ 1", a.Steps, a.Every)
	}
	return nil
}

// Operands: loss → state (updated).
func (a StepEndArgs) Operands(Instr) (ins, outs []Operand) {
	return ops("loss", 1), []Operand{{Name: "state", Len: StateLen, Type: F64}}
}

func (a EvalScoreArgs) Check() error {
	switch {
	case a.B < 1 || a.C < 1 || a.N < 1:
		return fmt.Errorf("eval_score of B=%d rows of C=%d from N=%d: all must be ≥ 1", a.B, a.C, a.N)
	case a.MSE && a.Y != F32:
		return fmt.Errorf("eval_score: float targets of %s, want f32", a.Y)
	case !a.MSE && a.Y != U8:
		return fmt.Errorf("eval_score: class labels of %s, want u8", a.Y)
	}
	return nil
}

// Operands: logits [B·C], ys ([N] labels or [N·C] targets) → state (updated).
func (a EvalScoreArgs) Operands(Instr) (ins, outs []Operand) {
	ny := a.N
	if a.MSE {
		ny = a.N * a.C
	}
	return []Operand{{Name: "logits", Len: a.B * a.C}, {Name: "ys", Len: ny, Type: a.Y}},
		[]Operand{{Name: "state", Len: StateLen, Type: F64}}
}
