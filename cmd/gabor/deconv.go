package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/runs"
	"github.com/spf13/cobra"
)

type deconvOptions struct {
	IO     *ioStreams
	RunDir string
	Layer  string
	Maps   string // "0-15", "0,3,5-7"
	Top    int
	Rule   string
	Step   int
	Limit  int
	Device string
	JSON   bool
	Sanity bool

	maps []mapSpan
	rule graph.Rule
	fig  figureFlags
	out  figure.Output
}

func newCmdDeconv(f *factory, runF func(*deconvOptions) error) *cobra.Command {
	opts := &deconvOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "deconv RUN_DIR [flags]",
		Short: "Project a layer's strongest activations back to the pixels (deconvnet, guided, gradient)",
		Long: `For each chosen feature map of a convolutional layer, find the test images that
activate it most (one pass of the model's forward program over the test set), then
carry each of those activations alone back to the input through the derived
projection graph: max-pools become unpools by the forward pass's switches,
convolutions become transposed convolutions with the same filters, dense layers
their transposes. The rule says what a ReLU does to the backward signal:

  deconvnet  rectify it (Zeiler and Fergus)
  guided     rectify it and keep only where the forward ReLU was open
  gradient   keep it where the forward ReLU was open (plain backprop: saliency)

Writes deconv-<layer>-<rule>-maps<A>-<B>-top<N>-step<S> in each --format
(default PNG at 300 DPI) in --out: per map, a grid of the projections cropped to
the receptive field (each crop captioned with its activation), next to the image
patches under it, and a colorbar. A map whose strongest activation is ≤ 0 never
fires: it is marked dead and not projected. --json prints the images,
activations and positions.

--sanity instead re-runs the projections with the weights randomized layer by layer
from the top (Adebayo et al.'s cascading randomization) for every rule and reports the
rank correlation of |projection| with the trained model's; a rule whose maps barely
change is flagged: it shows the input more than the model.`,
		Example: `  gabor deconv runs/lenet-20260101-120000 --layer conv2 --maps 0-7
  gabor deconv runs/lenet-20260101-120000 --rule guided --top 9 --out figs --json
  gabor deconv runs/lenet-20260101-120000 --layer conv2 --sanity`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("%s needs one RUN_DIR, got %d arguments", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunDir = args[0]
			var err error
			if opts.rule, err = graph.ParseRule(opts.Rule); err != nil {
				return usagef("--rule: %v", err)
			}
			if opts.maps, err = parseRanges(opts.Maps); err != nil {
				return usagef("--maps: %v", err)
			}
			if opts.Top < 1 {
				return usagef("--top must be at least 1, got %d", opts.Top)
			}
			if opts.Limit < 0 {
				return usagef("--limit must be ≥ 0, got %d", opts.Limit)
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
			return runDeconv(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Layer, "layer", "", "layer `NAME` with feature maps (default: the last convolution)")
	fl.StringVar(&opts.Maps, "maps", "", "feature maps, e.g. 0-15 or 0,3,5-7 (default: the first 16)")
	fl.IntVar(&opts.Top, "top", 9, "strongest test images per map")
	fl.StringVar(&opts.Rule, "rule", "deconvnet", "projection rule: "+strings.Join(graph.Rules(), ", "))
	fl.IntVar(&opts.Step, "step", -1, "use the weights of training step `S` (a snapshot; default: the latest)")
	opts.fig.register(fl, "RUN_DIR/figures")
	fl.IntVar(&opts.Limit, "limit", 0, "search the first `N` test images only (0: all)")
	fl.StringVar(&opts.Device, "device", "", "device: auto, cpu, cuda (default auto)")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON object")
	fl.BoolVar(&opts.Sanity, "sanity", false, "cascading weight randomization check of every rule")
	return cmd
}

// mapSpan is one part of --maps: maps lo to hi, inclusive.
type mapSpan struct{ lo, hi int }

// parseRanges reads "0-15" or "0,3,5-7" (empty: nil) as spans, without expanding
// them: the spans are checked against the layer's map count first (expandRanges),
// so a range like 0-9223372036854775806 costs nothing.
func parseRanges(s string) ([]mapSpan, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []mapSpan
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q is not a map number or a range like 0-15", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a range like 0-15", part)
			}
		}
		out = append(out, mapSpan{a, b})
	}
	return out, nil
}

// expandRanges lists the numbers of the spans after checking each against the
// n that exist (a usage error naming the flag and what has n: "layer conv2 has 16
// maps"). nil stays nil (the default).
func expandRanges(spans []mapSpan, n int, flag, owner, noun string) ([]int, error) {
	var out []int
	for _, sp := range spans {
		if sp.hi >= n {
			return nil, usagef("--%s: %d is out of range: %s has %d %s (0 to %d)", flag, sp.hi, owner, n, noun, n-1)
		}
		for m := sp.lo; m <= sp.hi; m++ {
			out = append(out, m)
		}
	}
	return out, nil
}

