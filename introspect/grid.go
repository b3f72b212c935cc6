package introspect

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
)

// Scale maps data values to colormap positions: Lo → 0, Hi → 1, linearly,
// clamped. A zero-width scale maps everything to 0.5.
type Scale struct{ Lo, Hi float64 }

// At is the colormap position of x. NaN maps to 0.5 (the neutral colour).
func (s Scale) At(x float64) float64 {
	if s.Hi <= s.Lo || math.IsNaN(x) {
		return 0.5
	}
	return clamp01((x - s.Lo) / (s.Hi - s.Lo))
}

// SymmetricScale is the zero-centred scale [−m, m] with m the largest |x|:
// zero lands on the colormap's centre, the largest weight of either sign on
// its end. This is what signed weights need: the sign stays readable.
func SymmetricScale(vals ...[]float32) Scale {
	m := 0.0
	for _, v := range vals {
		for _, x := range v {
			if a := math.Abs(float64(x)); a > m && !math.IsInf(a, 0) {
				m = a
			}
		}
	}
	return Scale{-m, m}
}

// RangeScale is [min, max] of the data (for activations, which are not
// zero-centred).
func RangeScale(vals ...[]float32) Scale {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		for _, x := range v {
			f := float64(x)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				continue
			}
			lo, hi = min(lo, f), max(hi, f)
		}
	}
	if lo > hi {
		return Scale{}
	}
	return Scale{lo, hi}
}

// Normalization modes.
const (
	NormFilter = "filter" // each panel on its own scale
	NormGlobal = "global" // one scale for all panels
)

// Panel is one small image of a grid: W×H values, row-major, and a label.
type Panel struct {
	W, H  int
	V     []float32
	Label string
	// Scale, when set, is this panel's own scale, whatever the grid's
	// normalization (a fit and its residual drawn on their filter's scale).
	Scale *Scale
}

// GridOptions lay out a grid of panels.
type GridOptions struct {
	Cols     int      // panels per row (0: about square)
	Pad      int      // pixels between panels and around the grid
	Scale    int      // nearest-neighbour upscaling factor (0: 1)
	Cmap     Colormap // nil: Diverging
	Norm     string   // NormFilter (default) or NormGlobal
	Signed   bool     // zero-centred scales (SymmetricScale) instead of RangeScale
	Labels   bool     // each panel's label above it
	Colorbar bool     // a colorbar on the right
	Title    string   // a line above the grid ("" : none)
	// RowLabels, when set, are drawn left of each row (a filmstrip's steps).
	RowLabels []string
	// Fixed, when non-nil, is the one scale used for every panel (it overrides
	// Norm): a time-lapse keeps the same scale across frames.
	Fixed *Scale
}

// Layout is the geometry of a grid figure, in figure pixels.
type Layout struct {
	Rows, Cols   int
	CellW, CellH int // panel size after upscaling
	LabelH       int // height of the label strip above each panel
	Left, Top    int // where the first panel's cell (label strip included) starts
	GridW, GridH int // extent of the panel area, outer padding included
}

// GridLayout computes where n panels of w×h go.
func GridLayout(n, w, h int, o GridOptions) Layout {
	s := max(o.Scale, 1)
	cols := o.Cols
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	cols = max(min(cols, n), 1)
	rows := (n + cols - 1) / cols
	l := Layout{Rows: rows, Cols: cols, CellW: w * s, CellH: h * s}
	if o.Labels {
		l.LabelH = TextAsc + TextDesc + 1
	}
	if o.Title != "" {
		l.Top = TextAsc + TextDesc + 4
	}
	for _, r := range o.RowLabels {
		l.Left = max(l.Left, TextWidth(r)+4)
	}
	l.GridW = o.Pad + cols*(l.CellW+o.Pad)
	l.GridH = o.Pad + rows*(l.CellH+l.LabelH+o.Pad)
	return l
}

// PanelAt is the top-left corner of panel i's image.
func (l Layout) PanelAt(i, pad int) image.Point {
	r, c := i/l.Cols, i%l.Cols
	return image.Pt(l.Left+pad+c*(l.CellW+pad), l.Top+pad+r*(l.CellH+l.LabelH+pad)+l.LabelH)
}

