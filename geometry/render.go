package geometry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/runs"
)

// InputError is an input that is missing or wrong: a shapes file, a run
// whose weights do not make a network.
type InputError struct {
	Path string
	Err  error
}

func (e *InputError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// RenderOptions configure RenderRun and RenderNet.
type RenderOptions struct {
	Step   int  // the snapshot of this step (< 0: the latest weights)
	Box    *Box // the window (nil: around the points, the shapes, or [−2, 2]²)
	Res    int  // decision-map pixels per side (0: 256)
	Units  []UnitRef
	Points []Point // drawn over the regions, with Labels
	Labels []int
	// TimeLapse, for a run with several snapshots and no Step: the region
	// count over training (a plot) and the decision regions of every
	// snapshot (an animated GIF).
	TimeLapse bool
	Output    figure.Output
	Progress  io.Writer // a line per snapshot of a time-lapse (nil: none)
	// Device runs a run's compiled forward program for the decision map
	// (ProgramMap: "cpu", "cuda", "auto"); "" samples the float64 Net. A
	// network with step layers is always sampled as the Net (true steps).
	Device string

	pmap *Map // the map RenderRun sampled through the program
}

// RegionJSON is one linear region as --json lists it.
type RegionJSON struct {
	Vertices [][2]float64 `json:"vertices"`
	Pattern  string       `json:"pattern"`
	Affine   Affine       `json:"affine"`
	Area     float64      `json:"area"`
}

// CountAt is the number of linear regions at one step.
type CountAt struct {
	Step    int `json:"step"`
	Regions int `json:"regions"`
}

// Result is what RenderRun and RenderNet made.
type Result struct {
	Model           string       `json:"model"`
	Step            int          `json:"step"`
	Widths          string       `json:"widths"`
	Acts            []string     `json:"activations"`
	Weights         int          `json:"weights"`
	Biases          int          `json:"biases"`
	Box             [4]float64   `json:"box"`
	PiecewiseLinear bool         `json:"piecewise_linear"`
	Count           *int         `json:"regions_count"` // nil when not piecewise linear
	Regions         []RegionJSON `json:"regions,omitempty"`
	// ClassAreas are the exact areas of the decision regions by class
	// (piecewise-linear networks), else the sampled fractions of the box.
	ClassAreas []float64 `json:"class_areas"`
	Accuracy   *float64  `json:"accuracy,omitempty"` // on the points drawn, when given
	Curve      []CountAt `json:"curve,omitempty"`
	Files      []string  `json:"files"`
	// Net is the network drawn, in the form --net reads back.
	Net *Net `json:"net"`
}

// RenderRun draws the regions of a run directory (the weights of
// o.Step) or of a checkpoint or snapshot file; figures go to o.Output.Dir
// or RUN_DIR/figures.
func RenderRun(path string, o RenderOptions) (*Result, error) {
	run, w, err := introspect.OpenWeights(path, o.Step)
	if err != nil {
		return nil, err
	}
	n, err := NetOf(w)
	if err != nil {
		return nil, err
	}
	if o.Output.Dir == "" {
		o.Output.Dir = filepath.Join(w.RunDir(), "figures")
	}
	if o.Device != "" && !n.hasStep() {
		m, err := w.Model(ProgramBatch)
		if err != nil {
			return nil, err
		}
		box := defaultBox(o)
		if o.pmap, err = ProgramMap(m, func(name string) ([]float32, bool) { t, ok := w.Tensors[name]; return t.Data, ok },
			Grid{Box: box, NX: resOf(o), NY: resOf(o)}, o.Device); err != nil {
			return nil, err
		}
		o.Box = &box
	}
	name := filepath.Base(w.RunDir())
	res, err := RenderNet(n, name, w.Step, o)
	if err != nil {
		return nil, err
	}
	res.Model = w.Config.Model
	if run == nil || o.Step >= 0 || !o.TimeLapse {
		return res, nil
	}
	steps, err := run.Steps()
	if err != nil || len(steps) < 2 {
		return res, nil
	}
	box := Box{res.Box[0], res.Box[1], res.Box[2], res.Box[3]}
	// A run of a model built by its caller made before such runs got a
	// snapshot of step 0 has none; its initial weights are in the run
	// directory (train.BuildModel restores them), and the time-lapse starts
	// from them.
	var initial *Net
	if steps[0].Step > 0 && run.Config.ModelFile != "" {
		if m, err := run.Model(1); err == nil {
			if vals, err := models.ParamValues(m); err == nil {
				by := map[string][]float32{}
				for i, p := range m.Params {
					by[p.Name()] = vals[i]
				}
				if initial, err = NetFromModel(m, func(n string) ([]float32, bool) { v, ok := by[n]; return v, ok }); err == nil {
					steps = append([]runs.StepRef{{Step: 0}}, steps...)
				}
			}
		}
	}
	var frames []*figure.Figure
	for _, s := range steps {
		ns := initial
		if s.Path != "" {
			ws, err := runs.ReadWeights(s.Path)
			if err != nil {
				return nil, &introspect.SourceError{Err: err}
			}
			if ns, err = NetOf(ws); err != nil {
				return nil, err
			}
		}
		title := fmt.Sprintf("%s step %d", name, s.Step)
		if ns.PiecewiseLinear() {
			rs, err := Regions(ns, box)
			if err != nil {
				return nil, err
			}
			res.Curve = append(res.Curve, CountAt{s.Step, len(rs)})
			title += fmt.Sprintf(": %d linear regions", len(rs))
		}
		f, _, err := DrawRegions(ns, FigureOptions{Title: title, Box: box, Res: 128, Points: o.Points, Labels: o.Labels, Lines: true, Size: 200})
		if err != nil {
			return nil, err
		}
		frames = append(frames, f)
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "regions: step %d\n", s.Step)
		}
	}
	var gif bytes.Buffer
	if err := figure.WriteGIF(&gif, frames, 60, 96); err != nil {
		return nil, err
	}
	p, err := figure.WriteSide(o.Output.Dir, "regions-"+name+"-frames.gif", gif.Bytes(), o.Output.Force)
	if err != nil {
		return nil, err
	}
	res.Files = append(res.Files, p)
	if len(res.Curve) > 1 {
		st := make([]int, len(res.Curve))
		ct := make([]int, len(res.Curve))
		for i, c := range res.Curve {
			st[i], ct[i] = c.Step, c.Regions
		}
		f, err := CountPlot(st, ct)
		if err != nil {
			return nil, err
		}
		f.SetMeta(map[string]string{"model": w.Config.Model, "run": name})
		files, err := figure.WriteFiles(o.Output.Dir, "regions-"+name+"-count", f, o.Output)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, files...)
	}
	return res, nil
}

