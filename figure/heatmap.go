package figure

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
)

// MatrixOptions lay out MatrixFigure. Lengths in points.
type MatrixOptions struct {
	Title          string
	XLabel, YLabel string   // below the columns, left of the rows
	Cell           float64  // cell side (0: 22)
	Cmap           Colormap // nil: Blues
	Scale          *Scale   // nil: [min, max] of the values
	// Text writes a cell's value ("" : nothing); nil: 3 significant digits.
	Text      func(r, c int, v float64) string
	CbarLabel string
}

// MatrixFigure draws a rows×cols matrix of values as coloured cells with
// their values written in them, row names on the left, column names above
// (a confusion matrix: true class by row, predicted by column).
func MatrixFigure(vals [][]float64, rowNames, colNames []string, o MatrixOptions) (*Figure, error) {
	rows := len(vals)
	if rows == 0 || len(vals[0]) == 0 {
		return nil, errors.New("figure: matrix of no cells")
	}
	cols := len(vals[0])
	for r, row := range vals {
		if len(row) != cols {
			return nil, fmt.Errorf("figure: matrix row %d has %d cells, row 0 %d", r, len(row), cols)
		}
	}
	cell := o.Cell
	if cell <= 0 {
		cell = 22
	}
	sc := Scale{math.Inf(1), math.Inf(-1)}
	if o.Scale != nil {
		sc = *o.Scale
	} else {
		for _, row := range vals {
			for _, v := range row {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					sc.Lo, sc.Hi = min(sc.Lo, v), max(sc.Hi, v)
				}
			}
		}
		if sc.Lo > sc.Hi {
			sc = Scale{0, 1}
		}
	}
	text := o.Text
	if text == nil {
		text = func(_, _ int, v float64) string { return fmtG(v) }
	}
	small := TextSize - 1
	left := margin
	for _, s := range rowNames {
		left = max(left, margin+TextWidth(s, small)+3)
	}
	if o.YLabel != "" {
		left += LineHeight(TextSize) + 2
	}
	top := margin
	if o.Title != "" {
		top += LineHeight(TextSize+1) + 2
	}
	// Column names are written vertically above their columns.
	colH := 0.0
	for _, s := range colNames {
		colH = max(colH, TextWidth(s, small))
	}
	top += colH + 3
	if o.XLabel != "" {
		top += LineHeight(TextSize) + 1
	}
	gw, gh := float64(cols)*cell, float64(rows)*cell
	f := New(left+gw+6+cbarW+cbarAxis+margin, top+gh+margin)
	if o.Title != "" {
		f.Add(Text{X: margin, Y: margin + Ascent(TextSize+1), S: o.Title, Size: TextSize + 1})
	}
	if o.XLabel != "" {
		f.Add(Text{X: left + gw/2, Y: top - colH - 3 - Descent(TextSize) - 1, S: o.XLabel, Anchor: Center})
	}
	if o.YLabel != "" {
		f.Add(Text{X: margin + Ascent(TextSize), Y: top + gh/2, S: o.YLabel, Anchor: Center, Vertical: true})
	}
	img := image.NewNRGBA(image.Rect(0, 0, cols, rows))
	cm := o.Cmap
	if cm == nil {
		cm = Blues
	}
	for r, row := range vals {
		for c, v := range row {
			col := cm.At(sc.At(v))
			img.SetNRGBA(c, r, col)
		}
	}
	f.Add(Tile{X: left, Y: top, W: gw, H: gh, Img: img})
	for r, row := range vals {
		cy := top + float64(r)*cell + cell/2 + Ascent(small)/2 - 0.5
		if r < len(rowNames) {
			f.Add(Text{X: left - 3, Y: cy, S: rowNames[r], Anchor: Right, Size: small})
		}
		for c, v := range row {
			s := text(r, c, v)
			if s == "" {
				continue
			}
			ink := color.Color(color.Black)
			if lum(img.NRGBAAt(c, r)) < 0.45 {
				ink = color.White
			}
			sz := small
			for sz > 4 && TextWidth(s, sz) > cell-2 {
				sz -= 0.5
			}
			f.Add(Text{X: left + float64(c)*cell + cell/2, Y: cy, S: s, Anchor: Center, Size: sz, Color: ink})
		}
	}
	for c, s := range colNames {
		if c < cols {
			f.Add(Text{X: left + float64(c)*cell + cell/2 + Ascent(small)/2 - 0.5, Y: top - 3, S: s, Size: small, Vertical: true})
		}
	}
	f.Add(Box{X: left, Y: top, W: gw, H: gh, Line: 0.5, Color: color.Gray{Y: 90}})
	AddColorbar(f, left+gw+6, top, cbarW+cbarAxis, gh, cm, sc, false, false, o.CbarLabel)
	return f, nil
}

