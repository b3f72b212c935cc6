package introspect

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"strings"
)

// WritePDF writes the figure as a one-page PDF 1.4 file whose page is the
// figure's W×H canvas in points (1 figure pixel = 1 pt, so a 300-pixel grid
// is about 10.6 cm wide; vector viewers and LaTeX scale it freely).
//
// The file is written by hand and kept minimal: a catalog, a page tree with
// one page, one content stream, one image XObject per tile (8-bit DeviceRGB,
// Flate-compressed, /Interpolate false so viewers upscale with nearest
// neighbour), the standard Courier font for labels (its 0.6 em advance at
// 11.7 pt matches the 7-pixel cells of the PNG font), and an Info dictionary
// with the provenance. The cross-reference table records each object's byte
// offset, as readers require.
func WritePDF(w io.Writer, fig *Figure) error {
	var objs [][]byte // object i+1
	add := func(body []byte) int {
		objs = append(objs, body)
		return len(objs)
	}
	reserve := func() int { return add(nil) }

	catalog, pages, page, content, fontObj := reserve(), reserve(), reserve(), reserve(), reserve()
	objs[catalog-1] = []byte(fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages))
	objs[pages-1] = []byte(fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", page))
	objs[fontObj-1] = []byte("<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")

	var cs bytes.Buffer
	H := float64(fig.H)
	bg := fig.Background
	fmt.Fprintf(&cs, "%s rg 0 0 %d %d re f\n", pdfRGB(bg.R, bg.G, bg.B), fig.W, fig.H)
	var xobjs strings.Builder
	for i, t := range fig.Tiles {
		bd := t.Img.Bounds()
		raw := make([]byte, 0, 3*bd.Dx()*bd.Dy())
		for y := bd.Min.Y; y < bd.Max.Y; y++ {
			for x := bd.Min.X; x < bd.Max.X; x++ {
				c := t.Img.NRGBAAt(x, y)
				raw = append(raw, c.R, c.G, c.B)
			}
		}
		data, err := pdfDeflate(raw)
		if err != nil {
			return err
		}
		head := fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Interpolate false /Filter /FlateDecode /Length %d >>\nstream\n",
			bd.Dx(), bd.Dy(), len(data))
		id := add(append(append([]byte(head), data...), "\nendstream"...))
		fmt.Fprintf(&xobjs, "/Im%d %d 0 R ", i, id)
		s := max(t.Scale, 1)
		w, h := bd.Dx()*s, bd.Dy()*s
		// An image fills the unit square; cm maps it onto the tile's box, whose
		// lower-left corner in PDF's y-up space is at H − (Y + h).
		fmt.Fprintf(&cs, "q %d 0 0 %d %d %s cm /Im%d Do Q\n", w, h, t.X, pdfNum(H-float64(t.Y+h)), i)
	}
	for _, r := range fig.Rects {
		fmt.Fprintf(&cs, "%s rg %d %s %d %d re f\n", pdfRGB(r.Fill.R, r.Fill.G, r.Fill.B), r.X, pdfNum(H-float64(r.Y+r.H)), r.W, r.H)
	}
	for _, t := range fig.Texts {
		const size = 11.7
		x := float64(t.X)
		width := 0.6 * size * float64(len([]rune(t.S)))
		switch t.Anchor {
		case AnchorMiddle:
			x -= width / 2
		case AnchorEnd:
			x -= width
		}
		c := t.Ink()
		fmt.Fprintf(&cs, "BT %s rg /F1 %s Tf %s %s Td (%s) Tj ET\n", pdfRGB(c.R, c.G, c.B), pdfNum(size), pdfNum(x), pdfNum(H-float64(t.Y)), pdfString(t.S))
	}
	body, err := pdfDeflate(cs.Bytes())
	if err != nil {
		return err
	}
	objs[content-1] = append([]byte(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n", len(body))), append(body, "\nendstream"...)...)
	objs[page-1] = []byte(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R /Resources << /Font << /F1 %d 0 R >> /XObject << %s>> /ProcSet [/PDF /Text /ImageC] >> >>",
		pages, fig.W, fig.H, content, fontObj, xobjs.String()))

	var info strings.Builder
	info.WriteString("<< /Producer (gabor)")
	if title := fig.Meta["title"]; title != "" {
		fmt.Fprintf(&info, " /Title (%s)", pdfString(title))
	}
	var kw []string
	for _, k := range fig.MetaKeys() {
		kw = append(kw, k+"="+fig.Meta[k])
	}
	fmt.Fprintf(&info, " /Subject (%s)", pdfString(strings.Join(kw, "; ")))
	info.WriteString(" >>") // no date: the same figure gives the same bytes
	infoObj := add([]byte(info.String()))

	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n") // a binary comment marks the file as binary
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n", i+1)
		out.Write(o)
		out.WriteString("\nendobj\n")
	}
	xref := out.Len()
	// Each xref entry is exactly 20 bytes: 10-digit offset, 5-digit generation,
	// 'n' or 'f', and a two-character end of line.
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, catalog, infoObj, xref)
	_, err = w.Write(out.Bytes())
	return err
}

func pdfDeflate(b []byte) ([]byte, error) {
	var out bytes.Buffer
	zw := zlib.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("introspect: compressing a PDF stream: %w", err)
	}
	return out.Bytes(), nil
}

func pdfRGB(r, g, b uint8) string {
	return pdfNum(float64(r)/255) + " " + pdfNum(float64(g)/255) + " " + pdfNum(float64(b)/255)
}

// num formats a PDF number: fixed-point, no exponent, trailing zeros dropped.
func pdfNum(v float64) string {
	s := fmt.Sprintf("%.4f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

// pdfString escapes a literal string: backslash, parentheses; characters
// outside WinAnsi's ASCII range are replaced by '?'.
func pdfString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\' || r == '(' || r == ')':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 32 || r > 126:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
