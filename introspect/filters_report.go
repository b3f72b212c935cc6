package introspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/runs"
)

// FiltersOptions are the settings of RenderFilters (the flags of `gabor
// filters`).
type FiltersOptions struct {
	Layer    string // "" : the first layer with filters
	Step     int    // < 0: the latest
	Channels string // ChannelsMean or ChannelsEach
	Norm     string // figure.NormFilter or figure.NormGlobal
	Cmap     string // figure.CmapDiverging or figure.CmapGray
	Colorbar bool
	Labels   bool
	Fit      bool    // fit Gabors, write the fit report and the score
	R2       float64 // threshold of the Gabor score (adjusted R²)
	Seed     uint64  // seeds the fits' random starts
	// TimeLapse draws the filmstrip and GIF (and, with Fit, the score curve)
	// when a run directory holds two or more steps.
	TimeLapse bool
	// Output is formats, DPI, width, title, folder ("" : <run dir or
	// checkpoint's folder>/figures) and overwrite policy.
	Output figure.Output
	// Progress, when set, gets a line per step fitted or drawn.
	Progress io.Writer
}

// FiltersResult is what RenderFilters made: the --json output.
type FiltersResult struct {
	Layer      string       `json:"layer"`
	Step       int          `json:"step"`
	NFilters   int          `json:"n_filters"`
	GaborScore *float64     `json:"gabor_score"` // null without a fit
	Files      []string     `json:"files"`
	Curve      []ScorePoint `json:"score_curve,omitempty"`
	// NonFinite lists the filters holding NaN or Inf, at the step drawn and
	// (with TimeLapse) every step of the run: drawn, but not fitted or scored.
	NonFinite []NonFiniteFilter `json:"non_finite,omitempty"`
}

// NonFiniteFilter is a filter holding NaN or ±Inf weights at a step.
type NonFiniteFilter struct {
	Layer  string `json:"layer"`
	Step   int    `json:"step"`
	Filter int    `json:"filter"`
}

func (n NonFiniteFilter) String() string {
	return fmt.Sprintf("%s filter %d at step %d holds NaN or Inf weights: drawn, not fitted", n.Layer, n.Filter, n.Step)
}

// addNonFinite appends the filters of set that hold a non-finite value at
// step, once per (step, filter).
func addNonFinite(list []NonFiniteFilter, set *FilterSet, step int) []NonFiniteFilter {
	per := 1 // panels per filter
	if set.Mode == ChannelsEach && set.Channels > 0 && len(set.Panels) == set.Filters*set.Channels {
		per = set.Channels
	}
	for i, p := range set.Panels {
		if finitePanel(p.V) {
			continue
		}
		nf := NonFiniteFilter{Layer: set.Layer, Step: step, Filter: i / per}
		if !slices.Contains(list, nf) {
			list = append(list, nf)
		}
	}
	return list
}

// sidecar is the JSON file written beside a filter grid.
type sidecar struct {
	Provenance map[string]string `json:"provenance"`
	Layer      string            `json:"layer"`
	Kind       string            `json:"kind"`
	Filters    int               `json:"n_filters"`
	Channels   int               `json:"in_channels"`
	Mode       string            `json:"channels,omitempty"`
	Size       [2]int            `json:"filter_size"` // [height, width]
	Cmap       string            `json:"cmap"`
	Threshold  *float64          `json:"r2_threshold,omitempty"`
	GaborScore *float64          `json:"gabor_score"`
	// NotGabor counts fits whose adjusted R² is negative: worse than a
	// constant, reported as not Gabor-like rather than averaged.
	NotGabor *int        `json:"not_gabor_like,omitempty"`
	AtBound  *int        `json:"fits_at_bound,omitempty"`
	Fits     []FilterFit `json:"fits,omitempty"`
	Files    []string    `json:"files"`
}

// SourceError is a problem with the input of a figure: a run directory or
// file that is missing, unreadable, or lacks the step asked for.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// OpenWeights opens a run directory (run is then non-nil) or a checkpoint or
// snapshot file, and reads the weights of a step (< 0: the latest). Every
// error is a *SourceError.
func OpenWeights(path string, step int) (run *runs.Run, w *runs.Weights, err error) {
	defer func() {
		if err != nil {
			err = &SourceError{err}
		}
	}()
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("introspect: run directory or checkpoint %s does not exist", path)
		}
		return nil, nil, fmt.Errorf("introspect: %w", err)
	}
	if st.IsDir() {
		if run, err = runs.OpenRun(path); err != nil {
			return nil, nil, err
		}
		w, err = run.At(step)
		return run, w, err
	}
	if w, err = runs.ReadWeights(path); err != nil {
		return nil, nil, err
	}
	if step >= 0 && step != w.Step {
		return nil, nil, fmt.Errorf("introspect: %s holds step %d, not %d (give the run directory to choose among its snapshots)", path, w.Step, step)
	}
	return nil, w, nil
}

