package kernels

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// prog is a program of buffers of the given lengths, laid end to end.
func prog(lens ...int) *Program {
	p := &Program{}
	off := 0
	for i, n := range lens {
		p.Buffers = append(p.Buffers, Buffer{Name: string(rune('a' + i)), Len: n, View: -1, Offset: off})
		off += n
	}
	p.ArenaLen = off
	return p
}

func ids(v ...BufID) []BufID { return v }

// TestOperandsLengths: the lengths the Args imply, op by op, including the
// optional operands.
func TestOperandsLengths(t *testing.T) {
	conv := ConvArgs{N: 2, C: 3, H: 5, W: 5, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, OH: 3, OW: 3, Bias: true}
	pool := PoolArgs{N: 2, C: 3, H: 4, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2, OH: 2, OW: 2}
	for _, c := range []struct {
		in        Instr
		ins, outs []int
	}{
		{Instr{Op: OpGemm, Args: GemmArgs{M: 2, N: 3, K: 4, Bias: true}}, []int{8, 12, 3}, []int{6}},
		{Instr{Op: OpGemm, Args: GemmArgs{M: 2, N: 3, K: 4}}, []int{8, 12}, []int{6}},
		{Instr{Op: OpBinary, Args: BinaryArgs{N: 24, Bcast: BcastChannel, C: 3, Inner: 4}}, []int{24, 3}, []int{24}},
		{Instr{Op: OpBinary, Args: BinaryArgs{N: 24, Bcast: BcastOuter, Inner: 4}}, []int{24, 6}, []int{24}},
		{Instr{Op: OpReduce, Args: ReduceArgs{Outer: 2, Mid: 3, Inner: 5}}, []int{30}, []int{10}},
		{Instr{Op: OpBroadcast, Args: BroadcastArgs{Outer: 2, Mid: 3, Inner: 5}}, []int{10}, []int{30}},
		{Instr{Op: OpTranspose, Args: TransposeArgs{Rank: 3, Shape: [4]int{2, 3, 4}, Perm: [4]int{2, 0, 1}}}, []int{24}, []int{24}},
		{Instr{Op: OpConv2D, Args: conv}, []int{150, 108, 4}, []int{72}},
		{Instr{Op: OpConv2DBwdFilter, Args: conv}, []int{150, 72}, []int{108}},
		{Instr{Op: OpIm2Col, Args: conv}, []int{150}, []int{2 * 9 * 27}},
		{Instr{Op: OpMaxPool, Args: pool}, []int{96}, []int{24, 24}},
		{Instr{Op: OpMaxPoolBwd, Args: pool}, []int{24, 24}, []int{96}},
		{Instr{Op: OpSoftmaxXent, Args: XentArgs{N: 4, D: 10}, Out: ids(0)}, []int{40, 4}, []int{1}},
		{Instr{Op: OpSoftmaxXent, Args: XentArgs{N: 4, D: 10}, Out: ids(0, 1)}, []int{40, 4}, []int{1, 40}},
		{Instr{Op: OpSoftmaxXentBwd, Args: XentArgs{N: 4, D: 10}, In: ids(0, 1, 2)}, []int{40, 4, 1}, []int{40}},
		{Instr{Op: OpDropout, Args: DropoutArgs{N: 7, P: 0.5}}, []int{7, 2}, []int{7, 7}},
		{Instr{Op: OpAdam, Args: AdamArgs{Sizes: []int{6, 2}}}, []int{6, 2, 6, 2, 6, 2, 6, 2, 2}, nil},
	} {
		ins, outs, err := Operands(c.in)
		if err != nil {
			t.Errorf("%s %+v: %v", c.in.Op, c.in.Args, err)
			continue
		}
		if got := lens(ins); !equal(got, c.ins) {
			t.Errorf("%s %+v: inputs %v, want %v", c.in.Op, c.in.Args, got, c.ins)
		}
		if got := lens(outs); !equal(got, c.outs) {
			t.Errorf("%s %+v: outputs %v, want %v", c.in.Op, c.in.Args, got, c.outs)
		}
	}
}

