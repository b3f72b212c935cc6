package introspect

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/gaborlab/gabor/figure"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
)

// Bounds is a plot's data window: [X0, X1] × [Y0, Y1].
type Bounds struct{ X0, X1, Y0, Y1 float64 }

// DataBounds is the smallest window holding every row of xy (n×2), widened
// by 5% on each side; a degenerate extent is widened to 1.
func DataBounds(xys ...*mat.Dense) Bounds {
	b := Bounds{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for _, xy := range xys {
		n, _ := xy.Dims()
		for i := 0; i < n; i++ {
			x, y := xy.At(i, 0), xy.At(i, 1)
			b.X0, b.X1 = math.Min(b.X0, x), math.Max(b.X1, x)
			b.Y0, b.Y1 = math.Min(b.Y0, y), math.Max(b.Y1, y)
		}
	}
	widen := func(lo, hi float64) (float64, float64) {
		if math.IsInf(lo, 0) || hi-lo <= 0 {
			c := 0.0
			if !math.IsInf(lo, 0) {
				c = lo
			}
			return c - 0.5, c + 0.5
		}
		m := 0.05 * (hi - lo)
		return lo - m, hi + m
	}
	b.X0, b.X1 = widen(b.X0, b.X1)
	b.Y0, b.Y1 = widen(b.Y0, b.Y1)
	return b
}

// ScatterOptions lay out ScatterFigure.
type ScatterOptions struct {
	Title          []string
	XLabel, YLabel string
	ClassNames     []string // legend entries (nil: class numbers)
	Bounds         *Bounds  // fixed window (a sequence of frames); nil: the data's
	Size           float64  // side of the square plot in points (0: 260)
	Dot            float64  // radius of a point in points (0: 1.2)
}

// scatterPlot is a gonum plot of 2-D points by class (colour and marker
// from figure.ClassColor and ClassGlyph), in the window b.
func scatterPlot(xy *mat.Dense, labels []int, names []string, b Bounds, dot float64, legend bool) (*plot.Plot, error) {
	n, _ := xy.Dims()
	pts := make([][2]float64, 0, n)
	lab := make([]int, 0, n)
	for i := 0; i < n; i++ {
		x, y := xy.At(i, 0), xy.At(i, 1)
		if math.IsNaN(x) || math.IsNaN(y) || x < b.X0 || x > b.X1 || y < b.Y0 || y > b.Y1 {
			continue
		}
		pts = append(pts, [2]float64{x, y})
		lab = append(lab, labels[i])
	}
	p := figure.NewPlot("", "", "")
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = b.X0, b.X1, b.Y0, b.Y1
	if err := figure.Scatter(p, pts, lab, names, dot); err != nil {
		return nil, fmt.Errorf("introspect: scatter: %w", err)
	}
	if !legend {
		p.Legend = plot.NewLegend()
	}
	p.Legend.Left, p.Legend.Top = false, true
	return p, nil
}

// ScatterFigure draws 2-D points coloured and shaped by class: a gonum plot
// with axes, ticks, grid and a legend of the classes beside it, under the
// title lines.
func ScatterFigure(xy *mat.Dense, labels []int, o ScatterOptions) (*figure.Figure, error) {
	n, k := xy.Dims()
	if k != 2 || len(labels) != n {
		return nil, fmt.Errorf("introspect: scatter of %d×%d coordinates with %d labels (want n×2 and n labels)", n, k, len(labels))
	}
	size := o.Size
	if size <= 0 {
		size = 260
	}
	dot := o.Dot
	if dot <= 0 {
		dot = 1.2
	}
	b := DataBounds(xy)
	if o.Bounds != nil {
		b = *o.Bounds
	}
	p, err := scatterPlot(xy, labels, o.ClassNames, b, dot, false)
	if err != nil {
		return nil, err
	}
	p.X.Label.Text, p.Y.Label.Text = o.XLabel, o.YLabel
	f := figure.New(0, 0)
	y := 6.0
	for _, t := range o.Title {
		f.Add(figure.Text{X: 6, Y: y + 7, S: t})
		y += 11
	}
	f.Add(figure.PlotItem{X: 6, Y: y + 2, W: size, H: size, Plot: p})
	classLegend(f, 6+size+8, y+10, labels, o.ClassNames)
	f.Fit(6)
	return f, nil
}

// classLegend lists each class's marker and name from (x, y) down.
func classLegend(f *figure.Figure, x, y float64, labels []int, names []string) {
	classes := len(names)
	for _, c := range labels {
		classes = max(classes, c+1)
	}
	f.Add(figure.PlotItem{X: x, Y: y - 8, W: 90, H: float64(classes)*11 + 12, Plot: figure.ClassLegend(names, classes, 2.2)})
}

// OverviewFigure draws one small scatter per embedding, cols to a row, each
// titled with its layer and the variance its two axes explain, and one
// legend for all.
func OverviewFigure(embs []*Embedding, title []string, classNames []string, cols int) (*figure.Figure, error) {
	if len(embs) == 0 {
		return nil, errors.New("introspect: overview of no embeddings")
	}
	const side, gap = 130.0, 10.0
	cols = min(cmpOr(cols, 4), len(embs))
	f := figure.New(0, 0)
	y := 6.0
	for _, t := range title {
		f.Add(figure.Text{X: 6, Y: y + 7, S: t})
		y += 11
	}
	y += 4
	var all []int
	for i, e := range embs {
		cx := 6 + float64(i%cols)*(side+gap)
		cy := y + float64(i/cols)*(side+gap+22)
		p, err := scatterPlot(e.XY, e.Labels, classNames, DataBounds(e.XY), 0.8, false)
		if err != nil {
			return nil, err
		}
		p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = 5, 5
		f.Add(figure.Text{X: cx, Y: cy + 7, S: layerTitle(e.Layer), Size: 7},
			figure.Text{X: cx, Y: cy + 16, S: shortVariance(e.PCA), Size: 6, Color: noteGray},
			figure.PlotItem{X: cx, Y: cy + 20, W: side, H: side, Plot: p})
		all = append(all, e.Labels...)
	}
	classLegend(f, 6+float64(cols)*(side+gap), y+28, all, classNames)
	f.Fit(6)
	return f, nil
}

// varianceText says how much of the variance the plotted axes explain.
func varianceText(p *PCA) string {
	s := "PC1 " + pct(p.Ratio[0])
	if len(p.Ratio) > 1 {
		s += ", PC2 " + pct(p.Ratio[1])
	}
	return s + " of variance"
}

// shortVariance is varianceText in the width of an overview panel.
func shortVariance(p *PCA) string {
	s := "var. PC1 " + pct(p.Ratio[0])
	if len(p.Ratio) > 1 {
		s += " PC2 " + pct(p.Ratio[1])
	}
	return s
}

// layerTitle names a layer with its shape: "conv1 (6x28x28)", "input (1x28x28)".
func layerTitle(l Layer) string {
	name := l.Name
	if l.Kind == KindInput {
		name = "input"
	}
	return name + " (" + shapeText(l.Out) + ")"
}

func pct(r float64) string { return strconv.FormatFloat(100*r, 'f', 1, 64) + "%" }

// titleLines are the title lines a figure gets: def unless --title (one
// line) or --no-title (none).
func titleLines(o figure.Output, def ...string) []string {
	switch {
	case o.NoTitle:
		return nil
	case o.Title != "":
		return []string{o.Title}
	}
	return def
}
