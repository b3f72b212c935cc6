package figure

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Normalizations of a grid.
const (
	NormFilter = "filter" // each panel on its own scale
	NormGlobal = "global" // one scale for all panels
)

// Panel is one small image of a grid: W×H values, row-major, and a label.
type Panel struct {
	W, H  int
	V     []float32
	Label string
	// Scale, when set, is this panel's own scale whatever the grid's
	// normalization (a fit and its residual drawn on their filter's scale).
	Scale *Scale
	// Flag, when set, draws the panel's frame in red with this note (a
	// dead map, a fit on its search bounds).
	Flag string
}

// GridOptions lay out a grid of panels. Lengths are in points.
type GridOptions struct {
	Cols int     // panels per row (0: about square)
	Gap  float64 // between panels (0: 2)
	// Cell is a panel's longer side (0: from Width, else 48).
	Cell float64
	// Width, when > 0, is the figure's whole width: the cell size is chosen
	// to fill it, text keeps its size.
	Width     float64
	Cmap      Colormap // nil: Diverging
	Norm      string   // NormFilter (default) or NormGlobal
	Signed    bool     // zero-centred scales instead of [min, max]
	Labels    bool     // each panel's label above it
	Colorbar  bool     // a colorbar with values on the right
	Title     string   // a line above the grid
	RowLabels []string // left of each row (a filmstrip's steps)
	// Fixed, when non-nil, is the scale of every panel (overrides Norm).
	Fixed *Scale
	// CbarLabel names the colorbar's quantity ("weight").
	CbarLabel string
}

// Grid geometry constants, in points.
const (
	margin   = 4.0
	cbarW    = 8.0 // the colour strip
	cbarAxis = 34.0
)

// Grid draws panels (all of one size) as a grid figure.
func Grid(panels []Panel, o GridOptions) (*Figure, error) {
	if len(panels) == 0 {
		return nil, errors.New("figure: grid of no panels")
	}
	w, h := panels[0].W, panels[0].H
	for i, p := range panels {
		if p.W != w || p.H != h || len(p.V) != w*h || w < 1 || h < 1 {
			return nil, fmt.Errorf("figure: grid panel %d is %d×%d with %d values; panel 0 is %d×%d", i, p.W, p.H, len(p.V), w, h)
		}
	}
	if o.Gap < 0 || o.Cell < 0 || o.Width < 0 {
		return nil, fmt.Errorf("figure: grid gap %g, cell %g and width %g must not be negative", o.Gap, o.Cell, o.Width)
	}
	cmap := o.Cmap
	if cmap == nil {
		cmap = Diverging
	}
	scaleOf := RangeScale
	if o.Signed {
		scaleOf = SymmetricScale
	}
	var global Scale
	switch {
	case o.Fixed != nil:
		global = *o.Fixed
	case o.Norm == NormGlobal:
		all := make([][]float32, len(panels))
		for i, p := range panels {
			all[i] = p.V
		}
		global = scaleOf(all...)
	case o.Norm == "" || o.Norm == NormFilter:
	default:
		return nil, fmt.Errorf("figure: unknown normalization %q (known: %s, %s)", o.Norm, NormFilter, NormGlobal)
	}
	perPanel := o.Fixed == nil && o.Norm != NormGlobal

	n := len(panels)
	cols := o.Cols
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	cols = max(min(cols, n), 1)
	rows := (n + cols - 1) / cols
	gap := o.Gap
	if gap == 0 {
		gap = 2
	}
	left := margin
	for _, r := range o.RowLabels {
		left = max(left, margin+TextWidth(r, 0)+4)
	}
	right := margin
	if o.Colorbar {
		right += 6 + cbarW + cbarAxis
	}
	labelH := 0.0
	if o.Labels {
		labelH = LineHeight(TextSize - 1)
	}
	top := margin
	if o.Title != "" {
		top += LineHeight(TextSize+1) + 2
	}
	// Cell size: the longer panel side.
	cell := o.Cell
	aspect := float64(w) / float64(h)
	if cell == 0 && o.Width > 0 {
		avail := o.Width - left - right - float64(cols-1)*gap
		cw := avail / float64(cols)
		cell = cw
		if aspect < 1 {
			cell = cw / aspect
		}
	}
	if cell == 0 {
		cell = 48
	}
	if cell < 1 {
		return nil, fmt.Errorf("figure: %d columns do not fit in %g points", cols, o.Width)
	}
	cw, ch := cell, cell
	if aspect >= 1 {
		ch = cell / aspect
	} else {
		cw = cell * aspect
	}
	if o.Labels {
		// A label must fit its cell: shrink nothing, but widen the gap.
		widest := 0.0
		for _, p := range panels {
			widest = max(widest, TextWidth(p.Label, TextSize-1))
		}
		gap = max(gap, widest-cw+2)
	}
	gridW := float64(cols)*cw + float64(cols-1)*gap
	gridH := float64(rows)*(ch+labelH) + float64(rows-1)*gap
	f := New(left+gridW+right, top+gridH+margin)
	if o.Width > 0 {
		f.W = max(f.W, o.Width)
	}
	if o.Title != "" {
		f.Add(Text{X: margin, Y: margin + Ascent(TextSize+1), S: o.Title, Size: TextSize + 1})
	}
	red := color.NRGBA{200, 30, 30, 255}
	for i, p := range panels {
		sc := global
		switch {
		case p.Scale != nil:
			sc = *p.Scale
		case perPanel:
			sc = scaleOf(p.V)
		}
		r, c := i/cols, i%cols
		x := left + float64(c)*(cw+gap)
		y := top + float64(r)*(ch+labelH+gap) + labelH
		f.Add(Tile{X: x, Y: y, W: cw, H: ch, Img: PanelImage(p.V, w, h, cmap, sc)})
		if o.Labels && p.Label != "" {
			f.Add(Text{X: x + cw/2, Y: y - Descent(TextSize-1) - 0.5, S: p.Label, Anchor: Center, Size: TextSize - 1})
		}
		if p.Flag != "" {
			f.Add(Box{X: x, Y: y, W: cw, H: ch, Line: 1, Color: red})
		}
	}
	for r, s := range o.RowLabels {
		if r < rows {
			y := top + float64(r)*(ch+labelH+gap) + labelH + ch/2 + Ascent(0)/2
			f.Add(Text{X: margin, Y: y, S: s})
		}
	}
	if o.Colorbar {
		x := left + gridW + 6
		bh := max(gridH, 40)
		f.H = max(f.H, top+bh+margin)
		lab := o.CbarLabel
		if perPanel {
			AddColorbar(f, x, top, cbarW+cbarAxis, bh, cmap, Scale{-1, 1}, o.Signed, true, lab)
		} else {
			AddColorbar(f, x, top, cbarW+cbarAxis, bh, cmap, global, o.Signed, false, lab)
		}
	}
	if o.Width <= 0 {
		f.Fit(margin) // a long title widens the figure rather than being cut
	}
	return f, nil
}