func lens(o []Operand) []int {
	var n []int
	for _, op := range o {
		n = append(n, op.Len)
	}
	return n
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCheckOperandsMessages: what is wrong is named: the operand, its
// buffer and shape, and what the Args want.
func TestCheckOperandsMessages(t *testing.T) {
	gemm := GemmArgs{M: 2, N: 3, K: 3}
	for _, c := range []struct {
		p    *Program
		in   Instr
		want []string
	}{
		{prog(6, 6, 6), Instr{Op: OpGemm, In: ids(0, 1), Out: ids(2), Args: gemm}, []string{"In[1] (B)", `"b"`, "holds 6 floats, want 9"}},
		{prog(6, 9, 6), Instr{Op: OpGemm, In: ids(0), Out: ids(2), Args: gemm}, []string{"has 1 inputs", "want 2 (A, B)"}},
		{prog(6, 9, 6), Instr{Op: OpGemm, In: ids(0, 7), Out: ids(2), Args: gemm}, []string{"In[1] (B) is b7, which does not exist"}},
		{prog(6, 9, 6), Instr{Op: OpCopy, In: ids(0), Out: ids(1), Args: FillArgs{N: 6}}, []string{"CopyArgs"}},
		{prog(6, 9), Instr{Op: OpUnary, In: ids(0), Out: ids(1), Args: UnaryArgs{Fn: UnaryScale + 1, N: 6}}, []string{"unknown unary function"}},
		{prog(6, 9), Instr{Op: OpReduce, In: ids(0), Out: ids(1), Args: ReduceArgs{Outer: -1, Mid: 1, Inner: 1}}, []string{"Outer, Mid, Inner", "negative"}},
		{prog(6, 4, 6), Instr{Op: OpBinary, In: ids(0, 1), Out: ids(2), Args: BinaryArgs{N: 6, Bcast: BcastInner, Inner: 4}}, []string{"N=6 is not a multiple of Inner=4"}},
		{prog(3, 1, 3, 1), Instr{Op: OpSGD, In: ids(1, 0, 0, 3), Args: SGDArgs{Sizes: []int{3}}}, []string{"(p0)", "want 3"}},
		{prog(3, 3, 3, 1), Instr{Op: OpAdam, In: ids(0, 1, 2, 1, 3), Args: AdamArgs{Sizes: []int{3}}}, []string{"In[4] (hyper [lr, step])", "want ≥ 2"}},
	} {
		err := CheckOperands(c.p, c.in)
		if err == nil {
			t.Errorf("%s %+v accepted", c.in.Op, c.in.Args)
			continue
		}
		for _, s := range c.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %q", c.in.Op, err, s)
			}
		}
	}
	if err := CheckOperands(prog(6, 9, 6), Instr{Op: OpGemm, In: ids(0, 1), Out: ids(2), Args: gemm}); err != nil {
		t.Errorf("a good gemm: %v", err)
	}
	for _, op := range []Op{OpInvalid, numOps, 200} {
		if _, _, err := Operands(Instr{Op: op}); !errors.Is(err, ErrNotImplemented) {
			t.Errorf("%s: %v, want ErrNotImplemented", op, err)
		}
	}
}

// TestEveryOpHasArgs: each op of the vocabulary has a name and an Args
// type, so that Operands knows its contract; no Args type is left out.
func TestEveryOpHasArgs(t *testing.T) {
	types := map[string]bool{}
	for op := OpInvalid + 1; op < numOps; op++ {
		if opArgs[op] == nil {
			t.Errorf("%s has no Args type in opArgs", op)
			continue
		}
		if op.String() == fmt.Sprintf("op(%d)", int(op)) {
			t.Errorf("op %d has no name", int(op))
		}
		types[fmt.Sprintf("%T", opArgs[op])] = true
		// A wrong Args type is refused with both types named.
		_, _, err := Operands(Instr{Op: op, Args: struct{}{}})
		if want := fmt.Sprintf("want %T", opArgs[op]); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s with struct{} Args: %v, want an error saying %q", op, err, want)
		}
	}
	if len(types) != 23 {
		t.Errorf("opArgs names %d Args types, want the 23 of ops.go: %v", len(types), types)
	}
}

