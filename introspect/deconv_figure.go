package introspect

import (
	"fmt"
	"image"
	"image/color"
	"strconv"
)

// DeconvFigureOptions lay out DeconvFigure.
type DeconvFigureOptions struct {
	Scale   int // upscaling of each crop (0: enough for about 64 pixels)
	PerRow  int // map blocks per row (0: 4)
	Pad     int // pixels between crops (0: 2)
	Columns int // crops per row inside a block (0: 3, the paper's 3×3)
}

// DeconvFigure draws, for each map, the projections of its strongest
// activations as a grid (Columns wide, strongest first, each crop on its own
// zero-centred scale, diverging colours: red pushes the activation up, blue
// down) next to the image patches under the same receptive fields (gray),
// as in Zeiler and Fergus's figures.
func DeconvFigure(r *DeconvResult, o DeconvFigureOptions) (*Figure, error) {
	if len(r.Maps) == 0 || r.CropH < 1 || r.CropW < 1 {
		return nil, fmt.Errorf("introspect: nothing to draw for layer %s", r.Layer)
	}
	if o.Scale <= 0 {
		o.Scale = max(1, 64/max(r.CropH, r.CropW))
	}
	if o.PerRow <= 0 {
		o.PerRow = 4
	}
	if o.Pad <= 0 {
		o.Pad = 2
	}
	if o.Columns <= 0 {
		o.Columns = 3
	}
	top := 0
	for _, m := range r.Maps {
		top = max(top, len(m.Hits))
	}
	cols := min(o.Columns, top)
	rows := (top + cols - 1) / cols
	cw, ch := r.CropW*o.Scale, r.CropH*o.Scale
	half := cols*(cw+o.Pad) - o.Pad // one grid
	const gapHalves, gapBlocks, margin = 6, 18, 8
	lineH := TextAsc + TextDesc + 3
	blockW := 2*half + gapHalves
	blockH := lineH + rows*(ch+o.Pad) - o.Pad
	perRow := min(o.PerRow, len(r.Maps))
	blockRows := (len(r.Maps) + perRow - 1) / perRow
	title := fmt.Sprintf("%s %s, %s rule, step %d: projections (left) and image patches (right) of each map's %d strongest test images",
		r.Model, r.Layer, r.Rule, r.Step, top)
	fig := &Figure{
		W:          max(2*margin+perRow*blockW+(perRow-1)*gapBlocks, TextWidth(title)+2*margin),
		H:          margin + lineH + blockRows*(blockH+gapBlocks) - gapBlocks + margin,
		Background: color.NRGBA{255, 255, 255, 255},
		Meta: map[string]string{
			"model": r.Model, "dataset": r.Dataset, "layer": r.Layer, "rule": r.Rule,
			"step": strconv.Itoa(r.Step), "epoch": strconv.Itoa(r.Epoch), "weights": r.Weights,
			"normalization": "projections: per crop, zero-centred; patches: pixel/255",
		},
	}
	fig.Texts = append(fig.Texts, Text{X: margin, Y: margin + TextAsc, S: title})
	for b, m := range r.Maps {
		x0 := margin + (b%perRow)*(blockW+gapBlocks)
		y0 := margin + lineH + (b/perRow)*(blockH+gapBlocks)
		fig.Texts = append(fig.Texts, Text{X: x0, Y: y0 + TextAsc, S: fmt.Sprintf("map %d", m.Map), Color: color.NRGBA{40, 40, 40, 255}})
		for i, h := range m.Hits {
			cx := (i % cols) * (cw + o.Pad)
			cy := y0 + lineH + (i/cols)*(ch+o.Pad)
			fig.Tiles = append(fig.Tiles,
				Tile{X: x0 + cx, Y: cy, Scale: o.Scale, Img: panelImage(h.Proj, r.CropW, r.CropH, Diverging, SymmetricScale(h.Proj))},
				Tile{X: x0 + half + gapHalves + cx, Y: cy, Scale: o.Scale, Img: panelImage(h.Patch, r.CropW, r.CropH, Gray, Scale{0, 1})})
		}
	}
	return fig, nil
}

// panelImage colours w×h values with a colormap on a scale.
func panelImage(v []float32, w, h int, cmap Colormap, sc Scale) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for k, x := range v {
		img.SetNRGBA(k%w, k/w, cmap.At(sc.At(float64(x))))
	}
	return img
}
