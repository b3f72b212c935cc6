package weightspace

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/train"
)

// Finetuner trains pruned weights for a few steps with the run's own
// training loop (train.Fit: the run's optimizer, learning rate, batch and
// data, a constant rate, fresh optimizer state), with a mask: after every
// step a hook writes the removed weights back to zero, so they stay removed
// through the updates.
type Finetuner struct {
	Run    *RunWeights
	Steps  int
	Device string
	ds     *data.Dataset
	tmp    string
	n      int
}

// NewFinetuner loads the run's training data once.
func NewFinetuner(rw *RunWeights, steps int, device string) (*Finetuner, error) {
	cfg := rw.Run.Config
	if steps < 1 {
		return nil, fmt.Errorf("weightspace: fine-tuning needs at least 1 step, got %d", steps)
	}
	c := cfg
	c.Limit, c.TestLimit = steps*cfg.Batch, 1
	ds, err := train.LoadDataset(c)
	if err != nil {
		return nil, &InputError{fmt.Errorf("weightspace: the training data of %s: %w", rw.Run.Dir, err)}
	}
	if ds.Train.N < steps*cfg.Batch {
		return nil, inputErr("weightspace: %d fine-tuning steps of %d images need %d training images; %s has %d", steps, cfg.Batch, steps*cfg.Batch, ds.Name, ds.Train.N)
	}
	tmp, err := os.MkdirTemp("", "gabor-finetune-")
	if err != nil {
		return nil, err
	}
	return &Finetuner{Run: rw, Steps: steps, Device: device, ds: ds, tmp: tmp}, nil
}

// Close removes the fine-tuning runs' directories.
func (f *Finetuner) Close() error { return os.RemoveAll(f.tmp) }

// Tune trains start for f.Steps steps keeping every weight whose mask is 0
// at zero, and returns the weights after the last step.
func (f *Finetuner) Tune(ctx context.Context, start, mask Point) (Point, error) {
	rw := f.Run
	cfg := rw.Run.Config
	f.n++
	cfg.Out = filepath.Join(f.tmp, fmt.Sprintf("tune-%d", f.n))
	cfg.Epochs, cfg.Limit, cfg.TestLimit, cfg.EvalEvery = 1, f.Steps*cfg.Batch, 1, 0
	cfg.Schedule, cfg.WarmupSteps, cfg.Snapshot, cfg.InitFrom, cfg.Conv1, cfg.ModelFile = train.ScheduleConstant, 0, "off", "", 0, ""
	if f.Device != "" {
		cfg.Device = f.Device
	}
	m, err := rw.Run.Model(cfg.Batch)
	if err != nil {
		return nil, err
	}
	if err := models.SetParams(m, start); err != nil {
		return nil, err
	}
	out := start.Clone()
	hook := train.Hook{Every: 1, Fn: func(s *train.Snapshot) error {
		for i, p := range s.Program.Params {
			v := out[i]
			if err := s.Exec.Read(p.Value, v); err != nil {
				return err
			}
			masked := false
			for j, k := range mask[i] {
				if k == 0 && v[j] != 0 {
					v[j], masked = 0, true
				}
			}
			if masked {
				if err := s.Exec.Write(p.Value, v); err != nil {
					return err
				}
			}
		}
		return nil
	}}
	if _, err := train.Fit(ctx, cfg, m, f.ds, train.RunOptions{Hooks: []train.Hook{hook}}); err != nil {
		return nil, fmt.Errorf("weightspace: fine-tuning: %w", err)
	}
	os.RemoveAll(cfg.Out)
	return out, nil
}

// ablationMask is 1 for every value ablation keeps and 0 for every one it
// removes at fraction fr.
func ablationMask(center Point, pr []Prunable, groups [][]item, grain string, fr float64) Point {
	ones := center.Clone()
	for i := range ones {
		for j := range ones[i] {
			ones[i][j] = 1
		}
	}
	mask := ones.Clone()
	applyAblation(mask, ones, pr, groups, grain, fr)
	return mask
}
