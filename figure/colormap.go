package figure

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/vg/draw"
)

// A Colormap turns a position v ∈ [0, 1] into a colour (outside: clamped).
// Signed data is mapped with zero at 0.5 (see Scale).
type Colormap interface {
	Name() string
	At(v float64) color.NRGBA
}

// Colormap names, as --cmap spells them.
const (
	CmapDiverging = "diverging"
	CmapGray      = "gray"
)

// Colormaps lists the colormap names --cmap takes.
func Colormaps() []string { return []string{CmapDiverging, CmapGray} }

// ColormapByName returns a built-in colormap.
func ColormapByName(name string) (Colormap, error) {
	switch strings.ToLower(name) {
	case CmapDiverging:
		return Diverging, nil
	case CmapGray, "grey", "grayscale":
		return Gray, nil
	case "blues":
		return Blues, nil
	case "reds":
		return Reds, nil
	}
	return nil, fmt.Errorf("figure: unknown colormap %q (known: %s)", name, strings.Join(Colormaps(), ", "))
}

// lutSize is how many levels a colormap is sampled at: more than 8-bit
// channels can tell apart along the map.
const lutSize = 1024

// lut is a colormap sampled once, so per-pixel lookups are cheap.
type lut struct {
	name string
	c    [lutSize]color.NRGBA
}

func (l *lut) Name() string { return l.name }
func (l *lut) At(v float64) color.NRGBA {
	if math.IsNaN(v) || v < 0 {
		v = 0
	}
	return l.c[min(int(v*(lutSize-1)+0.5), lutSize-1)]
}

func newLUT(name string, at func(v float64) color.Color) *lut {
	l := &lut{name: name}
	for i := range l.c {
		l.c[i] = color.NRGBAModel.Convert(at(float64(i) / (lutSize - 1))).(color.NRGBA)
	}
	return l
}

// Diverging is Kenneth Moreland's smooth blue–red diverging map ("Diverging
// Color Maps for Scientific Visualization", 2009), from gonum's
// palette/moreland: lightness falls symmetrically from the light-gray
// centre (v = 0.5, a weight of zero) to blue and red ends of equal
// lightness, so equal magnitudes of either sign look equally strong, and
// blue against red stays distinct for the common colour-vision deficiencies.
var Diverging Colormap = newLUT(CmapDiverging, func() func(float64) color.Color {
	m := moreland.SmoothBlueRed()
	m.SetMin(0)
	m.SetMax(1)
	return func(v float64) color.Color {
		c, err := m.At(v)
		if err != nil {
			panic(fmt.Sprintf("figure: moreland map at %g: %v", v, err))
		}
		return c
	}
}())

// Gray maps v to the gray level 255·v: 0 black, 1 white.
var Gray Colormap = newLUT(CmapGray, func(v float64) color.Color {
	y := uint8(math.Round(255 * v))
	return color.NRGBA{y, y, y, 255}
})

// Blues and Reds are Diverging's halves as sequential maps from white
// (v = 0: nothing) to its blue or red end (v = 1), for counts, rates and
// unsigned heat; the first half also fades out the map's light-gray centre.
var (
	Blues Colormap = newLUT("blues", func(v float64) color.Color { return fromWhite(Diverging.At(0.5-v/2), v) })
	Reds  Colormap = newLUT("reds", func(v float64) color.Color { return fromWhite(Diverging.At(0.5+v/2), v) })
)

// Scale maps data values to colormap positions: Lo → 0, Hi → 1, linearly,
// clamped. A zero-width scale, and NaN, map to 0.5.
type Scale struct{ Lo, Hi float64 }

// At is the colormap position of x.
func (s Scale) At(x float64) float64 {
	if s.Hi <= s.Lo || math.IsNaN(x) {
		return 0.5
	}
	return min(max((x-s.Lo)/(s.Hi-s.Lo), 0), 1)
}

// SymmetricScale is [−m, m] with m the largest finite |x|: zero lands on the
// colormap's centre and the sign stays readable.
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

// RangeScale is [min, max] of the finite data.
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

// classColors is Paul Tol's "muted" qualitative scheme (9 colours, chosen
// to stay distinguishable under deuteranopia, protanopia and tritanopia)
// with his pale grey for a tenth class.
var classColors = []color.NRGBA{
	{0x33, 0x22, 0x88, 255}, // indigo
	{0x88, 0xcc, 0xee, 255}, // cyan
	{0x44, 0xaa, 0x99, 255}, // teal
	{0x11, 0x77, 0x33, 255}, // green
	{0x99, 0x99, 0x33, 255}, // olive
	{0xdd, 0xcc, 0x77, 255}, // sand
	{0xcc, 0x66, 0x77, 255}, // rose
	{0x88, 0x22, 0x55, 255}, // wine
	{0xaa, 0x44, 0x99, 255}, // purple
	{0x55, 0x55, 0x55, 255}, // dark grey
}

// ClassColor is class c's colour; past ten the colours repeat and
// ClassGlyph's shape tells the classes apart.
func ClassColor(c int) color.NRGBA {
	return classColors[((c%len(classColors))+len(classColors))%len(classColors)]
}

// classGlyphs pair with the colours so that no class depends on colour
// alone.
var classGlyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.PlusGlyph{},
	draw.CrossGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.CircleGlyph{}, draw.SquareGlyph{},
}

// ClassGlyph is class c's marker shape.
func ClassGlyph(c int) draw.GlyphDrawer {
	return classGlyphs[((c%len(classGlyphs))+len(classGlyphs))%len(classGlyphs)]
}

// SeriesColor is the colour of line series i (the same colour-blind-safe
// set, most saturated first).
func SeriesColor(i int) color.NRGBA {
	order := []int{0, 6, 2, 5, 1, 7, 3, 8, 4, 9}
	return classColors[order[((i%len(order))+len(order))%len(order)]]
}

// fromWhite blends c with white: all white at v = 0, all c from v = 0.5.
func fromWhite(c color.NRGBA, v float64) color.NRGBA {
	t := min(1, max(0, 2*v))
	mix := func(a uint8) uint8 { return uint8(math.Round(255*(1-t) + float64(a)*t)) }
	return color.NRGBA{mix(c.R), mix(c.G), mix(c.B), 255}
}
