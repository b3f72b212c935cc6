package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gaborlab/gabor/bench"
	"github.com/gaborlab/gabor/data"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// benchOptions are the parsed flags of `gabor bench`.
type benchOptions struct {
	IO *ioStreams

	Bench   bench.Options
	Dataset string
	DataDir string
	JSON    bool
	Out     string
	Compare string

	// Set records which flags were given, by name.
	Set map[string]bool

	// findTorch finds the python3 that imports torch; bench.FindTorch unless a
	// test replaces it.
	findTorch func(context.Context) (python, version string, err error)
}

// benchJSONFile is the report's name under --out.
const benchJSONFile = "bench.json"

func newCmdBench(f *factory, runF func(*benchOptions) error) *cobra.Command {
	def := bench.DefaultOptions()
	opts := &benchOptions{IO: f.IO, findTorch: bench.FindTorch}
	cmd := &cobra.Command{
		Use:   "bench [flags]",
		Short: "Time the canonical workloads on the CPU and the GPU (and against PyTorch)",
		Long: `Time training epochs of the canonical workloads (mlp, lenet, convnet with the recipe
of 'gabor train') on every device asked for, at each batch size.

Each workload is compiled and loaded (set-up), trained for --warmup epochs that are
reported apart (the first epoch carries one-off costs: device code compilation, graph
capture, cache warm-up), then for --epochs measured epochs; --repeat does all of that
again from a fresh compile. As in the reference programs, an epoch's time covers the
training loop only: batch gather, forward, backward, update. The table and the JSON give
the median epoch with its spread (min, max, IQR, MAD), images/s at the median, the
speed-up over the CPU, the set-up and first-epoch times, the arena's size and the
process's peak resident memory.

--profile runs one more epoch with each instruction timed on its own and prints the time
per kernel family (gemm, conv2d, ...) and per segment (forward, backward, update).

--compare pytorch runs scripts/torch_bench.py (same models, init law, loss, optimizer
and batches) with the python3 that imports torch (/usr/bin/python3 first), in the same
sitting, and adds its rows and the gabor/PyTorch ratio (> 1: gabor is faster). Without
torch it says so on stderr and carries on.

The dataset is the one 'gabor train' would pick (fashion-mnist when installed, else the
built-in synthetic digits); for timing only the amount of work matters.`,
		Example: `  # the figures of bench/RESULTS.md on a CPU machine
  gabor bench --models mlp,lenet --devices cpu --epochs 1 --json
  gabor bench --models mlp,lenet --devices cpu --epochs 1 --compare pytorch

  # CPU against GPU at several batch sizes, with plots (a gpu build)
  gabor bench --devices cpu,cuda --batch 32,128,512,2048 --epochs 3 --out bench-out

  # where the time goes, on a quick subset
  gabor bench --models lenet --limit 6400 --profile`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Set = map[string]bool{}
			cmd.Flags().Visit(func(fl *pflag.Flag) { opts.Set[fl.Name] = true })
			if err := validateBench(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runBench(cmd.Context(), opts)
		},
	}
	b := &opts.Bench
	fl := cmd.Flags()
	fl.StringSliceVar(&b.Models, "models", def.Models, "models to time (comma-separated)")
	fl.StringSliceVar(&b.Devices, "devices", nil, "devices to time: cpu, cuda (default: every device that opens here)")
	fl.IntSliceVar(&b.Batches, "batch", def.Batches, "batch sizes (comma-separated)")
	fl.IntVar(&b.Epochs, "epochs", def.Epochs, "measured epochs per repeat")
	fl.IntVar(&b.Warmup, "warmup", def.Warmup, "warm-up epochs before the measured ones, reported apart")
	fl.IntVar(&b.Repeat, "repeat", def.Repeat, "times each workload is compiled and measured afresh")
	fl.IntVar(&b.Limit, "limit", 0, "train on the first `N` images only (0: all)")
	fl.Uint64Var(&b.Seed, "seed", def.Seed, "seed of the initial weights and the shuffle")
	fl.BoolVar(&b.Profile, "profile", false, "time one more epoch per kernel family")
	fl.StringVar(&opts.Dataset, "dataset", "", "dataset: "+strings.Join(data.Names(), ", ")+" (default: fashion-mnist if found, else synthetic)")
	fl.StringVar(&opts.DataDir, "data", "", "read the four IDX files from `DIR`")
	fl.BoolVar(&opts.JSON, "json", false, "print the report as one JSON object instead of the table")
	fl.StringVar(&opts.Out, "out", "", "also write "+benchJSONFile+" and the plots (PNG and SVG) to `DIR`")
	fl.StringVar(&opts.Compare, "compare", "", "also time the reference implementation: pytorch")
	return cmd
}

