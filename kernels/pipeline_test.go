package kernels

import (
	"strings"
	"testing"
)

// feedProgram is a program shaped like a training step over batches of 4
// examples of 6 inputs with 3 classes: x, labels, logits, loss, hyper, ctl.
func feedProgram() *Program {
	p := &Program{Loss: 3, Logits: 2, Hyper: 4, Ctl: 5, Inputs: map[string]BufID{"x": 0, "labels": 1}}
	for _, b := range []struct {
		name  string
		shape []int
	}{{"x", []int{4, 6}}, {"labels", []int{4}}, {"logits", []int{4, 3}}, {"loss", []int{1}}, {"hyper", []int{2}}, {"ctl", []int{2}}} {
		n := 1
		for _, d := range b.shape {
			n *= d
		}
		p.Buffers = append(p.Buffers, Buffer{Name: b.name, Shape: b.shape, Len: n, View: -1, Offset: p.ArenaLen})
		p.ArenaLen += n
	}
	p.Instrs = make([]Instr, 5)
	p.Forward, p.Backward, p.Update = Segment{0, 2}, Segment{2, 4}, Segment{4, 5}
	return p
}

func goodPipeSpec() PipelineSpec {
	return PipelineSpec{
		Train: &DataSpec{N: 10, D: 6, T: 1, X: U8, Y: U8, Mean: 0.5, Std: 0.25},
		Eval:  &DataSpec{N: 7, D: 6, T: 1, X: U8, Y: U8, Mean: 0.5, Std: 0.25},
		Steps: 2, LossEvery: 1,
	}
}

// AddPipeline appends the data sets' buffers (typed, pinned, aligned) and
// the pipeline's instructions after Update, so the compiled segments keep
// their indices, and makes TrainStep and EvalStep of them.
func TestAddPipeline(t *testing.T) {
	p := feedProgram()
	q, err := AddPipeline(p, goodPipeSpec())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Buffers) != 6 || len(p.Instrs) != 5 || p.Pipe != nil {
		t.Fatal("AddPipeline changed its argument")
	}
	if q.Forward != p.Forward || q.Update != p.Update {
		t.Errorf("segments moved: %v %v", q.Forward, q.Update)
	}
	want := map[string]DType{"train.x": U8, "train.y": U8, "train.perm": I32, "train.state": F64, "train.lr": F32, "eval.x": U8, "eval.state": F64}
	for _, b := range q.Buffers[6:] {
		if dt, ok := want[b.Name]; ok && dt != b.DType {
			t.Errorf("%s is %s, want %s", b.Name, b.DType, dt)
		}
		if !b.Pinned || b.Offset%2 != 0 || b.Offset+b.Floats() > q.ArenaLen {
			t.Errorf("%s at %d (%d floats) in an arena of %d, pinned %v", b.Name, b.Offset, b.Floats(), q.ArenaLen, b.Pinned)
		}
	}
	var ops []string
	for _, seg := range q.TrainStep {
		for i := seg.Start; i < seg.End; i++ {
			ops = append(ops, q.Instrs[i].Op.String())
		}
	}
	if got := strings.Join(ops, " "); got != "gather step_begin invalid invalid invalid invalid invalid step_end" {
		t.Errorf("train step runs %s", got)
	}
	ops = ops[:0]
	for _, seg := range q.EvalStep {
		for i := seg.Start; i < seg.End; i++ {
			ops = append(ops, q.Instrs[i].Op.String())
		}
	}
	if got := strings.Join(ops, " "); got != "gather invalid invalid eval_score" {
		t.Errorf("eval step runs %s", got)
	}
	if !strings.Contains(q.Dump(), "pipe") || !strings.Contains(q.Dump(), "f64") {
		t.Error("Dump does not show the pipeline")
	}

	// A model with no data: the step is step_begin, the compiled step, step_end.
	nd, err := AddPipeline(p, PipelineSpec{Steps: 3, LossEvery: 2})
	if err != nil || nd.Pipe.Train != nil || len(nd.TrainStep) != 3 || nd.TrainStep[0].Len() != 1 || nd.EvalStep != nil {
		t.Errorf("no-data pipeline: %v, %+v", err, nd)
	}

	// A forward-only program: the evaluation step alone.
	fwd := feedProgram()
	fwd.Update, fwd.Backward = Segment{}, Segment{}
	spec := goodPipeSpec()
	spec.Train = nil
	ev, err := AddPipeline(fwd, spec)
	if err != nil || ev.TrainStep != nil || len(ev.EvalStep) != 3 || ev.Pipe.LR != -1 {
		t.Errorf("forward-only pipeline: %v, %+v", err, ev)
	}
}

