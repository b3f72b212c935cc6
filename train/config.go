package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/models"
)

// Optimizer names.
const (
	OptimizerSGD  = "sgd"
	OptimizerAdam = "adam"
	// Adagrad and RMSprop (α = 0.99) take --eps; --lr defaults to 0.01
	// and 0.001 (0.01, PyTorch's RMSprop default, sends lenet to chance).
	OptimizerAdagrad = "adagrad"
	OptimizerRMSprop = "rmsprop"
)

// Config is everything that defines a training run: each field is one flag
// of `gabor train`. It is saved as config.json in the run directory and in
// every checkpoint's metadata, which is what Resume and Evaluate read back.
type Config struct {
	Model   string `json:"model"`    // a name of models.Names(), or any name with ModelFile
	Dataset string `json:"dataset"`  // a name of data.Names(); "" with ModelFile: the caller's data (Fit), or none
	DataDir string `json:"data_dir"` // "" searches the standard places (see data.Load)
	Limit   int    `json:"limit"`    // train on the first Limit images only (0: all)
	// TestLimit evaluates on the first TestLimit test images only (0: all).
	TestLimit int `json:"test_limit"`

	Epochs int `json:"epochs"`
	Batch  int `json:"batch"`
	// StepsPerEpoch is the length of an epoch of a model with no data (a
	// surface to minimize, trained by Fit with a nil dataset); 0 otherwise,
	// where an epoch is the training set's full batches.
	StepsPerEpoch int `json:"steps_per_epoch,omitempty"`

	Optimizer   string  `json:"optimizer"` // sgd | adam
	LR          float64 `json:"lr"`        // base (peak) learning rate
	Momentum    float64 `json:"momentum"`  // sgd
	Nesterov    bool    `json:"nesterov"`  // sgd
	Beta1       float64 `json:"beta1"`     // adam
	Beta2       float64 `json:"beta2"`     // adam
	Eps         float64 `json:"eps"`       // adam
	WeightDecay float64 `json:"weight_decay"`
	Schedule    string  `json:"schedule"`     // constant | cosine | onecycle
	WarmupSteps int     `json:"warmup_steps"` // linear warmup over the first steps (0: none)

	// Seed drives the initial weights (models.New) and the epoch order: epoch e
	// (from 0) uses data.Permutation(n, Seed+e), as the reference programs do.
	Seed uint64 `json:"seed"`

	Device   string `json:"device"`    // cpu | cuda | auto
	Out      string `json:"out"`       // run directory ("" : runs/<model>-<time>)
	InitFrom string `json:"init_from"` // ANCHORW1 file of initial weights ("" : seeded init)

	// EvalEvery evaluates on the test set every EvalEvery epochs (the last epoch
	// always); 0 means only after the last epoch.
	EvalEvery int `json:"eval_every"`
	// LossEvery reads the loss back every LossEvery steps (1: every step); the
	// epoch's train_loss is the mean of the losses read. Larger values avoid a
	// device synchronization per step.
	LossEvery int `json:"loss_every"`

	// Conv1 and Snapshot are described in snapshot.go (introspection).
	Conv1    int    `json:"conv1,omitempty"`
	Snapshot string `json:"snapshot,omitempty"`

	// ModelFile is set for a model built by the caller (Fit): the run
	// directory's model record (always ModelFile), which every verb rebuilds
	// the model from. "" for a zoo model.
	ModelFile string `json:"model_file,omitempty"`

	// Source says how one's own data (a data.Formats dataset) is read; Norm is the
	// input normalization trained with (zero: the Fashion-MNIST constants, see
	// Normalization); ClassNames are the dataset's, one per line (a string, not a
	// slice, so that Config stays comparable), for gabor predict.
	Source     data.SourceOptions `json:"source,omitzero"`
	Norm       data.Normalization `json:"normalization,omitzero"`
	ClassNames string             `json:"class_names,omitempty"`
}

// Normalization is the run's input normalization: Norm, or for a config without
// one (runs from before it was recorded) the canonical Fashion-MNIST constants.
func (c *Config) Normalization() data.Normalization {
	if c.Norm.Std == 0 {
		return data.FashionNormalization()
	}
	return c.Norm
}

