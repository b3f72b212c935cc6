package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gaborlab/gabor/report"
	"github.com/spf13/cobra"
)

// reportOptions are the parsed flags of `gabor report`.
type reportOptions struct {
	IO     *ioStreams
	Runs   []string
	Device string
	Index  int
	EmbedN int
	JSON   bool
	fig    figureFlags
	opts   report.Options
}

func newCmdReport(f *factory, runF func(*reportOptions) error) *cobra.Command {
	opts := &reportOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "report RUN_DIR [RUN_DIR…] [flags]",
		Short: "Write one self-contained HTML report of one or more runs",
		Long: `Write DIR/report.html: one HTML file that holds everything inline (styles and
every figure as PNG or SVG data), so it opens offline in any browser. It shows the
config, the training curves, the confusion matrix, the first layer's filters with
their Gabor fit, the Gabor score over training and the time-lapse, a test image
through every layer, the embeddings of every layer and the deconvnet projections:
the figures the filters, curves, eval --confusion, activations, embed and deconv
verbs draw, made the same way.

Several runs are laid side by side, one column each, with the config rows that
differ highlighted and all curves overlaid. A figure a run cannot have (no
checkpoint, no convolution, no snapshots) is shown as missing with the reason and
the command that makes it; the rest still renders. Figures of other verbs found in
a run's figures/ folder (decision regions, loss landscape, ablation, optimizer
race) are inlined too, else named as missing.

Figures are PNG at 110 DPI unless --dpi says otherwise, or SVG with --format svg.
The report goes to the first run's figures/ folder unless --out says otherwise;
an existing report.html is kept and the new one written beside it (report-2.html)
unless --force.`,
		Example: `  gabor report runs/lenet-20260101-120000
  gabor report runs/lenet-s1 runs/lenet-s2 runs/mlp-s1 --out reports
  gabor report runs/lenet-20260101-120000 --format svg --index 7 --json`,
		Args: runDirArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Runs = args
			if opts.Index < 0 {
				return usagef("--index must be 0 or more, got %d", opts.Index)
			}
			if opts.EmbedN < 10 {
				return usagef("--embed-n must be at least 10, got %d", opts.EmbedN)
			}
			out, err := opts.fig.output(cmd)
			if err != nil {
				return err
			}
			if len(out.Formats) != 1 || out.Formats[0] == "pdf" {
				return usagef("--format: the report inlines its figures as png or svg (one of them), got %q", opts.fig.formats)
			}
			if !cmd.Flags().Changed("dpi") {
				out.DPI = report.DefaultDPI
			}
			opts.opts = report.Options{Output: out, Device: opts.Device, Index: opts.Index, EmbedN: opts.EmbedN}
			if runF != nil {
				return runF(opts)
			}
			return runReport(opts)
		},
	}
	fl := cmd.Flags()
	opts.fig.register(fl, "FIRST_RUN_DIR/figures")
	fl.StringVar(&opts.Device, "device", "", "device of the forward passes: cpu, cuda, auto (default: auto)")
	fl.IntVar(&opts.Index, "index", 0, "the test image drawn through every layer")
	fl.IntVar(&opts.EmbedN, "embed-n", 1000, "test images in the embeddings")
	fl.BoolVar(&opts.JSON, "json", false, `print {"report","bytes","runs","missing"} as one JSON object`)
	return cmd
}

func runReport(o *reportOptions) error {
	if o.Device != "" {
		if err := checkDeviceBuilt(o.Device); err != nil {
			return err
		}
	}
	o.opts.Progress = o.IO.ErrOut
	r, err := report.Build(o.Runs, o.opts)
	var nr *report.NotRunError
	if errors.As(err, &nr) {
		return &dataError{err}
	}
	if err != nil {
		return err
	}
	dir := o.fig.out
	if dir == "" {
		dir = filepath.Join(o.Runs[0], "figures")
	}
	path, err := r.WriteFile(dir, o.fig.force)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	var missing []string
	for _, run := range r.Runs {
		for _, s := range r.Sections {
			if m := run.Sections[s.ID].Missing; m != "" {
				missing = append(missing, run.Name+": "+s.Title+": "+m)
			}
		}
	}
	if o.JSON {
		return json.NewEncoder(o.IO.Out).Encode(struct {
			Report  string   `json:"report"`
			Bytes   int64    `json:"bytes"`
			Runs    []string `json:"runs"`
			Missing []string `json:"missing"`
		}{path, st.Size(), o.Runs, missing})
	}
	for _, m := range missing {
		fmt.Fprintf(o.IO.Out, "missing %s\n", m)
	}
	fmt.Fprintf(o.IO.Out, "wrote %s (%.1f MB)\n", path, float64(st.Size())/1e6)
	return nil
}
