package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gaborlab/gabor/introspect"
	"github.com/spf13/cobra"
)

// embedOptions are the parsed flags of `gabor embed`.
type embedOptions struct {
	IO   *ioStreams
	Path string // RUN_DIR (or a checkpoint: no sequence over training)
	JSON bool
	Opts introspect.EmbedOptions
	fig  figureFlags
}

func newCmdEmbed(f *factory, runF func(*embedOptions) error) *cobra.Command {
	opts := &embedOptions{IO: f.IO}
	o := &opts.Opts
	cmd := &cobra.Command{
		Use:   "embed RUN_DIR [flags]",
		Short: "Project each layer's activations on the test set to 2-D (PCA), coloured by class",
		Long: `Run a seeded sample of the test set through a trained model and project each
layer's activations on their first two principal axes (PCA: the SVD of the
centred activations). For every layer (or --layer NAME) it writes a scatter plot
coloured by class with the dataset's class names, the coordinates as CSV
(index,label,pc1,pc2), and an overview of all layers side by side.

When the run directory holds snapshots (gabor train --snapshot), the projection
is also computed at each snapshot, for the layers the snapshot's weights
determine (snapshots keep the convolutions; dense layers need the checkpoint),
at most --frames of them evenly spaced. Each frame is aligned to the next by
Procrustes (rotation or reflection, uniform scale and shift) ending on the final
weights, so the sequence turns smoothly instead of jumping when an axis flips;
the frames are written as PNGs, one CSV (step,index,label,pc1,pc2) and an
animated GIF. Files go to RUN_DIR/figures unless --out says otherwise.`,
		Example: `  # every layer of a run, with the sequence over its snapshots
  gabor embed runs/lenet-20260101-120000

  # one layer, 5000 images, another sample, as PNG and SVG
  gabor embed runs/lenet-20260101-120000 --layer fc2 --n 5000 --seed 7 --format png,pdf

  # the final weights only, machine-readable summary
  gabor embed runs/mlp-20260101-120000 --frames 0 --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("%s needs one RUN_DIR argument, got %d", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if o.N < 2 {
				return usagef("--n must be at least 2 (a PCA needs two examples), got %d", o.N)
			}
			if o.MaxFrames < 0 || o.MaxFrames == 1 {
				return usagef("--frames must be 0 (no sequence) or at least 2, got %d", o.MaxFrames)
			}
			if o.MaxFrames == 0 {
				o.MaxFrames = -1 // introspect: < 0 is "no sequence"
			}
			if o.Delay < 1 {
				return usagef("--delay must be at least 1 (hundredths of a second), got %d", o.Delay)
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
			return runEmbed(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Layer, "layer", "all", "layer `NAME`, or all")
	fl.IntVar(&o.N, "n", 2000, "test images in the sample (all of them if the set is smaller)")
	fl.Uint64Var(&o.Seed, "seed", 1, "seed of the sample (and of the randomized PCA)")
	opts.fig.register(fl, "RUN_DIR/figures")
	fl.BoolVar(&opts.JSON, "json", false, "print the files and each layer's explained variance as one JSON object")
	fl.IntVar(&o.MaxFrames, "frames", 12, "at most `N` snapshots in the sequence over training (0: none)")
	fl.IntVar(&o.Delay, "delay", 60, "GIF frame delay in hundredths of a second")
	fl.StringVar(&o.Device, "device", "auto", "device: "+strings.Join(deviceNames(), ", "))
	return cmd
}

func runEmbed(o *embedOptions) error {
	if err := checkDeviceBuilt(o.Opts.Device); err != nil {
		return err
	}
	o.Opts.Progress = o.IO.ErrOut
	res, err := introspect.RenderEmbeddings(o.Path, o.Opts)
	if err != nil {
		return introspectError(err)
	}
	if o.JSON {
		return json.NewEncoder(o.IO.Out).Encode(res)
	}
	fmt.Fprintf(o.IO.Out, "%s (epoch %d, step %d), %d %s test images (seed %d):\n", res.Model, res.Epoch, res.Step, res.N, res.Dataset, res.Seed)
	for _, l := range res.Layers {
		fmt.Fprintf(o.IO.Out, "  %-7s %5d values  PC1 %5.1f%%", l.Layer, l.Dims, 100*l.Explained[0])
		if len(l.Explained) > 1 {
			fmt.Fprintf(o.IO.Out, "  PC2 %5.1f%%", 100*l.Explained[1])
		}
		if l.Frames > 0 {
			fmt.Fprintf(o.IO.Out, "  %d frames", l.Frames)
		}
		fmt.Fprintln(o.IO.Out)
	}
	fmt.Fprintf(o.IO.Out, "  wrote %d files in %s\n", len(res.Files), outDir(res.Files))
	return nil
}

// outDir is the folder of the last file written (the sidecar, in the output folder).
func outDir(files []string) string {
	if len(files) == 0 {
		return ""
	}
	return filepath.Dir(files[len(files)-1])
}
