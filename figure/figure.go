package figure

import (
	"image"
	"image/color"
	"maps"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// A Figure is a W×H-point page of items drawn in order. The zero
// background is white.
type Figure struct {
	W, H       float64
	Background color.Color
	// Meta is the provenance each writer embeds: "command", "model",
	// "step", "seed", "commit"…
	Meta  map[string]string
	items []item
}

// New returns an empty w×h-point figure.
func New(w, h float64) *Figure { return &Figure{W: w, H: h, Meta: map[string]string{}} }

// MetaKeys returns the provenance keys in sorted order.
func (f *Figure) MetaKeys() []string { return slices.Sorted(maps.Keys(f.Meta)) }

// SetMeta sets provenance entries (nil-safe on Meta).
func (f *Figure) SetMeta(kv map[string]string) {
	if f.Meta == nil {
		f.Meta = map[string]string{}
	}
	maps.Copy(f.Meta, kv)
}

// item kinds; each is drawn by render.go.
type item interface {
	// moved is the item with its position shifted by (dx, dy) points.
	moved(dx, dy float64) item
}

// Tile is an image drawn into the rectangle (X, Y, W, H): each source pixel
// becomes a flat W/dx × H/dy block in every format.
type Tile struct {
	X, Y, W, H float64
	Img        *image.NRGBA
}

// Rect is a filled rectangle.
type Rect struct {
	X, Y, W, H float64
	Fill       color.Color
}

// Box is an outlined rectangle (the line centred on its edges).
type Box struct {
	X, Y, W, H float64
	Line       float64 // width in points (0: 0.5)
	Color      color.Color
}

// Anchors of a text's X.
const (
	Left   = 0
	Center = 1
	Right  = 2
)

// Text is one line of text whose baseline passes through Y; X is its left
// end, centre or right end by Anchor.
type Text struct {
	X, Y   float64
	S      string
	Anchor int
	Size   float64 // points (0: TextSize)
	Bold   bool
	Color  color.Color // nil: black
	// Vertical rotates the text 90° counter-clockwise about (X, Y) (a y-axis
	// label).
	Vertical bool
}

// PlotItem is a gonum plot drawn into the rectangle (X, Y, W, H).
type PlotItem struct {
	X, Y, W, H float64
	Plot       *plot.Plot
}

// PlotTable is plots in rows and columns drawn into the rectangle (X, Y,
// W, H) with their axes aligned (gonum's plot.Align); nil cells are left
// empty.
type PlotTable struct {
	X, Y, W, H float64
	Plots      [][]*plot.Plot
	Gap        float64 // between cells (points)
}

func (v Tile) moved(dx, dy float64) item      { v.X, v.Y = v.X+dx, v.Y+dy; return v }
func (v Rect) moved(dx, dy float64) item      { v.X, v.Y = v.X+dx, v.Y+dy; return v }
func (v Box) moved(dx, dy float64) item       { v.X, v.Y = v.X+dx, v.Y+dy; return v }
func (v Text) moved(dx, dy float64) item      { v.X, v.Y = v.X+dx, v.Y+dy; return v }
func (v PlotItem) moved(dx, dy float64) item  { v.X, v.Y = v.X+dx, v.Y+dy; return v }
func (v PlotTable) moved(dx, dy float64) item { v.X, v.Y = v.X+dx, v.Y+dy; return v }

// Add appends items; they are drawn after those already there.
func (f *Figure) Add(items ...item) { f.items = append(f.items, items...) }

// Items returns the figure's items (for tests and layouts that inspect).
func (f *Figure) Items() []any {
	out := make([]any, len(f.items))
	for i, it := range f.items {
		out[i] = it
	}
	return out
}

// Texts returns the strings of the figure's text items, in order.
func (f *Figure) Texts() []string {
	var out []string
	for _, it := range f.items {
		if t, ok := it.(Text); ok {
			out = append(out, t.S)
		}
	}
	return out
}

// Tiles returns the figure's tiles, in order.
func (f *Figure) Tiles() []Tile {
	var out []Tile
	for _, it := range f.items {
		if t, ok := it.(Tile); ok {
			out = append(out, t)
		}
	}
	return out
}

// Fit grows the figure so that it covers every tile, rectangle and text
// extent plus margin points on the right and bottom.
func (f *Figure) Fit(margin float64) {
	w, h := f.W, f.H
	grow := func(x, y float64) { w, h = max(w, x+margin), max(h, y+margin) }
	for _, it := range f.items {
		switch t := it.(type) {
		case Tile:
			grow(t.X+t.W, t.Y+t.H)
		case Rect:
			grow(t.X+t.W, t.Y+t.H)
		case Box:
			grow(t.X+t.W, t.Y+t.H)
		case PlotItem:
			grow(t.X+t.W, t.Y+t.H)
		case PlotTable:
			grow(t.X+t.W, t.Y+t.H)
		case Text:
			if t.Vertical {
				continue
			}
			x := t.X
			switch t.Anchor {
			case Center:
				x -= TextWidth(t.S, t.Size) / 2
			case Right:
				x -= TextWidth(t.S, t.Size)
			}
			grow(x+TextWidth(t.S, t.Size), t.Y+Descent(t.Size))
		}
	}
	f.W, f.H = w, h
}

// pt converts points to a vg length.
func pt(v float64) vg.Length { return vg.Length(v) * vg.Points(1) }

// Place copies g's items into f with g's top-left corner at (x, y) (g's
// background is not drawn), and grows f to hold it.
func (f *Figure) Place(g *Figure, x, y float64) {
	for _, it := range g.items {
		f.items = append(f.items, it.moved(x, y))
	}
	f.W, f.H = max(f.W, x+g.W), max(f.H, y+g.H)
}
