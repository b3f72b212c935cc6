package kernels

import (
	"errors"
	"fmt"
)

// The input pipeline makes one training step one Program: AddPipeline
// appends to a compiled training program the buffers of a data set (its
// examples as stored: uint8 images or float32 rows, its labels or float
// targets), the epoch's permutation, a table of the epoch's learning rates
// and a state buffer, and the instructions that use them:
//
//	TrainStep = gather · step_begin | Forward · Backward · Update | step_end
//	EvalStep  = gather (evaluation set, in order) | Forward | eval_score
//
// A loop writes the permutation, the rates and a fresh state at the start
// of an epoch (WriteBytes), then runs TrainStep once per step with no other
// host write; it reads the state when it wants the losses. A backend with
// Caps.Graphs captures a Step once and replays it (Capturer). The host never
// gathers, so the cpu and cuda backends run the same instructions, and
// their parity is the conformance suite's (kernels/kerneltest).

// Slots of a pipeline state buffer: StateLen float64 values (exact
// integers for the counters).
const (
	StK       = iota // step of the epoch (training) or batch of the pass (evaluation), from 0
	StStep           // steps of the run before this one
	StSum            // training: sum of the sampled losses; evaluation: of the examples' losses
	StN              // number of sampled losses
	StLast           // the last sampled loss
	StBad            // run step of the first NaN or ±Inf sampled loss, −1 when none
	StBadLoss        // that loss
	StCorrect        // evaluation: examples whose first argmax is their label
	StateLen
)

// NewState is the state at the start of an epoch (or an evaluation pass)
// after firstStep steps of the run.
func NewState(firstStep int) []float64 {
	s := make([]float64, StateLen)
	s[StStep], s[StBad] = float64(firstStep), -1
	return s
}

// DataSpec describes a data set for the pipeline: N examples of D inputs
// (uint8 pixels normalized by Mean and Std, or float32 values as they are)
// and T targets each (one uint8 class label, or T float32 values).
type DataSpec struct {
	N, D, T   int
	X, Y      DType // U8 or F32
	Mean, Std float32
}

// PipelineSpec says what AddPipeline adds.
type PipelineSpec struct {
	Train, Eval *DataSpec // nil: no training data (a model with no data), no evaluation
	Steps       int       // steps per epoch: the rate table's length
	LossEvery   int       // sample the loss every LossEvery steps (and at the epoch's last)
	OneHot      int       // > 0: the labels input takes one-hot rows of OneHot classes
}

// PipeData are the buffers of one data set of a pipeline.
type PipeData struct {
	X, Y, Perm, State BufID
	N                 int
}

// Pipeline names the buffers AddPipeline added.
type Pipeline struct {
	Train, Eval *PipeData // nil when absent
	LR          BufID     // the epoch's rates [Steps]
	Steps       int
	// TrainState is the training state (also without training data); -1,
	// like LR, for a forward-only program.
	TrainState BufID
}