// RenderNet draws a network's regions and lists them (see Result); name
// titles the figure and its files (regions-NAME-stepNNNNNN), step says
// which step it shows (< 0: none).
func RenderNet(n *Net, model string, step int, o RenderOptions) (*Result, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	box := defaultBox(o)
	res := &Result{Model: model, Step: step, Widths: n.Widths(), Net: n, Box: [4]float64{box.X0, box.Y0, box.X1, box.Y1}, PiecewiseLinear: n.PiecewiseLinear()}
	for _, l := range n.Layers {
		res.Acts = append(res.Acts, l.Act.String())
	}
	res.Weights, res.Biases = n.Weights()
	title := fmt.Sprintf("%s: %s %s", model, n.Widths(), n.Layers[0].Act)
	if step >= 0 {
		title += fmt.Sprintf(" at step %d", step)
	}
	f, d, err := DrawRegions(n, FigureOptions{Title: o.Output.TitleFor(title), Box: box, Res: o.Res, Points: o.Points, Labels: o.Labels, Lines: true, Exact: true, Units: o.Units, Map: o.pmap})
	if err != nil {
		return nil, err
	}
	classes := d.Map.Classes
	res.ClassAreas = make([]float64, classes)
	if d.Regions != nil {
		c := len(d.Regions)
		res.Count = &c
		for _, r := range d.Regions {
			rj := RegionJSON{Pattern: r.Pattern.String(), Affine: r.Out, Area: r.Poly.Area()}
			for _, v := range r.Poly {
				rj.Vertices = append(rj.Vertices, [2]float64{v.X, v.Y})
			}
			res.Regions = append(res.Regions, rj)
		}
		crs, err := DecisionRegions(n, box)
		if err != nil {
			return nil, err
		}
		for _, cr := range crs {
			if cr.Class < classes {
				res.ClassAreas[cr.Class] += cr.Poly.Area()
			}
		}
	} else {
		for _, c := range d.Map.Class {
			res.ClassAreas[c] += box.Area() / float64(len(d.Map.Class))
		}
	}
	if len(o.Points) > 0 {
		right := 0
		for i, p := range o.Points {
			_, out := n.Forward(p)
			if i < len(o.Labels) && Class(out) == o.Labels[i] {
				right++
			}
		}
		a := float64(right) / float64(len(o.Points))
		res.Accuracy = &a
	}
	meta := map[string]string{"model": model, "widths": n.Widths()}
	if step >= 0 {
		meta["step"] = strconv.Itoa(step)
	}
	f.SetMeta(meta)
	stem := "regions-" + model
	if step >= 0 {
		stem += "-" + figure.StepTag(step)
	}
	if o.Output.Dir == "" {
		o.Output.Dir = "figures"
	}
	files, err := figure.WriteFiles(o.Output.Dir, stem, f, o.Output)
	if err != nil {
		return nil, err
	}
	res.Files = append(res.Files, files...)
	return res, nil
}

