package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gaborlab/gabor/weightspace"
	"github.com/spf13/cobra"
)

type landscapeOptions struct {
	IO    *ioStreams
	Opts  weightspace.LandscapeOptions
	views string
	alpha string
	JSON  bool
	fig   figureFlags
}

func newCmdLandscape(f *factory, runF func(*landscapeOptions) error) *cobra.Command {
	opts := &landscapeOptions{IO: f.IO}
	o := &opts.Opts
	cmd := &cobra.Command{
		Use:   "landscape RUN_DIR [flags]",
		Short: "Draw the loss landscape around a run's weights: a line from initial to final, random and PCA planes",
		Long: `Evaluate the loss and accuracy of a run's model at many points of weight space,
with the same compiled forward Program as gabor eval, on a fixed seeded subset of
the test set (--images, gathered once, evaluated in batches of --batch).

Views (--views, comma-separated):
  line    the straight line (1−α)·initial + α·final for α from −0.5 to 1.5 (--alpha);
          with --to RUN2, from this run's final weights to RUN2's (same model).
          The initial weights are the step-0 snapshot, else the seeded
          initialization (and --init-from) the run started from.
  random  the plane final + x·d1 + y·d2 on two Gaussian directions normalized
          filter by filter (Li et al. 2018): each filter of a direction (an output
          channel of a convolution, an output unit's row of a dense weight) has
          the norm of the same filter of the weights; biases and other 1-D
          parameters stay at zero. x, y span [−range, range].
  pca     the plane through the final weights spanned by the first two principal
          axes of the snapshots (θ_i − θ_final), with the trajectory projected on
          it; needs a run trained with --snapshot (at least 3 snapshots of every
          parameter).

Each view writes landscape-<view>-<run> in each --format and a CSV of every
point, in --out (default RUN_DIR/figures); a plane as a heat map and contours
of log₁₀ loss. Progress with an ETA goes to stderr.`,
		Example: `  gabor landscape runs/lenet-20260101-120000
  gabor landscape runs/lenet-a --views line --to runs/lenet-b --json
  gabor landscape runs/lenet-a --views random,pca --grid 41 --images 2000 --device cuda`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("%s needs one RUN_DIR argument, got %d", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Run = args[0]
			if err := parseLandscapeFlags(opts); err != nil {
				return err
			}
			if o.Device != "" {
				if err := checkDeviceName(o.Device); err != nil {
					return err
				}
			}
			var err error
			if o.Output, err = opts.fig.output(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runLandscape(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.views, "views", "line,random", "comma-separated views: line, random, pca")
	fl.StringVar(&o.To, "to", "", "draw the line to the final weights of `RUN2` (same model) instead of from the initial weights")
	fl.StringVar(&opts.alpha, "alpha", "-0.5,1.5,41", "the line's α range and points: `LO,HI,N`")
	fl.IntVar(&o.Grid, "grid", 21, "points per side of a plane (`N`×N evaluations)")
	fl.Float64Var(&o.Range, "range", 1, "a random plane spans [−`R`, R] along each direction")
	fl.IntVar(&o.Images, "images", 1000, "evaluate on a seeded subset of `N` test images (0: all)")
	fl.Uint64Var(&o.Seed, "seed", 1, "seed of the image subset and the random directions")
	fl.IntVar(&o.Batch, "batch", 500, "images per forward pass")
	fl.StringVar(&o.Device, "device", "auto", "device: auto, cpu, cuda")
	fl.BoolVar(&opts.JSON, "json", false, "print the line, a summary of each plane and the files as one JSON object")
	opts.fig.register(fl, "RUN_DIR/figures")
	return cmd
}

// parseLandscapeFlags checks and converts the flag values (usage errors).
func parseLandscapeFlags(opts *landscapeOptions) error {
	o := &opts.Opts
	o.Views = nil
	for _, v := range strings.Split(opts.views, ",") {
		v = strings.TrimSpace(strings.ToLower(v))
		if v != weightspace.ViewLine && v != weightspace.ViewRandom && v != weightspace.ViewPCA {
			return usagef("--views: unknown view %q (views: line, random, pca)", v)
		}
		if !slices.Contains(o.Views, v) {
			o.Views = append(o.Views, v)
		}
	}
	lo, hi, n, err := parseAlpha(opts.alpha)
	if err != nil {
		return err
	}
	o.AlphaLo, o.AlphaHi, o.AlphaN = lo, hi, n
	if o.To != "" && !slices.Contains(o.Views, weightspace.ViewLine) {
		return usagef("--to draws a line: add line to --views")
	}
	switch {
	case o.Grid < 2 || o.Grid > 201:
		return usagef("--grid must be from 2 to 201, got %d", o.Grid)
	case !(o.Range > 0) || o.Range > 1e6:
		return usagef("--range must be positive, got %g", o.Range)
	case o.Images < 0:
		return usagef("--images must be 0 (all) or positive, got %d", o.Images)
	case o.Batch < 1 || o.Batch > 10000:
		return usagef("--batch must be from 1 to 10000, got %d", o.Batch)
	}
	return nil
}

// parseAlpha parses --alpha LO,HI,N: a finite range LO < HI and 2 to 1001 points.
func parseAlpha(s string) (lo, hi float64, n int, err error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return 0, 0, 0, usagef("--alpha must be LO,HI,N (e.g. -0.5,1.5,41), got %q", s)
	}
	lo, e1 := strconv.ParseFloat(strings.TrimSpace(parts[0]), 64)
	hi, e2 := strconv.ParseFloat(strings.TrimSpace(parts[1]), 64)
	n, e3 := strconv.Atoi(strings.TrimSpace(parts[2]))
	switch {
	case e1 != nil || e2 != nil || e3 != nil:
		return 0, 0, 0, usagef("--alpha must be LO,HI,N with numbers, got %q", s)
	case !(lo < hi) || lo < -1e6 || hi > 1e6:
		return 0, 0, 0, usagef("--alpha needs finite LO < HI, got %g, %g", lo, hi)
	case n < 2 || n > 1001:
		return 0, 0, 0, usagef("--alpha needs 2 to 1001 points, got %d", n)
	}
	return lo, hi, n, nil
}

// etaProgress prints "what: done/total, elapsed, ETA" to w at most every
// second (and at the end): a redrawn line on a terminal, plain lines
// otherwise.
func etaProgress(w io.Writer, tty bool, what string) func(done, total int) {
	start := time.Now()
	var last time.Time
	return func(done, total int) {
		now := time.Now()
		if done < total && now.Sub(last) < time.Second {
			return
		}
		last = now
		el := now.Sub(start)
		eta := time.Duration(0)
		if done > 0 {
			eta = time.Duration(float64(el) * float64(total-done) / float64(done))
		}
		line := fmt.Sprintf("%s: %d/%d evaluations, %s elapsed, ETA %s", what, done, total, el.Round(100*time.Millisecond), eta.Round(time.Second))
		switch {
		case tty && done < total:
			fmt.Fprintf(w, "\r%s\033[K", line)
		case tty:
			fmt.Fprintf(w, "\r%s\033[K\n", line)
		default:
			fmt.Fprintln(w, line)
		}
	}
}

func runLandscape(cmd *cobra.Command, opts *landscapeOptions) error {
	o := opts.Opts
	if err := checkDeviceBuilt(o.Device); err != nil {
		return err
	}
	o.Progress = etaProgress(opts.IO.ErrOut, opts.IO.ErrTTY, "landscape")
	res, secs, err := timedJob(func() (*weightspace.LandscapeResult, error) { return weightspace.Landscape(cmd.Context(), o) })
	if err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(struct {
			*weightspace.LandscapeResult
			Seconds float64 `json:"seconds"`
		}{res, secs})
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "%s (%s) on %d test images, %s: %d evaluations in %.1f s; final weights: loss %.4f, accuracy %.4f\n",
		res.Run, res.Model, res.Images, res.Device, res.Evals, secs, res.Final.Loss, res.Final.Accuracy)
	if len(res.Line) > 0 {
		best := res.Line[0]
		for _, p := range res.Line {
			if p.Loss < best.Loss {
				best = p
			}
		}
		fmt.Fprintf(w, "  line: lowest loss %.4f at α = %g (accuracy %.4f)\n", best.Loss, best.Alpha, best.Accuracy)
	}
	for _, s := range res.Surfaces {
		fmt.Fprintf(w, "  %s plane %d×%d: loss %.4f to %.4f over the grid\n", s.Kind, s.Grid[0], s.Grid[1], s.MinLoss, s.MaxLoss)
	}
	for _, f := range res.Files {
		fmt.Fprintf(w, "  wrote %s\n", f)
	}
	return nil
}

// timedJob runs a weight-space job and returns its result with the seconds
// it took; an input error of the job (a run without snapshots, mismatched
// runs, an unknown layer) is a data error (exit 3).
func timedJob[R any](job func() (R, error)) (R, float64, error) {
	start := time.Now()
	res, err := job()
	var ie *weightspace.InputError
	if errors.As(err, &ie) {
		err = &dataError{err}
	}
	return res, time.Since(start).Seconds(), err
}