func TestAddPipelineRefuses(t *testing.T) {
	for _, c := range []struct {
		edit func(*Program, *PipelineSpec)
		want string
	}{
		{func(p *Program, _ *PipelineSpec) { p.Loss = -1 }, "no loss"},
		{func(p *Program, _ *PipelineSpec) { p.Update = Segment{} }, "can only evaluate"},
		{func(_ *Program, s *PipelineSpec) { s.Steps = 0 }, "steps per epoch"},
		{func(_ *Program, s *PipelineSpec) { s.LossEvery = 0 }, "loss every"},
		{func(p *Program, _ *PipelineSpec) { delete(p.Inputs, "x") }, "no input \"x\""},
		{func(_ *Program, s *PipelineSpec) { s.Train.D = 5 }, "a batch of 4 rows of 5 inputs"},
		{func(_ *Program, s *PipelineSpec) { s.Train.Std = 0 }, "std is 0"},
		{func(_ *Program, s *PipelineSpec) { s.Train.T = 2 }, "class labels, one per row"},
		{func(_ *Program, s *PipelineSpec) { s.Train.Y, s.Train.T = F32, 2 }, "a batch of targets needs 8"},
		{func(_ *Program, s *PipelineSpec) { s.OneHot = 3 }, "a batch of targets needs 12"},
		{func(p *Program, _ *PipelineSpec) { p.Logits = -1 }, "no logits"},
		{func(_ *Program, s *PipelineSpec) { s.Eval.X = I32 }, "inputs of i32"},
	} {
		p, s := feedProgram(), goodPipeSpec()
		c.edit(p, &s)
		if _, err := AddPipeline(p, s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AddPipeline: %v, want an error containing %q", err, c.want)
		}
	}
}

// An operand of the wrong dtype is refused like one of the wrong length.
func TestCheckOperandsDType(t *testing.T) {
	p, err := AddPipeline(feedProgram(), goodPipeSpec())
	if err != nil {
		t.Fatal(err)
	}
	in := p.Instrs[p.TrainStep[0].Start]
	in.In = append([]BufID(nil), in.In...)
	in.In[2] = p.Pipe.Train.State // f64 where perm (i32) belongs
	if err := CheckOperands(p, in); err == nil || !strings.Contains(err.Error(), "holds f64, want i32") {
		t.Errorf("CheckOperands: %v", err)
	}
	if err := CheckLen(p, p.Pipe.Train.State, StateLen); err == nil || !strings.Contains(err.Error(), "WriteBytes") {
		t.Errorf("CheckLen on an f64 buffer: %v", err)
	}
	if err := CheckBytes(p, p.Pipe.Train.State, 8*StateLen); err != nil {
		t.Error(err)
	}
	if b := AsBytes([]float64{1, 2}); len(b) != 16 || b[7] != 0x3f {
		t.Errorf("AsBytes(1, 2) = %v", b)
	}
	for _, a := range []Args{GatherArgs{}, StepBeginArgs{}, StepEndArgs{Steps: 1}, EvalScoreArgs{B: 1, C: 1, N: 1, Y: F32}} {
		if a.Check() == nil {
			t.Errorf("%T%+v passes its Check", a, a)
		}
	}
}

func TestEvalBatchesAndState(t *testing.T) {
	for _, c := range []struct{ n, b, want int }{{10000, 128, 79}, {128, 128, 1}, {129, 128, 2}, {1, 128, 1}} {
		if got := EvalBatches(c.n, c.b); got != c.want {
			t.Errorf("EvalBatches(%d, %d) = %d, want %d", c.n, c.b, got, c.want)
		}
	}
	s := NewState(936)
	if len(s) != StateLen || s[StK] != 0 || s[StStep] != 936 || s[StBad] != -1 || s[StSum] != 0 || s[StN] != 0 {
		t.Errorf("NewState(936) = %v", s)
	}
}
