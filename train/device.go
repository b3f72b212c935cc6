package train

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/kernels"
)

// The device path: when the loaded program's executable is a
// kernels.DeviceData (the cuda backend), the training set is uploaded once
// as bytes and every step runs on the device (gather, forward, backward,
// update, loss bookkeeping; one CUDA graph replay on the GPU), with the
// host reading the loss only for a progress event, a hook, or at the end of
// the epoch. The numbers are those of the host path (runEpoch's loop): the
// same batches, rates, counters and loss samples; kernels.DeviceData states
// the contract. GABOR_HOST_INPUT=1 keeps the host path on any device.

// hostInputEnv names the switch that keeps the host path.
const hostInputEnv = "GABOR_HOST_INPUT"

// deviceData returns the executable's device path, unless the host path is
// asked for.
func deviceData(exe kernels.Executable) (kernels.DeviceData, bool) {
	if os.Getenv(hostInputEnv) == "1" {
		return nil, false
	}
	dd, ok := exe.(kernels.DeviceData)
	return dd, ok
}

// devicePath is a trainer's device-side loops.
type devicePath struct {
	dd    kernels.DeviceData
	set   kernels.DeviceSet
	loop  kernels.TrainLoop
	eval  deviceEval
	rates []float32
}

// openDevicePath uploads the training set and prepares the training step
// when the executable supports it; t.dev stays nil otherwise.
func (t *trainer) openDevicePath() error {
	dd, ok := deviceData(t.exe)
	if !ok {
		return nil
	}
	if s := t.train; s == nil || s.D > 0 || s.T > 0 {
		// The device loop gathers uint8 images and class indices; float
		// inputs, float targets and models with no data are fed by the host.
		return nil
	}
	prog := t.b.prog
	if c := labelClasses(prog, t.cfg.Batch); c > 0 {
		// The device loop gathers class indices on the device; one-hot rows
		// are built by the host loop, which runs the same program here.
		t.logf("note: model %s takes one-hot labels [%d, %d]: the host feeds each step on %s (the device training loop feeds class indices only)",
			t.cfg.Model, t.cfg.Batch, c, t.be.Name())
		return nil
	}
	d := &devicePath{dd: dd, rates: make([]float32, t.stepsPerEpoch)}
	var err error
	if d.set, err = dd.UploadSet(t.train.Images, t.train.Labels, t.train.H*t.train.W); err != nil {
		return fmt.Errorf("train: uploading the %d training images to %s: %w", t.train.N, t.be.Name(), err)
	}
	d.loop, err = dd.NewTrainLoop(d.set, kernels.TrainLoopSpec{
		Segment: kernels.Segment{Start: prog.Forward.Start, End: prog.Update.End},
		Images:  prog.Inputs["x"], Labels: prog.Inputs["labels"],
		Mean: t.cfg.Normalization().Mean, Std: t.cfg.Normalization().Std,
		StepsPerEpoch: t.stepsPerEpoch, LossEvery: t.cfg.LossEvery,
	})
	if err != nil {
		d.set.Close()
		return fmt.Errorf("train: preparing the training step of %s on %s: %w", t.cfg.Model, t.be.Name(), err)
	}
	t.dev = d
	return nil
}

// close releases the device path and the executable.
func (t *trainer) close() error {
	var errs []error
	if d := t.dev; d != nil {
		errs = append(errs, d.eval.close(), d.loop.Close(), d.set.Close())
		t.dev = nil
	}
	return errors.Join(append(errs, t.exe.Close())...)
}

// startDeviceEpoch hands the device the epoch's order and its rates, for a
// run of total steps (the rate of step s is cfg.RateAt(s, total), as the
// host path writes it).
func (t *trainer) startDeviceEpoch(perm []int32, total int) error {
	d := t.dev
	for k := range d.rates {
		d.rates[k] = float32(t.cfg.RateAt(t.step+k, total))
	}
	return d.loop.StartEpoch(perm, d.rates, t.step)
}

// deviceSteps runs an epoch's steps on the device and returns the sum and
// count of the sampled losses, as the host loop of runEpoch does. The loss
// is read (a wait for the device) only when a progress event or a hook is
// due, and at the end.
func (t *trainer) deviceSteps(ctx context.Context, perm []int32, epoch, every int, start time.Time) (float64, int, error) {
	d := t.dev
	if err := t.startDeviceEpoch(perm, t.totalSteps); err != nil {
		return 0, 0, fmt.Errorf("train: epoch %d: %w", epoch, err)
	}
	first := t.step
	var prev kernels.LossStats
	for k := 0; k < t.stepsPerEpoch; k++ {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		if err := d.loop.Step(); err != nil {
			return 0, 0, fmt.Errorf("train: epoch %d step %d: %w", epoch, k+1, err)
		}
		t.step++
		if t.opts.Progress != nil && (k+1)%every == 0 && k+1 < t.stepsPerEpoch {
			st, err := t.deviceLoss(epoch, first)
			if err != nil {
				return 0, 0, err
			}
			if n := st.N - prev.N; n > 0 {
				win := (st.Sum - prev.Sum) / float64(n)
				if n == 1 {
					win = float64(st.Last) // exactly the one loss read
				}
				el := time.Since(start) - t.hookTime
				t.emit(&ProgressEvent{
					Event: "progress", Epoch: epoch, Step: t.step, Steps: t.totalSteps,
					EpochStep: k + 1, EpochSteps: t.stepsPerEpoch, Loss: win,
					ImagesPerS: float64((k+1)*t.cfg.Batch) / el.Seconds(),
					ETAS:       el.Seconds() / float64(k+1) * float64(t.totalSteps-t.step),
				})
				prev = st
			}
		}
		if err := t.runHooks(epoch, false); err != nil {
			return 0, 0, err
		}
	}
	st, err := t.deviceLoss(epoch, first)
	if err != nil {
		return 0, 0, err
	}
	return st.Sum, st.N, nil
}

