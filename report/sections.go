package report

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
)

// section is one part of the report and how a run's column of it is made.
type section struct {
	ID, Title string
	make      func(run *Run, scratch string, o Options) *Section
}

// sections in the order the report shows them. The figures of other verbs
// that a run may hold (Extras) follow them.
var sections = []section{
	{"curves", "Training curves", curvesSection},
	{"confusion", "Confusion matrix", confusionSection},
	{"filters", "First-layer filters and their Gabor score", filtersSection},
	{"activations", "A test image through every layer", activationsSection},
	{"embed", "Embeddings", embedSection},
	{"deconv", "Deconvnet projections", deconvSection},
}

func sectionList() []SectionInfo {
	var out []SectionInfo
	for _, s := range sections {
		out = append(out, SectionInfo{s.ID, s.Title})
	}
	return out
}

// missing is a section that could not be made, with the error that said why.
func missing(err error, mk string) *Section {
	return &Section{Missing: err.Error(), Make: mk}
}

// render draws a figure in the report's format as an inline image.
func render(fig *figure.Figure, caption string, o Options) (Image, error) {
	f := o.Output.Formats[0]
	b, err := figure.Render(fig, f, figure.Options{DPI: o.Output.DPI, Width: o.Output.Width, Created: o.Output.Created})
	if err != nil {
		return Image{}, fmt.Errorf("report: %s: %w", caption, err)
	}
	return Image{Caption: caption, Mime: mimeOf("x." + f), Data: b}, nil
}

// out is the figure.Output of a section rendering into its scratch folder.
func out(o Options, dir string) figure.Output {
	fo := o.Output
	fo.Dir, fo.Force = dir, true
	return fo
}

func curvesSection(run *Run, _ string, o Options) *Section {
	rc, err := introspect.ReadCurves(run.Dir)
	if err != nil {
		return missing(err, "gabor train --resume "+run.Dir)
	}
	c := rc.Config
	fig, err := introspect.CurvesFigure([]*introspect.RunCurves{rc}, introspect.CurvesOptions{X: "step",
		Title: o.Output.TitleFor(fmt.Sprintf("%s on %s, seed %d: training curves", c.Model, c.Dataset, c.Seed))})
	if err != nil {
		return missing(err, "")
	}
	im, err := render(fig, "loss, test loss, test accuracy and learning rate by step", o)
	if err != nil {
		return missing(err, "")
	}
	sec := &Section{Images: []Image{im}}
	last := rc.Epochs[len(rc.Epochs)-1]
	note := fmt.Sprintf("%d epochs, %d steps", len(rc.Epochs), last.Step)
	if last.TestAcc != nil {
		note += fmt.Sprintf(", test accuracy %.4f", *last.TestAcc)
	}
	sec.Notes = append(sec.Notes, note)
	return sec
}

// overlayCurves draws every run's curves in one figure (seeds grouped, as
// gabor curves does).
func overlayCurves(runs []*Run, o Options) *Image {
	var rcs []*introspect.RunCurves
	for _, r := range runs {
		if rc, err := introspect.ReadCurves(r.Dir); err == nil {
			rcs = append(rcs, rc)
		}
	}
	if len(rcs) < 2 {
		return nil
	}
	fig, err := introspect.CurvesFigure(rcs, introspect.CurvesOptions{X: "step", Title: o.Output.TitleFor("training curves, all runs")})
	if err != nil {
		return nil
	}
	im, err := render(fig, "all runs overlaid", o)
	if err != nil {
		return nil
	}
	return &im
}

func confusionSection(run *Run, _ string, o Options) *Section {
	ck := filepath.Join(run.Dir, train.CheckpointFile)
	mk := "gabor eval " + ck + " --confusion"
	c, err := introspect.ComputeConfusion(ck, nil, o.Device)
	if err != nil {
		return missing(err, mk)
	}
	fig, err := introspect.ConfusionFigure(c, o.Output.TitleFor(fmt.Sprintf("%s on %s test (%d images): accuracy %.4f", run.Config.Model, run.Config.Dataset, c.N, c.Accuracy)))
	if err != nil {
		return missing(err, mk)
	}
	im, err := render(fig, "counts, row-normalized matrix, per-class precision and recall", o)
	if err != nil {
		return missing(err, mk)
	}
	return &Section{Images: []Image{im}}
}

