package figure

import (
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// NewPlot is a gonum plot set in the figures' font (Liberation Sans; title
// TextSize+1, labels TextSize, ticks and legend TextSize−1), with a light
// grid behind the data.
func NewPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	set := func(f *font.Font, size float64) {
		f.Typeface, f.Variant = fontSans.Typeface, fontSans.Variant
		f.Size = vg.Points(size)
	}
	set(&p.Title.TextStyle.Font, TextSize+1)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		set(&a.Label.TextStyle.Font, TextSize)
		set(&a.Tick.Label.Font, TextSize-1)
	}
	set(&p.Legend.TextStyle.Font, TextSize-1)
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xlabel, ylabel
	p.X.Tick.Marker, p.Y.Tick.Marker = valueTicks{}, valueTicks{}
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = color.Gray{Y: 225}, color.Gray{Y: 225}
	g.Vertical.Width, g.Horizontal.Width = vg.Points(0.4), vg.Points(0.4)
	p.Add(g)
	return p
}

// PlotFigure is a figure holding one plot, w×h points.
func PlotFigure(p *plot.Plot, w, h float64) *Figure {
	f := New(w, h)
	f.Add(PlotItem{X: 0, Y: 0, W: w, H: h, Plot: p})
	return f
}

// Series is one line of a line plot: points, and optionally a band
// (Lo[i] ≤ y ≤ Hi[i]) drawn translucent behind it.
type Series struct {
	Name   string
	X, Y   []float64
	Lo, Hi []float64 // optional band, same length as X
	Dashed bool
	Points bool             // mark each point
	Color  color.Color      // nil: SeriesColor(index)
	Shape  draw.GlyphDrawer // nil: ClassGlyph(index)
}

// AddSeries draws series on p with a legend entry each (colours from
// SeriesColor unless set).
func AddSeries(p *plot.Plot, ss []Series) error {
	for i, s := range ss {
		col := s.Color
		if col == nil {
			col = SeriesColor(i)
		}
		if len(s.Lo) == len(s.X) && len(s.Hi) == len(s.X) && len(s.X) > 1 {
			poly := make(plotter.XYs, 0, 2*len(s.X))
			for k := range s.X {
				poly = append(poly, plotter.XY{X: s.X[k], Y: s.Hi[k]})
			}
			for k := len(s.X) - 1; k >= 0; k-- {
				poly = append(poly, plotter.XY{X: s.X[k], Y: s.Lo[k]})
			}
			band, err := plotter.NewPolygon(poly)
			if err != nil {
				return err
			}
			r, g, b, _ := col.RGBA()
			band.Color = color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 60}
			band.LineStyle.Width = 0
			p.Add(band)
		}
		xy := make(plotter.XYs, len(s.X))
		for k := range s.X {
			xy[k] = plotter.XY{X: s.X[k], Y: s.Y[k]}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color, l.Width = col, vg.Points(1)
		if s.Dashed {
			l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		}
		p.Add(l)
		thumbs := []plot.Thumbnailer{l}
		if s.Points {
			sc, err := plotter.NewScatter(xy)
			if err != nil {
				return err
			}
			sc.Color, sc.Shape, sc.Radius = col, s.Shape, vg.Points(1.8)
			if sc.Shape == nil {
				sc.Shape = ClassGlyph(i)
			}
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		if s.Name != "" {
			p.Legend.Add(s.Name, thumbs...)
		}
	}
	return nil
}

// Scatter adds one scatter per class (colour and shape from ClassColor and
// ClassGlyph) with a legend entry named by names (or the class number).
func Scatter(p *plot.Plot, xy [][2]float64, labels []int, names []string, radius float64) error {
	byClass := map[int]plotter.XYs{}
	maxc := -1
	for i, q := range xy {
		c := 0
		if i < len(labels) {
			c = labels[i]
		}
		byClass[c] = append(byClass[c], plotter.XY{X: q[0], Y: q[1]})
		maxc = max(maxc, c)
	}
	for c := 0; c <= maxc; c++ {
		pts, ok := byClass[c]
		if !ok {
			continue
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		s.Color, s.Shape, s.Radius = ClassColor(c), ClassGlyph(c), vg.Points(radius)
		p.Add(s)
		name := ""
		if c < len(names) {
			name = names[c]
		}
		if name == "" {
			name = strconv.Itoa(c)
		}
		p.Legend.Add(name, s)
	}
	return nil
}

// ClassLegend is a plot holding only a legend of n classes (marker and
// colour of ClassColor and ClassGlyph, names or class numbers), to place
// beside plots that share it.
func ClassLegend(names []string, n int, radius float64) *plot.Plot {
	p := NewPlot("", "", "")
	p.HideAxes()
	p.BackgroundColor = color.Transparent
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.ThumbnailWidth = vg.Points(8)
	for c := 0; c < n; c++ {
		s, err := plotter.NewScatter(plotter.XYs{{}})
		if err != nil {
			continue
		}
		s.Color, s.Shape, s.Radius = ClassColor(c), ClassGlyph(c), vg.Points(radius)
		name := strconv.Itoa(c)
		if c < len(names) && names[c] != "" {
			name = names[c]
		}
		p.Legend.Add(name, s)
	}
	p.Add(plotter.NewGlyphBoxes())
	return p
}