func resOf(o RenderOptions) int {
	if o.Res == 0 {
		return 256
	}
	return o.Res
}

// defaultBox is o.Box, or the points' extent widened by a fifth (at least
// [−2, 2]² when there are none), made square.
func defaultBox(o RenderOptions) Box {
	if o.Box != nil {
		return *o.Box
	}
	if len(o.Points) == 0 {
		return Box{-2, -2, 2, 2}
	}
	b := Box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range o.Points {
		b.X0, b.X1 = math.Min(b.X0, p.X), math.Max(b.X1, p.X)
		b.Y0, b.Y1 = math.Min(b.Y0, p.Y), math.Max(b.Y1, p.Y)
	}
	return squareAround(b, 0.2)
}

// squareAround is the square box centred on b, its side b's larger side
// widened by frac on each side (at least 1), centre and half side rounded
// to multiples of 0.05 (outwards) so the window reads well.
func squareAround(b Box, frac float64) Box {
	r := func(v float64) float64 { return math.Round(v*20) / 20 }
	cx, cy := r((b.X0+b.X1)/2), r((b.Y0+b.Y1)/2)
	h := math.Max(math.Max(b.X1-cx, cx-b.X0), math.Max(b.Y1-cy, cy-b.Y0)) * (1 + 2*frac)
	h = math.Ceil(math.Max(h, 0.5)*20) / 20
	return Box{cx - h, cy - h, cx + h, cy + h}
}

// ShapesBox is the window around constructed polygons.
func (c *Constructed) ShapesBox() Box {
	b := Box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range c.Polygons {
		for _, v := range p {
			b.X0, b.X1 = math.Min(b.X0, v.X), math.Max(b.X1, v.X)
			b.Y0, b.Y1 = math.Min(b.Y0, v.Y), math.Max(b.Y1, v.Y)
		}
	}
	return squareAround(b, 0.15)
}

// ReadShapes reads a shapes file (see Shapes) and builds its network; every
// error is an *InputError naming the file.
func ReadShapes(path string) (*Constructed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &InputError{path, errors.New("no such file")}
		}
		return nil, &InputError{path, err}
	}
	s, err := ParseShapes(b)
	if err != nil {
		return nil, &InputError{path, err}
	}
	c, err := Construct(s)
	if err != nil {
		return nil, &InputError{path, err}
	}
	return c, nil
}

// ParseNet reads a Net from JSON: {"layers": [{"weight": [[…], …], "bias":
// […], "act": "relu"}, …]}, the first layer's weights [units][2], rejecting
// unknown fields, and validates it.
func ParseNet(b []byte) (*Net, error) {
	var n Net
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&n); err != nil {
		return nil, fmt.Errorf("geometry: reading a network: %w", err)
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return &n, nil
}

// ReadNet reads a network file (see ParseNet); every error is an
// *InputError naming the file.
func ReadNet(path string) (*Net, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &InputError{path, errors.New("no such file")}
		}
		return nil, &InputError{path, err}
	}
	n, err := ParseNet(b)
	if err != nil {
		return nil, &InputError{path, err}
	}
	return n, nil
}
