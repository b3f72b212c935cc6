package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/runs"
	"github.com/spf13/cobra"
)

type queryOptions struct {
	IO     *ioStreams
	RunDir string
	Labels string // "3", "0-9", "" (every class)
	Method string
	Step   int
	Device string
	JSON   bool
	Opt    introspect.Optimize

	labels []mapSpan
	fig    figureFlags
	out    figure.Output
}

func newCmdQuery(f *factory, runF func(*queryOptions) error) *cobra.Command {
	opts := &queryOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "query RUN_DIR [--label L] [flags]",
		Short: "Ask the network what it thinks a class looks like (backward query, activation maximization)",
		Long: `Produce one image per class label from a trained model.

--method inverse is Rashid's backward query: the target output (0.99 for the label,
0.01 elsewhere) is pushed back through the network: the logit of the target, each
dense layer's transposed weights, a rescale into [0.01, 0.99] and the inverse sigmoid
per layer. It is exact for sigmoid MLPs (train one with --model mlp-sigmoid). For other
MLPs dense layers are undone by their pseudo-inverse, and the output says it is
approximate. Convnets need --method optimize.

--method optimize is activation maximization: gradient ascent on the input for the
label's log-probability, the gradient computed by the model's projection program on
the device, with L2, total-variation and jitter regularization.

Writes query-<method>-labels<L>-step<S> in each --format (default PNG at 300
DPI) in --out (default RUN_DIR/figures); for optimize each image is captioned
with the model's probability of its class.`,
		Example: `  gabor query runs/mlp-sigmoid-20260101-120000 --method inverse
  gabor query runs/lenet-20260101-120000 --method optimize --label 7
  gabor query runs/lenet-20260101-120000 --method optimize --iters 400 --tv 0.3 --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("%s needs one RUN_DIR, got %d arguments", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunDir = args[0]
			if err := checkOneOf("method", opts.Method, introspect.QueryInverse, introspect.QueryOptimize); err != nil {
				return err
			}
			var err error
			if opts.labels, err = parseRanges(opts.Labels); err != nil {
				return usagef("--label: %v", err)
			}
			if opts.Opt.Iters < 0 || opts.Opt.LR < 0 {
				return usagef("--iters and --lr must not be negative")
			}
			if opts.Device != "" {
				if err := checkDeviceName(opts.Device); err != nil {
					return err
				}
			}
			if opts.out, err = opts.fig.output(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runQuery(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Labels, "label", "", "class `L` to query, or a list like 0-9 or 1,3 (default: every class)")
	fl.StringVar(&opts.Method, "method", introspect.QueryInverse, "inverse (backward query) or optimize (activation maximization)")
	fl.IntVar(&opts.Step, "step", -1, "use the weights of training step `S` (default: the latest)")
	opts.fig.register(fl, "RUN_DIR/figures")
	fl.StringVar(&opts.Device, "device", "", "device for optimize: auto, cpu, cuda (default auto)")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON object")
	fl.IntVar(&opts.Opt.Iters, "iters", 0, "optimize: gradient steps (default 200)")
	fl.Float64Var(&opts.Opt.LR, "lr", 0, "optimize: step size (default 0.1)")
	fl.Float64Var(&opts.Opt.L2, "l2", 0, "optimize: L2 penalty weight (default 0.05)")
	fl.Float64Var(&opts.Opt.TV, "tv", 0, "optimize: total-variation weight (default 0.2)")
	fl.IntVar(&opts.Opt.Jitter, "jitter", 0, "optimize: largest random shift in pixels (default 1; -1: none)")
	return cmd
}

func runQuery(opts *queryOptions) error {
	if opts.Device != "" {
		if err := checkDeviceBuilt(opts.Device); err != nil {
			return err
		}
	}
	run, err := runs.OpenRun(opts.RunDir)
	if err != nil {
		return &dataError{err}
	}
	var labels []int
	if opts.labels != nil {
		n := classCount(run)
		if n == 0 {
			n = 1 << 16 // the model's layers are unknown: the query checks the labels itself
		}
		if labels, err = expandRanges(opts.labels, n, "label", "model "+run.Config.Model, "classes"); err != nil {
			return err
		}
	}
	res, err := introspect.Query(run, introspect.QueryOptions{Method: opts.Method, Labels: labels,
		Step: opts.Step, Device: opts.Device, Optimize: opts.Opt})
	if err != nil {
		return err
	}
	fig, err := introspect.QueryFigure(res, opts.out.TitleFor(introspect.QueryTitle(res)))
	if err != nil {
		return err
	}
	out := opts.out.Dir
	if out == "" {
		out = filepath.Join(opts.RunDir, "figures")
	}
	tag := "all"
	if opts.Labels != "" {
		tag = strings.NewReplacer(",", "_", " ", "").Replace(opts.Labels)
	}
	files, err := figure.WriteFiles(out, fmt.Sprintf("query-%s-labels%s-%s", res.Method, tag, figure.StepTag(res.Step)), fig, opts.out)
	if err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(struct {
			*introspect.QueryResult
			Files []string `json:"files"`
		}{res, files})
	}
	approx := ""
	if res.Approximate {
		approx = " (approximate)"
	}
	fmt.Fprintf(opts.IO.Out, "%s (step %d): %s query%s for %d labels\n  %s\n", res.Model, res.Step, res.Method, approx, len(res.Labels), res.Note)
	for _, f := range files {
		fmt.Fprintf(opts.IO.Out, "wrote %s\n", f)
	}
	return nil
}
