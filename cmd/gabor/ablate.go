package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/weightspace"
	"github.com/spf13/cobra"
)

type ablateOptions struct {
	IO        *ioStreams
	Opts      weightspace.AblateRunOptions
	methods   string
	fractions string
	layers    string
	JSON      bool
	fig       figureFlags
}

func newCmdAblate(f *factory, runF func(*ablateOptions) error) *cobra.Command {
	opts := &ablateOptions{IO: f.IO}
	o := &opts.Opts
	a := &o.Ablate
	cmd := &cobra.Command{
		Use:   "ablate RUN_DIR [flags]",
		Short: "Remove a growing fraction of a run's weights and measure test accuracy and loss",
		Long: `Zero a growing fraction of a run's final weights and evaluate what is left with the
same compiled forward Program as gabor eval, on the test set (or a seeded subset,
--images).

  --methods      random, smallest (magnitude first), largest (magnitude first)
  --scope        global: one ranking over every layer; layer: each layer loses
                 the same fraction of its own
  --granularity  weight: single weights; unit: whole units (a dense layer's output
                 unit, a convolution's output channel) with their bias, ranked by
                 the RMS of their weights; the logits layer's units are kept
Biases and other 1-D parameters are never removed one by one, so at fraction 1
every image gets the class of the largest output bias (chance on a balanced set).
The random method is repeated over --seeds seeds and drawn as mean ± sd.

--finetune STEPS trains each pruned network (0 < fraction < 1) for STEPS steps with the
run's optimizer, learning rate (constant), batch and training data, fresh optimizer
state, and a mask: after every step the removed weights are written back to zero.

--unit-map LAYER also removes each unit of LAYER alone and draws the drop in each
class's accuracy as a units × classes map.

Writes ablate-<run>-<scope>-<granularity> (and unitmap-<run>-<layer>) in each
--format with a CSV of every point, in --out (default RUN_DIR/figures).`,
		Example: `  gabor ablate runs/lenet-20260101-120000
  gabor ablate runs/lenet-a --methods smallest,random --scope layer --seeds 5 --json
  gabor ablate runs/lenet-a --granularity unit --unit-map conv2 --format png,pdf`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("%s needs one RUN_DIR argument, got %d", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Run = args[0]
			if err := parseAblateFlags(opts); err != nil {
				return err
			}
			var err error
			if o.Output, err = opts.fig.output(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runAblate(cmd, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.methods, "methods", "random,smallest,largest", "comma-separated methods: random, smallest, largest")
	fl.StringVar(&a.Scope, "scope", weightspace.ScopeGlobal, "ranking: global (all layers together) or layer (each layer alone)")
	fl.StringVar(&a.Grain, "granularity", weightspace.GrainWeight, "what is removed: weight or unit")
	fl.StringVar(&opts.fractions, "fractions", "0:1:0.05", "fractions removed: `LO:HI:STEP` or a list F1,F2,… (each in [0, 1])")
	fl.IntVar(&a.Seeds, "seeds", 3, "repetitions of the random method")
	fl.Uint64Var(&a.Seed, "seed", 1, "seed of the random method (and of the --images subset)")
	fl.StringVar(&opts.layers, "layers", "", "remove from these layers only (comma-separated; default all)")
	fl.IntVar(&o.Finetune, "finetune", 0, "train each pruned network `STEPS` steps (the run's optimizer and data; removed weights kept at zero)")
	fl.StringVar(&o.UnitMap, "unit-map", "", "also draw the units × classes accuracy-drop map of `LAYER`")
	fl.IntVar(&o.Images, "images", 0, "evaluate on a seeded subset of `N` test images (0: all)")
	fl.IntVar(&o.Batch, "batch", 500, "images per forward pass")
	fl.StringVar(&o.Device, "device", "auto", "device: auto, cpu, cuda")
	fl.BoolVar(&opts.JSON, "json", false, "print the curves, the map and the files as one JSON object")
	opts.fig.register(fl, "RUN_DIR/figures")
	return cmd
}

func parseAblateFlags(opts *ablateOptions) error {
	o := &opts.Opts
	a := &o.Ablate
	a.Methods = nil
	for _, m := range strings.Split(opts.methods, ",") {
		m = strings.TrimSpace(m)
		if m != weightspace.MethodRandom && m != weightspace.MethodSmallest && m != weightspace.MethodLargest {
			return usagef("--methods: unknown method %q (methods: random, smallest, largest)", m)
		}
		a.Methods = append(a.Methods, m)
	}
	if err := checkOneOf("scope", a.Scope, weightspace.ScopeGlobal, weightspace.ScopeLayer); err != nil {
		return err
	}
	if err := checkOneOf("granularity", a.Grain, weightspace.GrainWeight, weightspace.GrainUnit); err != nil {
		return err
	}
	var err error
	if a.Fractions, err = parseFractions(opts.fractions); err != nil {
		return usagef("--fractions: %v", err)
	}
	a.Layers = nil
	if opts.layers != "" {
		for _, l := range strings.Split(opts.layers, ",") {
			a.Layers = append(a.Layers, strings.TrimSpace(l))
		}
	}
	switch {
	case a.Seeds < 1 || a.Seeds > 1000:
		return usagef("--seeds must be from 1 to 1000, got %d", a.Seeds)
	case o.Images < 0:
		return usagef("--images must be 0 (all) or positive, got %d", o.Images)
	case o.Finetune < 0 || o.Finetune > 1000000:
		return usagef("--finetune must be 0 (none) or a number of steps, got %d", o.Finetune)
	case o.Batch < 1 || o.Batch > 10000:
		return usagef("--batch must be from 1 to 10000, got %d", o.Batch)
	}
	return checkDeviceName(o.Device)
}

// parseFractions parses LO:HI:STEP (HI included when the steps land on it)
// or a comma-separated list; every fraction must be in [0, 1], at most 1001.
func parseFractions(s string) ([]float64, error) {
	var out []float64
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("want LO:HI:STEP, got %q", s)
		}
		var v [3]float64
		for i, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number", p)
			}
			v[i] = f
		}
		lo, hi, step := v[0], v[1], v[2]
		if !(step > 0) || !(lo <= hi) || (hi-lo)/step > 1000 {
			return nil, fmt.Errorf("want LO ≤ HI and 0 < STEP with at most 1001 points, got %q", s)
		}
		n := int(math.Floor((hi-lo)/step + 1e-9))
		for i := 0; i <= n; i++ {
			out = append(out, math.Round((lo+float64(i)*step)*1e12)/1e12)
		}
	} else {
		for _, p := range strings.Split(s, ",") {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a number", p)
			}
			out = append(out, f)
		}
		if len(out) > 1001 {
			return nil, fmt.Errorf("at most 1001 fractions, got %d", len(out))
		}
	}
	for _, f := range out {
		if !(f >= 0 && f <= 1) {
			return nil, fmt.Errorf("fraction %g is outside [0, 1]", f)
		}
	}
	return out, nil
}

