package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gaborlab/gabor/weightspace"
	"github.com/spf13/cobra"
)

type raceOptions struct {
	IO         *ioStreams
	Problems   []*weightspace.Problem
	Race       weightspace.RaceOptions
	Files      weightspace.RaceFiles
	problem    string
	optimizers string
	lr         map[string]*float64
	JSON       bool
	fig        figureFlags
}

func newCmdRace(f *factory, runF func(*raceOptions) error) *cobra.Command {
	opts := &raceOptions{IO: f.IO, lr: map[string]*float64{}}
	cmd := &cobra.Command{
		Use:   "race [flags]",
		Short: "Race gradient-descent optimizers over two-weight surfaces, drawn over the contours",
		Long: `Race SGD, momentum (0.9), Nesterov momentum, Adagrad, RMSprop (α 0.99) and Adam
(β 0.9, 0.999) from one start over surfaces of two weights:

  linefit     y = w·x + b fitted to 24 noisy points of 5x + 1 (mean squared error)
  logistic    a logistic neuron σ(w1·x1 + w2·x2) on two overlapping blobs (cross-entropy)
  beale       Beale's function, minimum 0 at (3, 0.5)
  rosenbrock  (1 − x)² + 100·(y − x²)², minimum 0 at (1, 1)
  saddle      x² − y², unbounded below

Each surface is a model with two parameters and a scalar loss compiled by
graph.Compile like any network, and each step is one run of its training
Program: forward, backward and the fused update kernel that gabor train runs
(--optimizer). A path stops when it leaves the surface's box or its loss is not
finite; there is no divergence stop. Each optimizer has its own learning rate per
surface (--lr-NAME overrides it on every surface).

Writes race-<problem> in each --format (trajectories over the contours), a CSV of
every step and an animated GIF (one frame every --gif-every steps) in --out
(default ./figures), and prints a table: steps until loss − minimum ≤ --tol, final
loss, distance to the minimizer, how each path ended.`,
		Example: `  gabor race
  gabor race --problem rosenbrock --steps 3000 --lr-adam 0.02 --format png,pdf
  gabor race --problem saddle --optimizers sgd,rmsprop,adam --gif-every 2 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parseRaceFlags(opts); err != nil {
				return err
			}
			var err error
			if opts.Files.Output, err = opts.fig.output(cmd); err != nil {
				return err
			}
			opts.Files.Dir = opts.Files.Output.Dir
			if opts.Files.Dir == "" {
				opts.Files.Dir = "figures"
			}
			if runF != nil {
				return runF(opts)
			}
			return runRace(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.problem, "problem", "all", "surface: linefit, logistic, beale, rosenbrock, saddle, or all")
	fl.StringVar(&opts.optimizers, "optimizers", strings.Join(weightspace.RaceOptimizers, ","), "comma-separated optimizers")
	fl.IntVar(&opts.Race.Steps, "steps", 1000, "steps per optimizer")
	fl.Float64Var(&opts.Race.Tol, "tol", 1e-4, "a path has converged when loss − minimum ≤ `TOL`")
	fl.StringVar(&opts.Race.Device, "device", "cpu", "device: auto, cpu, cuda (the programs are tiny: the cpu is fastest)")
	fl.IntVar(&opts.Race.Grid, "grid", 101, "contour grid points per side")
	fl.BoolVar(&opts.Files.GIF, "gif", true, "also write an animated GIF")
	fl.IntVar(&opts.Files.GIFEvery, "gif-every", 0, "one GIF frame every `N` steps (0: at most 100 frames)")
	fl.IntVar(&opts.Files.GIFDPI, "gif-dpi", 72, "GIF resolution")
	for _, o := range weightspace.RaceOptimizers {
		opts.lr[o] = fl.Float64("lr-"+o, 0, "learning rate of "+o+" on every surface (0: each surface's default)")
	}
	fl.BoolVar(&opts.JSON, "json", false, "print every race (paths, table, files) as one JSON object")
	opts.fig.register(fl, "./figures")
	return cmd
}

// parseRaceFlags checks and converts the flag values (usage errors).
func parseRaceFlags(opts *raceOptions) error {
	opts.Problems = nil
	if opts.problem == "all" {
		opts.Problems = weightspace.Problems()
	} else {
		for _, name := range strings.Split(opts.problem, ",") {
			p, err := weightspace.ProblemByName(strings.TrimSpace(name))
			if err != nil {
				return &usageError{err}
			}
			opts.Problems = append(opts.Problems, p)
		}
	}
	r := &opts.Race
	r.Optimizers = nil
	for _, o := range strings.Split(opts.optimizers, ",") {
		o = strings.TrimSpace(o)
		if _, err := weightspace.GraphOptimizer(o); err != nil {
			return &usageError{err}
		}
		r.Optimizers = append(r.Optimizers, o)
	}
	r.LR = map[string]float64{}
	for name, v := range opts.lr {
		switch {
		case *v < 0 || *v != *v || *v > 1e6:
			return usagef("--lr-%s must be positive (or 0 for the defaults), got %g", name, *v)
		case *v > 0:
			r.LR[name] = *v
		}
	}
	switch {
	case r.Steps < 1 || r.Steps > 1000000:
		return usagef("--steps must be from 1 to 1000000, got %d", r.Steps)
	case !(r.Tol > 0):
		return usagef("--tol must be positive, got %g", r.Tol)
	case r.Grid < 2 || r.Grid > 1001:
		return usagef("--grid must be from 2 to 1001, got %d", r.Grid)
	case opts.Files.GIFEvery < 0:
		return usagef("--gif-every must be 0 (automatic) or positive, got %d", opts.Files.GIFEvery)
	case opts.Files.GIFDPI < 20 || opts.Files.GIFDPI > 300:
		return usagef("--gif-dpi must be from 20 to 300, got %d", opts.Files.GIFDPI)
	}
	return checkDeviceName(r.Device)
}

func runRace(cmd *cobra.Command, opts *raceOptions) error {
	if err := checkDeviceBuilt(opts.Race.Device); err != nil {
		return err
	}
	start := time.Now()
	var reports []*weightspace.RaceReport
	for _, p := range opts.Problems {
		rep, err := weightspace.RunRace(cmd.Context(), p, opts.Race, opts.Files)
		if err != nil {
			return err
		}
		reports = append(reports, rep)
		if !opts.JSON {
			fmt.Fprint(opts.IO.Out, weightspace.RaceTable(rep.RaceResult))
			for _, f := range rep.Files {
				fmt.Fprintf(opts.IO.Out, "  wrote %s\n", f)
			}
		}
	}
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(struct {
			Races   []*weightspace.RaceReport `json:"races"`
			Seconds float64                   `json:"seconds"`
		}{reports, time.Since(start).Seconds()})
	}
	return nil
}
