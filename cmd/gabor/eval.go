package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/train"
	"github.com/spf13/cobra"
)

type evalOptions struct {
	IO         *ioStreams
	Checkpoint string
	Dataset    string // "": the dataset the checkpoint was trained on
	DataDir    string
	Device     string // "": the device the run trained on
	TestLimit  int
	JSON       bool
	Confusion  bool
	Points     string // a 2-D run's test points (train2d.go)
	fig        figureFlags
	out        figure.Output
}

// evalEvent is the --json output of `gabor eval`: one line.
type evalEvent struct {
	Event string `json:"event"` // "eval"
	train.EvalResult
	// With --confusion: the matrix, per-class scores and the figure files.
	Confusion *introspect.Confusion `json:"confusion,omitempty"`
	Files     []string              `json:"files,omitempty"`
}

func newCmdEval(f *factory, runF func(*evalOptions) error) *cobra.Command {
	opts := &evalOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "eval --checkpoint FILE [flags]",
		Short: "Report the test accuracy of a checkpoint",
		Long: `Load a checkpoint written by gabor train (a safetensors file whose metadata holds
the training config) and evaluate it on the test split of the dataset it was trained
on, or of --dataset / --data, in batches of the training batch size. A run
directory may be given instead of a file: its checkpoint is used.

--confusion also counts every test image's prediction: the confusion matrix
(counts and row-normalized), and each class's precision, recall and one-vs-rest
accuracy, in the JSON and as a figure with the class names
(confusion-<dataset>-step<S> in each --format, in --out, default the run's
figures/).`,
		Example: `  gabor eval --checkpoint runs/lenet-20260101-120000/checkpoint.safetensors
  gabor eval --checkpoint runs/lenet-20260101-120000 --json
  gabor eval --checkpoint mlp.safetensors --dataset mnist --device cuda
  gabor eval --checkpoint runs/lenet-20260101-120000 --confusion --format pdf,png --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Checkpoint == "" {
				return usagef("--checkpoint is required")
			}
			if opts.Dataset != "" {
				if err := checkDatasetName(opts.Dataset); err != nil {
					return err
				}
				opts.Dataset = strings.ToLower(opts.Dataset)
				if opts.Dataset == data.SyntheticName && opts.DataDir != "" {
					return usagef("--data cannot be used with --dataset synthetic (it is generated, not read)")
				}
			}
			if opts.Device != "" {
				if err := checkDeviceName(opts.Device); err != nil {
					return err
				}
			}
			if opts.TestLimit < 0 {
				return usagef("--test-limit must be ≥ 0, got %d", opts.TestLimit)
			}
			var err error
			if opts.out, err = opts.fig.output(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runEval(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Checkpoint, "checkpoint", "", "checkpoint `FILE` (.safetensors) or a run directory")
	fl.StringVar(&opts.Dataset, "dataset", "", "evaluate on this dataset (default: the one trained on)")
	fl.StringVar(&opts.DataDir, "data", "", "read the test split from `PATH` (IDX files, or one's own data: see gabor data --help)")
	fl.StringVar(&opts.Device, "device", "", "device: "+strings.Join(train.Devices(), ", ")+" (default: the one trained on)")
	fl.IntVar(&opts.TestLimit, "test-limit", 0, "evaluate the first `N` test images only (0: all)")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON object")
	fl.StringVar(&opts.Points, "points", "", "evaluate a 2-D run on the points of `FILE.csv` (default: the run's own points.csv)")
	fl.BoolVar(&opts.Confusion, "confusion", false, "also the confusion matrix and per-class precision, recall and accuracy (JSON and a figure)")
	opts.fig.register(fl, "the run directory's figures/")
	return cmd
}

func runEval(ctx context.Context, opts *evalOptions) error {
	path := opts.Checkpoint
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, train.CheckpointFile)
	}
	if opts.Device != "" {
		if err := checkDeviceBuilt(opts.Device); err != nil {
			return err
		}
	}
	// Read the checkpoint once here so that a missing or corrupt file is a data error
	// (exit 3) naming it, whatever Evaluate would do next.
	ck, err := train.ReadCheckpoint(path)
	if err != nil {
		return &dataError{err}
	}
	var ds *data.Dataset
	if opts.Dataset != "" || opts.DataDir != "" || opts.TestLimit > 0 {
		// Another dataset or location, or a subset: load it here. Otherwise Evaluate
		// loads the run's own dataset.
		cfg := ck.Config
		cfg.Limit, cfg.TestLimit = 0, opts.TestLimit
		if opts.Dataset != "" {
			cfg.Dataset = opts.Dataset
		}
		if opts.DataDir != "" {
			cfg.DataDir = opts.DataDir
			if opts.Dataset == "" && (data.DetectFormat(opts.DataDir) != "" || data.IsFormat(cfg.Dataset)) {
				cfg.Dataset = datasetForDir(opts.DataDir) // what the path holds, not what the run read
			}
		}
		if ds, err = train.LoadDataset(cfg); err != nil {
			return err
		}
	}
	if ds == nil {
		if ds, err = evalPoints(ck.Config, path, opts.Points); err != nil { // train2d.go
			return err
		}
	}
	res, err := train.Evaluate(ctx, path, opts.Device, ds)
	if err != nil {
		return err
	}
	ev := evalEvent{Event: "eval", EvalResult: res}
	if opts.Confusion {
		if ev.Confusion, ev.Files, err = writeConfusion(opts, path, ds, ck.Step, res); err != nil {
			return err
		}
	}
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(ev)
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s (%s, epoch %d) on %s test, %d images, %s: accuracy %.4f (%d correct), loss %.4f\n",
		res.Checkpoint, res.Model, res.Epoch, res.Dataset, res.N, res.Device, res.Accuracy, res.Correct, res.Loss)
	if err != nil || ev.Confusion == nil {
		return err
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "  %-14s %9s %7s %9s %7s\n", "class", "precision", "recall", "accuracy", "images")
	for _, c := range ev.Confusion.PerClass {
		fmt.Fprintf(w, "  %-14s %9.3f %7.3f %9.3f %7d\n", c.Name, c.Precision, c.Recall, c.Accuracy, c.Support)
	}
	for _, f := range ev.Files {
		fmt.Fprintf(w, "wrote %s\n", f)
	}
	return nil
}

// writeConfusion counts the checkpoint's predictions on the test set and
// draws the confusion figure.
func writeConfusion(opts *evalOptions, path string, ds *data.Dataset, step int, res train.EvalResult) (*introspect.Confusion, []string, error) {
	c, err := introspect.ComputeConfusion(path, ds, opts.Device)
	var se *introspect.SourceError
	if errors.As(err, &se) {
		return nil, nil, &dataError{err}
	}
	if err != nil {
		return nil, nil, err
	}
	title := opts.out.TitleFor(fmt.Sprintf("%s on %s test (%d images), epoch %d: accuracy %.4f", res.Model, res.Dataset, c.N, res.Epoch, c.Accuracy))
	fig, err := introspect.ConfusionFigure(c, title)
	if err != nil {
		return nil, nil, err
	}
	fig.SetMeta(map[string]string{"model": res.Model, "dataset": res.Dataset, "checkpoint": path, "epoch": fmt.Sprint(res.Epoch), "step": fmt.Sprint(step)})
	dir := opts.out.Dir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(path), "figures")
	}
	files, err := figure.WriteFiles(dir, fmt.Sprintf("confusion-%s-%s", fileStem(res.Dataset), figure.StepTag(step)), fig, opts.out)
	return c, files, err
}
