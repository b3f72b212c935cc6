package weightspace

import (
	"fmt"
	"image/color"
	"math"

	"github.com/gaborlab/gabor/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Figures of this package: plots made with figure.NewPlot and placed on a
// figure.Figure, so they share the figures' fonts, provenance and writers.

const (
	panelW, panelH = 260.0, 230.0
	titleH         = 22.0
	barW           = 52.0
)

// LineSeries is one curve of a line figure.
type LineSeries struct {
	Name   string
	Points []LinePoint
}

// LineFigure draws loss and accuracy against α, one panel each, with the
// two endpoints (α = 0, 1) marked by vertical dashed lines.
func LineFigure(series []LineSeries, title, fromName, toName string) (*figure.Figure, error) {
	xl := fmt.Sprintf("α  (0: %s, 1: %s)", fromName, toName)
	lossP := figure.NewPlot("", xl, "loss (mean cross-entropy)")
	accP := figure.NewPlot("", xl, "accuracy")
	var ls, as []figure.Series
	for _, s := range series {
		name := s.Name
		if len(series) == 1 {
			name = "" // one curve needs no legend
		}
		var x, l, a []float64
		for _, p := range s.Points {
			x, a = append(x, p.Alpha), append(a, p.Accuracy)
			l = append(l, finiteOr(p.Loss, math.NaN()))
		}
		x2, l2 := dropNaN(x, l)
		ls = append(ls, figure.Series{Name: name, X: x2, Y: l2, Points: true})
		as = append(as, figure.Series{Name: name, X: x, Y: a, Points: true})
	}
	if err := figure.AddSeries(lossP, ls); err != nil {
		return nil, err
	}
	if err := figure.AddSeries(accP, as); err != nil {
		return nil, err
	}
	accP.Legend = plot.NewLegend()
	accP.Y.Min, accP.Y.Max = 0, 1
	for _, p := range []*plot.Plot{lossP, accP} {
		p.Add(vline{0}, vline{1})
	}
	f := figure.New(2*panelW+8, panelH+titleH)
	f.Add(figure.Text{X: 6, Y: 15, S: title, Size: figure.TextSize + 1})
	f.Add(figure.PlotItem{X: 0, Y: titleH, W: panelW, H: panelH, Plot: lossP})
	f.Add(figure.PlotItem{X: panelW + 8, Y: titleH, W: panelW, H: panelH, Plot: accP})
	return f, nil
}

// vline is a dashed gray vertical line at x across the data area, whatever
// the y range.
type vline struct{ x float64 }

func (v vline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(v.x)
	c.SetColor(color.Gray{Y: 140})
	c.SetLineWidth(vg.Points(0.6))
	c.SetLineDash([]vg.Length{vg.Points(2), vg.Points(2)}, 0)
	var path vg.Path
	path.Move(vg.Point{X: x, Y: c.Min.Y})
	path.Line(vg.Point{X: x, Y: c.Max.Y})
	c.Stroke(path)
}

func finiteOr(v, alt float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return alt
	}
	return v
}

func dropNaN(x, y []float64) ([]float64, []float64) {
	var ox, oy []float64
	for i := range x {
		if !math.IsNaN(y[i]) {
			ox, oy = append(ox, x[i]), append(oy, y[i])
		}
	}
	return ox, oy
}

// grid is a Surface's log10 loss as gonum's GridXYZ (columns x, rows y),
// non-finite values clamped to the largest finite one.
type grid struct {
	x, y []float64
	z    [][]float64
}

func logGrid(s *Surface) (grid, float64, float64) {
	g := grid{x: s.X, y: s.Y, z: make([][]float64, len(s.Y))}
	lo, hi := math.Inf(1), math.Inf(-1)
	for j := range s.Y {
		g.z[j] = make([]float64, len(s.X))
		for i := range s.X {
			v := math.Log10(math.Max(s.Loss[j][i], 1e-12))
			g.z[j][i] = v
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	for j := range g.z {
		for i, v := range g.z[j] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				g.z[j][i] = hi
			}
		}
	}
	if !(hi > lo) {
		hi = lo + 1
	}
	return g, lo, hi
}

func (g grid) Dims() (c, r int)     { return len(g.x), len(g.y) }
func (g grid) Z(c, r int) float64   { return g.z[r][c] }
func (g grid) X(c int) float64      { return g.x[c] }
func (g grid) Y(r int) float64      { return g.y[r] }
func (g grid) Min() (float64, bool) { return 0, false }

// cmapPalette samples a figure.Colormap as a gonum palette.
type cmapPalette struct {
	cm figure.Colormap
	n  int
}

