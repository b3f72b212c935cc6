package graph

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The lowerings as the compiler sees them: buffers, not values.

// lowerCase is an op with the shapes of its inputs.
type lowerCase struct {
	op     spec
	shapes []tensor.Shape
}

func lowerCases() []lowerCase {
	one, two := [2]int{1, 1}, [2]int{2, 2}
	pp := poolParams{two, two, [2]int{}}
	x4, w4, y4 := tensor.Shape{2, 3, 7, 6}, tensor.Shape{4, 3, 3, 3}, tensor.Shape{2, 4, 4, 3}
	p4 := tensor.Shape{2, 3, 3, 3}
	return []lowerCase{
		{denseOp{bias: true}, []tensor.Shape{{3, 5}, {4, 5}, {4}}},
		{denseOp{}, []tensor.Shape{{3, 5}, {4, 5}}},
		{matMulOp{transA: true}, []tensor.Shape{{3, 4}, {3, 5}}},
		{biasGradOp{}, []tensor.Shape{y4}},
		{actOp{fn: kernels.ActReLU}, []tensor.Shape{{3, 5}}},
		{actGradOp{fn: kernels.ActTanh}, []tensor.Shape{{3, 5}, {3, 5}}},
		{convOp{stride: two, pad: one, bias: true}, []tensor.Shape{x4, w4, {4}}},
		{convTransposeOp{stride: two, pad: one, outH: 7, outW: 6}, []tensor.Shape{y4, w4}},
		{convFilterGradOp{stride: two, pad: one, r: 3, s: 3}, []tensor.Shape{x4, y4}},
		{maxPoolOp{poolParams: pp}, []tensor.Shape{x4}},
		{unpoolOp{poolParams: pp}, []tensor.Shape{p4, x4}},
		{avgPoolOp{poolParams: pp}, []tensor.Shape{x4}},
		{avgPoolGradOp{poolParams: pp, h: 7, w: 6}, []tensor.Shape{p4}},
		{reshapeOp{to: tensor.Shape{2, 126}}, []tensor.Shape{x4}},
		{dropoutOp{p: 0.5, seed: 3}, []tensor.Shape{{3, 5}}},
		{dropoutGradOp{p: 0.5, seed: 3}, []tensor.Shape{{3, 5}, {3, 5}}},
		{softmaxOp{}, []tensor.Shape{{3, 5}}},
		{softmaxGradOp{}, []tensor.Shape{{3, 5}, {3, 5}}},
		{xentOp{}, []tensor.Shape{{3, 5}, {3}}},
		{xentGradOp{}, []tensor.Shape{{3, 5}, {3}, {}}},
		{xentOp{oneHot: true}, []tensor.Shape{{3, 5}, {3, 5}}},
		{xentGradOp{oneHot: true}, []tensor.Shape{{3, 5}, {3, 5}, {}}},
	}
}

// lowerInto lowers op over fresh input buffers and an output of the given class.
func lowerInto(t *testing.T, c lowerCase, outClass kernels.BufClass) (*emitter, []operand, operand) {
	t.Helper()
	e := newEmitter()
	in := make([]operand, len(c.shapes))
	ds := make([]G.DimSizer, len(c.shapes))
	for i, s := range c.shapes {
		in[i] = operand{ID: e.Buffer("in", s, kernels.Input), Shape: s}
		ds[i] = s
	}
	os, err := gop{c.op}.InferShape(ds...)
	if err != nil {
		t.Fatalf("%v: InferShape: %v", c.op, err)
	}
	out := operand{ID: e.Buffer("out", os, outClass), Shape: os}
	if err := c.op.lower(e, in, out); err != nil {
		t.Fatalf("%v: lower: %v", c.op, err)
	}
	return e, in, out
}

// TestLoweringWritesOnlyItsOutput: no instruction of any op writes one of
// the op's inputs, and the output is written (or, for a reshape into a
// temp, aliased to its input).
func TestLoweringWritesOnlyItsOutput(t *testing.T) {
	for _, c := range lowerCases() {
		for _, class := range []kernels.BufClass{kernels.Temp, kernels.Output} {
			e, in, out := lowerInto(t, c, class)
			inputs := map[kernels.BufID]bool{}
			for _, o := range in {
				inputs[o.ID] = true
			}
			written := false
			for _, ins := range e.prog.Instrs {
				for _, id := range ins.Out {
					if inputs[id] {
						t.Errorf("%v (out %v): %v writes input b%d", c.op, class, ins, id)
					}
					written = written || id == out.ID
				}
				for _, id := range append(append([]kernels.BufID(nil), ins.In...), ins.Out...) {
					if id < 0 || int(id) >= len(e.prog.Buffers) {
						t.Errorf("%v: %v names a buffer that does not exist", c.op, ins)
					}
				}
			}
			b := e.prog.Buffers[out.ID]
			if b.Len != numel(out.Shape) {
				t.Errorf("%v: output buffer holds %d floats, shape %v", c.op, b.Len, out.Shape)
			}
			switch _, isView := c.op.(reshapeOp); {
			case isView && class == kernels.Temp:
				if b.View != in[0].ID || len(e.prog.Instrs) != 0 {
					t.Errorf("%v into a temp: want a view of b%d and no instruction, got view b%d and %d instructions",
						c.op, in[0].ID, b.View, len(e.prog.Instrs))
				}
			case !written:
				t.Errorf("%v (out %v): no instruction writes the output b%d", c.op, class, out.ID)
			}
		}
	}
}

