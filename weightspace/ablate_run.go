package weightspace

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/introspect"
)

// AblateRunOptions configure AblateRun.
type AblateRunOptions struct {
	Run     string
	Ablate  AblateOptions
	UnitMap string // a layer whose unit × class map to draw ("" : none)
	// Finetune trains each pruned point this many steps, the removed
	// weights held at zero (Finetuner); 0: none.
	Finetune int
	Images   int // a seeded subset of the test set (0: all of it)
	Batch    int
	Device   string
	Output   figure.Output
	Meta     map[string]string
}

// AblateResult is what AblateRun computed and wrote.
type AblateResult struct {
	Run    string   `json:"run"`
	Model  string   `json:"model"`
	Images int      `json:"images"`
	Device string   `json:"device"`
	Scope  string   `json:"scope"`
	Grain  string   `json:"granularity"`
	Layers []string `json:"layers"` // the layers whose weights were removed
	Total  int      `json:"total"`  // weights (or units) that can be removed
	Curves []Curve  `json:"curves"`
	// Finetune is the fine-tuning steps after each pruning (0: none).
	Finetune int      `json:"finetune_steps,omitempty"`
	UnitMap  *UnitMap `json:"unit_map,omitempty"`
	Files    []string `json:"files"`
}

// AblateRun ablates a run's final weights and writes ablate-<run>-<scope>-<grain>
// (and unitmap-<run>-<layer>) in each format with CSVs, in o.Output.Dir
// (default RUN/figures).
func AblateRun(ctx context.Context, o AblateRunOptions) (*AblateResult, error) {
	rw, err := OpenRunWeights(o.Run)
	if err != nil {
		return nil, &InputError{err}
	}
	pr, err := SelectPrunables(Prunables(rw.Params), o.Ablate.Layers, o.Ablate.Grain)
	if err != nil {
		return nil, err
	}
	if o.UnitMap != "" {
		if _, err := SelectPrunables(Prunables(rw.Params), []string{o.UnitMap}, GrainUnit); err != nil {
			return nil, err
		}
	}
	ds, err := introspect.TestSet(rw.Run.Config)
	if err != nil {
		return nil, &InputError{err}
	}
	set := Subset(ds.Test, o.Images, o.Ablate.Seed)
	e, err := NewEvaluator(func(b int) (*graph.Model, error) { return rw.Run.Model(b) }, set, rw.Run.Config.Normalization(), EvaluatorOptions{Batch: o.Batch, Device: o.Device})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	if err := e.SetState(stateOf(rw.Final)); err != nil {
		return nil, err
	}
	if o.Finetune > 0 {
		ft, err := NewFinetuner(rw, o.Finetune, o.Device)
		if err != nil {
			return nil, err
		}
		defer ft.Close()
		o.Ablate.Finetune = ft.Tune
	}
	res := &AblateResult{Finetune: o.Finetune, Run: o.Run, Model: rw.Run.Config.Model, Images: set.N, Device: e.Backend, Scope: o.Ablate.Scope, Grain: o.Ablate.Grain}
	for _, p := range pr {
		res.Layers = append(res.Layers, p.Layer)
		if o.Ablate.Grain == GrainUnit {
			res.Total += p.Units
		} else {
			res.Total += p.Units * p.UnitSize
		}
	}
	if res.Curves, err = Ablate(ctx, e, rw.FinalPoint, o.Ablate); err != nil {
		return nil, err
	}
	dir := o.Output.Dir
	if dir == "" {
		dir = filepath.Join(o.Run, "figures")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	runName := filepath.Base(filepath.Clean(o.Run))
	meta := map[string]string{"run": o.Run, "model": res.Model, "images": fmt.Sprint(set.N), "seed": fmt.Sprint(o.Ablate.Seed), "device": e.Backend}
	for k, v := range o.Meta {
		meta[k] = v
	}
	what := "weights"
	if o.Ablate.Grain == GrainUnit {
		what = "units"
	}
	title := fmt.Sprintf("%s without a growing fraction of its %s (%s ranking, %d test images)", res.Model, what, o.Ablate.Scope, set.N)
	if o.Finetune > 0 {
		title = fmt.Sprintf("%s without a growing fraction of its %s, fine-tuned %d steps (%s ranking, %d test images)", res.Model, what, o.Finetune, o.Ablate.Scope, set.N)
	}
	fig, err := AblateFigure(res.Curves, o.Output.TitleFor(title), what)
	if err != nil {
		return nil, err
	}
	fig.SetMeta(meta)
	stem := fmt.Sprintf("ablate-%s-%s-%s", runName, o.Ablate.Scope, o.Ablate.Grain)
	if o.Finetune > 0 {
		stem += fmt.Sprintf("-finetune%d", o.Finetune)
	}
	files, err := writeFigure(dir, stem, fig, AblateCSV(res.Curves), o.Output)
	if err != nil {
		return nil, err
	}
	res.Files = files
	if o.UnitMap != "" {
		if res.UnitMap, err = AblateUnits(ctx, e, rw.FinalPoint, o.UnitMap, ds.ClassNames, o.Ablate.Progress); err != nil {
			return nil, err
		}
		fig, err := UnitMapFigure(res.UnitMap, o.Output.TitleFor(fmt.Sprintf("%s: per-class accuracy lost without one unit of %s", res.Model, o.UnitMap)))
		if err != nil {
			return nil, err
		}
		fig.SetMeta(meta)
		files, err := writeFigure(dir, fmt.Sprintf("unitmap-%s-%s", runName, o.UnitMap), fig, UnitMapCSV(res.UnitMap), o.Output)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, files...)
	}
	return res, nil
}

