package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/train"
)

// Run measures every workload of opts on ds, gabor only (see RunPyTorch for
// the other half of a comparison), and returns the report with its summaries
// filled in. Workloads run one after another, device by device, each with its
// own compiled program. Progress lines go to log (nil: none).
func Run(ctx context.Context, opts Options, ds *data.Dataset, log io.Writer) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if ds == nil || ds.Train == nil || ds.Test == nil {
		return nil, fmt.Errorf("bench: no dataset")
	}
	rep := &Report{Machine: Describe(opts.Devices), Options: settings(opts, ds.Name)}
	for _, dev := range opts.Devices {
		for _, model := range opts.Models {
			for _, batch := range opts.Batches {
				r, err := measure(ctx, opts, ds, model, dev, batch, log)
				if err != nil {
					return rep, fmt.Errorf("bench: %s on %s at batch %d: %w", model, dev, batch, err)
				}
				rep.Results = append(rep.Results, r)
			}
		}
	}
	rep.Machine.LoadAfter = LoadAverage()
	rep.Finish()
	return rep, nil
}

func settings(o Options, dataset string) Settings {
	return Settings{Models: o.Models, Devices: o.Devices, Batches: o.Batches, Epochs: o.Epochs,
		Warmup: o.Warmup, Repeat: o.Repeat, Limit: o.Limit, Seed: o.Seed, Dataset: dataset}
}

// measure runs one workload opts.Repeat times: set-up, warm-up epochs,
// measured epochs, and with opts.Profile one profiled epoch at the end.
func measure(ctx context.Context, opts Options, ds *data.Dataset, model, dev string, batch int, log io.Writer) (Result, error) {
	logf := func(format string, args ...any) {
		if log != nil {
			fmt.Fprintf(log, format+"\n", args...)
		}
	}
	cfg := train.DefaultConfig(model)
	cfg.Dataset, cfg.Device, cfg.Batch = ds.Name, dev, batch
	cfg.Limit, cfg.Seed = opts.Limit, opts.Seed
	cfg.Epochs = opts.Warmup + opts.Epochs
	res := Result{Impl: ImplGabor, Model: model, Device: dev, Batch: batch, FirstEpochS: -1}

	// The peak is that of this workload where the kernel lets the mark be reset.
	runtime.GC()
	resetPeakRSS()
	for rep := 0; rep < opts.Repeat; rep++ {
		s, err := train.NewStepper(cfg, ds)
		if err != nil {
			return res, err
		}
		err = runRepeat(ctx, opts, s, &res, rep == opts.Repeat-1, logf)
		s.Close()
		if err != nil {
			return res, err
		}
	}
	res.PeakRSSBytes = PeakRSS()
	runtime.GC()
	return res, nil
}

// runRepeat is one repeat of a workload on a ready Stepper; the last repeat
// also records memory and, with opts.Profile, the profile.
func runRepeat(ctx context.Context, opts Options, s *train.Stepper, res *Result, last bool, logf func(string, ...any)) error {
	be := s.Backend()
	res.DeviceName = be.Caps().Device
	res.StepsPerEpoch = s.StepsPerEpoch()
	res.ImagesPerEpoch = s.StepsPerEpoch() * res.Batch
	res.ArenaBytes = s.Exec().ArenaBytes()
	res.SetupS = append(res.SetupS, s.SetupS)
	logf("bench: %s %s batch %d: set-up %.3f s, arena %.1f MiB", res.Model, res.Device, res.Batch, s.SetupS, float64(res.ArenaBytes)/(1<<20))
	first := func(sec float64) {
		if res.FirstEpochS < 0 {
			res.FirstEpochS = sec
		}
	}
	for w := 0; w < opts.Warmup; w++ {
		e, err := s.Epoch(ctx, nil)
		if err != nil {
			return err
		}
		first(e.Seconds)
		res.WarmupEpochS = append(res.WarmupEpochS, e.Seconds)
		logf("bench:   warm-up epoch %d: %.3f s", e.Epoch, e.Seconds)
	}
	before := readGoMem()
	for k := 0; k < opts.Epochs; k++ {
		e, err := s.Epoch(ctx, nil)
		if err != nil {
			return err
		}
		first(e.Seconds)
		res.EpochS = append(res.EpochS, e.Seconds)
		res.TrainLoss = e.Loss
		logf("bench:   epoch %d: %.3f s, %.0f images/s, loss %.4f", e.Epoch, e.Seconds, float64(e.Images)/e.Seconds, e.Loss)
	}
	after := readGoMem()
	if !last {
		return nil
	}
	steps := float64(opts.Epochs * s.StepsPerEpoch())
	res.AllocBytesPerStep = float64(after.totalAlloc-before.totalAlloc) / steps
	res.GoHeapBytes = int64(after.heapInuse)
	if opts.Profile {
		p := newProfiler(s.Program(), s.Exec())
		e, err := s.Epoch(ctx, p.run)
		if err != nil {
			return fmt.Errorf("profiled epoch: %w", err)
		}
		res.Profile = p.profile()
		logf("bench:   profiled epoch %d: %.3f s (%.2f ms per step timed per instruction)", e.Epoch, e.Seconds, 1e3*res.Profile.StepS)
	}
	return nil
}