func lum(c color.NRGBA) float64 {
	return (0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)) / 255
}

func fmtG(v float64) string {
	if math.IsNaN(v) {
		return "nan"
	}
	return fmt.Sprintf("%.3g", v)
}

// OverlayOptions lay out HeatOverImage.
type OverlayOptions struct {
	Title     string
	Cell      float64 // side of each of the two images in points (0: 110)
	Alpha     float64 // opacity of the heat map over the image (0: 0.6)
	Signed    bool    // heat is signed: zero-centred diverging map
	CbarLabel string  // "relevance"
}

// HeatOverImage draws a gray image (w×h values in [0, 1]) and, beside it,
// the same image under a heat map of the same size (a saliency or
// relevance map), with a colorbar of the heat's values. It is the figure
// of an explained prediction.
func HeatOverImage(img []float32, heat []float32, w, h int, o OverlayOptions) (*Figure, error) {
	if w < 1 || h < 1 || len(img) != w*h || len(heat) != w*h {
		return nil, fmt.Errorf("figure: overlay needs image and heat of %d×%d values, got %d and %d", w, h, len(img), len(heat))
	}
	cell := o.Cell
	if cell <= 0 {
		cell = 110
	}
	alpha := o.Alpha
	if alpha <= 0 || alpha > 1 {
		alpha = 0.6
	}
	sc := RangeScale(heat)
	if o.Signed {
		sc = SymmetricScale(heat)
	}
	cmap := Reds
	if o.Signed {
		cmap = Diverging
	}
	gray := PanelImage(img, w, h, Gray, Scale{0, 1})
	over := image.NewNRGBA(gray.Rect)
	for k, v := range heat {
		g := gray.NRGBAAt(k%w, k/w)
		c := cmap.At(sc.At(float64(v)))
		mix := func(a, b uint8) uint8 { return uint8(math.Round((1-alpha)*float64(a) + alpha*float64(b))) }
		over.SetNRGBA(k%w, k/w, color.NRGBA{mix(g.R, c.R), mix(g.G, c.G), mix(g.B, c.B), 255})
	}
	top := margin
	if o.Title != "" {
		top += LineHeight(TextSize+1) + 2
	}
	ch := cell * float64(h) / float64(w)
	lab := LineHeight(TextSize - 1)
	f := New(margin+2*cell+8+6+cbarW+cbarAxis+margin, top+lab+ch+margin)
	if o.Title != "" {
		f.Add(Text{X: margin, Y: margin + Ascent(TextSize+1), S: o.Title, Size: TextSize + 1})
	}
	f.Add(Text{X: margin + cell/2, Y: top + Ascent(TextSize-1), S: "input", Anchor: Center, Size: TextSize - 1},
		Text{X: margin + cell + 8 + cell/2, Y: top + Ascent(TextSize-1), S: "heat over input", Anchor: Center, Size: TextSize - 1},
		Tile{X: margin, Y: top + lab, W: cell, H: ch, Img: gray},
		Tile{X: margin + cell + 8, Y: top + lab, W: cell, H: ch, Img: over})
	AddColorbar(f, margin+2*cell+8+6, top+lab, cbarW+cbarAxis, ch, cmap, sc, o.Signed, false, o.CbarLabel)
	return f, nil
}
