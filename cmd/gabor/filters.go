package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gaborlab/gabor/introspect"
	"github.com/spf13/cobra"
)

// filtersOptions are the parsed flags of `gabor filters`.
type filtersOptions struct {
	IO   *ioStreams
	Path string // RUN_DIR or CHECKPOINT
	JSON bool
	Opts introspect.FiltersOptions
	// formats is --format as given ("png,svg,pdf").
	formats string
}

func newCmdFilters(f *factory, runF func(*filtersOptions) error) *cobra.Command {
	opts := &filtersOptions{IO: f.IO}
	o := &opts.Opts
	cmd := &cobra.Command{
		Use:   "filters RUN_DIR|CHECKPOINT [flags]",
		Short: "Draw a layer's filters, fit Gabor functions to them, and show how they formed",
		Long: `Draw the filters of a convolution layer (or, for an MLP, each first-layer unit's
784 incoming weights as a 28×28 image) as a grid: PNG (provenance in its text
chunks), SVG and PDF for papers, and a JSON sidecar.

Weights are zero-centred on a blue–white–red map (white is 0) or on gray;
--norm filter scales each filter to its own largest |weight|, --norm global
puts all on one scale. A multi-channel convolution is drawn averaged over its
input channels, or one panel per channel with --channels each.

With --fit (the default) each 2-D filter is fitted with a Gabor function by
nonlinear least squares; the report (CSV, and in the sidecar) gives every
filter's parameters and R², a figure shows filter | fit | residual, and the
Gabor score is the fraction of filters whose adjusted R² reaches --r2.

Given a run directory, the latest weights are drawn (--step picks a snapshot);
when the run holds snapshots (gabor train --snapshot, on by default), a
filmstrip PNG, an animated GIF and the Gabor score over training are written
too. Files go to RUN_DIR/figures unless --out says otherwise.`,
		Example: `  # the first layer of a run, with its Gabor fit and time-lapse
  gabor filters runs/lenet-20260101-120000

  # the filters at step 468 only, on one global scale, as a PDF with labels
  gabor filters runs/lenet-20260101-120000 --step 468 --norm global --labels --colorbar --format pdf

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
			if runF != nil {
				return runF(opts)
			}
			return runFilters(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Layer, "layer", "", "layer `NAME` (default: the first convolution, or an MLP's first dense layer)")
	fl.IntVar(&o.Step, "step", -1, "draw the snapshot of step `S` (default: the latest weights)")
	fl.StringVar(&o.Out, "out", "", "write the figures to `DIR` (default: RUN_DIR/figures)")
	fl.BoolVar(&opts.JSON, "json", false, `print {"layer","step","n_filters","gabor_score","files"} as one JSON object`)
	fl.StringVar(&o.Norm, "norm", introspect.NormFilter, "normalization: filter (each on its own scale), global (one scale)")
	fl.StringVar(&o.Cmap, "cmap", introspect.CmapDiverging, "colormap: "+strings.Join(introspect.Colormaps(), ", "))
	fl.IntVar(&o.Scale, "scale", 0, "upscale each weight to `N`×N pixels (0: about 64 pixels per filter)")
	fl.IntVar(&o.Pad, "pad", 2, "`N` pixels between filters")
	fl.BoolVar(&o.Colorbar, "colorbar", false, "draw a colorbar")
	fl.BoolVar(&o.Labels, "labels", false, "label each filter with its index")
	fl.StringVar(&opts.formats, "format", "png", "comma-separated formats: png, svg, pdf")
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
	if fo.Norm != introspect.NormFilter && fo.Norm != introspect.NormGlobal {
		return usagef("--norm must be filter or global, got %q", fo.Norm)
	}
	if _, err := introspect.ColormapByName(fo.Cmap); err != nil {
		return usagef("--cmap must be one of %s, got %q", strings.Join(introspect.Colormaps(), ", "), fo.Cmap)
	}
	if fo.Channels != introspect.ChannelsMean && fo.Channels != introspect.ChannelsEach {
		return usagef("--channels must be mean or each, got %q", fo.Channels)
	}
	if fo.Scale < 0 || fo.Scale > 64 {
		return usagef("--scale must be from 0 (auto) to 64, got %d", fo.Scale)
	}
	if fo.Pad < 0 || fo.Pad > 64 {
		return usagef("--pad must be from 0 to 64, got %d", fo.Pad)
	}
	if fo.R2 <= 0 || fo.R2 > 1 {
		return usagef("--r2 must be in (0, 1], got %g", fo.R2)
	}
	fo.Formats = nil
	for _, f := range strings.Split(o.formats, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !strings.Contains(" png svg pdf ", " "+f+" ") {
			return usagef("--format: unknown format %q (known: png, svg, pdf)", f)
		}
		fo.Formats = append(fo.Formats, f)
	}
	if len(fo.Formats) == 0 {
		return usagef("--format needs at least one of png, svg, pdf")
	}
	return nil
}

func runFilters(o *filtersOptions) error {
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
