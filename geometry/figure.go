package geometry

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/gaborlab/gabor/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// UnitRef names a hidden unit: Layer from 0 (the first hidden layer), Unit
// within it.
type UnitRef struct{ Layer, Unit int }

// FigureOptions say what DrawRegions draws.
type FigureOptions struct {
	Title      string  // above the panels ("" : none)
	Box        Box     // the window
	Res        int     // decision-map pixels per side (0: 256)
	Points     []Point // training points (optional)
	Labels     []int   // their classes
	ClassNames []string
	// Lines draws every first-layer unit's line with its positive side
	// marked (a tick towards it).
	Lines bool
	// Exact adds the panel of exact linear regions (piecewise-linear nets).
	Exact bool
	// Units adds one panel per hidden unit: the set where it is active.
	Units []UnitRef
	Size  float64 // side of one panel in points (0: 240)
	// Map is the decision map to draw, when the caller sampled it already
	// (ProgramMap); nil: DecisionMap of the Net at Res×Res.
	Map *Map
}

// Drawn is what DrawRegions computed on the way, for the caller's report.
type Drawn struct {
	Regions []Region // nil unless Exact and piecewise linear
	Map     *Map
}

// DrawRegions draws the network's plane: the decision map (each pixel in
// its class's colour, paler where the class's probability is lower), the
// first-layer lines and the training points; then, for a piecewise-linear
// network with Exact, its linear regions as polygons (filled by the class
// at their centre); then the active set of each unit asked for (exact
// polygons for piecewise-linear networks, sampled otherwise).
func DrawRegions(n *Net, o FigureOptions) (*figure.Figure, *Drawn, error) {
	if o.Res == 0 {
		o.Res = 256
	}
	if o.Size == 0 {
		o.Size = 240
	}
	m := o.Map
	if m == nil {
		var err error
		if m, err = DecisionMap(n, Grid{Box: o.Box, NX: o.Res, NY: o.Res}); err != nil {
			return nil, nil, err
		}
	}
	d := &Drawn{Map: m}
	var plots []*plot.Plot
	dec := figure.NewPlot("decision regions", "x", "y")
	if err := addMap(dec, m); err != nil {
		return nil, nil, err
	}
	if o.Lines {
		if err := addLines(dec, n, o.Box); err != nil {
			return nil, nil, err
		}
	}
	if err := addPoints(dec, o); err != nil {
		return nil, nil, err
	}
	plots = append(plots, dec)
	if o.Exact && n.PiecewiseLinear() {
		rs, err := Regions(n, o.Box)
		if err != nil {
			return nil, nil, err
		}
		d.Regions = rs
		p := figure.NewPlot(fmt.Sprintf("%d linear regions", len(rs)), "x", "")
		for _, r := range rs {
			_, out := n.Forward(r.Poly.Centroid())
			c := Class(out)
			line := 0.3
			if len(rs) > 3000 {
				line = 0 // edges would cover the fills
			}
			if err := addPolygon(p, r.Poly, tint(figure.ClassColor(c), 0.35), line); err != nil {
				return nil, nil, err
			}
		}
		window(p, o.Box)
		plots = append(plots, p)
	}
	for _, u := range o.Units {
		p, err := unitPanel(n, o, u)
		if err != nil {
			return nil, nil, err
		}
		plots = append(plots, p)
	}
	top := 0.0
	if o.Title != "" {
		top = figure.TextSize + 8
	}
	w := float64(len(plots)) * o.Size
	f := figure.New(w, top+o.Size)
	if o.Title != "" {
		f.Add(figure.Text{X: w / 2, Y: figure.TextSize + 2, S: o.Title, Anchor: figure.Center, Size: figure.TextSize + 1, Bold: true})
	}
	f.Add(figure.PlotTable{X: 0, Y: top, W: w, H: o.Size, Plots: [][]*plot.Plot{plots}, Gap: 4})
	return f, d, nil
}

// unitPanel is the set where one hidden unit is active.
func unitPanel(n *Net, o FigureOptions, u UnitRef) (*plot.Plot, error) {
	if u.Layer < 0 || u.Layer >= n.Hidden() || u.Unit < 0 || u.Unit >= n.Layers[u.Layer].Units() {
		return nil, fmt.Errorf("geometry: no hidden unit %d:%d (layer:unit from 1; the network is %s)", u.Layer+1, u.Unit+1, n.Widths())
	}
	p := figure.NewPlot(fmt.Sprintf("unit %d of layer %d active", u.Unit+1, u.Layer+1), "x", "")
	on := figure.ClassColor(0)
	prefix := 0
	for prefix < u.Layer+1 && n.Layers[prefix].Act.piecewiseLinear() {
		prefix++
	}
	if prefix == u.Layer+1 {
		ps, err := ActiveSet(n, o.Box, u.Layer, u.Unit)
		if err != nil {
			return nil, err
		}
		for _, poly := range ps {
			if err := addPolygon(p, poly, tint(on, 0.6), 0.3); err != nil {
				return nil, err
			}
		}
		p.Title.Text += fmt.Sprintf(" (%d polygons)", len(ps))
	} else {
		g := Grid{Box: o.Box, NX: o.Res, NY: o.Res}
		z, err := UnitMap(n, g, u.Layer, u.Unit)
		if err != nil {
			return nil, err
		}
		img := image.NewNRGBA(image.Rect(0, 0, g.NX, g.NY))
		for j := 0; j < g.NY; j++ {
			for i := 0; i < g.NX; i++ {
				c := color.NRGBA{255, 255, 255, 255}
				if z[j*g.NX+i] > 0 {
					c = tint(on, 0.6)
				}
				img.SetNRGBA(i, j, c)
			}
		}
		p.Add(plotter.NewImage(img, o.Box.X0, o.Box.Y0, o.Box.X1, o.Box.Y1))
	}
	if o.Lines {
		if err := addLines(p, n, o.Box); err != nil {
			return nil, err
		}
	}
	window(p, o.Box)
	return p, nil
}

