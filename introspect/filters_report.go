package introspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Figure formats.
var Formats = []string{"png", "svg", "pdf"}

// FiltersOptions are the settings of RenderFilters (the flags of `gabor
// filters`).
type FiltersOptions struct {
	Layer    string   // "" : the first layer with filters
	Step     int      // < 0: the latest
	Out      string   // output folder ("" : <run dir or checkpoint's folder>/figures)
	Channels string   // ChannelsMean or ChannelsEach
	Norm     string   // NormFilter or NormGlobal
	Cmap     string   // CmapDiverging or CmapGray
	Scale    int      // upscaling (0: so that a panel is about 64 pixels)
	Pad      int      // pixels between panels
	Colorbar bool     //
	Labels   bool     //
	Formats  []string // of Formats
	Fit      bool     // fit Gabors, write the fit report and the score
	R2       float64  // threshold of the Gabor score (adjusted R²)
	Seed     uint64   // seeds the fits' random starts
	// TimeLapse draws the filmstrip and GIF (and, with Fit, the score curve)
	// when a run directory holds two or more steps.
	TimeLapse bool
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
	Scale      int               `json:"scale"`
	Pad        int               `json:"pad"`
	Threshold  *float64          `json:"r2_threshold,omitempty"`
	GaborScore *float64          `json:"gabor_score"`
	Fits       []FilterFit       `json:"fits,omitempty"`
	Files      []string          `json:"files"`
}

// SourceError is a problem with the input of a figure: a run directory or
// file that is missing, unreadable, or lacks the step asked for.
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// OpenWeights opens a run directory (run is then non-nil) or a checkpoint or
// snapshot file, and reads the weights of a step (< 0: the latest). Every
// error is a *SourceError.
func OpenWeights(path string, step int) (run *Run, w *Weights, err error) {
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
		if run, err = OpenRun(path); err != nil {
			return nil, nil, err
		}
		w, err = run.At(step)
		return run, w, err
	}
	if w, err = ReadWeights(path); err != nil {
		return nil, nil, err
	}
	if step >= 0 && step != w.Step {
		return nil, nil, fmt.Errorf("introspect: %s holds step %d, not %d (give the run directory to choose among its snapshots)", path, w.Step, step)
	}
	return nil, w, nil
}

