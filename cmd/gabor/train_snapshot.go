package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
	"github.com/spf13/pflag"
)

// The introspection flags of `gabor train`: --snapshot and --conv1. They are
// kept here so train.go only registers them.

// conv1Flag parses --conv1 K or KxK (square kernels only) into Config.Conv1.
type conv1Flag struct{ k *int }

func (f conv1Flag) String() string {
	if f.k == nil || *f.k == 0 {
		return ""
	}
	return strconv.Itoa(*f.k)
}

func (f conv1Flag) Set(s string) error {
	t := strings.ToLower(strings.TrimSpace(s))
	if a, b, ok := strings.Cut(t, "x"); ok {
		if a != b {
			return usagef("--conv1 %q: only square kernels (7 or 7x7)", s)
		}
		t = a
	}
	k, err := strconv.Atoi(t)
	if err != nil || k < 1 || k%2 == 0 {
		return usagef("--conv1 %q: want an odd kernel size such as 7 or 7x7", s)
	}
	*f.k = k
	return nil
}

func (conv1Flag) Type() string { return "K" }

// addSnapshotFlags registers --snapshot and --conv1 on the train command.
func addSnapshotFlags(fl *pflag.FlagSet, c *train.Config) {
	fl.StringVar(&c.Snapshot, "snapshot", train.DefaultSnapshot,
		"save the weights (for gabor filters) `every=N[steps|epochs]` into RUN_DIR/snapshots (off: none)")
	fl.Var(conv1Flag{&c.Conv1}, "conv1", "first convolution's kernel size `K` or KxK (lenet, convnet; odd), e.g. 7 for visible Gabor-like filters")
}

// snapshotHooks starts the snapshot writer of a run (nil when off) and adds
// its hooks; initial says whether to save the starting weights as step 0 (a
// new run). The caller closes the writer after training.
func snapshotHooks(ropts *train.RunOptions, runDir string, cfg train.Config, initial bool) (*runs.SnapshotWriter, error) {
	spec, err := train.ParseSnapshotSpec(cfg.Snapshot)
	if err != nil || spec.Off() {
		return nil, err
	}
	w, err := runs.NewSnapshotWriter(runDir, cfg)
	if err != nil {
		return nil, err
	}
	if initial {
		if err := w.TakeInitial(); err != nil {
			w.Close()
			return nil, err
		}
	}
	ropts.Hooks = append(ropts.Hooks, w.Hooks()...)
	if !initial {
		// A resumed run redoes the snapshot of its checkpoint's step when it is
		// due and missing: the run that wrote the checkpoint was killed while
		// writing it (its temporary file is removed by train.Resume).
		ropts.Hooks = append(ropts.Hooks, train.Hook{AtResume: true, Fn: func(s *train.Snapshot) error {
			due := spec.Every > 0 && (spec.Epochs && s.Epoch > 0 && s.Epoch%spec.Every == 0 || !spec.Epochs && s.Step%spec.Every == 0)
			if _, err := os.Stat(filepath.Join(runDir, runs.SnapshotDir, runs.SnapshotName(s.Step))); !due || err == nil {
				return nil
			}
			return w.Take(s)
		}})
	}
	return w, nil
}

// closeSnapshots flushes the writer; a write error is reported unless the run
// itself failed (its error says more).
func closeSnapshots(w *runs.SnapshotWriter, runErr error) error {
	if w == nil {
		return runErr
	}
	if err := w.Close(); err != nil && runErr == nil {
		return err
	}
	return runErr
}
