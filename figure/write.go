package figure

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"io"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Render returns the figure in format ("png", "svg" or "pdf") with its
// provenance embedded.
func Render(f *Figure, format string, o Options) ([]byte, error) {
	var b bytes.Buffer
	if err := Write(&b, f, format, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes the figure in format to w.
func Write(w io.Writer, f *Figure, format string, o Options) error {
	s := scaleOf(f, o.Width)
	if err := checkSize(f, s); err != nil {
		return err
	}
	var b bytes.Buffer
	switch format {
	case "png":
		dpi := o.DPI
		if dpi <= 0 {
			dpi = DefaultDPI
		}
		if dpi > 2400 {
			return fmt.Errorf("figure: %d DPI is more than 2400", dpi)
		}
		c, img := newPNGCanvas(f.W*s, f.H*s, dpi)
		drawOn(f, target{c: c, h: f.H}, s)
		if err := EncodePNG(&b, img, dpi, pngText(f, o)); err != nil {
			return err
		}
	case "svg":
		c := vgsvg.New(pt(f.W*s), pt(f.H*s))
		drawOn(f, target{c: c, h: f.H, rects: true}, s)
		var raw bytes.Buffer
		if _, err := c.WriteTo(&raw); err != nil {
			return fmt.Errorf("figure: writing SVG: %w", err)
		}
		if err := addSVGMetadata(&b, raw.Bytes(), f, o); err != nil {
			return err
		}
	case "pdf":
		c := newPDFCanvas(f.W*s, f.H*s, o.Created)
		drawOn(f, target{c: c, h: f.H, rects: true, pdfText: true}, s)
		var raw bytes.Buffer
		if _, err := c.WriteTo(&raw); err != nil {
			return fmt.Errorf("figure: writing PDF: %w", err)
		}
		if err := addPDFInfo(&b, raw.Bytes(), f, o); err != nil {
			return err
		}
	default:
		return fmt.Errorf("figure: unknown format %q (known: png, svg, pdf)", format)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// fpdfDates guards fpdf's package-level default dates, which vgpdf.New
// reads when it makes its document.
var fpdfDates sync.Mutex

func newPDFCanvas(w, h float64, created time.Time) *vgpdf.Canvas {
	fpdfDates.Lock()
	defer fpdfDates.Unlock()
	fpdf.SetDefaultCreationDate(created)
	fpdf.SetDefaultModificationDate(created)
	c := vgpdf.New(pt(w), pt(h))
	fpdf.SetDefaultCreationDate(time.Time{})
	fpdf.SetDefaultModificationDate(time.Time{})
	return c
}

// Raster draws the figure into an image at dpi (the PNG writer's pixels).
func Raster(f *Figure, dpi int) (*image.RGBA, error) {
	if err := checkSize(f, 1); err != nil {
		return nil, err
	}
	c, img := newPNGCanvas(f.W, f.H, max(dpi, 1))
	drawOn(f, target{c: c, h: f.H}, 1)
	return img, nil
}

// WriteGIF writes figures of one size as an animated GIF at dpi, delay in
// hundredths of a second per frame (the last held three times as long),
// looping, on the Plan 9 palette (each pixel its nearest entry).
func WriteGIF(w io.Writer, figs []*Figure, delay, dpi int) error {
	if len(figs) == 0 {
		return errors.New("figure: a GIF needs at least one frame")
	}
	anim := &gif.GIF{}
	for i, f := range figs {
		img, err := Raster(f, dpi)
		if err != nil {
			return err
		}
		if i > 0 && img.Bounds() != anim.Image[0].Bounds() {
			return fmt.Errorf("figure: GIF frame %d is %v, the first %v", i, img.Bounds(), anim.Image[0].Bounds())
		}
		p := toPaletted(img)
		d := delay
		if i == len(figs)-1 {
			d *= 3
		}
		anim.Image = append(anim.Image, p)
		anim.Delay = append(anim.Delay, d)
	}
	if err := gif.EncodeAll(w, anim); err != nil {
		return fmt.Errorf("figure: encoding GIF: %w", err)
	}
	return nil
}

// toPaletted maps each pixel to its nearest Plan 9 palette entry, as
// draw.Draw(…, draw.Src) does, remembering the entry of each colour seen: a
// figure has few distinct colours, and the search over 256 entries per
// pixel was 90 % of a GIF's time.
func toPaletted(img *image.RGBA) *image.Paletted {
	p := image.NewPaletted(img.Bounds(), palette.Plan9)
	seen := map[[4]uint8]uint8{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			o := img.PixOffset(x, y)
			c := [4]uint8(img.Pix[o : o+4])
			k, ok := seen[c]
			if !ok {
				k = uint8(p.Palette.Index(color.RGBA{c[0], c[1], c[2], c[3]}))
				seen[c] = k
			}
			p.Pix[p.PixOffset(x, y)] = k
		}
	}
	return p
}
