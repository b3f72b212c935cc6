package introspect

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"image/color"
	"io"
	"strings"
)

// SVGRectLimit is the number of source pixels up to which WriteSVG draws
// raster tiles as one <rect> per pixel (exact, editable in a vector editor);
// above it each tile is an embedded PNG drawn with pixelated scaling.
var SVGRectLimit = 1 << 14

// WriteSVG writes the figure as an SVG 1.1 document: tiles as rects or
// embedded PNGs, colorbar rects and labels as vector text (monospace, 11.7
// px so one character advances about 7 px as in the PNG), and the provenance
// in <metadata> as gabor:meta elements.
func WriteSVG(w io.Writer, fig *Figure) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	fmt.Fprintf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:gabor=\"urn:gabor\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
		fig.W, fig.H, fig.W, fig.H)
	b.WriteString("<metadata>\n")
	for _, k := range fig.MetaKeys() {
		fmt.Fprintf(&b, "<gabor:meta key=\"%s\">%s</gabor:meta>\n", svgEsc(k), svgEsc(fig.Meta[k]))
	}
	b.WriteString("</metadata>\n")
	fmt.Fprintf(&b, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", fig.W, fig.H, hexColor(fig.Background))
	pixels := 0
	for _, t := range fig.Tiles {
		pixels += t.Img.Rect.Dx() * t.Img.Rect.Dy()
	}
	for i, t := range fig.Tiles {
		s := max(t.Scale, 1)
		bd := t.Img.Bounds()
		if pixels <= SVGRectLimit {
			fmt.Fprintf(&b, "<g class=\"tile\" id=\"tile%d\" shape-rendering=\"crispEdges\">\n", i)
			for y := bd.Min.Y; y < bd.Max.Y; y++ {
				for x := bd.Min.X; x < bd.Max.X; x++ {
					fmt.Fprintf(&b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
						t.X+(x-bd.Min.X)*s, t.Y+(y-bd.Min.Y)*s, s, s, hexColor(t.Img.NRGBAAt(x, y)))
				}
			}
			b.WriteString("</g>\n")
			continue
		}
		var png bytes.Buffer
		if err := EncodePNG(&png, t.Img, nil); err != nil {
			return err
		}
		fmt.Fprintf(&b, "<image class=\"tile\" id=\"tile%d\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" image-rendering=\"pixelated\" style=\"image-rendering:pixelated\" preserveAspectRatio=\"none\" xlink:href=\"data:image/png;base64,%s\"/>\n",
			i, t.X, t.Y, bd.Dx()*s, bd.Dy()*s, base64.StdEncoding.EncodeToString(png.Bytes()))
	}
	for _, r := range fig.Rects {
		fmt.Fprintf(&b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", r.X, r.Y, r.W, r.H, hexColor(r.Fill))
	}
	for _, t := range fig.Texts {
		anchor := [...]string{"start", "middle", "end"}[t.Anchor]
		fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\" font-family=\"DejaVu Sans Mono, Courier, monospace\" font-size=\"11.7\" text-anchor=\"%s\" fill=\"%s\">%s</text>\n",
			t.X, t.Y, anchor, hexColor(t.Ink()), svgEsc(t.S))
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func hexColor(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func svgEsc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
