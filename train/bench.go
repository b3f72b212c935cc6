package train

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/kernels"
)

// Stepper is a compiled, loaded training program that trains one epoch per
// call, with no evaluation, checkpoints, hooks or files: what `gabor bench`
// times. An epoch does exactly the work of one epoch of Run (the same order,
// batches, rates and step inputs), so its time is the epoch time Run reports.
type Stepper struct {
	t *trainer
	// SetupS is the time NewStepper took to build the model, compile it, load
	// it on the device and write the initial weights.
	SetupS float64
}

// StepperEpoch is what one Stepper epoch measured.
type StepperEpoch struct {
	Epoch   int     // 1-based
	Seconds float64 // the training loop only: gather, forward, backward, update
	Images  int     // images trained (steps × batch)
	Loss    float64 // the loss of the epoch's last step
}

// RunSegment runs a segment of the loaded program. Stepper.Epoch takes one so
// that a profiler can run the step instruction by instruction (it is called
// for each segment of Program.TrainStep); nil means the executable's own.
type RunSegment func(kernels.Segment) error

// NewStepper validates cfg, checks the data against the model, compiles it and
// loads it on cfg.Device with its initial weights. cfg.Limit applies to the
// training set; the test set is not used. Close the Stepper when done.
func NewStepper(cfg Config, ds *data.Dataset) (*Stepper, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	t, err := newTrainer(cfg, ds, RunOptions{}, nil, "")
	if err != nil {
		return nil, err
	}
	return &Stepper{t: t, SetupS: time.Since(start).Seconds()}, nil
}

// Program is the compiled training program.
func (s *Stepper) Program() *kernels.Program { return s.t.b.prog }

// Exec is the program loaded on the device.
func (s *Stepper) Exec() kernels.Executable { return s.t.exe }

// Backend is the device the program runs on.
func (s *Stepper) Backend() kernels.Backend { return s.t.be }

// StepsPerEpoch is the number of full batches in the training set.
func (s *Stepper) StepsPerEpoch() int { return s.t.stepsPerEpoch }

// TrainStep is what one step runs, as segments: the batch gather and the
// step's bookkeeping around forward, backward and update.
func (s *Stepper) TrainStep() kernels.Step { return s.t.b.prog.TrainStep }

// Close releases the device memory.
func (s *Stepper) Close() error { return s.t.close() }

// Epoch trains the next epoch and times its training loop. The permutation is
// made before the clock starts and the loss is read once, after the clock
// stops, as the reference programs do (they keep the loss on the device), so
// no step waits for the device except through run itself. run nil runs the
// step as Run's loop does (a captured step's replay where the backend has
// graphs); else run is called for each segment of the step.
func (s *Stepper) Epoch(ctx context.Context, run RunSegment) (StepperEpoch, error) {
	t := s.t
	// A Stepper may run past cfg.Epochs (warm-up plus measured epochs); the
	// schedule's length is the configured one, which for the constant rate of
	// the recipe changes nothing.
	total := max(t.totalSteps, t.step+t.stepsPerEpoch)
	perm := t.permutation()
	epoch := t.epoch + 1
	start := time.Now()
	if err := t.startEpoch(perm, total); err != nil {
		return StepperEpoch{}, fmt.Errorf("train: epoch %d: %w", epoch, err)
	}
	step := t.st.train
	if run != nil {
		step = func() error {
			for _, seg := range t.b.prog.TrainStep {
				if err := run(seg); err != nil {
					return err
				}
			}
			return nil
		}
	}
	for k := 0; k < t.stepsPerEpoch; k++ {
		if err := ctx.Err(); err != nil {
			return StepperEpoch{}, err
		}
		if err := step(); err != nil {
			return StepperEpoch{}, fmt.Errorf("train: epoch %d step %d: %w", epoch, k+1, err)
		}
		t.step++
	}
	return s.endEpoch(epoch, start)
}

// endEpoch waits for the epoch's steps, stops the clock and reads the last
// step's loss.
func (s *Stepper) endEpoch(epoch int, start time.Time) (StepperEpoch, error) {
	t := s.t
	if err := t.exe.Sync(); err != nil {
		return StepperEpoch{}, err
	}
	sec := time.Since(start).Seconds()
	if err := t.exe.Read(t.b.prog.Loss, t.loss); err != nil {
		return StepperEpoch{}, err
	}
	l := float64(t.loss[0])
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return StepperEpoch{}, fmt.Errorf("train: the loss is %v after epoch %d: training diverged", l, epoch)
	}
	t.epoch = epoch
	return StepperEpoch{Epoch: epoch, Seconds: sec, Images: t.stepsPerEpoch * t.cfg.Batch, Loss: l}, nil
}
