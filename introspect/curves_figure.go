package introspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
	"gonum.org/v1/plot"
)

// RunCurves is what one run directory says about its training.
type RunCurves struct {
	Dir     string
	Name    string // the legend entry: the directory's base name
	Config  train.Config
	Epochs  []train.Record
	Steps   []runs.StepLoss // sampled within epochs; may be empty
	PerStep int             // steps per epoch (from the records)
}

// ReadCurves reads a run directory's config, metrics and sampled step
// losses. A run without metrics (no epoch finished) is an error naming it.
func ReadCurves(dir string) (*RunCurves, error) {
	cfg, err := train.ReadConfig(filepath.Join(dir, train.ConfigFile))
	if err != nil {
		return nil, &SourceError{fmt.Errorf("introspect: %s is not a run directory: %w", dir, err)}
	}
	recs, err := runs.Metrics(dir)
	if err != nil {
		return nil, &SourceError{err}
	}
	if len(recs) == 0 {
		return nil, &SourceError{fmt.Errorf("introspect: run %s has no finished epoch in %s", dir, train.MetricsFile)}
	}
	rc := &RunCurves{Dir: dir, Name: filepath.Base(filepath.Clean(dir)), Config: cfg, Epochs: recs}
	if recs[0].Step > 0 && recs[0].Epoch > 0 {
		rc.PerStep = recs[0].Step / recs[0].Epoch
	}
	if rc.Steps, err = runs.StepLosses(dir); err != nil {
		return nil, &SourceError{err}
	}
	return rc, nil
}

// seedGroupKey is a run's config with what does not change the recipe
// cleared: runs with equal keys differ only in seed.
func seedGroupKey(c train.Config) string {
	c.Seed, c.Out, c.Device, c.DataDir = 0, "", "", ""
	b, _ := json.Marshal(c)
	return string(b)
}

// curve is one line of a panel: points, and a band for a seed group.
type curve struct {
	name   string
	x, y   []float64
	lo, hi []float64
}

// CurvesOptions lay out CurvesFigure.
type CurvesOptions struct {
	X     string // "step" (default) or "epoch"
	Title string
	// NoGroup draws every run alone even when runs differ only in seed.
	NoGroup bool
}

// CurvesFigure draws, for one or more runs, four aligned panels: training
// loss (sampled per step, thin, and per epoch, marked), test loss, test
// accuracy and learning rate, against steps or epochs, with a legend of the
// runs. Runs whose configs differ only in seed are drawn as one line, the
// mean over seeds, with a band of ± one standard deviation (the legend says
// how many seeds).
func CurvesFigure(runs []*RunCurves, o CurvesOptions) (*figure.Figure, error) {
	if len(runs) == 0 {
		return nil, errors.New("introspect: no runs to draw")
	}
	byEpoch := o.X == "epoch"
	if o.X != "" && o.X != "step" && !byEpoch {
		return nil, fmt.Errorf("introspect: x must be step or epoch, got %q", o.X)
	}
	groups := groupRuns(runs, o.NoGroup)
	xOf := func(r train.Record) float64 {
		if byEpoch {
			return float64(r.Epoch)
		}
		return float64(r.Step)
	}
	xlabel := "step"
	if byEpoch {
		xlabel = "epoch"
	}
	panels := []struct {
		ylabel string
		get    func(train.Record) (float64, bool)
	}{
		{"training loss", func(r train.Record) (float64, bool) { return r.TrainLoss, true }},
		{"test loss", func(r train.Record) (float64, bool) { return deref(r.TestLoss) }},
		{"test accuracy", func(r train.Record) (float64, bool) { return deref(r.TestAcc) }},
		{"learning rate", func(r train.Record) (float64, bool) { return r.LR, true }},
	}
	plots := make([][]*plot.Plot, 2)
	for i, pn := range panels {
		p := figure.NewPlot("", xlabel, pn.ylabel)
		var ss []figure.Series
		for gi, g := range groups {
			c := groupCurve(g, xOf, pn.get)
			col := figure.SeriesColor(gi)
			if i == 0 && len(g) == 1 && len(g[0].Steps) > 0 {
				// The sampled step losses, thin, under the per-epoch means.
				var xs, ys []float64
				for _, s := range g[0].Steps {
					x := float64(s.Step)
					if byEpoch && g[0].PerStep > 0 {
						x = float64(s.Step) / float64(g[0].PerStep)
					}
					xs, ys = append(xs, x), append(ys, s.Loss)
				}
				ss = append(ss, figure.Series{Name: g[0].Name + ", sampled steps", X: xs, Y: ys, Color: faded(col)})
			}
			if len(c.x) == 0 {
				continue
			}
			ss = append(ss, figure.Series{Name: c.name, X: c.x, Y: c.y, Lo: c.lo, Hi: c.hi, Points: true, Color: col, Shape: figure.ClassGlyph(gi)})
		}
		if err := figure.AddSeries(p, ss); err != nil {
			return nil, fmt.Errorf("introspect: curves: %w", err)
		}
		if i == 3 {
			p.Y.Min = 0 // a rate reads from zero (a constant one is otherwise a band around it)
		}
		if i != 0 {
			p.Legend = plot.NewLegend() // one legend, on the first panel
		} else {
			p.Legend.Top = true
		}
		plots[i/2] = append(plots[i/2], p)
	}
	const w, h = 460.0, 340.0
	f := figure.New(w, h)
	top := 0.0
	if o.Title != "" {
		f.Add(figure.Text{X: 6, Y: 12, S: o.Title, Size: figure.TextSize + 1})
		top = 18
	}
	f.H += top
	f.Add(figure.PlotTable{X: 0, Y: top, W: w, H: h, Plots: plots, Gap: 8})
	f.Fit(6)
	return f, nil
}