// filterStem names a filter figure by what makes it differ: layer,
// channel mode, normalization and colormap when not the defaults, and the
// step ("filters-conv1-global-step000468").
func filterStem(kind string, set *FilterSet, o FiltersOptions, step int) string {
	parts := []string{kind, set.Layer}
	if set.Mode == ChannelsEach {
		parts = append(parts, "each")
	}
	if o.Norm == figure.NormGlobal {
		parts = append(parts, "global")
	}
	if o.Cmap != "" && o.Cmap != figure.CmapDiverging {
		parts = append(parts, o.Cmap)
	}
	if step >= 0 {
		parts = append(parts, figure.StepTag(step))
	}
	return strings.Join(parts, "-")
}

// progressf writes a progress line when o.Progress is set.
func (o FiltersOptions) progressf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// RenderFilters draws a layer's filters from a run directory or a checkpoint
// or snapshot file, in the requested formats, with the Gabor fit report and
// score when asked, and for a run directory with several steps the time-lapse
// and the score over training.
func RenderFilters(path string, o FiltersOptions) (*FiltersResult, error) {
	if o.Cmap == "" {
		o.Cmap = figure.CmapDiverging
	}
	cmap, err := figure.ColormapByName(o.Cmap)
	if err != nil {
		return nil, err
	}
	if len(o.Output.Formats) == 0 {
		o.Output.Formats = []string{"png"}
	}
	if err := figure.CheckFormats(o.Output.Formats); err != nil {
		return nil, err
	}
	if o.Norm == "" {
		o.Norm = figure.NormFilter
	}
	if o.Norm != figure.NormFilter && o.Norm != figure.NormGlobal {
		return nil, fmt.Errorf("introspect: unknown normalization %q (known: %s, %s)", o.Norm, figure.NormFilter, figure.NormGlobal)
	}
	run, w, err := OpenWeights(path, o.Step)
	if err != nil {
		return nil, err
	}
	base := filepath.Dir(path)
	if run != nil {
		base = path
	}
	set, err := Filters(w, o.Layer, o.Channels)
	if err != nil {
		return nil, err
	}
	out := o.Output.Dir
	if out == "" {
		out = filepath.Join(base, "figures")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	gopt := figure.GridOptions{Cols: set.Cols, Cmap: cmap, Norm: o.Norm, Signed: true,
		Labels: o.Labels, Colorbar: o.Colorbar, Width: o.Output.Width * 72, CbarLabel: "weight"}
	res := &FiltersResult{Layer: set.Layer, Step: w.Step, NFilters: set.Filters}
	res.NonFinite = addNonFinite(nil, set, w.Step)
	meta := Provenance(w, set.Layer, o.Norm)
	meta["cmap"], meta["channels"] = cmap.Name(), set.Mode
	fo := o.Output
	fo.Width = 0 // the grid reflows to the width itself
	stem, err := figure.FreeStem(out, filterStem("filters", set, o, w.Step), append(dotted(fo.Formats), ".json"), fo.Force)
	if err != nil {
		return nil, err
	}
	fo.Force = true // the stem is free for every file of this call

	gopt.Title = o.Output.TitleFor(fmt.Sprintf("%s %s filters, step %d (epoch %d)", w.Config.Model, set.Layer, w.Step, w.Epoch))
	fig, err := figure.Grid(set.Panels, gopt)
	if err != nil {
		return nil, err
	}
	fig.SetMeta(meta)
	fig.Meta["title"] = gopt.Title
	files, err := figure.WriteFiles(out, stem, fig, fo)
	if err != nil {
		return nil, err
	}
	res.Files = append(res.Files, files...)

	sc := sidecar{Provenance: meta, Layer: set.Layer, Kind: set.Kind, Filters: set.Filters, Channels: set.Channels,
		Size: [2]int{set.H, set.W}, Cmap: cmap.Name(), Files: files}
	if set.Kind == KindConv {
		sc.Mode = set.Mode
	}
	if o.Fit {
		o.progressf("fitting Gabor functions to %d filters of %s at step %d", len(set.Panels), set.Layer, w.Step)
		fits := FitFilters(set, FitOptions{Seed: o.Seed})
		score := GaborScore(fits, o.R2)
		notG, atB := countFits(fits)
		res.GaborScore, sc.GaborScore, sc.Threshold, sc.Fits = &score, &score, &o.R2, fits
		sc.NotGabor, sc.AtBound = &notG, &atB
		var csvb bytes.Buffer
		if err := WriteFitCSV(&csvb, fits, o.R2); err != nil {
			return nil, err
		}
		fitStem := filterStem("gaborfit", set, o, w.Step)
		fstem, err := figure.FreeStem(out, fitStem, append(dotted(fo.Formats), ".csv"), o.Output.Force)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(out, fstem+".csv")
		if err := writeFile(p, csvb.Bytes()); err != nil {
			return nil, err
		}
		res.Files = append(res.Files, p)
		fopt := gopt
		fopt.Title = o.Output.TitleFor(fmt.Sprintf("%s %s: filter | Gabor fit | residual, adjusted R² (score %.2f at R² ≥ %.2g)", w.Config.Model, set.Layer, score, o.R2))
		ff, err := FitFigure(set, fits, fopt)
		if err != nil {
			return nil, err
		}
		ff.SetMeta(meta)
		files, err := figure.WriteFiles(out, fstem, ff, fo)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, files...)
	}
	js, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return nil, err
	}
	p := filepath.Join(out, stem+".json")
	if err := writeFile(p, append(js, '\n')); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, p)

	if run != nil && o.TimeLapse {
		files, curve, err := timeLapse(run, set, out, gopt, o, &res.NonFinite)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, files...)
		res.Curve = curve
	}
	slices.SortFunc(res.NonFinite, func(a, b NonFiniteFilter) int {
		if a.Step != b.Step {
			return a.Step - b.Step
		}
		return a.Filter - b.Filter
	})
	return res, nil
}