// AblateFigure draws accuracy and loss against the fraction removed, one
// line per method, random methods with a band of ± one standard deviation.
func AblateFigure(curves []Curve, title, what string) (*figure.Figure, error) {
	xl := "fraction of " + what + " removed"
	accP := figure.NewPlot("", xl, "test accuracy")
	lossP := figure.NewPlot("", xl, "test loss (mean cross-entropy)")
	var as, ls []figure.Series
	for _, c := range curves {
		name := c.Method
		if c.Seeds > 1 {
			name = fmt.Sprintf("%s (mean ± sd of %d seeds)", c.Method, c.Seeds)
		}
		a := figure.Series{Name: name, X: c.Fractions, Y: c.Accuracy, Points: true}
		if c.Seeds > 1 {
			for i := range c.Accuracy {
				a.Lo, a.Hi = append(a.Lo, c.Accuracy[i]-c.AccStd[i]), append(a.Hi, c.Accuracy[i]+c.AccStd[i])
			}
		}
		as = append(as, a)
		var x, y []float64
		for i, l := range c.Loss {
			if !math.IsInf(l, 0) && !math.IsNaN(l) {
				x, y = append(x, c.Fractions[i]), append(y, l)
			}
		}
		ls = append(ls, figure.Series{Name: name, X: x, Y: y, Points: true})
	}
	if err := figure.AddSeries(accP, as); err != nil {
		return nil, err
	}
	if err := figure.AddSeries(lossP, ls); err != nil {
		return nil, err
	}
	accP.Y.Min, accP.Y.Max = 0, 1
	accP.Legend.Top = true
	lossP.Legend.Left = true
	lossP.Legend.Top = true
	f := figure.New(2*panelW+8, panelH+titleH)
	f.Add(figure.Text{X: 6, Y: 15, S: title, Size: figure.TextSize + 1})
	f.Add(figure.PlotItem{X: 0, Y: titleH, W: panelW, H: panelH, Plot: accP})
	f.Add(figure.PlotItem{X: panelW + 8, Y: titleH, W: panelW, H: panelH, Plot: lossP})
	return f, nil
}

// AblateCSV is every curve as CSV.
func AblateCSV(curves []Curve) []byte {
	var b strings.Builder
	b.WriteString("method,fraction,removed,accuracy,accuracy_std,loss,loss_std,seeds\n")
	for _, c := range curves {
		for i, f := range c.Fractions {
			fmt.Fprintf(&b, "%s,%s,%d,%s,%s,%s,%s,%d\n", c.Method, g(f), c.Removed[i], g(c.Accuracy[i]), g(c.AccStd[i]), g(c.Loss[i]), g(c.LossStd[i]), c.Seeds)
		}
	}
	return []byte(b.String())
}

// UnitMapFigure draws the unit × class accuracy drops on the diverging map
// (a unit whose removal helps a class is blue).
func UnitMapFigure(um *UnitMap, title string) (*figure.Figure, error) {
	var m float64
	for _, row := range um.Drop {
		for _, v := range row {
			m = math.Max(m, math.Abs(v))
		}
	}
	if m == 0 {
		m = 1
	}
	rows := make([]string, len(um.Drop))
	for u := range rows {
		rows[u] = fmt.Sprintf("%s #%d", um.Layer, u)
	}
	return figure.MatrixFigure(um.Drop, rows, um.Classes, figure.MatrixOptions{
		Title: title, XLabel: "class", YLabel: "unit removed", Cmap: figure.Diverging,
		Scale: &figure.Scale{Lo: -m, Hi: m}, CbarLabel: "accuracy drop",
		Text: func(_, _ int, v float64) string { return fmt.Sprintf("%.2f", v) },
	})
}

// UnitMapCSV is the map as CSV: unit, then one column per class, then the total.
func UnitMapCSV(um *UnitMap) []byte {
	var b strings.Builder
	b.WriteString("unit")
	for _, c := range um.Classes {
		b.WriteString("," + strings.ReplaceAll(c, ",", " "))
	}
	b.WriteString(",total\n")
	for u, row := range um.Drop {
		fmt.Fprintf(&b, "%d", u)
		for _, v := range row {
			b.WriteString("," + g(v))
		}
		b.WriteString("," + g(um.Total[u]) + "\n")
	}
	return []byte(b.String())
}
