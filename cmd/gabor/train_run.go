package main

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/train"
)

// runTrain resolves what the flags left open (the dataset, the run directory),
// loads the data, checks the device, and runs the training loop with the reporter.
// Everything that can be wrong with the input is found before the loop starts;
// the loop itself creates the run directory only once an epoch's checkpoint is
// complete, so a failed start leaves nothing behind.
func runTrain(ctx context.Context, o *trainOptions) error {
	if o.Resume != "" {
		return runResume(ctx, o)
	}
	if o.TwoD.on(&o.Config) {
		return runTrain2D(ctx, o) // train2d.go
	}
	cfg := o.config()
	rep := newTrainReporter(o.IO, o.JSON, cfg.Epochs, o.Now)
	if cfg.Dataset == "" {
		cfg.Dataset = announceDataset(rep, cfg.DataDir)
	}
	if err := checkDeviceBuilt(cfg.Device); err != nil {
		return err
	}
	if cfg.Out == "" {
		cfg.Out = filepath.Join("runs", cfg.Model+"-"+o.Now().Format("20060102-150405"))
	}
	ds, err := train.LoadDataset(cfg)
	if err != nil {
		return err
	}
	if cfg.InitFrom != "" {
		// Read before anything uses it (the initial snapshot does): a missing or
		// damaged file is a data error naming it.
		if _, err := models.ReadANCHORW1(cfg.InitFrom); err != nil {
			return &dataError{err}
		}
	}
	for _, n := range ds.Notes {
		rep.notice("%s", n)
	}
	msg, err := resolveNormalization(&cfg, o.Normalize, ds) // data_source.go
	if err != nil {
		return err
	}
	rep.notice("%s", msg)
	ropts := train.RunOptions{Progress: logSteps(cfg.Out, rep.handle), Log: reporterLog{rep}, Version: currentVersion().Version, DivergeFactor: o.divergeFactor()}
	snaps, err := snapshotHooks(&ropts, cfg.Out, cfg, true) // train_snapshot.go
	if err != nil {
		return err
	}
	live, err := startLive(ctx, o, cfg.Out, ds, &ropts) // serve.go: nil without --serve
	if err != nil {
		return err
	}
	res, err := train.Run(ctx, cfg, ds, ropts)
	if err = closeSnapshots(snaps, err); err == nil {
		err = rep.finish(res)
	}
	return live.wait(ctx, res, err)
}

// announceDataset picks the dataset when none was named, and says which on stderr:
// the --data directory's, else fashion-mnist when installed, else synthetic.
func announceDataset(rep *trainReporter, dir string) string {
	name, _ := resolveDataset("", dir)
	switch {
	case dir != "":
		rep.notice("dataset: %s (files in %s)", name, dir)
	case name == data.SyntheticName:
		rep.notice("dataset: synthetic (built-in digits; fashion-mnist was not found: `gabor data fetch fashion-mnist` or `apt-get install dataset-fashion-mnist`)")
	default:
		found, _ := data.Locate(name, "")
		rep.notice("dataset: %s (found in %s)", name, found)
	}
	return name
}

// checkDeviceBuilt turns a device this binary lacks into a device error (exit 4)
// before any work: "cuda" needs a binary built with the gpu tag.
func checkDeviceBuilt(name string) error {
	if name == "auto" || slices.Contains(kernels.Names(), name) {
		return nil
	}
	_, err := kernels.Open(name)
	if err == nil {
		return nil
	}
	return &deviceError{err}
}

// reporterLog passes the training loop's notes to the reporter, which clears its
// progress bar before printing them.
type reporterLog struct{ r *trainReporter }

func (l reporterLog) Write(p []byte) (int, error) {
	l.r.clearBar()
	return l.r.io.ErrOut.Write(p)
}

// runResume continues the run in o.Resume with its saved config; --epochs, --device
// and --data override what the saved config says.
func runResume(ctx context.Context, o *trainOptions) error {
	// A run directory without a readable config or checkpoint is a data error (exit 3)
	// naming the file; Resume reads both again.
	cfg, err := train.ReadConfig(filepath.Join(o.Resume, train.ConfigFile))
	if err != nil {
		return &dataError{err}
	}
	if _, err := train.ReadCheckpoint(filepath.Join(o.Resume, train.CheckpointFile)); err != nil {
		return &dataError{err}
	}
	ropts := train.RunOptions{Version: currentVersion().Version, DivergeFactor: o.divergeFactor()}
	if o.Set["epochs"] {
		cfg.Epochs, ropts.Epochs = o.Config.Epochs, o.Config.Epochs
	}
	if o.Set["device"] {
		if err := checkDeviceBuilt(o.Config.Device); err != nil {
			return err
		}
		ropts.Device = o.Config.Device
	}
	if o.Set["data"] {
		cfg.DataDir = o.Config.DataDir
		if ropts.Dataset, err = train.LoadDataset(cfg); err != nil {
			return err
		}
	}
	rep := newTrainReporter(o.IO, o.JSON, cfg.Epochs, o.Now)
	ropts.Progress, ropts.Log = logSteps(o.Resume, rep.handle), reporterLog{rep}
	snaps, err := snapshotHooks(&ropts, o.Resume, cfg, false) // train_snapshot.go
	if err != nil {
		return err
	}
	res, err := train.Resume(ctx, o.Resume, ropts)
	if err = closeSnapshots(snaps, err); err != nil {
		return err
	}
	return rep.finish(res)
}

// divergeFactor is --diverge-factor as train.RunOptions takes it (negative: off).
func (o *trainOptions) divergeFactor() float64 {
	if o.DivergeFactor == 0 {
		return -1
	}
	return o.DivergeFactor
}
