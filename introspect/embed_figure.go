package introspect

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// classPalette holds ten distinct categorical colours (the palette most
// plotting tools use by default): blue, orange, green, red, purple, brown,
// pink, gray, olive, cyan.
var classPalette = []color.NRGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255},
}

// ClassColor is class c's colour; beyond ten classes the palette repeats
// at two-thirds brightness.
func ClassColor(c int) color.NRGBA {
	p := classPalette[c%len(classPalette)]
	if (c/len(classPalette))%2 == 1 {
		p.R, p.G, p.B = p.R*2/3, p.G*2/3, p.B*2/3
	}
	return p
}

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
	Size           int      // side of the square plot area in pixels (0: 440)
	Dot            int      // side of a point's square (0: 3)
}

// Scatter geometry, in pixels.
const (
	scMargin  = 12
	scAxisW   = 52 // room left of the plot for the y tick labels
	scAxisH   = 34 // room below the plot for x tick labels and the axis label
	scLegendX = 18 // gap between plot and legend
	scSwatch  = 10
)

var gridGray = color.NRGBA{236, 236, 236, 255}

// ScatterFigure draws 2-D points coloured by class: framed plot area with
// light grid lines at round tick values, axis labels, and a legend of class
// colours and names on the right.
func ScatterFigure(xy *mat.Dense, labels []int, o ScatterOptions) (*Figure, error) {
	n, k := xy.Dims()
	if k != 2 || len(labels) != n {
		return nil, fmt.Errorf("introspect: scatter of %d×%d coordinates with %d labels (want n×2 and n labels)", n, k, len(labels))
	}
	size := cmpOr(o.Size, 440)
	b := DataBounds(xy)
	if o.Bounds != nil {
		b = *o.Bounds
	}
	classes := 0
	for _, c := range labels {
		classes = max(classes, c+1)
	}
	classes = max(classes, len(o.ClassNames))
	fig := &Figure{Background: white, Meta: map[string]string{}}
	y := scMargin
	for _, t := range o.Title {
		fig.Texts = append(fig.Texts, Text{X: scMargin, Y: y + TextAsc, S: t})
		y += actLineH
	}
	y += 4
	if o.YLabel != "" {
		fig.Texts = append(fig.Texts, Text{X: scMargin + scAxisW, Y: y + TextAsc, S: o.YLabel, Color: noteGray})
		y += actLineH + 2
	}
	px, py := scMargin+scAxisW, y
	drawScatter(fig, px, py, size, size, xy, labels, b, true, o.Dot)
	if o.XLabel != "" {
		fig.Texts = append(fig.Texts, Text{X: px + size/2, Y: py + size + scAxisH - 4, S: o.XLabel, Anchor: AnchorMiddle, Color: noteGray})
	}
	lw := drawLegend(fig, px+size+scLegendX, py, classes, o.ClassNames)
	fig.W = px + size + scLegendX + lw + scMargin
	fig.H = py + size + scAxisH + scMargin
	widenForText(fig, scMargin)
	return fig, nil
}

// widenForText widens the figure so every left-anchored text (the titles)
// ends at least margin pixels inside it.
func widenForText(fig *Figure, margin int) {
	for _, t := range fig.Texts {
		if t.Anchor == AnchorStart {
			fig.W = max(fig.W, t.X+TextWidth(t.S)+margin)
		}
	}
}

// drawLegend lists class swatches and names from (x, y) down and returns
// its width.
func drawLegend(fig *Figure, x, y, classes int, names []string) int {
	w := 0
	for c := 0; c < classes; c++ {
		yy := y + c*(actLineH+3)
		fig.Rects = append(fig.Rects, Rect{X: x, Y: yy + 2, W: scSwatch, H: scSwatch, Fill: ClassColor(c)})
		s := className(names, c)
		fig.Texts = append(fig.Texts, Text{X: x + scSwatch + 6, Y: yy + TextAsc, S: s})
		w = max(w, scSwatch+6+TextWidth(s))
	}
	return w
}

// drawScatter draws points into the w×h plot area at (x, y): grid lines and
// (with ticks) their values, the points as dot×dot squares centred on their
// positions (points outside the window are left out), and a frame.
func drawScatter(fig *Figure, x, y, w, h int, xy *mat.Dense, labels []int, b Bounds, ticks bool, dot int) {
	dot = cmpOr(dot, 3)
	toX := func(v float64) int { return x + int(math.Round((v-b.X0)/(b.X1-b.X0)*float64(w-1))) }
	toY := func(v float64) int { return y + h - 1 - int(math.Round((v-b.Y0)/(b.Y1-b.Y0)*float64(h-1))) }
	for _, t := range niceTicks(b.X0, b.X1) {
		tx := toX(t)
		fig.Rects = append(fig.Rects, Rect{X: tx, Y: y, W: 1, H: h, Fill: gridGray})
		if ticks {
			fig.Rects = append(fig.Rects, Rect{X: tx, Y: y + h, W: 1, H: 4, Fill: frameGray})
			fig.Texts = append(fig.Texts, Text{X: tx, Y: y + h + 5 + TextAsc, S: fmtTick(t), Anchor: AnchorMiddle, Color: noteGray})
		}
	}
	for _, t := range niceTicks(b.Y0, b.Y1) {
		ty := toY(t)
		fig.Rects = append(fig.Rects, Rect{X: x, Y: ty, W: w, H: 1, Fill: gridGray})
		if ticks {
			fig.Rects = append(fig.Rects, Rect{X: x - 4, Y: ty, W: 4, H: 1, Fill: frameGray})
			fig.Texts = append(fig.Texts, Text{X: x - 7, Y: ty + TextAsc/2, S: fmtTick(t), Anchor: AnchorEnd, Color: noteGray})
		}
	}
	n, _ := xy.Dims()
	for i := 0; i < n; i++ {
		v, u := xy.At(i, 0), xy.At(i, 1)
		if v < b.X0 || v > b.X1 || u < b.Y0 || u > b.Y1 || math.IsNaN(v) || math.IsNaN(u) {
			continue
		}
		fig.Rects = append(fig.Rects, Rect{X: toX(v) - dot/2, Y: toY(u) - dot/2, W: dot, H: dot, Fill: ClassColor(labels[i])})
	}
	frame(fig, x, y, w, h, frameGray)
}

