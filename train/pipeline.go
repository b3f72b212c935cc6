package train

import (
	"context"
	"fmt"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/kernels"
)

// One training loop for every backend: the program carries its input
// pipeline (kernels.AddPipeline), so a step is one run of Program.TrainStep
// — gather the batch by the epoch's permutation, set [lr, t] and the mode,
// forward, backward, update, sample the loss — with no host write in
// between. The data sets are uploaded once, when the program is loaded; at
// the start of an epoch the loop writes the permutation, the epoch's rates
// and a fresh state. An executable that is a kernels.Capturer (a device
// that runs asynchronously: cuda) captures the step once and replays it (a
// CUDA graph where Caps.Graphs), and the loop reads the state only when it
// needs the losses (a progress event, the end of the epoch); on the cpu a
// read costs nothing and the loop reads every sampled loss, checking each
// for divergence as it comes.

// dataSpec describes a set for the pipeline.
func dataSpec(s *data.Set, norm data.Normalization) *kernels.DataSpec {
	d := &kernels.DataSpec{N: s.N, D: s.Features(), T: s.TargetLen(), X: kernels.U8, Y: kernels.U8, Mean: norm.Mean, Std: norm.Std}
	if s.D > 0 {
		d.X = kernels.F32
	}
	if s.T > 0 {
		d.Y = kernels.F32
	}
	return d
}

// addPipeline gives a compiled program its input pipeline over train and
// test (either may be nil) and loads nothing.
func addPipeline(p *kernels.Program, cfg *Config, train, test *data.Set, steps int) (*kernels.Program, error) {
	spec := kernels.PipelineSpec{Steps: max(steps, 1), LossEvery: cfg.LossEvery}
	norm := cfg.Normalization()
	if train != nil {
		spec.Train = dataSpec(train, norm)
		spec.OneHot = hotClasses(p, cfg.Batch, train)
	}
	if test != nil {
		spec.Eval = dataSpec(test, norm)
		spec.OneHot = hotClasses(p, cfg.Batch, test)
	}
	q, err := kernels.AddPipeline(p, spec)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return q, nil
}

// uploadSet writes a set's examples and targets into the pipeline's buffers
// of it (and, for an evaluation set, the identity order).
func uploadSet(exe kernels.Executable, d *kernels.PipeData, s *data.Set, ordered bool) error {
	var err error
	if s.D > 0 {
		err = exe.WriteBytes(d.X, kernels.AsBytes(s.X))
	} else {
		err = exe.WriteBytes(d.X, s.Images)
	}
	if err == nil && s.T > 0 {
		err = exe.WriteBytes(d.Y, kernels.AsBytes(s.Targets))
	} else if err == nil {
		err = exe.WriteBytes(d.Y, s.Labels)
	}
	if err == nil && ordered {
		ident := make([]int32, s.N)
		for i := range ident {
			ident[i] = int32(i)
		}
		err = exe.WriteBytes(d.Perm, kernels.AsBytes(ident))
	}
	if err != nil {
		return fmt.Errorf("train: uploading the %d examples of set %q: %w", s.N, s.Name, err)
	}
	return nil
}

// stepper runs a loaded program's pipeline steps: replays of captured
// steps where the backend has graphs, else the segments one by one.
type stepper struct {
	prog        *kernels.Program
	exe         kernels.Executable
	train, eval func() error
	deferred    bool // reads wait for the device: read the state only when needed
	state       []float64
}

func newStepper(prog *kernels.Program, exe kernels.Executable) (*stepper, error) {
	s := &stepper{prog: prog, exe: exe, state: make([]float64, kernels.StateLen)}
	s.train = func() error { return kernels.RunStep(exe, prog.TrainStep) }
	s.eval = func() error { return kernels.RunStep(exe, prog.EvalStep) }
	if c, ok := exe.(kernels.Capturer); ok {
		s.deferred = true
		var err error
		if prog.TrainStep != nil {
			if s.train, err = c.Capture(prog.TrainStep); err != nil {
				return nil, fmt.Errorf("train: capturing the training step: %w", err)
			}
		}
		if prog.EvalStep != nil {
			if s.eval, err = c.Capture(prog.EvalStep); err != nil {
				return nil, fmt.Errorf("train: capturing the evaluation step: %w", err)
			}
		}
	}
	return s, nil
}

// readState reads the training state (after the steps issued so far).
func (s *stepper) readState(id kernels.BufID) error {
	return s.exe.ReadBytes(id, kernels.AsBytes(s.state))
}