// AddPipeline returns p with its input pipeline (p itself is not changed;
// the two share their instruction arguments). A training program (one with
// an Update segment) gets TrainStep, which needs its loss; a forward-only
// program only EvalStep. p must have Inputs "x" and "labels" when
// spec.Train or spec.Eval is set; the batch is the labels' first axis.
func AddPipeline(p *Program, spec PipelineSpec) (*Program, error) {
	training := p.Update.Len() > 0
	switch {
	case training && p.Loss < 0:
		return nil, errors.New("pipeline: the program has no loss")
	case !training && (spec.Train != nil || spec.Eval == nil):
		return nil, errors.New("pipeline: the program has no optimizer update: it can only evaluate")
	case training && (spec.Steps < 1 || spec.LossEvery < 1):
		return nil, fmt.Errorf("pipeline: %d steps per epoch, loss every %d: both must be ≥ 1", spec.Steps, spec.LossEvery)
	}
	q := *p
	q.Buffers = append([]Buffer(nil), p.Buffers...)
	q.Instrs = append([]Instr(nil), p.Instrs...)
	pipe := &Pipeline{Steps: spec.Steps}
	q.Pipe = pipe
	add := func(name string, shape []int, class BufClass, dt DType) BufID {
		n := 1
		for _, d := range shape {
			n *= d
		}
		b := Buffer{Name: name, Shape: shape, Len: n, Class: class, Pinned: true, View: -1, DType: dt}
		q.ArenaLen += q.ArenaLen % 2 // every pipeline buffer starts 8-byte aligned
		b.Offset = q.ArenaLen
		q.ArenaLen += b.Floats()
		q.Buffers = append(q.Buffers, b)
		return BufID(len(q.Buffers) - 1)
	}
	emit := func(op Op, in, out []BufID, args any, node string) {
		q.Instrs = append(q.Instrs, Instr{Op: op, In: in, Out: out, Args: args, Node: node})
	}
	var x, y BufID = -1, -1
	batch, ylen := 0, 0
	if spec.Train != nil || spec.Eval != nil {
		var ok bool
		if x, ok = p.Inputs["x"]; !ok {
			return nil, errors.New("pipeline: the program has no input \"x\"")
		}
		if y, ok = p.Inputs["labels"]; !ok {
			return nil, errors.New("pipeline: the program has no input \"labels\"")
		}
		ylen = p.Buf(y).Len
		if s := p.Buf(y).Shape; len(s) > 0 {
			batch = s[0]
		}
		if batch < 1 {
			return nil, fmt.Errorf("pipeline: labels %v have no batch axis", p.Buf(y).Shape)
		}
	}
	gatherArgs := func(d *DataSpec) (GatherArgs, error) {
		a := GatherArgs{B: batch, D: d.D, N: d.N, T: d.T, OneHot: spec.OneHot, Mean: d.Mean, Std: d.Std, X: d.X, Y: d.Y}
		if d.Y != U8 {
			a.OneHot = 0
		}
		if err := a.Check(); err != nil {
			return a, fmt.Errorf("pipeline: %w", err)
		}
		if n := p.Buf(x).Len; n != batch*d.D {
			return a, fmt.Errorf("pipeline: input x %v holds %d values, a batch of %d rows of %d inputs has %d", p.Buf(x).Shape, n, batch, d.D, batch*d.D)
		}
		if want := batch * max(a.T, a.OneHot); ylen != want {
			return a, fmt.Errorf("pipeline: labels %v hold %d values, a batch of targets needs %d", p.Buf(y).Shape, ylen, want)
		}
		return a, nil
	}
	data := func(prefix string, d *DataSpec) *PipeData {
		return &PipeData{
			X:     add(prefix+".x", []int{d.N, d.D}, Input, d.X),
			Y:     add(prefix+".y", []int{d.N, d.T}, Input, d.Y),
			Perm:  add(prefix+".perm", []int{d.N}, Input, I32),
			State: add(prefix+".state", []int{StateLen}, Control, F64),
			N:     d.N,
		}
	}

	// The training step.
	trainStart := len(q.Instrs)
	if !training {
		// Evaluation only.
	} else if d := spec.Train; d != nil {
		a, err := gatherArgs(d)
		if err != nil {
			return nil, err
		}
		pipe.Train = data("train", d)
		pipe.TrainState = pipe.Train.State
		emit(OpGather, []BufID{pipe.Train.X, pipe.Train.Y, pipe.Train.Perm, pipe.Train.State}, []BufID{x, y}, a, "pipeline/train gather")
	} else {
		pipe.TrainState = add("train.state", []int{StateLen}, Control, F64)
	}
	if training {
		pipe.LR = add("train.lr", []int{spec.Steps}, Control, F32)
		sb := StepBeginArgs{Steps: spec.Steps, Hyper: p.Hyper >= 0, Ctl: p.Ctl >= 0}
		var sbOut []BufID
		if sb.Hyper {
			sbOut = append(sbOut, p.Hyper)
		}
		if sb.Ctl {
			sbOut = append(sbOut, p.Ctl)
		}
		emit(OpStepBegin, []BufID{pipe.LR, pipe.TrainState}, sbOut, sb, "pipeline/step begin")
		mid := len(q.Instrs)
		emit(OpStepEnd, []BufID{p.Loss}, []BufID{pipe.TrainState}, StepEndArgs{Steps: spec.Steps, Every: spec.LossEvery}, "pipeline/step end")
		q.TrainStep = Step{{Start: trainStart, End: mid}, {Start: p.Forward.Start, End: p.Update.End}, {Start: mid, End: mid + 1}}
	} else {
		pipe.LR, pipe.TrainState = -1, -1
	}

	// The evaluation batch.
	if d := spec.Eval; d != nil {
		a, err := gatherArgs(d)
		if err != nil {
			return nil, err
		}
		sc := EvalScoreArgs{B: batch, N: d.N, Y: d.Y, MSE: d.Y == F32}
		switch {
		case p.Logits < 0:
			return nil, errors.New("pipeline: the program has no logits to score")
		case sc.MSE:
			sc.C = d.T
		default:
			sc.C = p.Buf(p.Logits).Len / batch
		}
		if err := sc.Check(); err != nil {
			return nil, fmt.Errorf("pipeline: %w", err)
		}
		if p.Buf(p.Logits).Len != batch*sc.C {
			return nil, fmt.Errorf("pipeline: logits %v hold %d values, scoring wants [%d, %d]", p.Buf(p.Logits).Shape, p.Buf(p.Logits).Len, batch, sc.C)
		}
		pipe.Eval = data("eval", d)
		start := len(q.Instrs)
		emit(OpGather, []BufID{pipe.Eval.X, pipe.Eval.Y, pipe.Eval.Perm, pipe.Eval.State}, []BufID{x, y}, a, "pipeline/eval gather")
		emit(OpEvalScore, []BufID{p.Logits, pipe.Eval.Y}, []BufID{pipe.Eval.State}, sc, "pipeline/eval score")
		q.EvalStep = Step{{Start: start, End: start + 1}, p.Forward, {Start: start + 1, End: start + 2}}
	}
	for i := trainStart; i < len(q.Instrs); i++ {
		if err := CheckOperands(&q, q.Instrs[i]); err != nil {
			return nil, fmt.Errorf("pipeline: instr %d %s: %w", i, q.Instrs[i].Op, err)
		}
	}
	return &q, nil
}

// EvalBatches is the number of evaluation batches of B that cover n examples.
func EvalBatches(n, batch int) int { return (n + batch - 1) / batch }

// Capturer is implemented by an Executable that runs asynchronously (the
// cuda backend): Capture records a Step once (its instructions' launches)
// and returns a function that issues it again, without waiting — one graph
// launch where the backend's Caps.Graphs, else the launches one by one. The
// replay reads and writes the same buffers, so what changes from step to
// step must live in them (the pipeline's state). A loop runs RunStep where
// there is no Capturer.
type Capturer interface {
	Capture(step Step) (replay func() error, err error)
}

// RunStep runs a Step's segments in order.
func RunStep(x Executable, step Step) error {
	for _, s := range step {
		if err := x.Run(s); err != nil {
			return err
		}
	}
	return nil
}