func filtersSection(run *Run, scratch string, o Options) *Section {
	dir := filepath.Join(scratch, "filters")
	mk := "gabor filters " + run.Dir
	// Fitting is the costly part (about 0.1 s per small filter, far more per
	// 28×28 unit of an MLP): the report fits convolution filters only, up to
	// maxFit of them; gabor filters fits any layer.
	fit, why := true, ""
	if _, w, err := introspect.OpenWeights(run.Dir, -1); err == nil {
		if set, err := introspect.Filters(w, "", introspect.ChannelsMean); err == nil && (set.Kind != introspect.KindConv || len(set.Panels) > maxFit) {
			fit = false
			why = fmt.Sprintf("no Gabor fit in the report for %d %s filters of %d×%d (gabor filters %s fits them)", len(set.Panels), set.Kind, set.H, set.W, run.Dir)
		}
	}
	res, err := introspect.RenderFilters(run.Dir, introspect.FiltersOptions{Step: -1, Channels: introspect.ChannelsMean,
		Norm: figure.NormFilter, Cmap: figure.CmapDiverging, Fit: fit, R2: introspect.DefaultR2Threshold, Seed: 1,
		TimeLapse: true, Output: out(o, dir)})
	if err != nil {
		return missing(err, mk)
	}
	// The grid, the fit, the score over training, the filmstrip and the GIF,
	// in that order.
	var files []string
	for _, prefix := range []string{"filters-", "gaborfit-", "gabor-score-", "timelapse-"} {
		for _, f := range res.Files {
			if strings.HasPrefix(filepath.Base(f), prefix) && mimeOf(f) != "" {
				files = append(files, f)
			}
		}
	}
	ims, err := readImages(files, func(f string) string {
		switch b := filepath.Base(f); {
		case strings.HasPrefix(b, "filters-"):
			return fmt.Sprintf("%s at step %d", res.Layer, res.Step)
		case strings.HasPrefix(b, "gaborfit-"):
			return "filter | Gabor fit | residual"
		case strings.HasPrefix(b, "gabor-score-"):
			return "Gabor score over training"
		case strings.HasSuffix(b, ".gif"):
			return "time-lapse (animated)"
		}
		return "filmstrip over training"
	})
	if err != nil {
		return missing(err, mk)
	}
	sec := &Section{Images: ims}
	if why != "" {
		sec.Notes = append(sec.Notes, why)
	}
	if res.GaborScore != nil {
		sec.Notes = append(sec.Notes, fmt.Sprintf("%d filters of %s, Gabor score %.2f (adjusted R² ≥ %.2g)", res.NFilters, res.Layer, *res.GaborScore, introspect.DefaultR2Threshold))
	}
	if len(res.Curve) < 2 && !hasTimeLapse(res.Files) {
		sec.Notes = append(sec.Notes, "no time-lapse: the run holds fewer than two snapshots (gabor train --snapshot)")
	}
	for _, c := range res.Curve {
		sec.Notes = append(sec.Notes, fmt.Sprintf("step %d (epoch %d): score %.2f, mean adjusted R² %.3f", c.Step, c.Epoch, c.Score, c.MeanR2))
	}
	for _, nf := range res.NonFinite {
		sec.Notes = append(sec.Notes, nf.String())
	}
	return sec
}

func hasTimeLapse(files []string) bool {
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "timelapse-") {
			return true
		}
	}
	return false
}

// maxFit is the most filters the report fits Gabor functions to.
const maxFit = 64