// niceTicks are round values (steps of 1, 2 or 5 times a power of ten)
// inside [lo, hi], about five of them.
func niceTicks(lo, hi float64) []float64 {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	raw := (hi - lo) / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := p
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			step = m * p
			break
		}
	}
	var out []float64
	// Multiples k·step, computed from k so rounding does not accumulate.
	for k := math.Ceil(lo / step); k*step <= hi+1e-9*step; k++ {
		out = append(out, k*step+0) // +0 turns −0 into 0
	}
	return out
}

func fmtTick(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// OverviewFigure draws one small scatter per embedding, cols to a row, each
// titled with its layer and the variance its two axes explain, and one
// legend for all.
func OverviewFigure(embs []*Embedding, title []string, classNames []string, cols int) (*Figure, error) {
	if len(embs) == 0 {
		return nil, errors.New("introspect: overview of no embeddings")
	}
	const side, gap = 200, 18
	cols = min(cmpOr(cols, 4), len(embs))
	fig := &Figure{Background: white, Meta: map[string]string{}}
	y := scMargin
	for _, t := range title {
		fig.Texts = append(fig.Texts, Text{X: scMargin, Y: y + TextAsc, S: t})
		y += actLineH
	}
	y += 6
	classes := len(classNames)
	for i, e := range embs {
		cx := scMargin + (i%cols)*(side+gap)
		cy := y + (i/cols)*(side+gap+2*actLineH)
		fig.Texts = append(fig.Texts,
			Text{X: cx, Y: cy + TextAsc, S: layerTitle(e.Layer)},
			Text{X: cx, Y: cy + actLineH + TextAsc, S: shortVariance(e.PCA), Color: noteGray})
		drawScatter(fig, cx, cy+2*actLineH, side, side, e.XY, e.Labels, DataBounds(e.XY), false, 2)
		for _, c := range e.Labels {
			classes = max(classes, c+1)
		}
	}
	rows := (len(embs) + cols - 1) / cols
	lx := scMargin + cols*(side+gap)
	lw := drawLegend(fig, lx, y+2*actLineH, classes, classNames)
	fig.W = lx + lw + scMargin
	fig.H = y + rows*(side+gap+2*actLineH) - gap + scMargin
	widenForText(fig, scMargin)
	return fig, nil
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

// WriteFiguresGIF writes figures of one size as an animated GIF, delay in
// hundredths of a second per frame (the last held three times as long),
// looping. The palette is the figures' own colours when they number at most
// 256 (scatter plots use a handful), else the 6×6×6 colour cube plus grays,
// each pixel mapped to its nearest entry.
func WriteFiguresGIF(w io.Writer, figs []*Figure, delay int) error {
	if len(figs) == 0 {
		return errors.New("introspect: a GIF needs at least one frame")
	}
	imgs := make([]*image.NRGBA, len(figs))
	seen := map[color.NRGBA]bool{}
	var pal color.Palette
	for i, f := range figs {
		imgs[i] = f.Raster()
		if imgs[i].Bounds() != imgs[0].Bounds() {
			return fmt.Errorf("introspect: GIF frame %d is %v, the first %v", i, imgs[i].Bounds(), imgs[0].Bounds())
		}
		for p := 0; p+3 < len(imgs[i].Pix) && len(pal) <= 256; p += 4 {
			c := color.NRGBA{imgs[i].Pix[p], imgs[i].Pix[p+1], imgs[i].Pix[p+2], 255}
			if !seen[c] {
				seen[c] = true
				pal = append(pal, c)
			}
		}
	}
	if len(pal) > 256 {
		pal = pal[:0]
		for r := 0; r < 6; r++ {
			for g := 0; g < 6; g++ {
				for b := 0; b < 6; b++ {
					pal = append(pal, color.NRGBA{uint8(51 * r), uint8(51 * g), uint8(51 * b), 255})
				}
			}
		}
		for k := 1; k < 40; k++ {
			v := uint8(k * 255 / 40)
			pal = append(pal, color.NRGBA{v, v, v, 255})
		}
	}
	anim := &gif.GIF{}
	for i, img := range imgs {
		p := image.NewPaletted(img.Bounds(), pal)
		draw.Draw(p, p.Rect, img, img.Bounds().Min, draw.Src)
		d := delay
		if i == len(imgs)-1 {
			d *= 3
		}
		anim.Image = append(anim.Image, p)
		anim.Delay = append(anim.Delay, d)
	}
	if err := gif.EncodeAll(w, anim); err != nil {
		return fmt.Errorf("introspect: encoding GIF: %w", err)
	}
	return nil
}