// RenderFilters draws a layer's filters from a run directory or a checkpoint
// or snapshot file, in the requested formats, with the Gabor fit report and
// score when asked, and for a run directory with several steps the time-lapse
// and the score over training.
func RenderFilters(path string, o FiltersOptions) (*FiltersResult, error) {
	cmap, err := ColormapByName(o.Cmap)
	if err != nil {
		return nil, err
	}
	for _, f := range o.Formats {
		if !slices.Contains(Formats, f) {
			return nil, fmt.Errorf("introspect: unknown format %q (known: %s)", f, strings.Join(Formats, ", "))
		}
	}
	if o.Norm != NormFilter && o.Norm != NormGlobal {
		return nil, fmt.Errorf("introspect: unknown normalization %q (known: %s, %s)", o.Norm, NormFilter, NormGlobal)
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
	out := o.Out
	if out == "" {
		out = filepath.Join(base, "figures")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	if o.Scale <= 0 {
		o.Scale = max(1, 64/max(set.W, set.H))
	}
	gopt := GridOptions{Cols: set.Cols, Pad: o.Pad, Scale: o.Scale, Cmap: cmap, Norm: o.Norm, Signed: true,
		Labels: o.Labels, Colorbar: o.Colorbar}
	res := &FiltersResult{Layer: set.Layer, Step: w.Step, NFilters: set.Filters}
	res.NonFinite = addNonFinite(nil, set, w.Step)
	meta := Provenance(w, set.Layer, o.Norm)
	meta["cmap"], meta["channels"] = cmap.Name(), set.Mode
	stem := fmt.Sprintf("%s-step%06d", set.Layer, w.Step)

	fig, err := Grid(set.Panels, gopt)
	if err != nil {
		return nil, err
	}
	fig.Meta = meta
	files, err := writeFigure(out, "filters-"+stem, fig, o.Formats)
	if err != nil {
		return nil, err
	}
	res.Files = append(res.Files, files...)

	sc := sidecar{Provenance: meta, Layer: set.Layer, Kind: set.Kind, Filters: set.Filters, Channels: set.Channels,
		Size: [2]int{set.H, set.W}, Cmap: cmap.Name(), Scale: o.Scale, Pad: o.Pad, Files: files}
	if set.Kind == KindConv {
		sc.Mode = set.Mode
	}
	if o.Fit {
		fits := FitFilters(set, FitOptions{Seed: o.Seed})
		score := GaborScore(fits, o.R2)
		res.GaborScore, sc.GaborScore, sc.Threshold, sc.Fits = &score, &score, &o.R2, fits
		var csvb bytes.Buffer
		if err := WriteFitCSV(&csvb, fits); err != nil {
			return nil, err
		}
		p := filepath.Join(out, "gaborfit-"+stem+".csv")
		if err := writeFile(p, csvb.Bytes()); err != nil {
			return nil, err
		}
		res.Files = append(res.Files, p)
		ff, err := FitFigure(set, fits, gopt)
		if err != nil {
			return nil, err
		}
		ff.Meta = meta
		files, err := writeFigure(out, "gaborfit-"+stem, ff, o.Formats)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, files...)
	}
	js, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return nil, err
	}
	p := filepath.Join(out, "filters-"+stem+".json")
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

// timeLapse draws the filmstrip and GIF of a layer over the run's steps and,
// with o.Fit, the Gabor score at each step (CSV and plot).
// Non-finite filters found on the way are added to *nonFinite.
func timeLapse(run *Run, cur *FilterSet, out string, gopt GridOptions, o FiltersOptions, nonFinite *[]NonFiniteFilter) ([]string, []ScorePoint, error) {
	steps, err := run.Steps()
	if err != nil || len(steps) < 2 {
		return nil, nil, err
	}
	var frames []Frame
	var curve []ScorePoint
	for _, s := range steps {
		w, err := ReadWeights(s.Path)
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
			fits := FitFilters(set, FitOptions{Seed: o.Seed})
			curve = append(curve, ScorePoint{Step: w.Step, Epoch: w.Epoch, Score: GaborScore(fits, o.R2), MeanR2: MeanR2Adj(fits), Filters: set.Filters})
		}
	}
	var files []string
	lo := gopt
	lo.Labels, lo.Colorbar = false, false
	if cur.Mode == ChannelsEach {
		lo.Cols = 0
	}
	strip, err := Filmstrip(frames, lo)
	if err != nil {
		return nil, nil, err
	}
	strip.Meta = Provenance(&Weights{Config: run.Config, Step: frames[len(frames)-1].Step, Path: run.Dir}, cur.Layer, o.Norm)
	f, err := writeFigure(out, "timelapse-"+cur.Layer, strip, []string{"png"})
	if err != nil {
		return nil, nil, err
	}
	files = append(files, f...)
	var gb bytes.Buffer
	if err := WriteGIF(&gb, frames, lo, 60); err != nil {
		return nil, nil, err
	}
	p := filepath.Join(out, "timelapse-"+cur.Layer+".gif")
	if err := writeFile(p, gb.Bytes()); err != nil {
		return nil, nil, err
	}
	files = append(files, p)
	if len(curve) > 0 {
		var cb bytes.Buffer
		cb.WriteString("step,epoch,gabor_score,mean_r2_adj,n_filters\n")
		for _, c := range curve {
			fmt.Fprintf(&cb, "%d,%d,%s,%s,%d\n", c.Step, c.Epoch, strconv.FormatFloat(c.Score, 'g', 6, 64), strconv.FormatFloat(c.MeanR2, 'g', 6, 64), c.Filters)
		}
		p := filepath.Join(out, "gabor-score-"+cur.Layer+".csv")
		if err := writeFile(p, cb.Bytes()); err != nil {
			return nil, nil, err
		}
		files = append(files, p)
		for _, format := range []string{"png", "svg"} {
			var pb bytes.Buffer
			if err := WriteScorePlot(&pb, curve, cur.Layer, o.R2, format); err != nil {
				return nil, nil, err
			}
			p := filepath.Join(out, "gabor-score-"+cur.Layer+"."+format)
			if err := writeFile(p, pb.Bytes()); err != nil {
				return nil, nil, err
			}
			files = append(files, p)
		}
	}
	return files, curve, nil
}

// writeFigure writes fig as stem.<format> for each format.
func writeFigure(dir, stem string, fig *Figure, formats []string) ([]string, error) {
	var files []string
	for _, f := range formats {
		var b bytes.Buffer
		var err error
		switch f {
		case "png":
			err = WritePNG(&b, fig)
		case "svg":
			err = WriteSVG(&b, fig)
		case "pdf":
			err = WritePDF(&b, fig)
		}
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, stem+"."+f)
		if err := writeFile(p, b.Bytes()); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	return files, nil
}

func writeFile(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("introspect: %w", err)
	}
	return nil
}
