package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gaborlab/gabor/introspect"
	"github.com/spf13/cobra"
)

// activationsOptions are the parsed flags of `gabor activations`.
type activationsOptions struct {
	IO   *ioStreams
	Path string // RUN_DIR or CHECKPOINT
	JSON bool
	Opts introspect.ActivationsOptions
	fig  figureFlags
}

func newCmdActivations(f *factory, runF func(*activationsOptions) error) *cobra.Command {
	opts := &activationsOptions{IO: f.IO}
	o := &opts.Opts
	cmd := &cobra.Command{
		Use:   "activations RUN_DIR|CHECKPOINT --index I [flags]",
		Short: "Show how one test image is transformed layer by layer",
		Long: `Run one image of the test set through a trained model and draw the input and
every layer's activation in one figure, top to bottom in the order the forward
pass computes them: X -> X' -> X'' ... Feature maps are drawn as a row of tiles
per layer (channel index below each), vectors as heat strips, and the logits
with the class names and their softmax probabilities, the predicted class
framed.

Colours: the input in gray; every other layer on a blue-white-red map where 0
is white, so after a ReLU the units that are off are white. --norm layer (the
default) puts all maps of a layer on one scale, --norm map each on its own.

The activations are computed by the model's own compiled program with every
layer tapped, on --device; a run directory's checkpoint is used. Files go to
RUN_DIR/figures unless --out says otherwise: activations-imageI-stepS.png
(300 DPI, provenance in its text chunks), other --format's, and
activations-imageI-stepS.json with per-layer statistics (shape, mean, min,
max, fraction of zeros). An existing file is kept: the new one is written
beside it (NAME-2) unless --force.`,
		Example: `  # test image 0 of the run's dataset
  gabor activations runs/lenet-20260101-120000 --index 0

  # each map on its own scale, as PNG and SVG, statistics as JSON
  gabor activations runs/lenet-20260101-120000 --index 17 --norm map --format png,pdf --json

  # from a checkpoint file, into a folder of its own
  gabor activations mlp.safetensors --index 3 --out figs`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("%s needs one RUN_DIR or CHECKPOINT argument, got %d", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if o.Index < 0 {
				return usagef("--index must be 0 or more, got %d", o.Index)
			}
			if err := checkOneOf("norm", o.Norm, introspect.NormLayer, introspect.NormMap); err != nil {
				return err
			}
			if err := checkDeviceName(o.Device); err != nil {
				return err
			}
			var err error
			if o.Output, err = opts.fig.output(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runActivations(opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Index, "index", 0, "test image `I` (0-based)")
	opts.fig.register(fl, "RUN_DIR/figures")
	fl.BoolVar(&opts.JSON, "json", false, "print the files and per-layer statistics as one JSON object")
	fl.StringVar(&o.Norm, "norm", introspect.NormLayer, "normalization: layer (one scale per layer), map (one per feature map)")
	fl.StringVar(&o.Device, "device", "auto", "device: "+strings.Join(deviceNames(), ", "))
	return cmd
}

// introspectError maps the errors of the figure commands to exit codes: a
// missing or damaged run directory or checkpoint is a data error (3); an
// image index or layer that does not exist is a usage error (2).
func introspectError(err error) error {
	var (
		se *introspect.SourceError
		ie *introspect.IndexError
		ue *introspect.UnknownLayerError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return &dataError{err}
	case errors.As(err, &ie), errors.As(err, &ue):
		return &usageError{err}
	}
	return err
}

func runActivations(o *activationsOptions) error {
	if err := checkDeviceBuilt(o.Opts.Device); err != nil {
		return err
	}
	res, err := introspect.RenderActivations(o.Path, o.Opts)
	if err != nil {
		return introspectError(err)
	}
	if o.JSON {
		return json.NewEncoder(o.IO.Out).Encode(res)
	}
	fmt.Fprintf(o.IO.Out, "%s (epoch %d, step %d), %s test image %d: label %s, predicted %s\n",
		res.Model, res.Epoch, res.Step, res.Dataset, res.Index, res.LabelName, res.PredictedName)
	for _, l := range res.Layers {
		fmt.Fprintf(o.IO.Out, "  %-7s %-9s mean %8.4f  max %8.4f  zeros %5.1f%%\n",
			l.Layer, shapeString(l.Shape), l.Mean, l.Max, 100*l.Zeros)
	}
	for _, f := range res.Files {
		fmt.Fprintf(o.IO.Out, "  wrote %s\n", f)
	}
	return nil
}

func shapeString(s []int) string {
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = fmt.Sprint(d)
	}
	return strings.Join(p, "x")
}