// DefaultConfig is the canonical recipe of DESIGN.md for a model: SGD with
// momentum 0.9, lr 0.05 (mlp, lenet) or 0.02 (convnet), batch 128, constant
// rate, seed 1, 3 epochs, evaluation after every epoch, on the synthetic
// digits (the dataset that needs no files).
func DefaultConfig(model string) Config {
	return Config{
		Model:     model,
		Dataset:   data.SyntheticName,
		Epochs:    3,
		Batch:     128,
		Optimizer: OptimizerSGD,
		LR:        DefaultLR(model, OptimizerSGD),
		Momentum:  0.9,
		Beta1:     0.9,
		Beta2:     0.999,
		Eps:       1e-8,
		Schedule:  ScheduleConstant,
		Seed:      1,
		Device:    "auto",
		EvalEvery: 1,
		LossEvery: 1,
	}
}

// DefaultLR is the recipe's learning rate for a model and optimizer: 0.05 for
// SGD (0.02 for the convnet), 0.001 for Adam and RMSprop, 0.01 for Adagrad.
func DefaultLR(model, optimizer string) float64 {
	if optimizer == OptimizerAdam || optimizer == OptimizerRMSprop {
		return 0.001
	}
	if optimizer == OptimizerAdagrad {
		return 0.01
	}
	if model == "convnet" {
		return 0.02
	}
	return 0.05
}

// Devices lists the device names Config accepts.
func Devices() []string { return []string{"auto", "cpu", "cuda"} }

// Validate checks every field and reports all problems at once, one per line,
// each naming the flag: "epochs must be at least 1 (got -2)".
func (c *Config) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

	switch {
	case c.ModelFile != "" && c.ModelFile != ModelFile:
		bad("model file must be %q, the run directory's model record (got %q)", ModelFile, c.ModelFile)
	case c.ModelFile != "" && c.Model == "":
		bad("a recorded model needs a name")
	case c.ModelFile != "" && c.Conv1 != 0:
		bad("conv1 resizes a zoo model, not the recorded model %s", c.Model)
	case c.ModelFile == "" && !slices.Contains(models.Names(), c.Model):
		bad("unknown model %q (known: %s)", c.Model, strings.Join(models.Names(), ", "))
	}
	if c.Dataset == "" && c.ModelFile != "" {
		// A model built by the caller, trained on data the caller passed (or none).
	} else if data.IsFormat(c.Dataset) {
		if c.DataDir == "" {
			bad("dataset %s is one's own data: it needs --data PATH", c.Dataset)
		}
		if err := c.Source.Validate(); err != nil {
			bad("%v", err)
		}
	} else if !slices.Contains(data.Names(), strings.ToLower(c.Dataset)) {
		bad("unknown dataset %q (known: %s, or a format of one's own data: %s)", c.Dataset, strings.Join(data.Names(), ", "), strings.Join(data.Formats(), ", "))
	}
	if n := c.Norm; n != (data.Normalization{}) && (!(n.Std > 0) || n.Mean != n.Mean) {
		bad("normalization std must be positive (got mean %g, std %g)", n.Mean, n.Std)
	}
	if c.Epochs < 1 {
		bad("epochs must be at least 1 (got %d)", c.Epochs)
	}
	if c.Batch < 1 {
		bad("batch must be at least 1 (got %d)", c.Batch)
	}
	if c.StepsPerEpoch < 0 {
		bad("steps per epoch must be 0 (the data's batches) or positive (got %d)", c.StepsPerEpoch)
	}
	if c.Limit < 0 {
		bad("limit must be 0 (all images) or positive (got %d)", c.Limit)
	} else if c.Limit > 0 && c.Batch >= 1 && c.Limit < c.Batch {
		bad("limit %d is smaller than one batch of %d: no full batch to train on", c.Limit, c.Batch)
	}
	if c.TestLimit < 0 {
		bad("test limit must be 0 (all images) or positive (got %d)", c.TestLimit)
	}
	switch c.Optimizer {
	case OptimizerSGD:
		if !finite(c.Momentum) || c.Momentum < 0 || c.Momentum >= 1 {
			bad("momentum must be in [0, 1) (got %g)", c.Momentum)
		}
		if c.Nesterov && c.Momentum == 0 {
			bad("nesterov needs a momentum > 0")
		}
	case OptimizerAdam:
		if c.Nesterov {
			bad("nesterov applies to sgd only, not adam")
		}
		if !finite(c.Beta1) || c.Beta1 <= 0 || c.Beta1 >= 1 {
			bad("adam beta1 must be in (0, 1) (got %g)", c.Beta1)
		}
		if !finite(c.Beta2) || c.Beta2 <= 0 || c.Beta2 >= 1 {
			bad("adam beta2 must be in (0, 1) (got %g)", c.Beta2)
		}
		if !finite(c.Eps) || c.Eps <= 0 {
			bad("adam eps must be positive (got %g)", c.Eps)
		}
	case OptimizerAdagrad, OptimizerRMSprop:
		if c.Nesterov {
			bad("nesterov applies to sgd only, not %s", c.Optimizer)
		}
		if !finite(c.Eps) || c.Eps <= 0 {
			bad("%s eps must be positive (got %g)", c.Optimizer, c.Eps)
		}
	default:
		bad("unknown optimizer %q (known: sgd, adam, adagrad, rmsprop)", c.Optimizer)
	}
	if !finite(c.LR) || c.LR <= 0 {
		bad("lr must be a positive number (got %g)", c.LR)
	}
	if !finite(c.WeightDecay) || c.WeightDecay < 0 {
		bad("weight decay must be 0 or positive (got %g)", c.WeightDecay)
	}
	if !slices.Contains(Schedules(), c.Schedule) {
		bad("unknown schedule %q (known: %s)", c.Schedule, strings.Join(Schedules(), ", "))
	}
	if c.WarmupSteps < 0 {
		bad("warmup steps must be 0 or positive (got %d)", c.WarmupSteps)
	}
	if !slices.Contains(Devices(), c.Device) {
		bad("unknown device %q (known: %s)", c.Device, strings.Join(Devices(), ", "))
	}
	if c.EvalEvery < 0 {
		bad("eval-every must be 0 (last epoch only) or positive (got %d)", c.EvalEvery)
	}
	if c.LossEvery < 1 {
		bad("loss-every must be at least 1 (got %d)", c.LossEvery)
	}
	errs = append(errs, c.validateIntrospection()...)
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid training config: %s", strings.Join(errs, "; "))
}