func activationsSection(run *Run, scratch string, o Options) *Section {
	dir := filepath.Join(scratch, "activations")
	mk := fmt.Sprintf("gabor activations %s --index %d", run.Dir, o.Index)
	res, err := introspect.RenderActivations(run.Dir, introspect.ActivationsOptions{Index: o.Index, Output: out(o, dir), Device: o.Device})
	if err != nil {
		return missing(err, mk)
	}
	ims, err := readImages(res.Files, func(string) string {
		return fmt.Sprintf("test image %d, label %q, predicted %q", res.Index, res.LabelName, res.PredictedName)
	})
	if err != nil {
		return missing(err, mk)
	}
	return &Section{Images: ims}
}

func embedSection(run *Run, scratch string, o Options) *Section {
	dir := filepath.Join(scratch, "embed")
	mk := "gabor embed " + run.Dir
	res, err := introspect.RenderEmbeddings(run.Dir, introspect.EmbedOptions{N: o.EmbedN, Seed: 1, MaxFrames: -1, Output: out(o, dir), Device: o.Device})
	if err != nil {
		return missing(err, mk)
	}
	var files []string
	for _, f := range res.Files {
		if strings.HasPrefix(filepath.Base(f), "embed-overview") {
			files = append(files, f)
		}
	}
	ims, err := readImages(files, func(string) string {
		return fmt.Sprintf("%d test images on their first two principal axes, every layer", res.N)
	})
	if err != nil {
		return missing(err, mk)
	}
	return &Section{Images: ims}
}

func deconvSection(run *Run, _ string, o Options) *Section {
	mk := "gabor deconv " + run.Dir
	r, err := runs.OpenRun(run.Dir)
	if err != nil {
		return missing(err, mk)
	}
	res, err := introspect.Deconv(r, introspect.DeconvOptions{Step: -1, Device: o.Device})
	if err != nil {
		return missing(err, mk)
	}
	fig, err := introspect.DeconvFigure(res, introspect.DeconvFigureOptions{
		Title: o.Output.TitleFor(fmt.Sprintf("%s %s, %s rule, step %d: each map's strongest test images", res.Model, res.Layer, res.Rule, res.Step))})
	if err != nil {
		return missing(err, mk)
	}
	im, err := render(fig, fmt.Sprintf("%d maps of %s projected to the pixels", len(res.Maps), res.Layer), o)
	if err != nil {
		return missing(err, mk)
	}
	return &Section{Images: []Image{im}}
}

// An Extra is a figure another verb writes into a run's figures/ folder
// that the report inlines when the run has it, and names as missing (with
// the command that makes it) when not. Add a verb's figures here: ID and
// Title name the section, Globs (relative to the run directory) find its
// files (every match, by name, at most maxExtra), Make is the command
// that makes them.
type Extra struct {
	ID, Title string
	Globs     []string
	Make      string // with RUN for the run directory
}

// maxExtra is the most files of one Extra the report inlines.
const maxExtra = 6

// Extras are the figures of the regions, landscape, ablation and race
// verbs.
var Extras = []Extra{
	{"regions", "Decision regions", []string{"figures/regions-*.png", "figures/regions-*.gif"}, "gabor regions RUN"},
	{"landscape", "Loss landscape", []string{"figures/landscape-*.png"}, "gabor landscape RUN"},
	{"ablation", "Ablation", []string{"figures/ablate-*.png"}, "gabor ablate RUN"},
	// The race runs optimizers on a surface, not on a run: it joins a run's
	// report when written into the run's figures/.
	{"race", "Optimizer race", []string{"figures/race-*.png", "figures/race-*.gif"}, "gabor race --out RUN/figures"},
}

func init() {
	for _, e := range Extras {
		sections = append(sections, section{e.ID, e.Title, e.section})
	}
}

func (e Extra) section(run *Run, _ string, _ Options) *Section {
	mk := strings.ReplaceAll(e.Make, "RUN", run.Dir)
	files := globAll(run.Dir, e.Globs, maxExtra)
	if len(files) == 0 {
		return &Section{Missing: "this run has no " + strings.ToLower(e.Title) + " figure yet", Make: mk}
	}
	ims, err := readImages(files, func(f string) string { return filepath.Base(f) })
	if err != nil {
		return missing(err, mk)
	}
	return &Section{Images: ims}
}
