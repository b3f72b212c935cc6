package weightspace

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
)

// InputError is a problem with what was asked of the runs (a trajectory of
// a run without snapshots, a line between runs of different models, an
// unknown layer): the command's inputs, not a failure of the computation.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(format string, args ...any) error { return &InputError{fmt.Errorf(format, args...)} }

// Views of `gabor landscape`.
const (
	ViewLine   = "line"
	ViewRandom = "random"
	ViewPCA    = "pca"
)

// LandscapeOptions configure Landscape.
type LandscapeOptions struct {
	Run, To  string   // run directories; To "" draws the line from Run's initial weights
	Views    []string // of ViewLine, ViewRandom, ViewPCA
	AlphaLo  float64  // the line's α range and number of points
	AlphaHi  float64
	AlphaN   int
	Grid     int     // points per side of a plane
	Range    float64 // a random plane spans [−Range, Range]² (in units of the filter norms)
	Images   int     // evaluate on a seeded subset of this many test images (0: all)
	Seed     uint64  // of the subset and of the random directions
	Batch    int
	Device   string
	Output   figure.Output
	Progress Progress
	// Meta is provenance added to every figure.
	Meta map[string]string
}

// LandscapeResult is what Landscape computed and wrote.
type LandscapeResult struct {
	Run      string           `json:"run"`
	To       string           `json:"to,omitempty"`
	Model    string           `json:"model"`
	Images   int              `json:"images"`
	Device   string           `json:"device"`
	InitFrom string           `json:"init_from,omitempty"` // where the line's α = 0 came from
	Final    Score            `json:"final"`               // the final weights (every plane's origin)
	Line     []LinePoint      `json:"line,omitempty"`
	Surfaces []SurfaceSummary `json:"surfaces,omitempty"`
	Files    []string         `json:"files"`
	Evals    int              `json:"evaluations"`
}

// SurfaceSummary is a plane as JSON (the grid itself is in the CSV).
type SurfaceSummary struct {
	Kind    string       `json:"kind"`
	Grid    [2]int       `json:"grid"`
	XRange  [2]float64   `json:"x_range"`
	YRange  [2]float64   `json:"y_range"`
	MinLoss float64      `json:"min_loss"`
	MaxLoss float64      `json:"max_loss"` // largest finite loss
	Ratio   []float64    `json:"explained_variance_ratio,omitempty"`
	Path    [][2]float64 `json:"path,omitempty"`
	Steps   []int        `json:"steps,omitempty"`
}

