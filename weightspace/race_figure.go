package weightspace

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// raceW, raceH are the size of a race figure in points.
const raceW, raceH = 430.0, 360.0

// raceGrid is the surface drawn behind a race: the loss, or for surfaces
// whose values span decades, log10(loss − min + δ) with δ a thousandth of
// the loss range, so the valley floor shows.
func raceGrid(r *RaceResult, logScale bool) (grid, []float64) {
	s := r.Surface
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range s.Loss {
		for _, v := range row {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	g := grid{x: s.X, y: s.Y, z: make([][]float64, len(s.Y))}
	delta := math.Max((hi-lo)*1e-3, 1e-12)
	zlo, zhi := math.Inf(1), math.Inf(-1)
	for j, row := range s.Loss {
		g.z[j] = make([]float64, len(row))
		for i, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				v = hi
			}
			if logScale {
				v = math.Log10(v - lo + delta)
			}
			g.z[j][i] = v
			zlo, zhi = math.Min(zlo, v), math.Max(zhi, v)
		}
	}
	levels := make([]float64, 18)
	for i := range levels {
		levels[i] = zlo + (zhi-zlo)*(float64(i)+0.5)/float64(len(levels))
	}
	return g, levels
}

// RaceFigure draws the surface's contours over its box, every path up to
// step upTo (all of them when upTo < 0) with a dot at its head, the start
// and the known minimizer (a star).
func RaceFigure(r *RaceResult, p *Problem, title string, upTo int) (*figure.Figure, error) {
	return raceFigure(r, p, title, upTo, true)
}

// raceFigure is RaceFigure, with or without the heat map under the
// contours (GIF frames go without: it is most of a frame's drawing time).
func raceFigure(r *RaceResult, p *Problem, title string, upTo int, heat bool) (*figure.Figure, error) {
	pl := figure.NewPlot(title, p.Params[0], p.Params[1])
	g, levels := raceGrid(r, p.LogScale)
	if heat {
		// A light heat map: the contours carry the shape.
		hm := plotter.NewHeatMap(g, fadedPalette{cmapPalette{figure.Blues, 256}, 0.45})
		// One image, not a rectangle per cell: the cells' antialiased edges
		// left light seams across the map in PNG.
		hm.Rasterized = true
		hm.Min, hm.Max = levels[0], levels[len(levels)-1]
		// Outside the contour levels the map keeps its end colours (the
		// default is transparent: white notches where the loss is highest).
		cols := hm.Palette.Colors()
		hm.Underflow, hm.Overflow = cols[0], cols[len(cols)-1]
		pl.Add(hm)
	}
	ct := plotter.NewContour(g, levels, flatPalette{color.Gray{Y: 120}, len(levels)})
	pl.Add(ct)
	for k, path := range r.Paths {
		n := len(path.Points)
		if upTo >= 0 {
			n = min(n, upTo+1)
		}
		xy := make(plotter.XYs, n)
		for i := 0; i < n; i++ {
			xy[i] = plotter.XY{X: path.Points[i][0], Y: path.Points[i][1]}
		}
		col := figure.SeriesColor(k)
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = col, vg.Points(1.3)
		head, err := plotter.NewScatter(xy[n-1:])
		if err != nil {
			return nil, err
		}
		head.Color, head.Radius, head.Shape = col, vg.Points(2.6), draw.CircleGlyph{}
		pl.Add(l, head)
		pl.Legend.Add(fmt.Sprintf("%s (lr %g)", path.Optimizer, path.LR), l, head)
	}
	start, err := plotter.NewScatter(plotter.XYs{{X: p.Start[0], Y: p.Start[1]}})
	if err != nil {
		return nil, err
	}
	start.Color, start.Radius, start.Shape = color.Black, vg.Points(2.5), draw.BoxGlyph{}
	pl.Add(start)
	pl.Legend.Add("start", start)
	if p.HasMin {
		m, err := plotter.NewScatter(plotter.XYs{{X: p.Min[0], Y: p.Min[1]}})
		if err != nil {
			return nil, err
		}
		m.Color, m.Radius, m.Shape = color.Black, vg.Points(4), starGlyph{}
		pl.Add(m)
		pl.Legend.Add("minimum", m)
	}
	pl.Legend.Top, pl.Legend.Left = true, false
	pl.Legend.Padding = vg.Points(2)
	pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = p.Box[0], p.Box[1], p.Box[2], p.Box[3]
	return figure.PlotFigure(pl, raceW, raceH), nil
}

// flatPalette is n copies of one colour.
type flatPalette struct {
	c color.Color
	n int
}

