package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/geometry"
	"github.com/spf13/cobra"
)

// PointsFile is where a 2-D run keeps its training points (x,y,label), which
// gabor regions draws when --points is not given.
const PointsFile = "points.csv"

// regionsOptions are the parsed flags of `gabor regions`.
type regionsOptions struct {
	IO        *ioStreams
	Path      string // RUN_DIR or CHECKPOINT ("" with --construct or --depth-example)
	Construct string
	NetFile   string
	Depth     bool
	Points    string
	JSON      bool
	box       string
	units     []string
	Opts      geometry.RenderOptions
	fig       figureFlags
}

func newCmdRegions(f *factory, runF func(*regionsOptions) error) *cobra.Command {
	opts := &regionsOptions{IO: f.IO}
	o := &opts.Opts
	cmd := &cobra.Command{
		Use:   "regions RUN_DIR|CHECKPOINT [flags]",
		Short: "Draw what a 2-D network does to its input plane: decision regions, half-planes, exact linear regions",
		Long: `Draw the input plane of a network with two inputs (an mlp2d run, or a network
built from polygons): the decision regions (each class in its colour, paler where
its probability is lower), every first-layer unit's line w·x + b = 0 with a tick
on its positive side, and the points (--points FILE.csv; by default a 2-D run's
own, RUN_DIR/points.csv) with the accuracy on them.

For step and ReLU networks the exact linear regions are computed — every
activation pattern's convex polygon, found by cutting the box by each unit's
line layer by layer, in float64, not by sampling — drawn as polygons and, with
--json, listed with their vertices, activation pattern ("101|0110", a layer per
group) and the logits' affine map on them. --unit L:J adds the set where unit J
of hidden layer L (both from 1) is active. A step layer is evaluated as a true
step, whatever steepness it was trained with.

Given a run directory with several snapshots and no --step, the region count
over training is plotted and the decision regions of every snapshot written as
an animated GIF.

--net FILE.json draws a network given by its weights:
{"layers": [{"weight": [[w1, w2], …], "bias": […], "act": "relu"}, …]} (act:
step, relu, sigmoid, tanh or linear; the last layer gives the logits).

--construct FILE.json builds a step network from convex polygons and unions:
{"polygons": [[[x,y],…],…], "unions": [[0,1],…]}: one unit per edge, one AND
unit per polygon (weights 1/k, bias −1 + 1/(2k)), one OR unit per union; class 0
is outside every shape, class s+1 inside shape s. --depth-example builds the
2-10-3-8 network over three polygons and asks by linear programming which of
its 8 in/out patterns a 2-10-8 network can express.

Files go to RUN_DIR/figures (or --out), named regions-NAME-stepNNNNNN, NAME the
run directory's (or the --net or --construct file's) name. The decision map of a
run is computed by its compiled forward program on --device (the GPU when there
is one); of a step network, by the float64 network, so that steps are steps.`,
		Example: `  # the regions of a trained mlp2d run, with its training points
  gabor regions runs/moons-relu --points moons.csv

  # a deeper unit's active set, at one snapshot, as JSON
  gabor regions runs/moons-relu --step 300 --unit 2:1 --json

  # a network that fires inside two triangles
  gabor regions --construct shapes.json --out figs

  # depth against width: 2-10-3-8 and what 2-10-8 can do
  gabor regions --depth-example --out figs`,
		Args: func(cmd *cobra.Command, args []string) error {
			built := opts.Construct != "" || opts.Depth || opts.NetFile != ""
			switch {
			case built && len(args) > 0:
				return usagef("%s takes no RUN_DIR with --construct, --net or --depth-example, got %q", cmd.CommandPath(), args)
			case !built && len(args) != 1:
				return usagef("%s needs one RUN_DIR or CHECKPOINT argument (or --construct FILE.json), got %d", cmd.CommandPath(), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Path = args[0]
			}
			if n := btoi(opts.Construct != "") + btoi(opts.Depth) + btoi(opts.NetFile != ""); n > 1 {
				return usagef("--construct, --net and --depth-example cannot be combined")
			}
			if err := validateRegions(opts); err != nil {
				return err
			}
			var err error
			if o.Output, err = opts.fig.output(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runRegions(opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Step, "step", -1, "draw the snapshot of step `S` (default: the latest weights)")
	fl.StringVar(&opts.box, "box", "", "the window `X0,Y0,X1,Y1` (default: around the points or shapes, else -2,-2,2,2)")
	fl.IntVar(&o.Res, "res", 256, "decision-map pixels per side (16 to 2048)")
	fl.StringArrayVar(&opts.units, "unit", nil, "also draw where unit `L:J` (hidden layer L, unit J, both from 1) is active; repeatable")
	fl.StringVar(&opts.Points, "points", "", "draw the points of `FILE.csv` (x,y,label with a header) and report the accuracy on them")
	fl.StringVar(&opts.Construct, "construct", "", "build a step network from the polygons of `FILE.json` instead of reading a run")
	fl.StringVar(&opts.NetFile, "net", "", "draw the network of `FILE.json` ({\"layers\": [{\"weight\", \"bias\", \"act\"}, …]}) instead of reading a run")
	fl.BoolVar(&opts.Depth, "depth-example", false, "build the 2-10-3-8 depth example and solve the 2-10-8 linear programs")
	fl.StringVar(&o.Device, "device", "auto", "run a run's compiled forward program for the decision map on `DEVICE`: cpu, cuda, auto (\"\": sample the float64 network; step networks always are)")
	fl.BoolVar(&o.TimeLapse, "timelapse", true, "with a run of several snapshots: the region count over training and a GIF")
	fl.BoolVar(&opts.JSON, "json", false, `print {"model","widths","box","regions_count","regions",…,"files"} as one JSON object`)
	opts.fig.register(fl, "RUN_DIR/figures, or ./figures")
	return cmd
}

// validateRegions checks flag values (usage errors, exit 2).
func validateRegions(opts *regionsOptions) error {
	o := &opts.Opts
	if o.Device != "" {
		if err := checkOneOf("device", o.Device, "auto", "cpu", "cuda"); err != nil {
			return err
		}
	}
	if o.Res < 16 || o.Res > 2048 {
		return usagef("--res must be from 16 to 2048, got %d", o.Res)
	}
	if opts.box != "" {
		b, err := parseBox(opts.box)
		if err != nil {
			return err
		}
		o.Box = &b
	}
	o.Units = nil
	for _, u := range opts.units {
		r, err := parseUnit(u)
		if err != nil {
			return err
		}
		o.Units = append(o.Units, r)
	}
	return nil
}

// parseBox reads --box X0,Y0,X1,Y1.
func parseBox(s string) (geometry.Box, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return geometry.Box{}, usagef("--box must be X0,Y0,X1,Y1 (four numbers), got %q", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e6 {
			return geometry.Box{}, usagef("--box: %q is not a number within ±1e6", p)
		}
		v[i] = f
	}
	b := geometry.Box{X0: v[0], Y0: v[1], X1: v[2], Y1: v[3]}
	if !(b.X1-b.X0 > 1e-6 && b.Y1-b.Y0 > 1e-6) {
		return b, usagef("--box %s is empty: X1 must exceed X0 and Y1 exceed Y0", s)
	}
	return b, nil
}

// parseUnit reads --unit L:J (both from 1) into a 0-based UnitRef.
func parseUnit(s string) (geometry.UnitRef, error) {
	l, j, ok := strings.Cut(s, ":")
	li, err1 := strconv.Atoi(strings.TrimSpace(l))
	ji, err2 := strconv.Atoi(strings.TrimSpace(j))
	if !ok || err1 != nil || err2 != nil || li < 1 || ji < 1 || li > 1<<16 || ji > 1<<16 {
		return geometry.UnitRef{}, usagef("--unit must be L:J, a hidden layer and a unit counted from 1 (2:3), got %q", s)
	}
	return geometry.UnitRef{Layer: li - 1, Unit: ji - 1}, nil
}

func runRegions(opts *regionsOptions) error {
	o := opts.Opts
	o.Progress = opts.IO.ErrOut
	if o.Device != "" {
		if err := checkDeviceBuilt(o.Device); err != nil { // train_run.go: exit 4
			return err
		}
	}
	points := opts.Points
	if st, err := os.Stat(filepath.Join(opts.Path, PointsFile)); points == "" && opts.Path != "" && err == nil && st.Mode().IsRegular() {
		points = filepath.Join(opts.Path, PointsFile)
	}
	if points != "" {
		p, err := data.ReadPointsCSV(points)
		if err != nil {
			return err
		}
		for i := 0; i < p.N; i++ {
			o.Points = append(o.Points, geometry.Point{X: float64(p.X[2*i]), Y: float64(p.X[2*i+1])})
			o.Labels = append(o.Labels, int(p.Labels[i]))
		}
	}
	var (
		res   *geometry.Result
		err   error
		depth *geometry.DepthResult
	)
	switch {
	case opts.Depth:
		depth, err = geometry.RenderDepth(o)
	case opts.Construct != "":
		var c *geometry.Constructed
		if c, err = geometry.ReadShapes(opts.Construct); err != nil {
			break
		}
		if o.Box == nil {
			b := c.ShapesBox()
			o.Box = &b
		}
		name := strings.TrimSuffix(filepath.Base(opts.Construct), filepath.Ext(opts.Construct))
		res, err = geometry.RenderNet(c.Net, name, -1, o)
	case opts.NetFile != "":
		var n *geometry.Net
		if n, err = geometry.ReadNet(opts.NetFile); err != nil {
			break
		}
		name := strings.TrimSuffix(filepath.Base(opts.NetFile), filepath.Ext(opts.NetFile))
		res, err = geometry.RenderNet(n, name, -1, o)
	default:
		res, err = geometry.RenderRun(opts.Path, o)
	}
	if err != nil {
		return regionsError(err)
	}
	if opts.JSON {
		if depth != nil {
			return json.NewEncoder(opts.IO.Out).Encode(depth)
		}
		return json.NewEncoder(opts.IO.Out).Encode(res)
	}
	if depth != nil {
		printDepth(opts.IO, depth)
		return nil
	}
	printRegions(opts.IO, res)
	return nil
}

// regionsError types the errors of regions for their exit codes: a network
// that is not 2-D is a usage error (2), a bad input file a data error (3).
func regionsError(err error) error {
	var ie *geometry.InputError
	switch {
	case errors.Is(err, geometry.ErrNotPlanar):
		return &usageError{err}
	case errors.As(err, &ie):
		return &dataError{err}
	}
	return err
}

func printRegions(io *ioStreams, r *geometry.Result) {
	fmt.Fprintf(io.Out, "%s (%s, %s)", r.Model, r.Widths, strings.Join(r.Acts, "/"))
	if r.Step >= 0 {
		fmt.Fprintf(io.Out, " at step %d", r.Step)
	}
	fmt.Fprintf(io.Out, ": %d weights, %d with biases; box [%.4g, %.4g] × [%.4g, %.4g]\n", r.Weights, r.Weights+r.Biases, r.Box[0], r.Box[2], r.Box[1], r.Box[3])
	if r.Count != nil {
		fmt.Fprintf(io.Out, "  %d linear regions (exact)\n", *r.Count)
	} else {
		fmt.Fprintf(io.Out, "  not piecewise linear: decision regions sampled\n")
	}
	for c, a := range r.ClassAreas {
		fmt.Fprintf(io.Out, "  class %d: area %.4g (%.1f%% of the box)\n", c, a, 100*a/((r.Box[2]-r.Box[0])*(r.Box[3]-r.Box[1])))
	}
	if r.Accuracy != nil {
		fmt.Fprintf(io.Out, "  accuracy on the points: %.4f\n", *r.Accuracy)
	}
	for _, c := range r.Curve {
		fmt.Fprintf(io.Out, "  step %6d: %d regions\n", c.Step, c.Regions)
	}
	for _, f := range r.Files {
		fmt.Fprintf(io.Out, "  wrote %s\n", f)
	}
}

func printDepth(io *ioStreams, d *geometry.DepthResult) {
	printRegions(io, d.Deep)
	printRegions(io, d.Shallow)
	fmt.Fprintf(io.Out, "depth: 2-10-3-8 has %d weights (%d with biases), 2-10-8 has %d (%d); the 10 lines make %d cells\n",
		d.DeepWeights, d.DeepParams, d.ShallowWeights, d.ShallowParams, d.Cells)
	fmt.Fprintln(io.Out, "  pattern  cells  one 2-10-8 unit can express it")
	for _, p := range d.Patterns {
		yes := "no (no threshold of the edges separates its cells)"
		if p.Expressible {
			yes = "yes"
		}
		fmt.Fprintf(io.Out, "  %s      %5d  %s\n", p.Pattern, p.Cells, yes)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
