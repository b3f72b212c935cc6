package main

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/report"
	"github.com/gaborlab/gabor/train"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// trainOptions are the parsed flags of `gabor train`: the training config as the
// flags set it, plus what only the command needs.
type trainOptions struct {
	IO  *ioStreams
	Now func() time.Time

	// Config holds the flag values. Its LR is 0 unless --lr was given (0 means the
	// model's canonical rate, filled in by config()), and its Dataset is "" unless
	// --dataset was given (the default dataset is resolved when the run starts).
	Config train.Config
	Resume string
	JSON   bool
	// Normalize is --normalize ("" : the dataset's default, see data.DefaultNormalize).
	Normalize string
	// DivergeFactor is --diverge-factor (0: off); see train.DefaultDivergeFactor.
	DivergeFactor float64
	// TwoD are the 2-D flags (--hidden, --act, --points): train2d.go.
	TwoD twoDFlags
	// Serve is --serve: the address of the live page ("" : none); serve.go.
	Serve string

	// Set records which flags were given on the command line, by name: --resume
	// refuses the ones that would change the run it continues.
	Set map[string]bool
}

// config is the training config the flags describe, with the model's learning rate
// when --lr was not given.
func (o *trainOptions) config() train.Config {
	c := o.Config
	if c.LR == 0 {
		c.LR = train.DefaultLR(c.Model, c.Optimizer)
	}
	return c
}

// resumeKeeps are the flags --resume accepts; every other training flag would change
// the run being continued (its config is read from RUN_DIR/config.json) and is refused.
var resumeKeeps = []string{"resume", "epochs", "device", "data", "json", "diverge-factor"}

func newCmdTrain(f *factory, runF func(*trainOptions) error) *cobra.Command {
	def := train.DefaultConfig("lenet")
	opts := &trainOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "train [flags]",
		Short: "Train a model and keep metrics and checkpoints in a run directory",
		Long: `Train one of the zoo's models (see --model) on an MNIST-family dataset.

The defaults are the canonical recipe: SGD with momentum 0.9, batch 128 (the last
partial batch is dropped), the model's learning rate (0.05 for mlp and lenet, 0.02 for
convnet), PyTorch-style initialization, inputs scaled to [0,1] then normalized with
mean 0.2860 and std 0.3530, and a shuffle per epoch that the reference programs share.

The dataset defaults to fashion-mnist when its files are found (see 'gabor data
--help'), else to the built-in synthetic digits; which one was picked is printed on
stderr. --data DIR reads the four IDX files from DIR instead.

--data PATH may also be one's own data: an image folder, an .npz (or a folder of
.npy files) or a CSV file (see 'gabor data --help' and docs/data.md). Its images are
made 28×28 gray and, unless --normalize says otherwise, normalized with the training
split's own mean and std; the normalization used is printed and kept in the run.

The run directory (--out, default runs/<model>-<timestamp>) receives config.json,
metrics.jsonl (one line per epoch) and a checkpoint in the safetensors format after
every epoch. --resume RUN_DIR continues a run from its last checkpoint with its saved
config; only --epochs (a new total), --device, --data (where the same dataset now
lives) and --json may be given with it. On the CPU a resumed run is bit-identical to an uninterrupted one.

Progress goes to stderr: a bar on a terminal, plain lines otherwise. With --json,
stdout carries one JSON object per line: an "epoch" event after each epoch and a
"done" event at the end (see the README for the keys).`,
		Example: `  # lenet on the default data, canonical recipe
  gabor train

  # a quick look: 1 epoch on the first 6400 images, machine-readable output
  gabor train --model mlp --epochs 1 --limit 6400 --json

  # Adam with a cosine schedule on MNIST files in a folder, on the GPU
  gabor train --model convnet --data ~/mnist --optimizer adam --lr 1e-3 --schedule cosine --device cuda

  # start from the reference programs' initial weights
  gabor train --model lenet --init-from lenet_init.bin --epochs 3

  # continue an interrupted run up to 5 epochs
  gabor train --resume runs/lenet-20260101-120000 --epochs 5`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Set = map[string]bool{}
			cmd.Flags().Visit(func(fl *pflag.Flag) { opts.Set[fl.Name] = true })
			if err := validateTrain(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runTrain(cmd.Context(), opts)
		},
	}
	c := &opts.Config
	fl := cmd.Flags()
	fl.StringVar(&c.Model, "model", def.Model, "model: "+strings.Join(models.Names(), ", "))
	fl.StringVar(&c.Dataset, "dataset", "", "dataset: "+strings.Join(data.Names(), ", ")+"; 2-D points for mlp2d: "+strings.Join(data.Toy2DNames(), ", ")+" (default: fashion-mnist if found, else synthetic)")
	fl.StringVar(&c.DataDir, "data", "", "read the dataset from `PATH`: four IDX files, an image folder, an .npz or .npy folder, or CSV (see gabor data --help)")
	fl.StringVar(&opts.Normalize, "normalize", "", normalizeUsage)
	addSourceFlags(fl, &c.Source) // data_source.go
	fl.IntVar(&c.Epochs, "epochs", def.Epochs, "number of epochs (with --resume: the new total)")
	fl.IntVar(&c.Batch, "batch", def.Batch, "batch size")
	fl.Float64Var(&c.LR, "lr", 0, "learning rate (default: the model's, 0.05 for mlp and lenet, 0.02 for convnet; 0.001 with adam)")
	fl.StringVar(&c.Optimizer, "optimizer", def.Optimizer, "optimizer: sgd, adam, adagrad, rmsprop")
	fl.Float64Var(&c.Momentum, "momentum", def.Momentum, "SGD momentum")
	fl.BoolVar(&c.Nesterov, "nesterov", def.Nesterov, "Nesterov momentum (sgd)")
	fl.Float64Var(&c.Beta1, "beta1", def.Beta1, "Adam β1")
	fl.Float64Var(&c.Beta2, "beta2", def.Beta2, "Adam β2")
	fl.Float64Var(&c.Eps, "eps", def.Eps, "Adam ε")
	fl.Float64Var(&c.WeightDecay, "weight-decay", def.WeightDecay, "L2 weight decay")
	fl.StringVar(&c.Schedule, "schedule", def.Schedule, "learning-rate schedule: "+strings.Join(train.Schedules(), ", "))
	fl.IntVar(&c.WarmupSteps, "warmup-steps", def.WarmupSteps, "linear learning-rate warmup over the first `N` steps")
	fl.Uint64Var(&c.Seed, "seed", def.Seed, "seed of the initialization and the shuffle")
	fl.StringVar(&c.Device, "device", def.Device, "device: "+strings.Join(train.Devices(), ", "))
	fl.StringVar(&c.Out, "out", "", "run directory `RUN_DIR` (default runs/<model>-<timestamp>)")
	fl.IntVar(&c.Limit, "limit", 0, "train on the first `N` training images only (0: all)")
	fl.IntVar(&c.TestLimit, "test-limit", 0, "evaluate on the first `N` test images only (0: all)")
	fl.StringVar(&c.InitFrom, "init-from", "", "initial weights from `FILE` (ANCHORW1 format)")
	fl.IntVar(&c.EvalEvery, "eval-every", def.EvalEvery, "evaluate on the test set every `N` epochs (0: after the last epoch only; the last epoch always)")
	fl.IntVar(&c.LossEvery, "loss-every", def.LossEvery, "read the training loss back every `N` steps (larger: fewer device syncs)")
	fl.StringVar(&opts.Resume, "resume", "", "continue the run in `RUN_DIR` from its last checkpoint")
	fl.Float64Var(&opts.DivergeFactor, "diverge-factor", train.DefaultDivergeFactor,
		"stop (exit 5) when a sampled loss exceeds `F`× the best so far, or is NaN/Inf (0: only NaN/Inf)")
	fl.BoolVar(&opts.JSON, "json", false, "write one JSON object per line on stdout (epoch and done events)")
	addSnapshotFlags(fl, c) // --snapshot, --conv1: train_snapshot.go
	addTrain2DFlags(fl, &opts.TwoD)
	fl.StringVar(&opts.Serve, "serve", "", "serve a live page of the run (--serve=ADDR: at ADDR; alone: 127.0.0.1, a free port; see gabor serve)")
	fl.Lookup("serve").NoOptDefVal = report.DefaultAddr
	return cmd
}