// layerMaps is the number of feature maps of a model's layer (the default layer
// when name is ""), or 0 when the layer is not one of the model's: then the
// introspection reports the unknown layer itself.
func layerMaps(run *runs.Run, name string) (int, string) {
	if name == "" {
		d, err := introspect.DefaultLayer(run, run.Config.Model)
		if err != nil {
			return 0, name
		}
		name = d
	}
	ls, err := introspect.ModelLayers(run)
	if err != nil {
		return 0, name
	}
	for _, l := range ls {
		if l.Name == name && len(l.Out) > 0 {
			return l.Out[0], name
		}
	}
	return 0, name
}

// classCount is the number of classes of a model (its last layer's size), 0
// when its layers cannot be listed.
func classCount(run *runs.Run) int {
	ls, err := introspect.ModelLayers(run)
	if err != nil || len(ls) == 0 || len(ls[len(ls)-1].Out) == 0 {
		return 0
	}
	return ls[len(ls)-1].Out[0]
}

func runDeconv(opts *deconvOptions) error {
	if opts.Device != "" {
		if err := checkDeviceBuilt(opts.Device); err != nil {
			return err
		}
	}
	run, err := runs.OpenRun(opts.RunDir)
	if err != nil {
		return &dataError{err}
	}
	out := opts.out.Dir
	if out == "" {
		out = filepath.Join(opts.RunDir, "figures")
	}
	var maps []int
	if opts.maps != nil {
		if n, layer := layerMaps(run, opts.Layer); n > 0 {
			if maps, err = expandRanges(opts.maps, n, "maps", "layer "+layer, "maps"); err != nil {
				return err
			}
		}
	}
	o := introspect.DeconvOptions{Layer: opts.Layer, Maps: maps, Top: opts.Top, Rule: opts.rule,
		Step: opts.Step, Limit: opts.Limit, Device: opts.Device}
	if opts.Sanity {
		return runSanity(opts, run, o)
	}
	res, err := introspect.Deconv(run, o)
	if err != nil {
		return err
	}
	title := opts.out.TitleFor(fmt.Sprintf("%s %s, %s rule, step %d: each map's %d strongest test images", res.Model, res.Layer, res.Rule, res.Step, opts.Top))
	fig, err := introspect.DeconvFigure(res, introspect.DeconvFigureOptions{Title: title})
	if err != nil {
		return err
	}
	files, err := figure.WriteFiles(out, deconvStem(res, opts.Top), fig, opts.out)
	if err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(struct {
			*introspect.DeconvResult
			Files []string `json:"files"`
		}{res, files})
	}
	fmt.Fprintf(opts.IO.Out, "%s %s (step %d), %s rule, %d maps × %d strongest of %d test images on %s:\n",
		res.Model, res.Layer, res.Step, res.Rule, len(res.Maps), opts.Top, res.Scanned, res.Backend)
	for _, m := range res.Maps {
		var b strings.Builder
		for i, h := range m.Hits {
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "%d@(%d,%d)=%.2f", h.Image, h.Y, h.X, h.Value)
		}
		fmt.Fprintf(opts.IO.Out, "  map %2d: %s\n", m.Map, b.String())
	}
	for _, f := range files {
		fmt.Fprintf(opts.IO.Out, "wrote %s\n", f)
	}
	return nil
}

// deconvStem names a deconv figure by what makes it differ: layer, rule,
// maps, top and step.
func deconvStem(r *introspect.DeconvResult, top int) string {
	maps := "maps"
	if len(r.Maps) > 0 {
		lo, hi := r.Maps[0].Map, r.Maps[len(r.Maps)-1].Map
		maps += strconv.Itoa(lo)
		contiguous := hi-lo+1 == len(r.Maps)
		if hi != lo && contiguous {
			maps += "-" + strconv.Itoa(hi)
		} else if !contiguous {
			for _, m := range r.Maps[1:] {
				maps += "_" + strconv.Itoa(m.Map)
			}
		}
	}
	return fmt.Sprintf("deconv-%s-%s-%s-top%d-%s", r.Layer, r.Rule, maps, top, figure.StepTag(r.Step))
}

// runSanity prints (or --json writes) the cascading randomization table.
func runSanity(opts *deconvOptions, run *runs.Run, o introspect.DeconvOptions) error {
	res, err := introspect.Sanity(run, introspect.SanityOptions{DeconvOptions: o, Seed: 1})
	if err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(res)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "sanity check of %s %s (step %d) on %s: %d activations, Spearman correlation of |projection| with the trained model's\n",
		res.Model, res.Layer, res.Step, res.Backend, res.Hits)
	fmt.Fprintf(w, "  %-28s", "randomized (from the top)")
	for _, r := range res.Rules {
		fmt.Fprintf(w, " %10s", r)
	}
	fmt.Fprintln(w)
	for _, s := range res.Stages {
		fmt.Fprintf(w, "  %-28s", strings.Join(s.Randomized, " + "))
		for _, r := range res.Rules {
			fmt.Fprintf(w, " %10.3f", s.Similarity[r])
		}
		fmt.Fprintln(w)
	}
	if len(res.Flagged) == 0 {
		fmt.Fprintf(w, "every rule's maps change with the weights (similarity < %.2f with all layers randomized)\n", res.Threshold)
	} else {
		fmt.Fprintf(w, "FLAGGED: %s: maps still similar (≥ %.2f) with every layer randomized; they show the input more than the model\n",
			strings.Join(res.Flagged, ", "), res.Threshold)
	}
	return nil
}
