package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
	"github.com/spf13/cobra"
)

type curvesOptions struct {
	IO      *ioStreams
	Runs    []string
	X       string
	NoGroup bool
	JSON    bool
	fig     figureFlags
	out     figure.Output
}

func newCmdCurves(f *factory, runF func(*curvesOptions) error) *cobra.Command {
	opts := &curvesOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "curves RUN_DIR [RUN_DIR…] [flags]",
		Short: "Draw training curves of one or more runs: loss, test loss and accuracy, learning rate",
		Long: `Draw what one or more run directories recorded while training, in four aligned
panels: the training loss (sampled every few steps, thin, and its mean per epoch,
marked), the test loss and the test accuracy per evaluated epoch, and the learning
rate; x in steps (default) or --x epoch. Several runs are overlaid with a legend;
runs whose configurations differ only in the seed are drawn as one line, the mean
over the seeds, with a band of ± one standard deviation (--no-group draws each).

Writes curves-<runs>-<x> in each --format (PNG at 300 DPI by default) and a CSV
of every value drawn beside it, in --out (default: the first run's figures/).
An existing file is kept and the new one written beside it unless --force.`,
		Example: `  gabor curves runs/lenet-20260101-120000
  gabor curves runs/lenet-s1 runs/lenet-s2 runs/lenet-s3 --format pdf,png --preset paper
  gabor curves runs/mlp-a runs/lenet-b --x epoch --out figs --json`,
		Args: runDirArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Runs = args
			if err := checkOneOf("x", opts.X, "step", "epoch"); err != nil {
				return err
			}
			var err error
			if opts.out, err = opts.fig.output(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runCurves(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.X, "x", "step", "x axis: step or epoch")
	fl.BoolVar(&opts.NoGroup, "no-group", false, "draw every run alone, even runs that differ only in seed")
	fl.BoolVar(&opts.JSON, "json", false, `print {"runs","groups","files"} as one JSON object`)
	opts.fig.register(fl, "FIRST_RUN_DIR/figures")
	return cmd
}

func runCurves(o *curvesOptions) error {
	var runs []*introspect.RunCurves
	for _, d := range o.Runs {
		rc, err := introspect.ReadCurves(d)
		var se *introspect.SourceError
		if errors.As(err, &se) {
			return &dataError{err}
		}
		if err != nil {
			return err
		}
		runs = append(runs, rc)
	}
	title := "training curves"
	if len(runs) == 1 {
		c := runs[0].Config
		title = fmt.Sprintf("%s on %s, seed %d: training curves", c.Model, c.Dataset, c.Seed)
	}
	fig, err := introspect.CurvesFigure(runs, introspect.CurvesOptions{X: o.X, Title: o.out.TitleFor(title), NoGroup: o.NoGroup})
	if err != nil {
		return err
	}
	fig.SetMeta(map[string]string{"runs": strings.Join(o.Runs, " "), "x": o.X})
	dir := o.out.Dir
	if dir == "" {
		dir = filepath.Join(o.Runs[0], "figures")
	}
	var names []string
	for _, r := range runs {
		names = append(names, r.Name)
	}
	stem := "curves-" + strings.Join(names, "+")
	if len(stem) > 80 {
		stem = fmt.Sprintf("curves-%s+%d-more", names[0], len(names)-1)
	}
	stem += "-by" + o.X
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &dataError{err}
	}
	stem, err = figure.FreeStem(dir, stem, append(dottedFormats(o.out.Formats), ".csv"), o.out.Force)
	if err != nil {
		return err
	}
	out := o.out
	out.Force = true
	files, err := figure.WriteFiles(dir, stem, fig, out)
	if err != nil {
		return err
	}
	csv := filepath.Join(dir, stem+".csv")
	if err := os.WriteFile(csv, introspect.CurvesCSV(runs), 0o644); err != nil {
		return err
	}
	files = append(files, csv)
	if o.JSON {
		return json.NewEncoder(o.IO.Out).Encode(struct {
			Runs  []string `json:"runs"`
			Files []string `json:"files"`
		}{o.Runs, files})
	}
	for _, r := range runs {
		last := r.Epochs[len(r.Epochs)-1]
		acc := "not evaluated"
		if last.TestAcc != nil {
			acc = fmt.Sprintf("test accuracy %.4f", *last.TestAcc)
		}
		fmt.Fprintf(o.IO.Out, "%s: %d epochs, %d steps, %d step samples, %s\n", r.Dir, len(r.Epochs), last.Step, len(r.Steps), acc)
	}
	for _, f := range files {
		fmt.Fprintf(o.IO.Out, "wrote %s\n", f)
	}
	return nil
}

func dottedFormats(fs []string) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = "." + f
	}
	return out
}

// logSteps wraps a progress handler so that every progress event's loss is
// also appended to RUN_DIR/steps.jsonl, the sampled training loss that
// `gabor curves` draws. A failure to write it is not a training error: the
// curves then have the per-epoch losses only.
func logSteps(dir string, next func(train.Event)) func(train.Event) {
	return func(ev train.Event) {
		if p, ok := ev.(*train.ProgressEvent); ok && dir != "" {
			if f, err := os.OpenFile(filepath.Join(dir, runs.StepsFile), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				json.NewEncoder(f).Encode(runs.StepLoss{Step: p.Step, Epoch: p.Epoch, Loss: p.Loss})
				f.Close()
			}
		}
		next(ev)
	}
}
