package sweep

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/gaborlab/gabor/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// ValueFigure is the test accuracy against one swept flag's values: for
// each combination of the other swept flags (seed aside) a line through the
// mean over seeds, a band of ± one standard deviation, and every seed's
// accuracy as a small mark, so the seed spread is seen beside the effect.
// Numeric values are placed by value (on a log axis when they are positive
// and span a factor of 10 or more, as rates do); others one per slot in
// order of appearance. A flag drawn at random is shown as points (mean and
// seeds) without lines.
func (r *Report) ValueFigure(flag, title string) (*figure.Figure, error) {
	if !slices.Contains(r.Swept, flag) || flag == "seed" {
		return nil, fmt.Errorf("sweep: %s is not a swept flag of this sweep (swept: %v)", flag, r.Swept)
	}
	random := slices.Contains(r.Random, flag)
	// The x of each value: numeric, or the slot of a nominal value.
	var order []string
	numeric := true
	for _, p := range r.Points {
		v := Point{Values: p.Values}.Get(flag)
		if !slices.Contains(order, v) {
			order = append(order, v)
		}
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			numeric = false
		}
	}
	xOf := func(v string) float64 {
		if numeric {
			x, _ := strconv.ParseFloat(v, 64)
			return x
		}
		return float64(slices.Index(order, v))
	}
	logX := false
	if numeric {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range order {
			lo, hi = min(lo, xOf(v)), max(hi, xOf(v))
		}
		logX = lo > 0 && hi/lo >= 10
	}

	// One series per combination of the other swept flags but the seed.
	type series struct {
		name string
		xs   map[float64][]float64 // x → the seeds' accuracies
	}
	var all []*series
	byKey := map[string]*series{}
	for _, p := range r.Points {
		if p.Status != StatusDone || p.TestAcc == nil {
			continue
		}
		var key []string
		for _, v := range p.Values {
			if v.Flag != flag && v.Flag != "seed" {
				key = append(key, v.Flag+"="+v.Value)
			}
		}
		k := fmt.Sprint(key)
		s, ok := byKey[k]
		if !ok {
			name := "mean ± std over seeds; marks: each seed"
			if len(key) > 0 {
				name = fmt.Sprint(key)
				name = name[1 : len(name)-1]
			}
			s = &series{name: name, xs: map[float64][]float64{}}
			byKey[k] = s
			all = append(all, s)
		}
		x := xOf(Point{Values: p.Values}.Get(flag))
		s.xs[x] = append(s.xs[x], *p.TestAcc)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("sweep: no finished point has a test accuracy to draw")
	}
	p := figure.NewPlot(title, flag, "test accuracy")
	if logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if !numeric {
		p.NominalX(order...)
	} else if len(order) <= 12 && !random {
		// A grid's values are the ticks, labelled as the spec wrote them.
		var ticks []plot.Tick
		for _, v := range order {
			ticks = append(ticks, plot.Tick{Value: xOf(v), Label: v})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
	}
	// Many series are drawn without a legend; random draws without lines (a
	// line between samples of other flags' values says nothing).
	legend := len(all) <= 8
	for i, s := range all {
		col := figure.SeriesColor(i)
		var xs []float64
		for x := range s.xs {
			xs = append(xs, x)
		}
		slices.Sort(xs)
		var fs figure.Series
		fs.Name, fs.Color, fs.Shape, fs.Points = s.name, col, figure.ClassGlyph(i), true
		var marks plotter.XYs
		for _, x := range xs {
			st := stat(s.xs[x])
			fs.X, fs.Y = append(fs.X, x), append(fs.Y, st.Mean)
			fs.Lo, fs.Hi = append(fs.Lo, st.Mean-st.Std), append(fs.Hi, st.Mean+st.Std)
			for _, a := range s.xs[x] {
				marks = append(marks, plotter.XY{X: x, Y: a})
			}
		}
		if !legend {
			fs.Name = ""
		}
		if random {
			means := make(plotter.XYs, len(fs.X))
			for k := range fs.X {
				means[k] = plotter.XY{X: fs.X[k], Y: fs.Y[k]}
			}
			sc, err := plotter.NewScatter(means)
			if err != nil {
				return nil, fmt.Errorf("sweep: figure of %s: %w", flag, err)
			}
			sc.Color, sc.Shape, sc.Radius = col, fs.Shape, vg.Points(2)
			p.Add(sc)
			if fs.Name != "" {
				p.Legend.Add(fs.Name, sc)
			}
		} else if err := figure.AddSeries(p, []figure.Series{fs}); err != nil {
			return nil, fmt.Errorf("sweep: figure of %s: %w", flag, err)
		}
		sc, err := plotter.NewScatter(marks)
		if err != nil {
			return nil, fmt.Errorf("sweep: figure of %s: %w", flag, err)
		}
		sc.Color, sc.Radius = col, vg.Points(1.2)
		p.Add(sc)
	}
	if legend && len(all) > 1 {
		p.Legend.Top = true
	}
	return figure.PlotFigure(p, 320, 230), nil
}