// Grid renders panels (all of one size) as a grid figure. Without title,
// labels or colorbar the figure is exactly the panel area: pad pixels of
// background around and between panels of Scale×(W×H) pixels.
func Grid(panels []Panel, o GridOptions) (*Figure, error) {
	if len(panels) == 0 {
		return nil, errors.New("introspect: grid of no panels")
	}
	w, h := panels[0].W, panels[0].H
	for i, p := range panels {
		if p.W != w || p.H != h || len(p.V) != w*h || w < 1 || h < 1 {
			return nil, fmt.Errorf("introspect: grid panel %d is %d×%d with %d values; panel 0 is %d×%d", i, p.W, p.H, len(p.V), w, h)
		}
	}
	if o.Pad < 0 || o.Scale < 0 {
		return nil, fmt.Errorf("introspect: grid pad %d and scale %d must not be negative", o.Pad, o.Scale)
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
		return nil, fmt.Errorf("introspect: unknown normalization %q (known: %s, %s)", o.Norm, NormFilter, NormGlobal)
	}
	perPanel := o.Fixed == nil && o.Norm != NormGlobal

	l := GridLayout(len(panels), w, h, o)
	fig := &Figure{W: l.Left + l.GridW, H: l.Top + l.GridH, Background: color.NRGBA{255, 255, 255, 255}, Meta: map[string]string{}}
	if o.Title != "" {
		fig.Texts = append(fig.Texts, Text{X: o.Pad, Y: TextAsc + 2, S: o.Title})
	}
	for i, p := range panels {
		sc := global
		switch {
		case p.Scale != nil:
			sc = *p.Scale
		case perPanel:
			sc = scaleOf(p.V)
		}
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for k, x := range p.V {
			img.SetNRGBA(k%w, k/w, cmap.At(sc.At(float64(x))))
		}
		at := l.PanelAt(i, o.Pad)
		fig.Tiles = append(fig.Tiles, Tile{X: at.X, Y: at.Y, Scale: max(o.Scale, 1), Img: img})
		if o.Labels && p.Label != "" {
			fig.Texts = append(fig.Texts, Text{X: at.X + l.CellW/2, Y: at.Y - TextDesc - 1, S: p.Label, Anchor: AnchorMiddle})
		}
	}
	for r, s := range o.RowLabels {
		if r < l.Rows {
			y := l.PanelAt(r*l.Cols, o.Pad).Y + l.CellH/2 + TextAsc/2
			fig.Texts = append(fig.Texts, Text{X: 1, Y: y, S: s})
		}
	}
	if o.Colorbar {
		lo, hi := global.Lo, global.Hi
		if perPanel {
			lo, hi = math.NaN(), math.NaN()
		}
		addColorbar(fig, cmap, l.Top+o.Pad, l.Top+l.GridH-o.Pad, lo, hi, o.Signed)
	}
	return fig, nil
}

// colorbarSteps is how many bands a colorbar is drawn with (vector output).
const colorbarSteps = 64

// addColorbar widens the figure by a vertical colorbar from y0 to y1 with its
// end values written beside it. NaN ends mean "each panel on its own scale":
// the labels then say ±max (signed) or min/max without numbers.
func addColorbar(fig *Figure, cmap Colormap, y0, y1 int, lo, hi float64, signed bool) {
	const barW, gap = 12, 8
	if y1-y0 < 2*(TextAsc+TextDesc) {
		y1 = y0 + 2*(TextAsc+TextDesc)
	}
	x := fig.W + gap
	hgt := y1 - y0
	for k := 0; k < colorbarSteps; k++ {
		ya := y0 + k*hgt/colorbarSteps
		yb := y0 + (k+1)*hgt/colorbarSteps
		v := 1 - (float64(k)+0.5)/colorbarSteps // top is the high end
		fig.Rects = append(fig.Rects, Rect{X: x, Y: ya, W: barW, H: yb - ya, Fill: cmap.At(v)})
	}
	top, bottom := fmtValue(hi), fmtValue(lo)
	if math.IsNaN(lo) {
		top, bottom = "max", "min"
		if signed {
			top, bottom = "+max", "-max"
		}
	}
	mid := ""
	if signed {
		mid = "0"
	}
	tx := x + barW + 3
	fig.Texts = append(fig.Texts,
		Text{X: tx, Y: y0 + TextAsc, S: top},
		Text{X: tx, Y: y1, S: bottom})
	if mid != "" {
		fig.Texts = append(fig.Texts, Text{X: tx, Y: (y0+y1)/2 + TextAsc/2, S: mid})
	}
	w := max(TextWidth(top), TextWidth(bottom), TextWidth(mid))
	fig.W = tx + w + 4
	fig.H = max(fig.H, y1+TextDesc+2)
}

// fmtValue writes a colorbar end compactly (3 significant digits).
func fmtValue(v float64) string {
	if math.IsNaN(v) {
		return "nan"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