// Landscape computes the asked views of a run and writes their figures
// (landscape-<view>-<run> in each format) and CSVs into o.Output.Dir
// (default RUN/figures).
func Landscape(ctx context.Context, o LandscapeOptions) (*LandscapeResult, error) {
	rw, err := OpenRunWeights(o.Run)
	if err != nil {
		return nil, &InputError{err}
	}
	var to *RunWeights
	if o.To != "" {
		if to, err = OpenRunWeights(o.To); err != nil {
			return nil, &InputError{err}
		}
		if why := SameParams(rw.Params, to.Params); why != "" {
			return nil, inputErr("weightspace: --to %s: its model %s does not match %s's model %s (%s)", o.To, to.Run.Config.Model, o.Run, rw.Run.Config.Model, why)
		}
	}
	var traj *Trajectory
	if slices.Contains(o.Views, ViewPCA) {
		if traj, err = ReadTrajectory(rw); err != nil {
			return nil, &InputError{err}
		}
	}
	ds, err := introspect.TestSet(rw.Run.Config)
	if err != nil {
		return nil, &InputError{err}
	}
	set := Subset(ds.Test, o.Images, o.Seed)
	e, err := NewEvaluator(func(b int) (*graph.Model, error) { return rw.Run.Model(b) }, set, rw.Run.Config.Normalization(), EvaluatorOptions{Batch: o.Batch, Device: o.Device})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	if err := e.SetState(stateOf(rw.Final)); err != nil {
		return nil, err
	}
	res := &LandscapeResult{Run: o.Run, To: o.To, Model: rw.Run.Config.Model, Images: set.N, Device: e.Backend}
	if res.Final, err = e.Eval(ctx, rw.FinalPoint); err != nil {
		return nil, err
	}
	total := 0
	for _, v := range o.Views {
		if v == ViewLine {
			total += o.AlphaN
		} else {
			total += o.Grid * o.Grid
		}
	}
	progress := func(done, _ int) {
		if o.Progress != nil {
			o.Progress(res.Evals+done, total)
		}
	}
	dir := o.Output.Dir
	if dir == "" {
		dir = filepath.Join(o.Run, "figures")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	runName := filepath.Base(filepath.Clean(o.Run))
	meta := map[string]string{"run": o.Run, "model": res.Model, "images": fmt.Sprint(set.N), "seed": fmt.Sprint(o.Seed), "device": e.Backend}
	for k, v := range o.Meta {
		meta[k] = v
	}
	what := fmt.Sprintf("%s, %d test images", res.Model, set.N)
	for _, v := range o.Views {
		var fig *figure.Figure
		var csv []byte
		stem := "landscape-" + v + "-" + runName
		switch v {
		case ViewLine:
			from, toP, fromName, toName := rw.InitPoint, rw.FinalPoint, "initial", "final"
			res.InitFrom = rw.InitFrom
			if to != nil {
				from, toP, fromName, toName = rw.FinalPoint, to.FinalPoint, runName, filepath.Base(filepath.Clean(o.To))
				stem += "-to-" + toName
				res.InitFrom = ""
			}
			alphas := Alphas(o.AlphaLo, o.AlphaHi, o.AlphaN)
			if res.Line, err = Line(ctx, e, from, toP, alphas, progress); err != nil {
				return nil, err
			}
			res.Evals += len(alphas)
			fig, err = LineFigure([]LineSeries{{Name: runName, Points: res.Line}}, o.Output.TitleFor(fmt.Sprintf("loss along (1−α)·%s + α·%s: %s", fromName, toName, what)), fromName, toName)
			csv = LineCSV(res.Line)
		case ViewRandom, ViewPCA:
			var s *Surface
			xs := Alphas(-o.Range, o.Range, o.Grid)
			ys := xs
			title := fmt.Sprintf("loss around the final weights on two filter-normalized random directions (seed %d): %s", o.Seed, what)
			xl, yl := "direction 1", "direction 2"
			if v == ViewPCA {
				if s, err = PCAPlane(traj, rw.Params); err != nil {
					return nil, err
				}
				xlo, xhi := PathExtent(s.Path, 0)
				ylo, yhi := PathExtent(s.Path, 1)
				xs, ys = Alphas(xlo, xhi, o.Grid), Alphas(ylo, yhi, o.Grid)
				title = fmt.Sprintf("loss on the PCA plane of the trajectory (%d snapshots): %s", len(traj.Steps), what)
				xl = fmt.Sprintf("PC 1 (%.1f %% of the variance)", 100*s.Ratio[0])
				yl = fmt.Sprintf("PC 2 (%.1f %%)", 100*s.Ratio[1])
			} else {
				s = RandomPlane(rw.FinalPoint, rw.Params, o.Seed)
			}
			if err := Plane(ctx, e, s, rw.FinalPoint, xs, ys, progress); err != nil {
				return nil, err
			}
			res.Evals += len(xs) * len(ys)
			res.Surfaces = append(res.Surfaces, summarize(s))
			fig, err = SurfaceFigure(s, o.Output.TitleFor(title), xl, yl)
			csv = SurfaceCSV(s)
		default:
			return nil, fmt.Errorf("weightspace: unknown view %q (views: line, random, pca)", v)
		}
		if err != nil {
			return nil, err
		}
		fig.SetMeta(meta)
		files, err := writeFigure(dir, stem, fig, csv, o.Output)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, files...)
	}
	return res, nil
}

// stateOf is a checkpoint's persistent non-parameter state by Program
// State name (introspect keeps it under train.StatePrefix).
func stateOf(w *runs.Weights) map[string][]float32 {
	out := map[string][]float32{}
	for name, t := range w.Tensors {
		if s, ok := strings.CutPrefix(name, train.StatePrefix); ok {
			out[s] = t.Data
		}
	}
	return out
}

func summarize(s *Surface) SurfaceSummary {
	sum := SurfaceSummary{Kind: s.Kind, Grid: [2]int{len(s.X), len(s.Y)},
		XRange: [2]float64{s.X[0], s.X[len(s.X)-1]}, YRange: [2]float64{s.Y[0], s.Y[len(s.Y)-1]},
		Ratio: s.Ratio, Path: s.Path, Steps: s.Steps, MinLoss: math.Inf(1), MaxLoss: math.Inf(-1)}
	for j := range s.Y {
		for _, l := range s.Loss[j] {
			if !math.IsInf(l, 0) {
				sum.MinLoss, sum.MaxLoss = math.Min(sum.MinLoss, l), math.Max(sum.MaxLoss, l)
			}
		}
	}
	if math.IsInf(sum.MinLoss, 0) { // every point diverged
		sum.MinLoss, sum.MaxLoss = -1, -1
	}
	return sum
}

// writeFigure writes fig in each format and csv beside it under one free
// stem (a stem in use is not overwritten unless o.Force).
func writeFigure(dir, stem string, fig *figure.Figure, csv []byte, o figure.Output) ([]string, error) {
	exts := []string{".csv"}
	for _, f := range o.Formats {
		exts = append(exts, "."+f)
	}
	stem, err := figure.FreeStem(dir, stem, exts, o.Force)
	if err != nil {
		return nil, err
	}
	o.Force = true
	files, err := figure.WriteFiles(dir, stem, fig, o)
	if err != nil {
		return nil, err
	}
	if csv != nil {
		p := filepath.Join(dir, stem+".csv")
		if err := os.WriteFile(p, csv, 0o644); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	return files, nil
}