func (f flatPalette) Colors() []color.Color {
	out := make([]color.Color, f.n)
	for i := range out {
		out[i] = f.c
	}
	return out
}

// fadedPalette mixes a palette with white (keep: the share of the colour kept).
type fadedPalette struct {
	p    interface{ Colors() []color.Color }
	keep float64
}

func (f fadedPalette) Colors() []color.Color {
	cs := f.p.Colors()
	out := make([]color.Color, len(cs))
	for i, c := range cs {
		r, g, b, _ := c.RGBA()
		mix := func(v uint32) uint8 { return uint8(255 - f.keep*(255-float64(v>>8))) }
		out[i] = color.NRGBA{mix(r), mix(g), mix(b), 255}
	}
	return out
}

// RaceGIF writes the race as an animated GIF: one frame every `every`
// steps (and the last), drawn at dpi, delay hundredths of a second apiece.
func RaceGIF(r *RaceResult, p *Problem, title string, every, dpi, delay int) ([]byte, int, error) {
	if every < 1 {
		return nil, 0, fmt.Errorf("weightspace: a GIF frame every %d steps: want ≥ 1", every)
	}
	longest := 0
	for _, path := range r.Paths {
		longest = max(longest, len(path.Points)-1)
	}
	// Frames draw the contours of a coarser grid (at most 41 points a
	// side): a hundred frames of the full grid take minutes on 2 cores.
	cr := *r
	cr.Surface = coarse(r.Surface, 41)
	var frames []*figure.Figure
	for s := 0; ; s += every {
		s = min(s, longest)
		f, err := raceFigure(&cr, p, fmt.Sprintf("%s — step %d", title, s), s, false)
		if err != nil {
			return nil, 0, err
		}
		frames = append(frames, f)
		if s == longest {
			break
		}
	}
	var b bytes.Buffer
	if err := figure.WriteGIF(&b, frames, delay, dpi); err != nil {
		return nil, 0, err
	}
	return b.Bytes(), len(frames), nil
}

// coarse keeps every k-th point of a surface's grid (and its last), so that
// at most n remain per side.
func coarse(s *Surface, n int) *Surface {
	pick := func(m int) []int {
		k := max(1, (m+n-2)/(n-1))
		var idx []int
		for i := 0; i < m; i += k {
			idx = append(idx, i)
		}
		if idx[len(idx)-1] != m-1 {
			idx = append(idx, m-1)
		}
		return idx
	}
	ix, iy := pick(len(s.X)), pick(len(s.Y))
	c := &Surface{Kind: s.Kind}
	for _, i := range ix {
		c.X = append(c.X, s.X[i])
	}
	for _, j := range iy {
		c.Y = append(c.Y, s.Y[j])
		row := make([]float64, len(ix))
		for k, i := range ix {
			row[k] = s.Loss[j][i]
		}
		c.Loss = append(c.Loss, row)
	}
	return c
}

// RaceCSV is every path as CSV: optimizer, step, x, y, loss.
func RaceCSV(r *RaceResult) []byte {
	var b strings.Builder
	b.WriteString("optimizer,lr,step,x,y,loss\n")
	for _, p := range r.Paths {
		for i, q := range p.Points {
			fmt.Fprintf(&b, "%s,%s,%d,%s,%s,%s\n", p.Optimizer, g(p.LR), i, g(q[0]), g(q[1]), g(p.Losses[i]))
		}
	}
	return []byte(b.String())
}

// RaceTable is the race as a text table: steps to the tolerance, final loss
// and distance to the minimizer, how a path ended.
func RaceTable(r *RaceResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s; start (%g, %g)", r.Problem, r.About, r.Start[0], r.Start[1])
	if r.Min != nil {
		fmt.Fprintf(&b, ", minimum %.6g at (%.4g, %.4g)", *r.MinLoss, r.Min[0], r.Min[1])
	}
	fmt.Fprintf(&b, "\n  %-9s %9s %7s %12s %13s %10s  %s\n", "optimizer", "lr", "steps", "steps to tol", "final loss", "distance", "ended")
	for _, p := range r.Paths {
		tol, dist := "—", "—"
		if p.StepsToTol >= 0 {
			tol = fmt.Sprint(p.StepsToTol)
		}
		if p.FinalDist >= 0 {
			dist = fmt.Sprintf("%.3g", p.FinalDist)
		}
		end := p.Stopped
		if end == "" {
			end = "ran every step"
		}
		fmt.Fprintf(&b, "  %-9s %9g %7d %12s %13.6g %10s  %s\n", p.Optimizer, p.LR, p.Steps, tol, p.FinalLoss, dist, end)
	}
	return b.String()
}