// runEmitted lays out an emitter's buffers without reuse (as Do does), writes
// the given inputs, runs every instruction on the cpu backend and reads out.
func runEmitted(t *testing.T, e *emitter, writes map[kernels.BufID][]float32, out kernels.BufID) []float32 {
	t.Helper()
	p := e.prog
	x, err := loadUnplanned(p)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for id, d := range writes {
		if err := x.Write(id, d); err != nil {
			t.Fatal(err)
		}
	}
	if p.Ctl >= 0 {
		if err := x.Write(p.Ctl, []float32{1, 0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Run(p.Forward); err != nil {
		t.Fatal(err)
	}
	res := make([]float32, p.Buffers[out].Len)
	if err := x.Read(out, res); err != nil {
		t.Fatal(err)
	}
	return res
}

func countOps(e *emitter, op kernels.Op) int {
	n := 0
	for _, in := range e.prog.Instrs {
		if in.Op == op {
			n++
		}
	}
	return n
}

// TestSidesAreReused lowers a forward op and its backward into one program,
// as the compiler does: the backward must reuse the forward's by-product
// (switches, mask, probabilities) instead of recomputing it, only for the
// same input and parameters, and give what its Do gives.
func TestSidesAreReused(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	g := G.NewGraph()
	xNode := G.NewTensor(g, tensor.Float32, 2, G.WithShape(1, 1), G.WithName("side-x"))
	otherNode := G.NewTensor(g, tensor.Float32, 2, G.WithShape(1, 1), G.WithName("side-other"))
	two := [2]int{2, 2}
	pp := poolParams{two, two, [2]int{}}

	type step struct {
		fwd, bwd spec
		fwdIn    []*tensor.Dense // the forward's inputs; the backward's are (fwdIn[0], extra..., dy)
		extra    []*tensor.Dense // inputs of the backward between x and dy
		dyShape  tensor.Shape
		byprod   kernels.Op // the op whose second emission means the side was not used
		bwdFirst bool       // the backward takes dy first (unpool: (dy, x))
	}
	labels, soft := labelsT(rng, 4, 6), randT(rng, 0, 1, 4, 6)
	steps := []step{
		{fwd: maxPoolOp{poolParams: pp}, bwd: unpoolOp{poolParams: pp},
			fwdIn: []*tensor.Dense{distinctT(rng, 2, 3, 6, 5)}, dyShape: tensor.Shape{2, 3, 3, 2},
			byprod: kernels.OpMaxPool, bwdFirst: true},
		{fwd: dropoutOp{p: 0.5, seed: 5}, bwd: dropoutGradOp{p: 0.5, seed: 5},
			fwdIn: []*tensor.Dense{randT(rng, -1, 1, 7, 9)}, dyShape: tensor.Shape{7, 9},
			byprod: kernels.OpDropout},
		{fwd: xentOp{}, bwd: xentGradOp{},
			fwdIn: []*tensor.Dense{randT(rng, -2, 2, 4, 6), labels}, extra: []*tensor.Dense{labels},
			dyShape: tensor.Shape{}, byprod: kernels.OpSoftmaxXent},
		{fwd: xentOp{oneHot: true}, bwd: xentGradOp{oneHot: true},
			fwdIn: []*tensor.Dense{randT(rng, -2, 2, 4, 6), soft}, extra: []*tensor.Dense{soft},
			dyShape: tensor.Shape{}, byprod: kernels.OpSoftmax},
	}
	for _, s := range steps {
		for _, sameNode := range []bool{true, false} {
			e := newEmitter()
			writes := map[kernels.BufID][]float32{}
			buf := func(v *tensor.Dense) operand {
				id := e.Buffer("in", v.Shape(), kernels.Input)
				writes[id] = f32s(v)
				return operand{ID: id, Shape: v.Shape().Clone()}
			}
			fin := make([]operand, len(s.fwdIn))
			ds := make([]G.DimSizer, len(s.fwdIn))
			for i, v := range s.fwdIn {
				fin[i] = buf(v)
				ds[i] = v.Shape()
			}
			fin[0].Node = xNode
			fs, err := gop{s.fwd}.InferShape(ds...)
			if err != nil {
				t.Fatal(err)
			}
			fout := operand{ID: e.Temp("y", fs), Shape: fs}
			if err := s.fwd.lower(e, fin, fout); err != nil {
				t.Fatal(err)
			}
			var dy *tensor.Dense
			if len(s.dyShape) == 0 {
				dy = tensor.New(tensor.WithShape(), tensor.WithBacking([]float32{0.7}))
			} else {
				dy = randT(rng, -1, 1, s.dyShape...)
			}
			x := fin[0]
			if !sameNode {
				x.Node = otherNode // another input with the same values: no side to find
			}
			bin := []operand{x}
			vals := []G.Value{s.fwdIn[0]}
			for _, v := range s.extra {
				bin = append(bin, buf(v))
				vals = append(vals, v)
			}
			bin = append(bin, buf(dy))
			vals = append(vals, dy)
			if s.bwdFirst {
				bin[0], bin[len(bin)-1] = bin[len(bin)-1], bin[0]
				vals[0], vals[len(vals)-1] = vals[len(vals)-1], vals[0]
			}
			out := operand{ID: e.Temp("dx", s.fwdIn[0].Shape()), Shape: s.fwdIn[0].Shape().Clone()}
			before := countOps(e, s.byprod) + countOps(e, kernels.OpSoftmax)
			if err := s.bwd.lower(e, bin, out); err != nil {
				t.Fatal(err)
			}
			recomputed := countOps(e, s.byprod)+countOps(e, kernels.OpSoftmax) > before
			if recomputed == sameNode {
				t.Errorf("%v after %v (same input node %v): recomputed its side = %v", s.bwd, s.fwd, sameNode, recomputed)
			}
			got := runEmitted(t, e, writes, out.ID)
			want, err := gop{s.bwd}.Do(vals...)
			if err != nil {
				t.Fatal(err)
			}
			near(t, s.bwd.String()+" from a side", got, f64s(want.(*tensor.Dense)), 1e-6, 1e-6)
		}
	}
}

// TestGradRulesCoverDiffWRT: the gradient table and DiffWRT agree for every
// op — an op differentiated with respect to an input has a rule that
// returns a gradient for it, an op with none (the gradient ops) answers
// false for every input.
func TestGradRulesCoverDiffWRT(t *testing.T) {
	for _, c := range lowerCases() {
		g := G.NewGraph()
		in := make(G.Nodes, len(c.shapes))
		for i, s := range c.shapes {
			in[i] = G.NewTensor(g, tensor.Float32, len(s), G.WithShape(s...), G.WithName(fmt.Sprintf("in%d", i)))
			if len(s) == 0 {
				in[i] = G.NewScalar(g, tensor.Float32, G.WithName(fmt.Sprintf("in%d", i)))
			}
		}
		y, err := G.ApplyOp(gop{c.op}, in...)
		if err != nil {
			t.Fatalf("%v: %v", c.op, err)
		}
		var dy *G.Node
		if y.IsScalar() {
			dy = G.NewScalar(g, tensor.Float32, G.WithName("dy"))
		} else {
			dy = G.NewTensor(g, tensor.Float32, len(y.Shape()), G.WithShape(y.Shape()...), G.WithName("dy"))
		}
		wrt := gop{c.op}.DiffWRT(len(in))
		dx, err := gop{c.op}.SymDiff(in, y, dy)
		any := false
		for _, w := range wrt {
			any = any || w
		}
		if !any {
			if err == nil {
				t.Errorf("%v: differentiated with respect to nothing, yet SymDiff has a rule", c.op)
			}
			continue
		}
		if err != nil || len(dx) != len(in) {
			t.Errorf("%v: SymDiff gave %d gradients for %d inputs (err %v)", c.op, len(dx), len(in), err)
			continue
		}
		for i := range in {
			if wrt[i] != (dx[i] != nil) {
				t.Errorf("%v: input %d: DiffWRT %v, gradient %v", c.op, i, wrt[i], dx[i])
			}
			if dx[i] != nil && !dx[i].Shape().Eq(in[i].Shape()) {
				t.Errorf("%v: input %d %v has a gradient of shape %v", c.op, i, in[i].Shape(), dx[i].Shape())
			}
		}
	}
}
