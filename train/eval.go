package train

import (
	"context"
	"fmt"
	"math"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/kernels"
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

// evaluate runs the forward segment over the whole set in batches of the
// program's size and scores the logits on the host. The set rarely divides
// into whole batches (10,000 = 78·128 + 16): the last batch is padded with
// copies of its first image and only its valid rows are counted. The mode
// buffer says "evaluation", so dropout passes activations through. A set of
// float targets is scored by the mean squared error of the prediction
// (Logits) over all its target values, in float64.
func evaluate(ctx context.Context, prog *kernels.Program, exe kernels.Executable, set *data.Set, norm data.Normalization, batch, step int) (EvalResult, error) {
	logitsLen := prog.Buf(prog.Logits).Len
	classes := logitsLen / batch
	x := make([]float32, prog.Buf(prog.Inputs["x"]).Len)
	y := make([]float32, batch*set.TargetLen())
	var hot []float32 // one-hot rows of y, for a model that takes them
	if c := hotClasses(prog, batch, set); c > 0 {
		hot = make([]float32, batch*c)
	}
	logits := make([]float32, logitsLen)
	idx := make([]int32, batch)
	fwd := prog.Forward
	if prog.Ctl >= 0 {
		if err := exe.Write(prog.Ctl, []float32{0, float32(step)}); err != nil {
			return EvalResult{}, err
		}
	}
	var res EvalResult
	var lossSum float64
	for lo := 0; lo < set.N; lo += batch {
		if err := ctx.Err(); err != nil {
			return EvalResult{}, err
		}
		valid := min(batch, set.N-lo)
		for i := range idx {
			if i < valid {
				idx[i] = int32(lo + i)
			} else {
				idx[i] = int32(lo)
			}
		}
		if err := data.Gather(set, idx, x, y, norm.Mean, norm.Std); err != nil {
			return EvalResult{}, fmt.Errorf("train: evaluation: %w", err)
		}
		if err := exe.Write(prog.Inputs["x"], x); err != nil {
			return EvalResult{}, err
		}
		if err := writeLabels(exe, prog.Inputs["labels"], y, hot); err != nil {
			return EvalResult{}, err
		}
		if err := exe.Run(fwd); err != nil {
			return EvalResult{}, fmt.Errorf("train: evaluation: %w", err)
		}
		if err := exe.Read(prog.Logits, logits); err != nil {
			return EvalResult{}, err
		}
		if set.T > 0 {
			want := set.Targets[lo*set.T : (lo+valid)*set.T]
			for j, w := range want {
				d := float64(logits[j]) - float64(w)
				lossSum += d * d
			}
			continue
		}
		for i := 0; i < valid; i++ {
			row := logits[i*classes : (i+1)*classes]
			label := int(set.Labels[lo+i])
			if argmax(row) == label {
				res.Correct++
			}
			lossSum += xent(row, label)
		}
	}
	res.N = set.N
	res.Accuracy = float64(res.Correct) / float64(res.N)
	res.Loss = lossSum / float64(res.N*set.TargetLen())
	return res, nil
}

// argmax is the first index of the largest value (NaN never wins).
func argmax(row []float32) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}

// xent is −log softmax(row)[label], computed stably in float64:
// log Σ exp(r_i − max) + max − r_label.
func xent(row []float32, label int) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return math.Log(s) + m - float64(row[label])
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
	res, err := evaluateOnce(ctx, b.prog, exe, ds.Test, cfg.Normalization(), cfg.Batch, ck.Step)
	if err != nil {
		return EvalResult{}, err
	}
	res.Model, res.Dataset, res.Device, res.Epoch, res.Checkpoint = cfg.Model, ds.Name, be.Name(), ck.Epoch, checkpointPath
	return res, nil
}