func dotted(formats []string) []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = "." + f
	}
	return out
}

// timeLapse draws the filmstrip and GIF of a layer over the run's steps and,
// with o.Fit, the Gabor score at each step (CSV and figure).
// Non-finite filters found on the way are added to *nonFinite.
func timeLapse(run *runs.Run, cur *FilterSet, out string, gopt figure.GridOptions, o FiltersOptions, nonFinite *[]NonFiniteFilter) ([]string, []ScorePoint, error) {
	steps, err := run.Steps()
	if err != nil || len(steps) < 2 {
		return nil, nil, err
	}
	var frames []Frame
	var curve []ScorePoint
	for i, s := range steps {
		w, err := runs.ReadWeights(s.Path)
		if err != nil {
			return nil, nil, err
		}
		set, err := Filters(w, cur.Layer, cur.Mode)
		if err != nil {
			return nil, nil, fmt.Errorf("introspect: time-lapse at step %d: %w", s.Step, err)
		}
		*nonFinite = addNonFinite(*nonFinite, set, w.Step)
		frames = append(frames, Frame{Step: w.Step, Panels: set.Panels})
		if o.Fit {
			o.progressf("time-lapse %d/%d: fitting step %d", i+1, len(steps), w.Step)
			fits := FitFilters(set, FitOptions{Seed: o.Seed})
			notG, atB := countFits(fits)
			curve = append(curve, ScorePoint{Step: w.Step, Epoch: w.Epoch, Score: GaborScore(fits, o.R2), MeanR2: MeanR2Adj(fits),
				Filters: set.Filters, NotGabor: notG, AtBound: atB})
		}
	}
	var files []string
	lo := gopt
	lo.Labels, lo.Colorbar, lo.Title = false, false, ""
	if cur.Mode == ChannelsEach {
		lo.Cols = 0
	}
	strip, err := Filmstrip(frames, lo)
	if err != nil {
		return nil, nil, err
	}
	strip.SetMeta(Provenance(&runs.Weights{Config: run.Config, Step: frames[len(frames)-1].Step, Path: run.Dir}, cur.Layer, o.Norm))
	fo := o.Output
	fo.Width = 0
	f, err := figure.WriteFiles(out, filterStem("timelapse", cur, o, -1), strip, fo)
	if err != nil {
		return nil, nil, err
	}
	files = append(files, f...)
	var gb bytes.Buffer
	if err := WriteGIF(&gb, frames, lo, 60); err != nil {
		return nil, nil, err
	}
	p, err := figure.WriteSide(out, filterStem("timelapse", cur, o, -1)+".gif", gb.Bytes(), o.Output.Force)
	if err != nil {
		return nil, nil, err
	}
	files = append(files, p)
	if len(curve) > 0 {
		var cb bytes.Buffer
		cb.WriteString("step,epoch,gabor_score,mean_r2_adj,n_filters,not_gabor_like,at_bound\n")
		for _, c := range curve {
			fmt.Fprintf(&cb, "%d,%d,%s,%s,%d,%d,%d\n", c.Step, c.Epoch, strconv.FormatFloat(c.Score, 'g', 6, 64), strconv.FormatFloat(c.MeanR2, 'g', 6, 64), c.Filters, c.NotGabor, c.AtBound)
		}
		stem := "gabor-score-" + cur.Layer
		p, err := figure.WriteSide(out, stem+".csv", cb.Bytes(), o.Output.Force)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, p)
		fig, err := ScoreFigure(curve, cur.Layer, o.R2, o.Output.TitleFor(fmt.Sprintf("Gabor-likeness of %s over training", cur.Layer)))
		if err != nil {
			return nil, nil, err
		}
		fig.SetMeta(Provenance(&runs.Weights{Config: run.Config, Step: frames[len(frames)-1].Step, Path: run.Dir}, cur.Layer, o.Norm))
		f, err := figure.WriteFiles(out, stem, fig, o.Output)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, f...)
	}
	return files, curve, nil
}

func writeFile(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("introspect: %w", err)
	}
	return nil
}