// validateTrain checks the flags; every failure is a usage error (exit 2). Names and
// combinations are checked here with flag-named messages; the numeric ranges by the
// config's own Validate, so the CLI and the config file agree on what is valid.
func validateTrain(o *trainOptions) error {
	if f := o.DivergeFactor; f != 0 && !(f > 1) || math.IsInf(f, 0) {
		return usagef("--diverge-factor must be more than 1 (or 0: off), got %g", f)
	}
	if o.Resume != "" {
		var bad []string
		for name := range o.Set {
			if !slices.Contains(resumeKeeps, name) {
				bad = append(bad, "--"+name)
			}
		}
		if len(bad) > 0 {
			slices.Sort(bad)
			return usagef("--resume continues a run with its saved config; %s cannot be combined with it (allowed with it: --%s)",
				strings.Join(bad, ", "), strings.Join(resumeKeeps[1:], ", --"))
		}
		return nil
	}
	c := &o.Config
	if o.TwoD.on(c) {
		return o.TwoD.validate(o) // train2d.go
	}
	if err := checkModelName(c.Model); err != nil {
		return err
	}
	if c.Dataset != "" {
		if err := checkDatasetName(c.Dataset); err != nil {
			return err
		}
		c.Dataset = strings.ToLower(c.Dataset)
		if c.Dataset == data.SyntheticName && c.DataDir != "" {
			return usagef("--data cannot be used with --dataset synthetic (it is generated, not read)")
		}
	}
	if err := checkDeviceName(c.Device); err != nil {
		return err
	}
	if err := checkNormalize(o.Normalize); err != nil {
		return err
	}
	if err := checkSource(c.Source); err != nil {
		return err
	}
	if o.Set["lr"] && c.LR <= 0 {
		return usagef("--lr must be positive, got %g", c.LR)
	}
	cfg := o.config()
	if cfg.Dataset == "" {
		cfg.Dataset = data.SyntheticName // any valid name: the real one is resolved at run time
	}
	if err := cfg.Validate(); err != nil {
		return &usageError{err}
	}
	return nil
}