// tint is c blended with white: t = 0 white, 1 c.
func tint(c color.NRGBA, t float64) color.NRGBA {
	mix := func(a uint8) uint8 { return uint8(math.Round(255*(1-t) + float64(a)*t)) }
	return color.NRGBA{mix(c.R), mix(c.G), mix(c.B), 255}
}

// addMap draws the decision map: class colour, from pale (probability
// 1/classes, a tie) to strong (certain).
func addMap(p *plot.Plot, m *Map) error {
	g := m.Grid
	img := image.NewNRGBA(image.Rect(0, 0, g.NX, g.NY))
	floor := 1 / float64(m.Classes)
	for j := 0; j < g.NY; j++ {
		for i := 0; i < g.NX; i++ {
			k := j*g.NX + i
			conf := (m.Prob[k] - floor) / (1 - floor)
			img.SetNRGBA(i, j, tint(figure.ClassColor(m.Class[k]), 0.15+0.5*math.Max(0, math.Min(1, conf))))
		}
	}
	p.Add(plotter.NewImage(img, g.Box.X0, g.Box.Y0, g.Box.X1, g.Box.Y1))
	window(p, g.Box)
	return nil
}

// addLines draws each first-layer unit's line inside the box, and a short
// tick towards its positive side, labelled with the unit (from 1).
func addLines(p *plot.Plot, n *Net, b Box) error {
	tick := 0.05 * b.Diameter()
	var labels plotter.XYLabels
	hps := n.HalfPlanes()
	for _, hp := range hps {
		a, c, ok := b.Clip(hp.Line)
		if !ok {
			continue
		}
		l, err := plotter.NewLine(plotter.XYs{{X: a.X, Y: a.Y}, {X: c.X, Y: c.Y}})
		if err != nil {
			return err
		}
		l.Color, l.Width = color.Gray{Y: 40}, vg.Points(0.7)
		p.Add(l)
		nrm := math.Hypot(hp.Line.A, hp.Line.B)
		// The tick sits at a point of the segment that differs by unit,
		// so that lines crossing near one point keep their labels apart.
		f := 0.2 + 0.6*(float64(hp.Unit)+0.5)/float64(len(hps))
		mid := Point{a.X + f*(c.X-a.X), a.Y + f*(c.Y-a.Y)}
		tip := Point{mid.X + tick*hp.Line.A/nrm, mid.Y + tick*hp.Line.B/nrm}
		t, err := plotter.NewLine(plotter.XYs{{X: mid.X, Y: mid.Y}, {X: tip.X, Y: tip.Y}})
		if err != nil {
			return err
		}
		t.Color, t.Width = color.Gray{Y: 40}, vg.Points(0.7)
		p.Add(t)
		s, err := plotter.NewScatter(plotter.XYs{{X: tip.X, Y: tip.Y}})
		if err != nil {
			return err
		}
		s.Shape, s.Color, s.Radius = draw.PlusGlyph{}, color.Gray{Y: 40}, vg.Points(2)
		p.Add(s)
		labels.XYs = append(labels.XYs, plotter.XY{X: tip.X, Y: tip.Y})
		labels.Labels = append(labels.Labels, fmt.Sprint(hp.Unit+1))
	}
	if len(labels.XYs) > 0 && len(labels.XYs) <= 24 {
		lb, err := plotter.NewLabels(labels)
		if err != nil {
			return err
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i].Font = p.X.Tick.Label.Font
			lb.TextStyle[i].Font.Size = vg.Points(figure.TextSize - 2)
			lb.TextStyle[i].Color = color.Gray{Y: 40}
		}
		lb.Offset = vg.Point{X: vg.Points(2), Y: vg.Points(1)}
		p.Add(lb)
	}
	window(p, b)
	return nil
}

func addPoints(p *plot.Plot, o FigureOptions) error {
	if len(o.Points) == 0 {
		return nil
	}
	xy := make([][2]float64, len(o.Points))
	for i, q := range o.Points {
		xy[i] = [2]float64{q.X, q.Y}
	}
	if err := figure.Scatter(p, xy, o.Labels, o.ClassNames, 1.3); err != nil {
		return err
	}
	p.Legend.Top, p.Legend.Left = true, false
	window(p, o.Box)
	return nil
}

func addPolygon(p *plot.Plot, poly Polygon, fill color.Color, line float64) error {
	xy := make(plotter.XYs, len(poly))
	for i, v := range poly {
		xy[i] = plotter.XY{X: v.X, Y: v.Y}
	}
	pg, err := plotter.NewPolygon(xy)
	if err != nil {
		return err
	}
	pg.Color = fill
	pg.LineStyle.Width = vg.Points(line)
	pg.LineStyle.Color = color.Gray{Y: 60}
	p.Add(pg)
	return nil
}

// window fixes the plot's axes to the box.
func window(p *plot.Plot, b Box) {
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = b.X0, b.X1, b.Y0, b.Y1
}

// CountPlot is the number of linear regions over training.
func CountPlot(steps []int, counts []int) (*figure.Figure, error) {
	p := figure.NewPlot("linear regions over training", "step", "regions")
	x := make([]float64, len(steps))
	y := make([]float64, len(steps))
	for i := range steps {
		x[i], y[i] = float64(steps[i]), float64(counts[i])
	}
	if err := figure.AddSeries(p, []figure.Series{{X: x, Y: y, Points: true}}); err != nil {
		return nil, err
	}
	return figure.PlotFigure(p, 300, 200), nil
}