// TestNormalizedBroadcast: the degenerate modes become the cheaper ones.
func TestNormalizedBroadcast(t *testing.T) {
	n, nb, err := BinaryArgs{N: 12, Bcast: BcastChannel, C: 3, Inner: 1}.Normalized()
	if err != nil || n.Bcast != BcastInner || n.Inner != 3 || nb != 3 {
		t.Errorf("channel over Inner=1: %+v nb=%d err=%v", n, nb, err)
	}
	n, nb, err = BinaryArgs{N: 12, Bcast: BcastOuter, Inner: 1}.Normalized()
	if err != nil || n.Bcast != BcastNone || nb != 12 {
		t.Errorf("outer over Inner=1: %+v nb=%d err=%v", n, nb, err)
	}
	if _, _, err := (BinaryArgs{N: 12, Bcast: BcastScalar + 10}).Normalized(); err == nil {
		t.Error("an unknown broadcast mode was accepted")
	}
}

// TestTransposeWalk: shapes and permutations are padded in front to rank
// 4, y's axes walk x by x's strides, and invalid permutations are refused.
func TestTransposeWalk(t *testing.T) {
	a := TransposeArgs{Rank: 2, Shape: [4]int{3, 5}, Perm: [4]int{1, 0}}
	xd, perm, err := a.Padded()
	if err != nil || xd != [4]int{1, 1, 3, 5} || perm != [4]int{0, 1, 3, 2} {
		t.Errorf("rank 2: xd=%v perm=%v err=%v", xd, perm, err)
	}
	yd, sx, n, err := a.Walk()
	if err != nil || yd != [4]int{1, 1, 5, 3} || sx != [4]int{15, 15, 1, 5} || n != 15 {
		t.Errorf("rank 2 walk: yd=%v sx=%v n=%d err=%v", yd, sx, n, err)
	}
	for _, a := range []TransposeArgs{
		{Rank: 2, Shape: [4]int{3, 5}, Perm: [4]int{1, 1}},
		{Rank: 3, Shape: [4]int{3, 5, 2}, Perm: [4]int{0, 1, 3}},
		{Rank: 5},
		{Rank: 1, Shape: [4]int{-1}},
	} {
		if _, _, _, err := a.Walk(); err == nil {
			t.Errorf("%+v accepted", a)
		}
	}
}

// TestCheckConvAndPool: the output extent must agree with the other sizes,
// and a filter wider than the padded input gives no output at all.
func TestCheckConvAndPool(t *testing.T) {
	good := ConvArgs{N: 2, C: 1, H: 28, W: 28, K: 6, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 1, DilW: 1, OH: 28, OW: 28}
	if err := good.Check(); err != nil {
		t.Fatalf("lenet conv1: %v", err)
	}
	bad := good
	bad.OW = 27
	if err := bad.Check(); err == nil || !strings.Contains(err.Error(), "gives 28×28") {
		t.Errorf("OW=27 for a 28-wide output: err = %v", err)
	}
	bad = good
	bad.Act = ActTanh + 1
	if bad.Check() == nil {
		t.Error("an unknown activation was accepted")
	}
	// A 3-wide filter over a 1-wide input with stride 2: the span is −2,
	// which truncating division would turn into an output of 1.
	if got := ConvOut(1, 3, 2, 0, 1); got != 0 {
		t.Errorf("ConvOut(1, 3, stride 2) = %d, want 0", got)
	}
	narrow := ConvArgs{N: 1, C: 1, H: 1, W: 1, K: 1, R: 3, S: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, OH: 1, OW: 1}
	if narrow.Check() == nil {
		t.Error("a filter wider than its input was accepted")
	}
	pool := PoolArgs{N: 1, C: 6, H: 28, W: 28, KH: 2, KW: 2, StrideH: 2, StrideW: 2, OH: 14, OW: 14}
	if err := pool.Check(); err != nil {
		t.Fatalf("2×2 pool: %v", err)
	}
	pool.PadH = 2
	if pool.Check() == nil {
		t.Error("padding as large as the window was accepted")
	}
}
