package figure

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"time"

	"git.sr.ht/~sbinet/gg"
	xdraw "golang.org/x/image/draw"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Formats are the file formats a figure is written in.
var Formats = []string{"png", "svg", "pdf"}

// DefaultDPI is the PNG resolution unless Options say otherwise: print.
const DefaultDPI = 300

// canvas is what a figure is drawn on, with how the target wants tiles.
type target struct {
	c       vg.Canvas
	h       float64 // page height in figure points (before scaling)
	rects   bool    // draw tiles as rectangles (vector formats)
	pdfText bool    // encode text for vgpdf's Windows-1252 fonts
}

// scaleOf is the uniform scale that gives the figure width (inches; 0: its
// natural width).
func scaleOf(f *Figure, widthIn float64) float64 {
	if widthIn <= 0 || f.W <= 0 {
		return 1
	}
	return widthIn * 72 / f.W
}

// newPNGCanvas is a vgimg canvas at dpi whose context draws images with
// nearest-neighbour interpolation (vgimg's own is bilinear).
func newPNGCanvas(w, h float64, dpi int) (*vgimg.Canvas, *image.RGBA) {
	px := max(1, int(math.Ceil(w/72*float64(dpi)-1e-9)))
	py := max(1, int(math.Ceil(h/72*float64(dpi)-1e-9)))
	img := image.NewRGBA(image.Rect(0, 0, px, py))
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	ctx.SetInterpolator(xdraw.NearestNeighbor)
	return vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(dpi)), img
}

// drawOn draws every item of f onto t, scaled by s.
func drawOn(f *Figure, t target, s float64) {
	c := t.c
	c.Push()
	defer c.Pop()
	if s != 1 {
		c.Scale(s, s)
	}
	bg := f.Background
	if bg == nil {
		bg = color.White
	}
	fillRect(c, t.h, 0, 0, f.W, f.H, bg)
	for _, it := range f.items {
		switch v := it.(type) {
		case Tile:
			drawTile(t, v)
		case Rect:
			fillRect(c, t.h, v.X, v.Y, v.W, v.H, v.Fill)
		case Box:
			lw := v.Line
			if lw <= 0 {
				lw = 0.5
			}
			c.SetLineWidth(pt(lw))
			c.SetLineDash(nil, 0)
			c.SetColor(orBlack(v.Color))
			c.Stroke(rectPath(t.h, v.X, v.Y, v.W, v.H))
		case Text:
			drawText(t, v)
		case PlotItem:
			dc := draw.Canvas{Canvas: c, Rectangle: vg.Rectangle{
				Min: vg.Point{X: pt(v.X), Y: pt(t.h - v.Y - v.H)},
				Max: vg.Point{X: pt(v.X + v.W), Y: pt(t.h - v.Y)},
			}}
			v.Plot.Draw(dc)
		case PlotTable:
			if len(v.Plots) == 0 || len(v.Plots[0]) == 0 {
				continue
			}
			dc := draw.Canvas{Canvas: c, Rectangle: vg.Rectangle{
				Min: vg.Point{X: pt(v.X), Y: pt(t.h - v.Y - v.H)},
				Max: vg.Point{X: pt(v.X + v.W), Y: pt(t.h - v.Y)},
			}}
			tiles := draw.Tiles{Rows: len(v.Plots), Cols: len(v.Plots[0]), PadX: pt(v.Gap), PadY: pt(v.Gap)}
			cs := plot.Align(v.Plots, tiles, dc)
			for r := range v.Plots {
				for k, p := range v.Plots[r] {
					if p != nil && k < len(cs[r]) {
						p.Draw(cs[r][k])
					}
				}
			}
		}
	}
}

func orBlack(c color.Color) color.Color {
	if c == nil {
		return color.Black
	}
	return c
}

func rectPath(h, x, y, w, hh float64) vg.Path {
	var p vg.Path
	y0 := h - y - hh
	p.Move(vg.Point{X: pt(x), Y: pt(y0)})
	p.Line(vg.Point{X: pt(x + w), Y: pt(y0)})
	p.Line(vg.Point{X: pt(x + w), Y: pt(y0 + hh)})
	p.Line(vg.Point{X: pt(x), Y: pt(y0 + hh)})
	p.Close()
	return p
}

func fillRect(c vg.Canvas, h, x, y, w, hh float64, col color.Color) {
	c.SetColor(col)
	c.Fill(rectPath(h, x, y, w, hh))
}

// drawTile draws an image tile: on a raster target as one image (the
// context's interpolation is nearest-neighbour), on a vector target as a
// filled rectangle per horizontal run of equal pixels.
func drawTile(t target, v Tile) {
	b := v.Img.Bounds()
	if b.Empty() || v.W <= 0 || v.H <= 0 {
		return
	}
	if !t.rects {
		t.c.DrawImage(vg.Rectangle{
			Min: vg.Point{X: pt(v.X), Y: pt(t.h - v.Y - v.H)},
			Max: vg.Point{X: pt(v.X + v.W), Y: pt(t.h - v.Y)},
		}, v.Img)
		return
	}
	sx, sy := v.W/float64(b.Dx()), v.H/float64(b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; {
			c := v.Img.NRGBAAt(x, y)
			e := x + 1
			for e < b.Max.X && v.Img.NRGBAAt(e, y) == c {
				e++
			}
			if c.A > 0 {
				fillRect(t.c, t.h, v.X+float64(x-b.Min.X)*sx, v.Y+float64(y-b.Min.Y)*sy, float64(e-x)*sx, sy, c)
			}
			x = e
		}
	}
}

func drawText(t target, v Text) {
	if v.S == "" {
		return
	}
	// vgpdf registers a bold face under a style its own SetFont then does
	// not find ("undefined font"): PDF text is set in the regular weight.
	face := Face(v.Size, v.Bold && !t.pdfText)
	s := v.S
	w := face.Width(s).Points()
	if t.pdfText {
		s = pdfText(s)
	}
	dx := 0.0
	switch v.Anchor {
	case Center:
		dx = -w / 2
	case Right:
		dx = -w
	}
	c := t.c
	c.SetColor(orBlack(v.Color))
	if v.Vertical {
		c.Push()
		c.Translate(vg.Point{X: pt(v.X), Y: pt(t.h - v.Y)})
		c.Rotate(math.Pi / 2)
		c.FillString(face, vg.Point{X: pt(dx)}, s)
		c.Pop()
		return
	}
	c.FillString(face, vg.Point{X: pt(v.X + dx), Y: pt(t.h - v.Y)}, s)
}

// Options say how a figure is written.
type Options struct {
	DPI   int     // PNG resolution (0: DefaultDPI)
	Width float64 // inches (0: the figure's natural width); scales uniformly
	// Created is the creation date written in the PDF Info and the PNG
	// and SVG metadata (zero: none in PNG and SVG, now in the PDF). Golden
	// tests fix it.
	Created time.Time
}

// checkSize rejects pages no writer can make.
func checkSize(f *Figure, s float64) error {
	if !(f.W > 0 && f.H > 0) || math.IsInf(f.W, 0) || math.IsInf(f.H, 0) {
		return fmt.Errorf("figure: page of %g×%g points cannot be drawn", f.W, f.H)
	}
	if f.W*s > 14400 || f.H*s > 14400 {
		return fmt.Errorf("figure: page of %.0f×%.0f points is larger than 200 inches", f.W*s, f.H*s)
	}
	return nil
}
