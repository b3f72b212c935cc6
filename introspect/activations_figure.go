package introspect

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/kernels"
)

// Activation-figure normalizations: one scale for all maps of a layer, or
// one per map.
const (
	NormLayer = "layer"
	NormMap   = "map"
)

// ActivationFigureOptions lay out ActivationFigure.
type ActivationFigureOptions struct {
	// Norm is NormLayer (default: the maps of a layer share one scale, so
	// strong and weak channels compare) or NormMap (each map on its own
	// scale, so the pattern of a weak channel shows).
	Norm string
	// Cols is how many feature maps a row holds before it wraps (0: 16).
	Cols int
	// MapSize is the side in points a feature map is drawn at (0: 36); the
	// input image is drawn twice as large.
	MapSize float64
	// StripWidth is the widest a heat strip is drawn before it wraps (0: 576).
	StripWidth float64
	// Title lines above the figure.
	Title []string
	// ClassNames label the cells of the last layer's strip (the logits),
	// each with its softmax probability; the predicted class is framed.
	ClassNames []string
}

// Figure geometry, in pixels.
const (
	actMargin   = 8.0  // around the figure
	actRowGap   = 8.0  // between layer rows (a rule is drawn in the middle)
	actMapGap   = 4.0  // between feature maps
	actStripH   = 14.0 // height of a heat strip line
	actLineH    = 10.0 // a line of text
	actAsc      = 6.0  // a text's height above its baseline, about
	actLabelPad = 10.0 // between the label column and the maps
)

var (
	black     = color.NRGBA{0, 0, 0, 255}
	frameGray = color.NRGBA{170, 170, 170, 255}
	ruleGray  = color.NRGBA{225, 225, 225, 255}
	noteGray  = color.NRGBA{110, 110, 110, 255}
)

// ActivationFigure draws how one input is transformed layer by layer: a row
// per layer, top to bottom in forward order, the layer's name, shape and
// value range on the left. Feature maps [C, H, W] are drawn as C tiles;
// vectors as heat strips. The input is drawn in gray (its own range, so it
// looks like the image); every other layer with the diverging colormap on a
// zero-centred scale: zero is the light centre, positive red, negative blue, so after a
// ReLU the units that are off are pale and the strength of the rest reads
// as the depth of red.
func ActivationFigure(acts []LayerActivation, o ActivationFigureOptions) (*figure.Figure, error) {
	if len(acts) == 0 {
		return nil, errors.New("introspect: activation figure of no layers")
	}
	switch o.Norm {
	case "":
		o.Norm = NormLayer
	case NormLayer, NormMap:
	default:
		return nil, fmt.Errorf("introspect: unknown activation normalization %q (known: %s, %s)", o.Norm, NormLayer, NormMap)
	}
	o.Cols = cmpOr(o.Cols, 16)
	if o.MapSize <= 0 {
		o.MapSize = 36
	}
	if o.StripWidth <= 0 {
		o.StripWidth = 576
	}

	fig := figure.New(0, 0)
	fig.Meta["normalization"] = o.Norm
	y := actMargin
	for _, t := range o.Title {
		fig.Add(figure.Text{X: actMargin, Y: y + actAsc, S: t})
		y += actLineH
	}
	y += legend(fig, actMargin, y+2, o.Norm)
	y += actRowGap

	// The label column is as wide as its widest line.
	labels := make([][]string, len(acts))
	labelW := 0.0
	for i, a := range acts {
		labels[i] = layerLabel(a)
		for _, s := range labels[i] {
			labelW = max(labelW, figure.TextWidth(s, 0))
		}
	}
	x0 := actMargin + labelW + actLabelPad
	width := 0.0
	var rules []float64 // y of the rule above each row but the first
	for i, a := range acts {
		if i > 0 {
			rules = append(rules, y-actRowGap/2-1)
		}
		var h, w float64
		var err error
		last := i == len(acts)-1
		if side := squareSide(a); side > 0 {
			// An MLP's input is a flattened square image: draw it as one.
			a.Layer.Out = []int{1, side, side}
		}
		switch {
		case a.Layer.Kind == KindInput && len(a.Layer.Out) == 3:
			h, w, err = drawMaps(fig, a, x0, y, o, true)
		case len(a.Layer.Out) == 3:
			h, w, err = drawMaps(fig, a, x0, y, o, false)
		default:
			var names []string
			if last && len(o.ClassNames) == len(a.V) {
				names = o.ClassNames
			}
			h, w, err = drawStrip(fig, a, x0, y, o, names)
		}
		if err != nil {
			return nil, err
		}
		for k, s := range labels[i] {
			c := black
			if k > 0 {
				c = noteGray
			}
			fig.Add(figure.Text{X: actMargin, Y: y + actAsc + float64(k)*actLineH, S: s, Color: c})
		}
		h = max(h, float64(len(labels[i]))*actLineH)
		width = max(width, x0+w)
		y += h + actRowGap
	}
	fig.W, fig.H = width+actMargin, y-actRowGap+actMargin
	fig.Fit(actMargin)
	for _, ry := range rules {
		fig.Add(figure.Rect{X: actMargin, Y: ry, W: fig.W - 2*actMargin, H: 0.5, Fill: ruleGray})
	}
	return fig, nil
}