// deviceLoss reads the epoch's loss samples and turns the first non-finite
// one into the host path's divergence error, so the epoch ends before its
// checkpoint is written.
func (t *trainer) deviceLoss(epoch, first int) (kernels.LossStats, error) {
	st, err := t.dev.loop.Loss()
	if err != nil {
		return st, fmt.Errorf("train: epoch %d: %w", epoch, err)
	}
	if st.BadStep >= 0 {
		return st, t.diverged(&DivergedError{Epoch: epoch, Step: st.BadStep - first + 1, Loss: float64(st.BadLoss), Best: t.bestLoss})
	}
	// The device keeps no per-step samples: the factor applies to the epoch's last.
	if st.N > 0 {
		if d := divergence(float64(st.Last), &t.bestLoss, t.opts.DivergeFactor, epoch, t.stepsPerEpoch); d != nil {
			return st, t.diverged(d)
		}
	}
	return st, nil
}

// evaluate scores the test set: on the device when the trainer has a
// device path (the test set is uploaded at the first evaluation), else from
// the host.
func (t *trainer) evaluate(ctx context.Context) (EvalResult, error) {
	if t.dev == nil {
		return evaluate(ctx, t.b.prog, t.exe, t.test, t.cfg.Normalization(), t.cfg.Batch, t.step)
	}
	return t.dev.eval.run(ctx, t.dev.dd, t.b.prog, t.exe, t.test, t.cfg.Normalization(), t.cfg.Batch, t.step)
}

// deviceEval is an evaluation loop over a test set on the device, made at
// its first run.
type deviceEval struct {
	set  kernels.DeviceSet
	loop kernels.EvalLoop
}

// run scores set as the host path's evaluate does: the mode buffer says
// "evaluation", every image is scored once, accuracy and mean cross-entropy
// come from the counts.
func (e *deviceEval) run(ctx context.Context, dd kernels.DeviceData, prog *kernels.Program, exe kernels.Executable, set *data.Set, norm data.Normalization, batch, step int) (EvalResult, error) {
	if err := ctx.Err(); err != nil {
		return EvalResult{}, err
	}
	if e.loop == nil {
		var err error
		if e.set, err = dd.UploadSet(set.Images, set.Labels, set.H*set.W); err != nil {
			return EvalResult{}, fmt.Errorf("train: uploading the %d test images: %w", set.N, err)
		}
		e.loop, err = dd.NewEvalLoop(e.set, kernels.EvalLoopSpec{
			Forward: prog.Forward, Images: prog.Inputs["x"], Labels: prog.Inputs["labels"],
			Logits: prog.Logits, Classes: prog.Buf(prog.Logits).Len / batch,
			Mean: norm.Mean, Std: norm.Std,
		})
		if err != nil {
			e.set.Close()
			e.set, e.loop = nil, nil
			return EvalResult{}, fmt.Errorf("train: preparing the evaluation: %w", err)
		}
	}
	if prog.Ctl >= 0 {
		if err := exe.Write(prog.Ctl, []float32{0, float32(step)}); err != nil {
			return EvalResult{}, err
		}
	}
	correct, loss, err := e.loop.Run()
	if err != nil {
		return EvalResult{}, fmt.Errorf("train: evaluation: %w", err)
	}
	res := EvalResult{Correct: correct, N: set.N}
	res.Accuracy = float64(correct) / float64(set.N)
	res.Loss = loss / float64(set.N)
	return res, nil
}

func (e *deviceEval) close() error {
	var errs []error
	if e.loop != nil {
		errs = append(errs, e.loop.Close())
	}
	if e.set != nil {
		errs = append(errs, e.set.Close())
	}
	e.loop, e.set = nil, nil
	return errors.Join(errs...)
}

// evaluateOnce scores a set with a loaded program once (Evaluate): on the
// device when the executable supports it, else from the host.
func evaluateOnce(ctx context.Context, prog *kernels.Program, exe kernels.Executable, set *data.Set, norm data.Normalization, batch, step int) (EvalResult, error) {
	dd, ok := deviceData(exe)
	if !ok || set.D > 0 || set.T > 0 {
		return evaluate(ctx, prog, exe, set, norm, batch, step)
	}
	var e deviceEval
	res, err := e.run(ctx, dd, prog, exe, set, norm, batch, step)
	return res, errors.Join(err, e.close())
}