// validateBench checks the flags: a bad value is a usage error (exit 2), a device
// this binary or machine lacks a device error (exit 4).
func validateBench(o *benchOptions) error {
	if o.Compare != "" {
		if err := checkOneOf("compare", o.Compare, "pytorch"); err != nil {
			return err
		}
	}
	if o.Dataset != "" {
		if err := checkDatasetName(o.Dataset); err != nil {
			return err
		}
		o.Dataset = strings.ToLower(o.Dataset)
		if o.Dataset == data.SyntheticName && o.DataDir != "" {
			return usagef("--data cannot be used with --dataset synthetic (it is generated, not read)")
		}
	}
	if len(o.Bench.Devices) == 0 {
		o.Bench.Devices = bench.AvailableDevices()
	}
	for _, d := range o.Bench.Devices {
		if err := checkDeviceName(d); err != nil {
			return err
		}
	}
	err := o.Bench.Validate()
	if err == nil {
		return nil
	}
	if onlyDeviceErrors(err) {
		return &deviceError{err}
	}
	return &usageError{err}
}

// onlyDeviceErrors says whether every problem Validate found is a device that
// does not open.
func onlyDeviceErrors(err error) bool {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var de *bench.DeviceError
		if !errors.As(e, &de) {
			return false
		}
	}
	return true
}

func runBench(ctx context.Context, o *benchOptions) error {
	notice := func(format string, args ...any) { fmt.Fprintf(o.IO.ErrOut, format+"\n", args...) }
	name, picked := resolveDataset(o.Dataset, o.DataDir)
	lo := data.LoadOptions{TrainLimit: o.Bench.Limit, TestLimit: 1}
	if name == data.SyntheticName && o.Bench.Limit > 0 {
		lo.SyntheticTrain = o.Bench.Limit // generate no more than is trained on
	}
	ds, err := data.Load(name, o.DataDir, lo)
	if err != nil {
		return err
	}
	if picked {
		notice("dataset: %s (default; %d training images)", ds.Name, ds.Train.N)
	}
	rep, err := bench.Run(ctx, o.Bench, ds, o.IO.ErrOut)
	if err != nil {
		return err
	}
	rep.Machine.Gabor = currentVersion().Version
	rep.Machine.BuildTags = append([]string{}, buildTags()...)
	if o.Compare == "pytorch" {
		comparePyTorch(ctx, o, ds, rep, notice)
		if err := ctx.Err(); err != nil {
			return err
		}
		rep.Machine.LoadAfter = bench.LoadAverage()
	}
	if o.JSON {
		if err := rep.WriteJSON(o.IO.Out); err != nil {
			return err
		}
	} else if err := bench.WriteTable(o.IO.Out, rep); err != nil {
		return err
	}
	if o.Out != "" {
		return writeBenchOut(o, rep, notice)
	}
	return nil
}

// comparePyTorch adds the reference script's rows to rep. Anything that keeps
// PyTorch from running is said on stderr and recorded as a note; the gabor figures
// stand on their own.
func comparePyTorch(ctx context.Context, o *benchOptions, ds *data.Dataset, rep *bench.Report, notice func(string, ...any)) {
	skip := func(err error) {
		notice("bench: --compare pytorch: %v; carrying on without PyTorch", err)
		rep.Notes = append(rep.Notes, "pytorch not compared: "+err.Error())
	}
	py, version, err := o.findTorch(ctx)
	if err != nil {
		skip(err)
		return
	}
	dir, cleanup, err := bench.TorchDataDir(ds)
	if err != nil {
		skip(err)
		return
	}
	defer cleanup()
	notice("bench: PyTorch %s (%s), same workloads and batches", version, py)
	rows, env, notes, err := bench.RunPyTorch(ctx, o.Bench, dir, bench.TorchOptions{
		Python: py, Threads: runtime.GOMAXPROCS(0), Log: o.IO.ErrOut,
	})
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		skip(err)
		return
	}
	for _, n := range notes {
		notice("bench: %s", n)
	}
	rep.Notes = append(rep.Notes, notes...)
	rep.PyTorch = env
	rep.Results = append(rep.Results, rows...)
	rep.Finish()
}

// writeBenchOut writes the JSON report and the plots under --out.
func writeBenchOut(o *benchOptions, rep *bench.Report, notice func(string, ...any)) error {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(o.Out, benchJSONFile)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	files, err := bench.WritePlots(o.Out, rep)
	if err != nil {
		return err
	}
	notice("bench: wrote %s and %d plot files in %s", benchJSONFile, len(files), o.Out)
	return nil
}