// squareSide is the side of the square image a flat input holds (784 →
// 28), or 0 when the layer is not a flat input of a square size.
func squareSide(a LayerActivation) int {
	if a.Layer.Kind != KindInput || len(a.Layer.Out) != 1 {
		return 0
	}
	s := int(math.Round(math.Sqrt(float64(a.Layer.Out[0]))))
	if s*s != a.Layer.Out[0] {
		return 0
	}
	return s
}

// layerLabel is the text left of a layer's row: name, shape, range, and the
// fraction of zeros where a ReLU made them.
func layerLabel(a LayerActivation) []string {
	st := Stats(a)
	name := a.Layer.Name
	if a.Layer.Kind == KindInput {
		name = "input"
	}
	lines := []string{name, shapeText(a.Layer.Out)}
	if a.Layer.Kind == KindInput {
		return lines
	}
	lines = append(lines, "["+fmtShort(st.Min)+", "+fmtShort(st.Max)+"]")
	if st.Zeros > 0 {
		lines = append(lines, strconv.Itoa(int(math.Round(100*st.Zeros)))+"% zero")
	}
	return lines
}

func shapeText(s []int) string {
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = strconv.Itoa(d)
	}
	return strings.Join(p, "x")
}

// fmtShort writes a value with 3 significant digits.
func fmtShort(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }

// legend draws a small horizontal colorbar explaining the colours and
// returns the height it took.
func legend(fig *figure.Figure, x, y float64, norm string) float64 {
	const w, h = 90.0, 7.0
	const steps = 128
	strip := image.NewNRGBA(image.Rect(0, 0, steps, 1))
	for k := 0; k < steps; k++ {
		strip.SetNRGBA(k, 0, figure.Diverging.At((float64(k)+0.5)/steps))
	}
	fig.Add(figure.Tile{X: x, Y: y, W: w, H: h, Img: strip})
	scope := "layer"
	if norm == NormMap {
		scope = "map"
	}
	ty := y + h + actLineH - 2
	fig.Add(
		figure.Text{X: x, Y: ty, S: "−max", Color: noteGray, Size: 7},
		figure.Text{X: x + w/2, Y: ty, S: "0", Anchor: figure.Center, Color: noteGray, Size: 7},
		figure.Text{X: x + w, Y: ty, S: "+max", Anchor: figure.Right, Color: noteGray, Size: 7},
		figure.Text{X: x + w + 10, Y: y + h, S: "activations: 0 is the light centre; one scale per " + scope + " (max = largest |value|)", Color: noteGray, Size: 7})
	return h + actLineH
}

// drawMaps draws a [C, H, W] activation as C tiles, Cols to a line, each
// framed in gray with its channel index below. It returns the height and
// width used.
func drawMaps(fig *figure.Figure, a LayerActivation, x0, y0 float64, o ActivationFigureOptions, input bool) (float64, float64, error) {
	c, h, w := a.Layer.Out[0], a.Layer.Out[1], a.Layer.Out[2]
	if len(a.V) != c*h*w {
		return 0, 0, fmt.Errorf("introspect: layer %s has %d values, shape %v wants %d", a.Layer.Name, len(a.V), a.Layer.Out, c*h*w)
	}
	size := o.MapSize
	if input {
		size *= 2
	}
	s := size / float64(max(h, w)) // points per activation
	cmap, scaleOf := figure.Diverging, figure.SymmetricScale
	if input {
		cmap, scaleOf = figure.Gray, figure.RangeScale
	}
	shared := scaleOf(a.V)
	cols := min(c, o.Cols)
	if input {
		cols = c
	}
	mw, mh := float64(w)*s, float64(h)*s
	cellW, cellH := mw+actMapGap, mh+actLineH
	showIndex := c > 1
	if !showIndex {
		cellH = mh + actMapGap
	}
	for ch := 0; ch < c; ch++ {
		v := a.V[ch*h*w : (ch+1)*h*w]
		sc := shared
		if o.Norm == NormMap && !input {
			sc = scaleOf(v)
		}
		tx, ty := x0+1+float64(ch%cols)*cellW, y0+1+float64(ch/cols)*cellH
		fig.Add(figure.Tile{X: tx, Y: ty, W: mw, H: mh, Img: figure.PanelImage(v, w, h, cmap, sc)},
			figure.Box{X: tx, Y: ty, W: mw, H: mh, Line: 0.4, Color: frameGray})
		if showIndex {
			fig.Add(figure.Text{X: tx + mw/2, Y: ty + mh + actAsc + 1.5, S: strconv.Itoa(ch), Anchor: figure.Center, Color: noteGray, Size: 6})
		}
	}
	rows := (c + cols - 1) / cols
	return float64(rows)*cellH - actMapGap + 2, float64(cols)*cellW - actMapGap + 2, nil
}