// shouldEval says whether epoch (1-based) ends with a test evaluation.
func (c *Config) shouldEval(epoch int) bool {
	return epoch == c.Epochs || (c.EvalEvery > 0 && epoch%c.EvalEvery == 0)
}

// ReadConfig reads a config.json written by a run.
func ReadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("train: %w", err)
	}
	return DecodeConfig(b, path)
}

// DecodeConfig decodes and validates a Config saved as JSON: config.json, or
// the copy in a checkpoint's or snapshot's metadata. Unknown fields are
// refused; where names the source in errors.
func DecodeConfig(b []byte, where string) (Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("train: %s: bad config JSON: %w", where, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("train: %s: %w", where, err)
	}
	return c, nil
}

// errInterrupted marks a run stopped by its context (Ctrl-C).
var errInterrupted = errors.New("interrupted")

// clampLimits lowers Limit and TestLimit to the images the data holds (trainN,
// testN) when they ask for more, so that config.json and the checkpoint record
// what was used, and returns a note per clamped limit for the log.
func (c *Config) clampLimits(trainN, testN int) []string {
	var notes []string
	if c.Limit > trainN {
		notes = append(notes, fmt.Sprintf("note: limit %d is more than the %d training images of %s: using all %d (the run records limit %d)", c.Limit, trainN, c.Dataset, trainN, trainN))
		c.Limit = trainN
	}
	if c.TestLimit > testN {
		notes = append(notes, fmt.Sprintf("note: test limit %d is more than the %d test images of %s: using all %d (the run records test limit %d)", c.TestLimit, testN, c.Dataset, testN, testN))
		c.TestLimit = testN
	}
	return notes
}
