package introspect

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"github.com/gaborlab/gabor/figure"
)

// DeconvFigureOptions lay out DeconvFigure.
type DeconvFigureOptions struct {
	Crop   float64 // side of each crop in points (0: 30)
	PerRow int     // map blocks per row (0: 4)
	// Columns is crops per row inside a block (0: about square for the
	// number of hits: 3 for the paper's 9, 2 for 4, 5 for 25).
	Columns int
	Title   string // "" : none
}

// DeconvFigure draws, for each map, the projections of its strongest
// activations as a grid (strongest first, each crop on its own zero-centred
// scale, diverging colours: red pushes the activation up, blue down) next
// to the image patches under the same receptive fields (gray), as in Zeiler
// and Fergus's figures. Each crop is captioned with its activation; a map
// whose strongest activation is ≤ 0 is drawn as "dead", without
// projections. A colorbar explains the projections' colours.
func DeconvFigure(r *DeconvResult, o DeconvFigureOptions) (*figure.Figure, error) {
	if len(r.Maps) == 0 || r.CropH < 1 || r.CropW < 1 {
		return nil, fmt.Errorf("introspect: nothing to draw for layer %s", r.Layer)
	}
	if o.Crop <= 0 {
		o.Crop = 30
	}
	if o.PerRow <= 0 {
		o.PerRow = 4
	}
	top := 0
	for _, m := range r.Maps {
		top = max(top, len(m.Hits))
	}
	cols := o.Columns
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(max(top, 1)))))
	}
	cols = max(1, min(cols, max(top, 1)))
	rows := (max(top, 1) + cols - 1) / cols
	cw := o.Crop
	ch := o.Crop * float64(r.CropH) / float64(r.CropW)
	const pad, gapHalves, gapBlocks, margin = 2.0, 5.0, 12.0, 6.0
	capH := 8.0 // caption under each crop: its activation
	lineH := 11.0
	half := float64(cols)*(cw+pad) - pad
	blockW := 2*half + gapHalves
	blockH := lineH + float64(rows)*(ch+capH+pad) - pad
	perRow := min(o.PerRow, len(r.Maps))
	blockRows := (len(r.Maps) + perRow - 1) / perRow
	y0 := margin
	f := figure.New(0, 0)
	if o.Title != "" {
		f.Add(figure.Text{X: margin, Y: margin + 7, S: o.Title, Size: figure.TextSize + 1})
		y0 += 14
	}
	f.Add(figure.Text{X: margin, Y: y0 + 6, S: "left: projections (each crop on its own scale); right: image patches; numbers: activation", Size: 7, Color: noteGray})
	y0 += lineH
	deadInk := color.NRGBA{180, 30, 30, 255}
	for b, m := range r.Maps {
		x0 := margin + float64(b%perRow)*(blockW+gapBlocks)
		by := y0 + float64(b/perRow)*(blockH+gapBlocks)
		head := fmt.Sprintf("map %d", m.Map)
		if m.Dead {
			head += fmt.Sprintf(": dead (strongest activation %s ≤ 0)", fmtAct(m))
		}
		ink := color.Color(color.NRGBA{40, 40, 40, 255})
		if m.Dead {
			ink = deadInk
		}
		f.Add(figure.Text{X: x0, Y: by + 7, S: head, Color: ink})
		if m.Dead {
			f.Add(figure.Box{X: x0, Y: by + lineH, W: blockW, H: blockH - lineH, Line: 0.6, Color: deadInk})
			continue
		}
		for i, h := range m.Hits {
			cx := float64(i%cols) * (cw + pad)
			cy := by + lineH + float64(i/cols)*(ch+capH+pad)
			f.Add(
				figure.Tile{X: x0 + cx, Y: cy, W: cw, H: ch, Img: figure.PanelImage(h.Proj, r.CropW, r.CropH, figure.Diverging, figure.SymmetricScale(h.Proj))},
				figure.Tile{X: x0 + half + gapHalves + cx, Y: cy, W: cw, H: ch, Img: figure.PanelImage(h.Patch, r.CropW, r.CropH, figure.Gray, figure.Scale{Lo: 0, Hi: 1})},
				figure.Text{X: x0 + cx + cw/2, Y: cy + ch + 6, S: strconv.FormatFloat(float64(h.Value), 'g', 3, 32), Anchor: figure.Center, Size: 6, Color: noteGray})
		}
	}
	gridW := margin + float64(perRow)*blockW + float64(perRow-1)*gapBlocks
	gridH := float64(blockRows)*(blockH+gapBlocks) - gapBlocks
	figure.AddColorbar(f, gridW+8, y0, 42, max(gridH, 60), figure.Diverging, figure.Scale{Lo: -1, Hi: 1}, true, true, "projection")
	f.Fit(margin)
	f.SetMeta(map[string]string{
		"model": r.Model, "dataset": r.Dataset, "layer": r.Layer, "rule": r.Rule,
		"step": strconv.Itoa(r.Step), "epoch": strconv.Itoa(r.Epoch), "weights": r.Weights,
		"normalization": "projections: per crop, zero-centred; patches: pixel/255",
	})
	return f, nil
}

func fmtAct(m DeconvMap) string {
	if len(m.Hits) == 0 {
		return "none"
	}
	return strconv.FormatFloat(float64(m.Hits[0].Value), 'g', 3, 32)
}