// HeatStrip draws a vector as one line of cells, value i filling the
// cellW×cellH block at x = i·cellW, coloured cmap.At(sc.At(v[i])).
func HeatStrip(v []float32, sc figure.Scale, cmap figure.Colormap, cellW, cellH int) *image.NRGBA {
	cellW, cellH = max(cellW, 1), max(cellH, 1)
	img := image.NewNRGBA(image.Rect(0, 0, len(v)*cellW, cellH))
	for i, x := range v {
		c := cmap.At(sc.At(float64(x)))
		for dy := 0; dy < cellH; dy++ {
			for dx := 0; dx < cellW; dx++ {
				img.SetNRGBA(i*cellW+dx, dy, c)
			}
		}
	}
	return img
}

// drawStrip draws a vector as heat-strip lines no wider than StripWidth.
// With class names (the logits), each cell is wide enough for its name,
// written below with the softmax probability, and the predicted class is
// framed in black.
func drawStrip(fig *figure.Figure, a LayerActivation, x0, y0 float64, o ActivationFigureOptions, names []string) (float64, float64, error) {
	n := len(a.V)
	if n == 0 {
		return 0, 0, fmt.Errorf("introspect: layer %s has no values", a.Layer.Name)
	}
	sc := figure.SymmetricScale(a.V)
	cellW := min(26, max(2, o.StripWidth/float64(n)))
	if names != nil {
		for _, s := range names {
			cellW = max(cellW, figure.TextWidth(s, 7)+6)
		}
	}
	perLine := max(1, min(n, int(o.StripWidth/cellW)))
	lines := (n + perLine - 1) / perLine
	lineH := actStripH + 3
	if names != nil {
		lineH += 2 * actLineH
	}
	width := 0.0
	for l := 0; l < lines; l++ {
		lo, hi := l*perLine, min(n, (l+1)*perLine)
		tx, ty := x0+1, y0+1+float64(l)*lineH
		sw := float64(hi-lo) * cellW
		fig.Add(figure.Tile{X: tx, Y: ty, W: sw, H: actStripH, Img: HeatStrip(a.V[lo:hi], sc, figure.Diverging, 1, 1)},
			figure.Box{X: tx, Y: ty, W: sw, H: actStripH, Line: 0.4, Color: frameGray})
		width = max(width, sw+2)
	}
	if names != nil {
		p := LogitProbs(a.V)
		best := kernels.Argmax(a.V)
		for i, s := range names {
			cx := x0 + 1 + float64(i)*cellW + cellW/2
			ty := y0 + 1 + actStripH + 2 + actAsc
			c := noteGray
			if i == best {
				c = black
				fig.Add(figure.Box{X: x0 + 1 + float64(i)*cellW + 1, Y: y0 + 2, W: cellW - 2, H: actStripH - 2, Line: 1.2, Color: black})
			}
			fig.Add(
				figure.Text{X: cx, Y: ty, S: s, Anchor: figure.Center, Color: c, Size: 7},
				figure.Text{X: cx, Y: ty + actLineH, S: fmtPercent(p[i]), Anchor: figure.Center, Color: c, Size: 7})
		}
	}
	return float64(lines)*lineH - 2, width, nil
}

// LogitProbs is the softmax of logits, in float64, shifted by the maximum for stability.
func LogitProbs(v []float32) []float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, float64(x))
	}
	p := make([]float64, len(v))
	var s float64
	for i, x := range v {
		p[i] = math.Exp(float64(x) - m)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// fmtPercent writes a probability as a percentage: "93%", "0.4%", "<0.1%".
func fmtPercent(p float64) string {
	switch {
	case p >= 0.095:
		return strconv.Itoa(int(math.Round(100*p))) + "%"
	case p >= 0.001:
		return strconv.FormatFloat(100*p, 'f', 1, 64) + "%"
	}
	return "<0.1%"
}

func cmpOr(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}