func (p cmapPalette) Colors() []color.Color {
	out := make([]color.Color, p.n)
	for i := range out {
		out[i] = p.cm.At(float64(i) / float64(p.n-1))
	}
	return out
}

// SurfaceFigure draws a Surface twice, side by side: a heat map of log10
// loss with a colorbar, and its contour lines; the projected trajectory (a
// PCA surface's Path) is drawn over both, its last point (the plane's
// origin) as a star.
func SurfaceFigure(s *Surface, title, xlabel, ylabel string) (*figure.Figure, error) {
	if len(s.X) < 2 || len(s.Y) < 2 {
		return nil, fmt.Errorf("weightspace: a surface figure needs at least a 2×2 grid, got %d×%d", len(s.X), len(s.Y))
	}
	g, lo, hi := logGrid(s)
	cm := figure.Blues
	heatP := figure.NewPlot("heat map of log10 loss", xlabel, ylabel)
	hm := plotter.NewHeatMap(g, cmapPalette{cm, 256})
	// One image, not a rectangle per cell: the cells' antialiased edges
	// left light seams across the map in PNG.
	hm.Rasterized = true
	hm.Min, hm.Max = lo, hi
	heatP.Add(hm)
	contP := figure.NewPlot("contours of log10 loss", xlabel, ylabel)
	levels := make([]float64, 14)
	for i := range levels {
		levels[i] = lo + (hi-lo)*(float64(i)+0.5)/float64(len(levels))
	}
	ct := plotter.NewContour(g, levels, cmapPalette{figure.Diverging, len(levels)})
	ct.Min, ct.Max = lo, hi
	contP.Add(ct)
	for _, p := range []*plot.Plot{heatP, contP} {
		p.X.Min, p.X.Max = s.X[0], s.X[len(s.X)-1]
		p.Y.Min, p.Y.Max = s.Y[0], s.Y[len(s.Y)-1]
		if err := addPath(p, s.Path); err != nil {
			return nil, err
		}
		if len(s.Path) == 0 {
			if err := addCenter(p); err != nil {
				return nil, err
			}
		}
	}
	f := figure.New(2*panelW+barW+8, panelH+titleH)
	f.Add(figure.Text{X: 6, Y: 15, S: title, Size: figure.TextSize + 1})
	f.Add(figure.PlotItem{X: 0, Y: titleH, W: panelW, H: panelH, Plot: heatP})
	figure.AddColorbar(f, panelW, titleH+10, barW, panelH-40, cm, figure.Scale{Lo: lo, Hi: hi}, false, false, "log10 loss")
	f.Add(figure.PlotItem{X: panelW + barW + 8, Y: titleH, W: panelW, H: panelH, Plot: contP})
	return f, nil
}

// addPath draws a projected trajectory: a line through the points, small
// dots, the last point as a star.
func addPath(p *plot.Plot, path [][2]float64) error {
	if len(path) == 0 {
		return nil
	}
	xy := make(plotter.XYs, len(path))
	for i, q := range path {
		xy[i] = plotter.XY{X: q[0], Y: q[1]}
	}
	l, sc, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	l.Color, l.Width = color.NRGBA{200, 40, 30, 255}, vg.Points(1)
	sc.Color, sc.Radius, sc.Shape = l.Color, vg.Points(1.2), draw.CircleGlyph{}
	end, err := plotter.NewScatter(xy[len(xy)-1:])
	if err != nil {
		return err
	}
	end.Color, end.Radius, end.Shape = color.Black, vg.Points(3.5), starGlyph{}
	p.Add(l, sc, end)
	p.Legend.Add("trajectory", l, sc)
	p.Legend.Add("final weights", end)
	p.Legend.Top = true
	return nil
}

// addCenter marks the plane's origin (the weights the directions start from).
func addCenter(p *plot.Plot) error {
	end, err := plotter.NewScatter(plotter.XYs{{X: 0, Y: 0}})
	if err != nil {
		return err
	}
	end.Color, end.Radius, end.Shape = color.Black, vg.Points(3.5), starGlyph{}
	p.Add(end)
	return nil
}

// starGlyph is a five-pointed star.
type starGlyph struct{}

func (starGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetColor(sty.Color)
	var path vg.Path
	for k := 0; k < 10; k++ {
		r := sty.Radius
		if k%2 == 1 {
			r *= 0.45
		}
		a := math.Pi/2 + float64(k)*math.Pi/5
		q := vg.Point{X: pt.X + r*vg.Length(math.Cos(a)), Y: pt.Y + r*vg.Length(math.Sin(a))}
		if k == 0 {
			path.Move(q)
		} else {
			path.Line(q)
		}
	}
	path.Close()
	c.Fill(path)
}