// startEpoch writes the epoch's order and rates and a fresh state, for a
// run of total steps (the rate of step s is cfg.RateAt(s, total)).
func (t *trainer) startEpoch(perm []int32, total int) error {
	pipe := t.b.prog.Pipe
	if pipe.Train != nil {
		if err := t.exe.WriteBytes(pipe.Train.Perm, kernels.AsBytes(perm)); err != nil {
			return err
		}
	}
	for k := range t.rates {
		t.rates[k] = float32(t.cfg.RateAt(t.step+k, total))
	}
	if err := t.exe.Write(pipe.LR, t.rates); err != nil {
		return err
	}
	return t.exe.WriteBytes(pipe.TrainState, kernels.AsBytes(kernels.NewState(t.step)))
}

// evaluate scores the test set.
func (t *trainer) evaluate(ctx context.Context) (EvalResult, error) {
	return t.st.evaluate(ctx, t.test, t.cfg.Batch, t.step)
}

// evaluate runs the evaluation step over the whole set, batch after batch:
// the set rarely divides into whole batches (10,000 = 78·128 + 16), so the
// last batch is filled from the set's start and only its valid rows are
// scored. The mode buffer says "evaluation", so dropout passes activations
// through. Accuracy and mean cross-entropy (or mean squared error) come from
// the state's sums.
func (s *stepper) evaluate(ctx context.Context, set *data.Set, batch, step int) (EvalResult, error) {
	p := s.prog
	if p.Ctl >= 0 {
		if err := s.exe.Write(p.Ctl, []float32{0, float32(step)}); err != nil {
			return EvalResult{}, err
		}
	}
	if err := s.exe.WriteBytes(p.Pipe.Eval.State, kernels.AsBytes(kernels.NewState(0))); err != nil {
		return EvalResult{}, err
	}
	for b := 0; b < kernels.EvalBatches(set.N, batch); b++ {
		if err := ctx.Err(); err != nil {
			return EvalResult{}, err
		}
		if err := s.eval(); err != nil {
			return EvalResult{}, fmt.Errorf("train: evaluation batch %d: %w", b+1, err)
		}
	}
	if err := s.readState(p.Pipe.Eval.State); err != nil {
		return EvalResult{}, fmt.Errorf("train: evaluation: %w", err)
	}
	res := EvalResult{Correct: int(s.state[kernels.StCorrect]), N: set.N}
	res.Accuracy = float64(res.Correct) / float64(res.N)
	res.Loss = s.state[kernels.StSum] / float64(res.N*set.TargetLen())
	return res, nil
}

// losses is what an epoch's steps sampled.
type losses struct {
	sum float64
	n   int
}

// sampled reads the state after a step that sampled the loss, on a backend
// whose reads are free, and checks the loss for divergence as it comes.
func (t *trainer) sampled(epoch, k int, total, win *losses) error {
	if err := t.st.readState(t.b.prog.Pipe.TrainState); err != nil {
		return err
	}
	l := t.st.state[kernels.StLast]
	if d := divergence(l, &t.bestLoss, t.opts.DivergeFactor, epoch, k); d != nil {
		return t.diverged(d)
	}
	total.sum, total.n = total.sum+l, total.n+1
	win.sum, win.n = win.sum+l, win.n+1
	return nil
}

// deferredLosses reads the state on a backend whose reads wait for the
// device, turning the first non-finite sample into the divergence error
// (the device keeps no per-step samples: the factor applies to the last).
func (t *trainer) deferredLosses(epoch, first int, last bool) (losses, float64, error) {
	st := t.st.state
	if err := t.st.readState(t.b.prog.Pipe.TrainState); err != nil {
		return losses{}, 0, fmt.Errorf("train: epoch %d: %w", epoch, err)
	}
	if bad := st[kernels.StBad]; bad >= 0 {
		return losses{}, 0, t.diverged(&DivergedError{Epoch: epoch, Step: int(bad) - first + 1, Loss: st[kernels.StBadLoss], Best: t.bestLoss})
	}
	if last && st[kernels.StN] > 0 {
		if d := divergence(st[kernels.StLast], &t.bestLoss, t.opts.DivergeFactor, epoch, t.stepsPerEpoch); d != nil {
			return losses{}, 0, t.diverged(d)
		}
	}
	return losses{sum: st[kernels.StSum], n: int(st[kernels.StN])}, st[kernels.StLast], nil
}
