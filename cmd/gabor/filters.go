package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/introspect"
	"github.com/spf13/cobra"
)

// filtersOptions are the parsed flags of `gabor filters`.
type filtersOptions struct {
	IO   *ioStreams
	Path string // RUN_DIR or CHECKPOINT
	JSON bool
	Opts introspect.FiltersOptions
	fig  figureFlags
}

func newCmdFilters(f *factory, runF func(*filtersOptions) error) *cobra.Command {
	opts := &filtersOptions{IO: f.IO}
	o := &opts.Opts
	cmd := &cobra.Command{
		Use:   "filters RUN_DIR|CHECKPOINT [flags]",
		Short: "Draw a layer's filters, fit Gabor functions to them, and show how they formed",
		Long: `Draw the filters of a convolution layer (or, for an MLP, each first-layer unit's
784 incoming weights as a 28×28 image) as a grid: PNG at 300 DPI (provenance in
its text chunks), SVG and PDF (fonts embedded) for papers, and a JSON sidecar.
Each weight is a sharp square in every format. --width or --preset
paper|slide|web sets the figure's width; text keeps its size.

Weights are zero-centred on Moreland's blue–red diverging map (0 is the light
centre) or on gray;
--norm filter scales each filter to its own largest |weight|, --norm global
puts all on one scale. A multi-channel convolution is drawn averaged over its
input channels, or one panel per channel with --channels each.

With --fit (the default) each 2-D filter is fitted with a Gabor function by
nonlinear least squares; the report (CSV, and in the sidecar) gives every
filter's parameters and R², a figure shows filter | fit | residual, and the
Gabor score is the fraction of filters whose adjusted R² reaches --r2.

Given a run directory, the latest weights are drawn (--step picks a snapshot);
when the run holds snapshots (gabor train --snapshot, on by default), a
filmstrip, an animated GIF and the Gabor score over training are written too
(a progress line per step goes to stderr). Files go to RUN_DIR/figures unless
--out says otherwise, named by layer, options and step
(filters-conv1-global-step000468.pdf); an existing file is kept and the new one
written beside it (NAME-2) unless --force. Fits on their search bounds are
flagged in the CSV: a width or wavelength on its lower bound (finer than the
pixels resolve) is framed in red as "bound", one on its upper bound (extending
past the filter) is marked "wide"; a negative adjusted R² is "not Gabor-like" and left out of the mean.`,
		Example: `  # the first layer of a run, with its Gabor fit and time-lapse
  gabor filters runs/lenet-20260101-120000

  # the filters at step 468 only, on one global scale, one column wide, PDF and PNG
  gabor filters runs/lenet-20260101-120000 --step 468 --norm global --labels --colorbar --format pdf,png --preset paper

  # an MLP's first layer from a checkpoint, grayscale, no fit
  gabor filters runs/mlp-20260101-120000/checkpoint.safetensors --cmap gray --fit=false --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("%s needs one RUN_DIR or CHECKPOINT argument, got %d", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if err := validateFilters(opts); err != nil {
				return err
			}
			var err error
			if opts.Opts.Output, err = opts.fig.output(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runFilters(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Layer, "layer", "", "layer `NAME` (default: the first convolution, or an MLP's first dense layer)")
	fl.IntVar(&o.Step, "step", -1, "draw the snapshot of step `S` (default: the latest weights)")
	opts.fig.register(fl, "RUN_DIR/figures")
	fl.BoolVar(&opts.JSON, "json", false, `print {"layer","step","n_filters","gabor_score","files"} as one JSON object`)
	fl.StringVar(&o.Norm, "norm", figure.NormFilter, "normalization: filter (each on its own scale), global (one scale)")
	fl.StringVar(&o.Cmap, "cmap", figure.CmapDiverging, "colormap: "+strings.Join(figure.Colormaps(), ", "))
	fl.BoolVar(&o.Colorbar, "colorbar", false, "draw a colorbar (with the weights' values under --norm global)")
	fl.BoolVar(&o.Labels, "labels", false, "label each filter with its index")
	fl.StringVar(&o.Channels, "channels", introspect.ChannelsMean, "multi-channel filters: mean (averaged over input channels), each (a panel per channel)")
	fl.BoolVar(&o.Fit, "fit", true, "fit a Gabor function to each filter and report the Gabor score")
	fl.Float64Var(&o.R2, "r2", introspect.DefaultR2Threshold, "adjusted R² from which a filter counts as Gabor-like")
	fl.Uint64Var(&o.Seed, "seed", 1, "seed of the fits' random starts")
	fl.BoolVar(&o.TimeLapse, "timelapse", true, "with a run directory of several snapshots: filmstrip, GIF and score over training")
	return cmd
}

// validateFilters checks flag values (usage errors, exit 2).
func validateFilters(o *filtersOptions) error {
	fo := &o.Opts
	if fo.Norm != figure.NormFilter && fo.Norm != figure.NormGlobal {
		return usagef("--norm must be filter or global, got %q", fo.Norm)
	}
	if _, err := figure.ColormapByName(fo.Cmap); err != nil || !slices.Contains(figure.Colormaps(), strings.ToLower(fo.Cmap)) {
		return usagef("--cmap must be one of %s, got %q", strings.Join(figure.Colormaps(), ", "), fo.Cmap)
	}
	if fo.Channels != introspect.ChannelsMean && fo.Channels != introspect.ChannelsEach {
		return usagef("--channels must be mean or each, got %q", fo.Channels)
	}
	if fo.R2 <= 0 || fo.R2 > 1 {
		return usagef("--r2 must be in (0, 1], got %g", fo.R2)
	}
	return nil
}

func runFilters(o *filtersOptions) error {
	o.Opts.Progress = o.IO.ErrOut
	res, err := introspect.RenderFilters(o.Path, o.Opts)
	var se *introspect.SourceError
	var le *introspect.LayerError
	switch {
	case errors.As(err, &se):
		return &dataError{err}
	case errors.As(err, &le):
		return &usageError{err}
	case err != nil:
		return err
	}
	for _, nf := range res.NonFinite {
		fmt.Fprintf(o.IO.ErrOut, "warning: %s\n", nf)
	}
	if o.JSON {
		return json.NewEncoder(o.IO.Out).Encode(struct {
			Layer      string                       `json:"layer"`
			Step       int                          `json:"step"`
			NFilters   int                          `json:"n_filters"`
			GaborScore *float64                     `json:"gabor_score"`
			Files      []string                     `json:"files"`
			NonFinite  []introspect.NonFiniteFilter `json:"non_finite,omitempty"`
		}{res.Layer, res.Step, res.NFilters, res.GaborScore, res.Files, res.NonFinite})
	}
	fmt.Fprintf(o.IO.Out, "%s at step %d: %d filters", res.Layer, res.Step, res.NFilters)
	if res.GaborScore != nil {
		fmt.Fprintf(o.IO.Out, ", Gabor score %.2f (adjusted R² ≥ %.2g)", *res.GaborScore, o.Opts.R2)
	}
	fmt.Fprintln(o.IO.Out)
	for _, c := range res.Curve {
		fmt.Fprintf(o.IO.Out, "  step %6d (epoch %d): score %.2f, mean adjusted R² %.3f\n", c.Step, c.Epoch, c.Score, c.MeanR2)
	}
	for _, f := range res.Files {
		fmt.Fprintf(o.IO.Out, "  wrote %s\n", f)
	}
	return nil
}
