package runs

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/train"
)

// BenchmarkSnapshotHook measures what snapshots cost the training thread:
// lenet (conv1 7×7) trains one epoch of 40 steps on synthetic digits with
// snapshots off, at the default rate (every epoch) and at every step. The
// hook's time on the training thread (reading the weights and queueing them)
// plus the final flush (Close) is reported against the epoch's training
// time. A real epoch has 468 steps, so at the default rate the share
// measured here on a 40-step epoch is about 12 times the real one.
//
//	go test -run '^$' -bench SnapshotHook -benchtime 3x ./runs/
func BenchmarkSnapshotHook(b *testing.B) {
	const steps = 40
	ds, err := data.Synthetic(5, 128*steps, 128)
	if err != nil {
		b.Fatal(err)
	}
	for _, rate := range []string{"off", train.DefaultSnapshot, "every=1steps"} {
		b.Run("model=lenet,conv1=7,steps="+fmt.Sprint(steps)+",snapshot="+rate, func(b *testing.B) {
			var epochS, hookS float64
			for i := 0; i < b.N; i++ {
				cfg := train.DefaultConfig("lenet")
				cfg.Device, cfg.Epochs, cfg.Conv1, cfg.Snapshot = "cpu", 1, 7, rate
				cfg.Out = filepath.Join(b.TempDir(), "run")
				var opts train.RunOptions
				var w *SnapshotWriter
				if rate != "off" {
					if w, err = NewSnapshotWriter(cfg.Out, cfg); err != nil {
						b.Fatal(err)
					}
					for _, h := range w.Hooks() {
						fn := h.Fn
						h.Fn = func(s *train.Snapshot) error {
							t0 := time.Now()
							err := fn(s)
							hookS += time.Since(t0).Seconds()
							return err
						}
						opts.Hooks = append(opts.Hooks, h)
					}
				}
				res, err := train.Run(context.Background(), cfg, ds, opts)
				if err != nil {
					b.Fatal(err)
				}
				if w != nil {
					t0 := time.Now()
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
					hookS += time.Since(t0).Seconds()
					if want := map[string]int{train.DefaultSnapshot: 1, "every=1steps": steps}[rate]; len(w.Written()) != want {
						b.Fatalf("%d snapshots written, want %d", len(w.Written()), want)
					}
				}
				epochS += res.EpochS[0]
			}
			n := float64(b.N)
			b.ReportMetric(epochS/n, "epoch_s")
			b.ReportMetric(hookS/n*1e3, "hook_ms/epoch")
			b.ReportMetric(100*hookS/epochS, "hook_%")
		})
	}
}