// PanelImage colours w×h values with a colormap on a scale.
func PanelImage(v []float32, w, h int, cmap Colormap, sc Scale) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for k, x := range v {
		if k >= w*h {
			break
		}
		c := cmap.At(sc.At(float64(x)))
		i := img.PixOffset(k%w, k/w)
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// AddColorbar draws a vertical colorbar in the rectangle at (x, y), w×h
// points: a gonum plot of a plotter.ColorBar whose y axis (on the left of
// the strip) shows the values of sc. relative says the panels each have
// their own scale: the ticks then read −max, 0, +max (signed) or min, max.
func AddColorbar(f *Figure, x, y, w, h float64, cmap Colormap, sc Scale, signed, relative bool, label string) {
	lo, hi := sc.Lo, sc.Hi
	if math.IsNaN(lo) || math.IsInf(lo, 0) {
		lo = 0
	}
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		lo, hi = lo-1, lo+1
	}
	p := NewPlot("", "", label)
	p.HideX()
	p.BackgroundColor = color.Transparent
	p.Y.Padding = 0
	p.Add(colorStrip{cm: cmap, lo: lo, hi: hi})
	p.Y.Min, p.Y.Max = lo, hi
	p.X.Min, p.X.Max = 0, 1
	if relative {
		if signed {
			p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: lo, Label: "−max"}, {Value: (lo + hi) / 2, Label: "0"}, {Value: hi, Label: "+max"}})
		} else {
			p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: lo, Label: "min"}, {Value: hi, Label: "max"}})
		}
	} else {
		p.Y.Tick.Marker = valueTicks{}
	}
	f.Add(PlotItem{X: x, Y: y, W: w, H: h, Plot: p})
	f.W = max(f.W, x+w+margin)
}

// valueTicks are gonum's default ticks labelled with up to 4 significant
// digits (gonum's own labels can repeat, "2.2, 2.2", on a narrow range).
type valueTicks struct{}

func (valueTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 4, 64)
		}
	}
	return ts
}

// colorStrip fills a plot's data area with a colormap from lo (bottom) to
// hi (top) as stripLevels flat bands: rectangles in every format, so no
// viewer smooths or resamples it.
type colorStrip struct {
	cm     Colormap
	lo, hi float64
}

const stripLevels = 128

func (s colorStrip) Plot(c draw.Canvas, _ *plot.Plot) {
	r := c.Rectangle
	h := r.Max.Y - r.Min.Y
	for i := 0; i < stripLevels; i++ {
		y0 := r.Min.Y + h*vg.Length(i)/stripLevels
		y1 := r.Min.Y + h*vg.Length(i+1)/stripLevels
		if i < stripLevels-1 {
			y1 += h / stripLevels / 4 // overlap: no hairline between bands
		}
		c.FillPolygon(s.cm.At((float64(i)+0.5)/stripLevels), []vg.Point{{X: r.Min.X, Y: y0}, {X: r.Max.X, Y: y0}, {X: r.Max.X, Y: y1}, {X: r.Min.X, Y: y1}})
	}
	c.SetColor(color.Gray{Y: 80})
	c.SetLineWidth(vg.Points(0.4))
	var p vg.Path
	p.Move(r.Min)
	p.Line(vg.Point{X: r.Max.X, Y: r.Min.Y})
	p.Line(r.Max)
	p.Line(vg.Point{X: r.Min.X, Y: r.Max.Y})
	p.Close()
	c.Stroke(p)
}
