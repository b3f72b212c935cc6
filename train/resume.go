package train

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Resume continues the run in runDir from its last checkpoint up to its
// configured number of epochs (or opts.Epochs). The checkpoint holds the
// parameters, the optimizer state and the step count; the epoch order is a
// pure function of seed and epoch, the learning rate of step and total steps,
// and dropout of step, so on the CPU the continued run reaches exactly the
// weights and metrics (times aside) of a run that was never interrupted.
//
// metrics.jsonl keeps the records of the checkpointed epochs only (a record
// written just before a crash, without its checkpoint, is dropped and that
// epoch trained again). The Result covers the whole run.
func Resume(ctx context.Context, runDir string, opts RunOptions) (*Result, error) {
	if st, err := os.Stat(runDir); err == nil && st.IsDir() {
		lk, err := lockRunDir(runDir)
		if err != nil {
			return nil, err
		}
		defer lk.Release()
	}
	_, statErr := os.Stat(filepath.Join(runDir, ConfigFile))
	removed, err := cleanLeftovers(runDir, statErr == nil)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(runDir, ConfigFile)
	cfg, err := ReadConfig(cfgPath)
	if err != nil {
		return nil, &InputError{cfgPath, err}
	}
	ckPath := filepath.Join(runDir, CheckpointFile)
	ck, err := ReadCheckpoint(ckPath)
	if err != nil {
		return nil, err
	}
	if err := sameRun(&cfg, &ck.Config); err != nil {
		return nil, &InputError{runDir, fmt.Errorf("%s and %s disagree: %w", ConfigFile, ckPath, err)}
	}
	if opts.Epochs > 0 {
		cfg.Epochs = opts.Epochs
	}
	if opts.Device != "" {
		cfg.Device = opts.Device
	}
	cfg.Out = runDir
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if ck.Epoch > cfg.Epochs {
		return nil, fmt.Errorf("train: %s has already trained %d epochs, more than the %d asked for", runDir, ck.Epoch, cfg.Epochs)
	}
	ds := opts.Dataset
	if ds == nil && cfg.Dataset != "" {
		if ds, err = LoadDataset(cfg); err != nil {
			return nil, err
		}
	}
	t, err := newTrainer(cfg, ds, opts, ck, ckPath)
	if err != nil {
		return nil, err
	}
	defer t.close()
	if want := ck.Epoch * t.stepsPerEpoch; ck.Step != want {
		return nil, &CheckpointError{ckPath, fmt.Errorf("it is at step %d, but %d epochs of %d steps make %d (different data or limit?)",
			ck.Step, ck.Epoch, t.stepsPerEpoch, want)}
	}
	t.epoch, t.step = ck.Epoch, ck.Step
	t.runDir, t.dir, t.published = runDir, runDir, true
	if t.recs, err = truncateMetrics(runDir, ck.Epoch); err != nil {
		return nil, err
	}
	if err := writeConfig(runDir, cfg); err != nil {
		return nil, err
	}
	if was, now := ck.Metadata["threads"], strconv.Itoa(t.be.Caps().Threads); ck.Metadata["backend"] != t.be.Name() || was != now {
		t.logf("note: %s was trained on %s with %s workers, it continues on %s with %s: the result will be close to, not bit-identical with, an uninterrupted run",
			runDir, ck.Metadata["backend"], was, t.be.Name(), now)
	}
	for _, p := range removed {
		t.logf("removed %s, left by a process that was killed", p)
	}
	t.logf("resuming %s after epoch %d of %d (step %d) on %s", runDir, ck.Epoch, cfg.Epochs, ck.Step, t.be.Caps().Device)
	for _, h := range t.opts.Hooks {
		if h.AtResume && h.Fn != nil {
			if err := h.Fn(&Snapshot{Epoch: ck.Epoch, Step: ck.Step, Program: t.b.prog, Exec: t.exe}); err != nil {
				return nil, fmt.Errorf("train: resume hook at step %d: %w", ck.Step, err)
			}
		}
	}
	return t.loop(ctx)
}

// sameRun checks that two configs describe the same training (the fields that
// change the numbers; epochs, device and output may differ).
func sameRun(a, b *Config) error {
	x, y := *a, *b
	x.Epochs, y.Epochs = 0, 0
	x.Device, y.Device = "", ""
	x.Out, y.Out = "", ""
	if x != y {
		return fmt.Errorf("training settings differ (%+v vs %+v)", x, y)
	}
	return nil
}
