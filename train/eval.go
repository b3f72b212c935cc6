package train

import (
	"context"
	"fmt"

	"github.com/gaborlab/gabor/data"
)

// EvalResult is a test-set evaluation. For a set of float targets (a
// regression) Loss is the mean squared error of the prediction and Accuracy
// and Correct are 0.
type EvalResult struct {
	Accuracy float64 `json:"test_acc"`
	Loss     float64 `json:"test_loss"` // mean cross-entropy (mean squared error for float targets)
	Correct  int     `json:"correct"`
	N        int     `json:"n"`
	// Filled by Evaluate:
	Model      string `json:"model,omitempty"`
	Dataset    string `json:"dataset,omitempty"`
	Device     string `json:"device,omitempty"`
	Epoch      int    `json:"epoch,omitempty"`
	Checkpoint string `json:"checkpoint,omitempty"`
}

// Evaluate scores a checkpoint on a dataset's test set (all of it: a caller
// wanting fewer images passes a smaller set). device "" uses the run's. ds nil
// loads the dataset the run was trained on.
func Evaluate(ctx context.Context, checkpointPath, device string, ds *data.Dataset) (EvalResult, error) {
	ck, err := ReadCheckpoint(checkpointPath)
	if err != nil {
		return EvalResult{}, err
	}
	cfg := ck.Config
	if device != "" {
		cfg.Device = device
	}
	if ds == nil && cfg.Dataset == "" {
		return EvalResult{}, fmt.Errorf("train: %s was trained on data its caller passed (or none): evaluating it needs that dataset", checkpointPath)
	}
	if ds == nil {
		c := cfg
		c.Limit, c.TestLimit = 0, 0
		if ds, err = LoadDataset(c); err != nil {
			return EvalResult{}, err
		}
	}
	if ds.Test == nil {
		return EvalResult{}, fmt.Errorf("train: dataset %s has no test set", ds.Name)
	}
	if err := ds.Test.Validate(); err != nil {
		return EvalResult{}, fmt.Errorf("train: %w", err)
	}
	b, err := buildProgram(specOf(cfg, RunDirOf(checkpointPath), cfg.Batch))
	if err != nil {
		return EvalResult{}, err
	}
	if err := checkIO(b.prog, cfg.Batch, ds.Test, false); err != nil {
		return EvalResult{}, err
	}
	if b.prog, err = addPipeline(b.prog, &cfg, nil, ds.Test, 0); err != nil {
		return EvalResult{}, err
	}
	be, err := openBackend(cfg.Device)
	if err != nil {
		return EvalResult{}, fmt.Errorf("train: %w", err)
	}
	exe, err := be.Load(b.prog)
	if err != nil {
		return EvalResult{}, fmt.Errorf("train: loading %s on %s: %w", cfg.Model, be.Name(), err)
	}
	defer exe.Close()
	if err := ck.restore(b.prog, exe, checkpointPath); err != nil {
		return EvalResult{}, err
	}
	if err := uploadSet(exe, b.prog.Pipe.Eval, ds.Test, true); err != nil {
		return EvalResult{}, err
	}
	st, err := newStepper(b.prog, exe)
	if err != nil {
		return EvalResult{}, err
	}
	res, err := st.evaluate(ctx, ds.Test, cfg.Batch, ck.Step)
	if err != nil {
		return EvalResult{}, err
	}
	res.Model, res.Dataset, res.Device, res.Epoch, res.Checkpoint = cfg.Model, ds.Name, be.Name(), ck.Epoch, checkpointPath
	return res, nil
}
