package introspect

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"
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
	// MapSize is the size in pixels a feature map is upscaled to, by an
	// integer factor (0: 56); the input image is drawn twice as large.
	MapSize int
	// StripWidth is the widest a heat strip is drawn before it wraps (0: 896).
	StripWidth int
	// Title lines above the figure.
	Title []string
	// ClassNames label the cells of the last layer's strip (the logits),
	// each with its softmax probability; the predicted class is framed.
	ClassNames []string
}

// Figure geometry, in pixels.
const (
	actMargin   = 12 // around the figure
	actRowGap   = 10 // between layer rows (a rule is drawn in the middle)
	actMapGap   = 6  // between feature maps
	actStripH   = 22 // height of a heat strip line
	actLineH    = TextAsc + TextDesc + 2
	actLabelPad = 14 // between the label column and the maps
)

var (
	white     = color.NRGBA{255, 255, 255, 255}
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
// zero-centred scale: zero is white, positive red, negative blue, so after a
// ReLU the units that are off are white and the strength of the rest reads
// as the depth of red.
func ActivationFigure(acts []LayerActivation, o ActivationFigureOptions) (*Figure, error) {
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
	o.MapSize = cmpOr(o.MapSize, 56)
	o.StripWidth = cmpOr(o.StripWidth, 896)

	fig := &Figure{Background: white, Meta: map[string]string{"normalization": o.Norm}}
	y := actMargin
	for _, t := range o.Title {
		fig.Texts = append(fig.Texts, Text{X: actMargin, Y: y + TextAsc, S: t})
		y += actLineH
	}
	y += legend(fig, actMargin, y+2, o.Norm)
	y += actRowGap

	// The label column is as wide as its widest line.
	labels := make([][]string, len(acts))
	labelW := 0
	for i, a := range acts {
		labels[i] = layerLabel(a)
		for _, s := range labels[i] {
			labelW = max(labelW, TextWidth(s))
		}
	}
	x0 := actMargin + labelW + actLabelPad
	width := 0
	var rules []int // y of the rule above each row but the first
	for i, a := range acts {
		if i > 0 {
			rules = append(rules, y-actRowGap/2-1)
		}
		var h, w int
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
			fig.Texts = append(fig.Texts, Text{X: actMargin, Y: y + TextAsc + k*actLineH, S: s, Color: c})
		}
		h = max(h, len(labels[i])*actLineH)
		width = max(width, x0+w)
		y += h + actRowGap
	}
	fig.W, fig.H = width+actMargin, y-actRowGap+actMargin
	widenForText(fig, actMargin)
	for _, ry := range rules {
		fig.Rects = append(fig.Rects, Rect{X: actMargin, Y: ry, W: fig.W - 2*actMargin, H: 1, Fill: ruleGray})
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
func legend(fig *Figure, x, y int, norm string) int {
	const w, h = 120, 10
	const steps = 60
	for k := 0; k < steps; k++ {
		xa, xb := x+k*w/steps, x+(k+1)*w/steps
		fig.Rects = append(fig.Rects, Rect{X: xa, Y: y, W: xb - xa, H: h, Fill: Diverging.At((float64(k) + 0.5) / steps)})
	}
	scope := "layer"
	if norm == NormMap {
		scope = "map"
	}
	ty := y + h + actLineH - 2
	fig.Texts = append(fig.Texts,
		Text{X: x, Y: ty, S: "-max", Color: noteGray},
		Text{X: x + w/2, Y: ty, S: "0", Anchor: AnchorMiddle, Color: noteGray},
		Text{X: x + w, Y: ty, S: "+max", Anchor: AnchorEnd, Color: noteGray},
		Text{X: x + w + 12, Y: y + h, S: "activations: 0 is white; one scale per " + scope + " (max = largest |value|)", Color: noteGray})
	return h + actLineH
}

// drawMaps draws a [C, H, W] activation as C tiles, Cols to a line, each
// framed in gray with its channel index below. It returns the height and
// width used.
func drawMaps(fig *Figure, a LayerActivation, x0, y0 int, o ActivationFigureOptions, input bool) (int, int, error) {
	c, h, w := a.Layer.Out[0], a.Layer.Out[1], a.Layer.Out[2]
	if len(a.V) != c*h*w {
		return 0, 0, fmt.Errorf("introspect: layer %s has %d values, shape %v wants %d", a.Layer.Name, len(a.V), a.Layer.Out, c*h*w)
	}
	size := o.MapSize
	if input {
		size *= 2
	}
	s := max(1, int(math.Round(float64(size)/float64(max(h, w)))))
	cmap, scaleOf := Diverging, SymmetricScale
	if input {
		cmap, scaleOf = Gray, RangeScale
	}
	shared := scaleOf(a.V)
	cols := min(c, o.Cols)
	if input {
		cols = c
	}
	cellW, cellH := w*s+actMapGap, h*s+actLineH
	showIndex := c > 1
	if !showIndex {
		cellH = h*s + actMapGap
	}
	for ch := 0; ch < c; ch++ {
		v := a.V[ch*h*w : (ch+1)*h*w]
		sc := shared
		if o.Norm == NormMap && !input {
			sc = scaleOf(v)
		}
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for k, x := range v {
			img.SetNRGBA(k%w, k/w, cmap.At(sc.At(float64(x))))
		}
		tx, ty := x0+1+(ch%cols)*cellW, y0+1+(ch/cols)*cellH
		fig.Tiles = append(fig.Tiles, Tile{X: tx, Y: ty, Scale: s, Img: img})
		frame(fig, tx, ty, w*s, h*s, frameGray)
		if showIndex {
			fig.Texts = append(fig.Texts, Text{X: tx + w*s/2, Y: ty + h*s + TextAsc + 1, S: strconv.Itoa(ch), Anchor: AnchorMiddle, Color: noteGray})
		}
	}
	rows := (c + cols - 1) / cols
	return rows*cellH - actMapGap + 2, cols*cellW - actMapGap + 2, nil
}

// frame draws a 1-pixel outline just outside the rectangle (x, y, w, h).
func frame(fig *Figure, x, y, w, h int, c color.NRGBA) {
	fig.Rects = append(fig.Rects,
		Rect{X: x - 1, Y: y - 1, W: w + 2, H: 1, Fill: c},
		Rect{X: x - 1, Y: y + h, W: w + 2, H: 1, Fill: c},
		Rect{X: x - 1, Y: y, W: 1, H: h, Fill: c},
		Rect{X: x + w, Y: y, W: 1, H: h, Fill: c})
}

// HeatStrip draws a vector as one line of cells, value i filling the
// cellW×cellH block at x = i·cellW, coloured cmap.At(sc.At(v[i])).
func HeatStrip(v []float32, sc Scale, cmap Colormap, cellW, cellH int) *image.NRGBA {
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
func drawStrip(fig *Figure, a LayerActivation, x0, y0 int, o ActivationFigureOptions, names []string) (int, int, error) {
	n := len(a.V)
	if n == 0 {
		return 0, 0, fmt.Errorf("introspect: layer %s has no values", a.Layer.Name)
	}
	sc := SymmetricScale(a.V)
	cellW := min(40, max(3, o.StripWidth/n))
	if names != nil {
		for _, s := range names {
			cellW = max(cellW, TextWidth(s)+8)
		}
	}
	perLine := max(1, min(n, o.StripWidth/cellW))
	lines := (n + perLine - 1) / perLine
	lineH := actStripH + 4
	if names != nil {
		lineH += 2 * actLineH
	}
	width := 0
	for l := 0; l < lines; l++ {
		lo, hi := l*perLine, min(n, (l+1)*perLine)
		tx, ty := x0+1, y0+1+l*lineH
		fig.Tiles = append(fig.Tiles, Tile{X: tx, Y: ty, Scale: 1, Img: HeatStrip(a.V[lo:hi], sc, Diverging, cellW, actStripH)})
		frame(fig, tx, ty, (hi-lo)*cellW, actStripH, frameGray)
		width = max(width, (hi-lo)*cellW+2)
	}
	if names != nil {
		p := LogitProbs(a.V)
		best := Argmax(a.V)
		for i, s := range names {
			cx := x0 + 1 + i*cellW + cellW/2
			ty := y0 + 1 + actStripH + 3 + TextAsc
			c := noteGray
			if i == best {
				c = black
				frame(fig, x0+1+i*cellW+1, y0+2, cellW-2, actStripH-2, black)
				frame(fig, x0+1+i*cellW+2, y0+3, cellW-4, actStripH-4, black)
			}
			fig.Texts = append(fig.Texts,
				Text{X: cx, Y: ty, S: s, Anchor: AnchorMiddle, Color: c},
				Text{X: cx, Y: ty + actLineH, S: fmtPercent(p[i]), Anchor: AnchorMiddle, Color: c})
		}
	}
	return lines*lineH - 2, width, nil
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