func runAblate(cmd *cobra.Command, opts *ablateOptions) error {
	o := opts.Opts
	if err := checkDeviceBuilt(o.Device); err != nil {
		return err
	}
	o.Ablate.Progress = etaProgress(opts.IO.ErrOut, opts.IO.ErrTTY, "ablate")
	res, secs, err := timedJob(func() (*weightspace.AblateResult, error) { return weightspace.AblateRun(cmd.Context(), o) })
	if err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(struct {
			*weightspace.AblateResult
			Seconds float64 `json:"seconds"`
		}{res, secs})
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "%s (%s) on %d test images, %s: %s %s ablation of %d over %s, %.1f s\n",
		res.Run, res.Model, res.Images, res.Device, res.Scope, res.Grain, res.Total, strings.Join(res.Layers, ", "), secs)
	for _, c := range res.Curves {
		fmt.Fprintf(w, "  %-8s", c.Method)
		for i, f := range c.Fractions {
			if i%4 == 0 || i == len(c.Fractions)-1 {
				fmt.Fprintf(w, "  %.2f→%.3f", f, c.Accuracy[i])
			}
		}
		fmt.Fprintln(w)
	}
	if um := res.UnitMap; um != nil {
		worst := 0
		for u := range um.Total {
			if um.Total[u] > um.Total[worst] {
				worst = u
			}
		}
		fmt.Fprintf(w, "  unit map of %s: removing unit %d costs the most, %.4f accuracy\n", um.Layer, worst, um.Total[worst])
	}
	for _, f := range res.Files {
		fmt.Fprintf(w, "  wrote %s\n", f)
	}
	return nil
}
