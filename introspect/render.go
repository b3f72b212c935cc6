package introspect

import (
	"image"
	"image/color"
	"image/draw"
	"maps"
	"slices"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// A Figure is a picture described once and written as PNG, SVG or PDF: raster
// tiles (each drawn with nearest-neighbour upscaling), filled rectangles and
// text, on a background, in a W×H canvas whose unit is the PNG pixel (the SVG
// user unit, the PDF point). Raster content stays raster in every format;
// rectangles and text are vectors in SVG and PDF. Meta is the provenance
// (model, step, seed, normalization…) each writer embeds.
type Figure struct {
	W, H       int
	Background color.NRGBA
	Tiles      []Tile
	Rects      []Rect
	Texts      []Text
	Meta       map[string]string
}

// Tile is an image placed with its top-left corner at (X, Y), each source
// pixel drawn as a Scale×Scale block.
type Tile struct {
	X, Y, Scale int
	Img         *image.NRGBA
}

// Rect is a filled rectangle.
type Rect struct {
	X, Y, W, H int
	Fill       color.NRGBA
}

// Text anchors.
const (
	AnchorStart  = iota // X is the left end of the text
	AnchorMiddle        // X is its centre
	AnchorEnd           // X is its right end
)

// Text is a line of text whose baseline starts (or centres, or ends) at (X, Y).
// In PNG it is drawn with a 7×13 bitmap font (7 px per character, 11 px above
// the baseline); SVG and PDF use a monospaced font of the same advance.
type Text struct {
	X, Y   int
	S      string
	Anchor int
	Color  color.NRGBA
}

// Font metrics shared by every writer, so layouts computed once fit all.
const (
	CharW    = 7  // advance of one character
	TextAsc  = 11 // height above the baseline
	TextDesc = 2  // depth below the baseline
)

// TextWidth is the width of s in the figure's font.
func TextWidth(s string) int { return CharW * len([]rune(s)) }

// MetaKeys returns the provenance keys in a fixed (sorted) order.
func (f *Figure) MetaKeys() []string { return slices.Sorted(maps.Keys(f.Meta)) }

// Raster draws the figure into an image: background, tiles, rectangles, text.
func (f *Figure) Raster() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, f.W, f.H))
	draw.Draw(img, img.Bounds(), image.NewUniform(f.Background), image.Point{}, draw.Src)
	for _, t := range f.Tiles {
		drawScaled(img, t)
	}
	for _, r := range f.Rects {
		draw.Draw(img, image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H), image.NewUniform(r.Fill), image.Point{}, draw.Over)
	}
	for _, t := range f.Texts {
		x := t.X
		switch t.Anchor {
		case AnchorMiddle:
			x -= TextWidth(t.S) / 2
		case AnchorEnd:
			x -= TextWidth(t.S)
		}
		d := font.Drawer{Dst: img, Src: image.NewUniform(t.Ink()), Face: basicfont.Face7x13, Dot: fixed.P(x, t.Y)}
		d.DrawString(t.S)
	}
	return img
}

// drawScaled copies a tile with nearest-neighbour upscaling: destination
// pixel (x, y) takes source pixel (x/Scale, y/Scale).
func drawScaled(dst *image.NRGBA, t Tile) {
	s := max(t.Scale, 1)
	b := t.Img.Bounds()
	for y := 0; y < b.Dy()*s; y++ {
		for x := 0; x < b.Dx()*s; x++ {
			p := image.Pt(t.X+x, t.Y+y)
			if p.In(dst.Rect) {
				dst.SetNRGBA(p.X, p.Y, t.Img.NRGBAAt(b.Min.X+x/s, b.Min.Y+y/s))
			}
		}
	}
}

// Ink is the text's colour; the zero Color means black.
func (t Text) Ink() color.NRGBA {
	if t.Color == (color.NRGBA{}) {
		return color.NRGBA{0, 0, 0, 255}
	}
	return t.Color
}