func deref(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

// faded is c halfway to white (the sampled step losses under the epochs').
func faded(c color.NRGBA) color.NRGBA {
	mix := func(v uint8) uint8 { return v/2 + 127 }
	return color.NRGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 255}
}

// groupRuns puts runs that differ only in seed together (in order of first
// appearance); noGroup keeps every run alone.
func groupRuns(runs []*RunCurves, noGroup bool) [][]*RunCurves {
	var groups [][]*RunCurves
	index := map[string]int{}
	for _, r := range runs {
		k := seedGroupKey(r.Config)
		if i, ok := index[k]; ok && !noGroup {
			groups[i] = append(groups[i], r)
			continue
		}
		index[k] = len(groups)
		groups = append(groups, []*RunCurves{r})
	}
	return groups
}

// groupCurve is a panel's line for a group: one run's values, or the mean
// and ± one standard deviation over the group's runs at each x they share.
func groupCurve(g []*RunCurves, xOf func(train.Record) float64, get func(train.Record) (float64, bool)) curve {
	if len(g) == 1 {
		c := curve{name: g[0].Name}
		for _, r := range g[0].Epochs {
			if v, ok := get(r); ok {
				c.x, c.y = append(c.x, xOf(r)), append(c.y, v)
			}
		}
		return c
	}
	vals := map[float64][]float64{}
	for _, run := range g {
		for _, r := range run.Epochs {
			if v, ok := get(r); ok {
				vals[xOf(r)] = append(vals[xOf(r)], v)
			}
		}
	}
	var xs []float64
	for x, v := range vals {
		if len(v) == len(g) {
			xs = append(xs, x)
		}
	}
	sort.Float64s(xs)
	var seeds []string
	for _, r := range g {
		seeds = append(seeds, strconv.FormatUint(r.Config.Seed, 10))
	}
	c := curve{name: fmt.Sprintf("%s, mean ± sd of %d seeds (%s)", g[0].Config.Model, len(g), strings.Join(seeds, ","))}
	for _, x := range xs {
		m, sd := meanSD(vals[x])
		c.x, c.y = append(c.x, x), append(c.y, m)
		c.lo, c.hi = append(c.lo, m-sd), append(c.hi, m+sd)
	}
	return c
}

func meanSD(v []float64) (float64, float64) {
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	s := 0.0
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	if len(v) > 1 {
		s /= float64(len(v) - 1)
	}
	return m, math.Sqrt(s)
}

// CurvesCSV writes every run's records (and sampled step losses, with the
// epoch columns empty) as one table: run, seed, kind (epoch or step),
// epoch, step, train_loss, test_loss, test_acc, lr.
func CurvesCSV(runs []*RunCurves) []byte {
	var b bytes.Buffer
	b.WriteString("run,seed,kind,epoch,step,train_loss,test_loss,test_acc,lr\n")
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
	opt := func(p *float64) string {
		if p == nil {
			return ""
		}
		return f(*p)
	}
	for _, r := range runs {
		name := strings.ReplaceAll(r.Name, ",", "_")
		for _, e := range r.Epochs {
			fmt.Fprintf(&b, "%s,%d,epoch,%d,%d,%s,%s,%s,%s\n", name, r.Config.Seed, e.Epoch, e.Step, f(e.TrainLoss), opt(e.TestLoss), opt(e.TestAcc), f(e.LR))
		}
		for _, s := range r.Steps {
			fmt.Fprintf(&b, "%s,%d,step,%d,%d,%s,,,\n", name, r.Config.Seed, s.Epoch, s.Step, f(s.Loss))
		}
	}
	return b.Bytes()
}
