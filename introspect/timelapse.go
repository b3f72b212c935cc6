package introspect

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"io"
)

// Frame is one step of a time-lapse: the filters at that step.
type Frame struct {
	Step   int
	Panels []Panel
}

// Filmstrip draws the frames as one image, a row per step ("step N" on the
// left) and a column per filter, so each filter's history reads top to
// bottom. With NormGlobal the
// scale is shared by all frames (weights that grow look stronger); with
// NormFilter each panel has its own.
func Filmstrip(frames []Frame, o GridOptions) (*Figure, error) {
	if len(frames) == 0 {
		return nil, errors.New("introspect: a filmstrip needs at least one frame")
	}
	n := len(frames[0].Panels)
	var panels []Panel
	var rows []string
	for _, f := range frames {
		if len(f.Panels) != n {
			return nil, fmt.Errorf("introspect: frame of step %d has %d filters, the first frame %d", f.Step, len(f.Panels), n)
		}
		panels = append(panels, f.Panels...)
		rows = append(rows, fmt.Sprintf("step %d", f.Step))
	}
	o.Cols, o.RowLabels = n, rows
	if o.Norm == NormGlobal && o.Fixed == nil {
		sc := sharedScale(frames, o.Signed)
		o.Fixed = &sc
	}
	return Grid(panels, o)
}

// sharedScale is one scale over every panel of every frame.
func sharedScale(frames []Frame, signed bool) Scale {
	var all [][]float32
	for _, f := range frames {
		for _, p := range f.Panels {
			all = append(all, p.V)
		}
	}
	if signed {
		return SymmetricScale(all...)
	}
	return RangeScale(all...)
}

// WriteGIF writes the frames as an animated GIF, one grid per step with the
// step as its title, delay in hundredths of a second per frame (the last
// frame is held three times as long), looping forever. With NormGlobal all
// frames share one scale, so the animation shows the weights growing. The
// palette is the colormap sampled at 240 levels plus black and white, so
// the grid's colours are kept to within one level.
func WriteGIF(w io.Writer, frames []Frame, o GridOptions, delay int) error {
	if len(frames) == 0 {
		return errors.New("introspect: a GIF needs at least one frame")
	}
	if o.Norm == NormGlobal && o.Fixed == nil {
		sc := sharedScale(frames, o.Signed)
		o.Fixed = &sc
	}
	cmap := o.Cmap
	if cmap == nil {
		cmap = Diverging
	}
	pal := color.Palette{color.White, color.Black}
	for i := 0; i < 240; i++ {
		pal = append(pal, cmap.At(float64(i)/239))
	}
	anim := &gif.GIF{}
	var size image.Rectangle
	for i, f := range frames {
		fo := o
		fo.Title = fmt.Sprintf("step %d", f.Step)
		fig, err := Grid(f.Panels, fo)
		if err != nil {
			return err
		}
		img := fig.Raster()
		if i == 0 {
			size = img.Bounds()
		} else if img.Bounds() != size {
			return fmt.Errorf("introspect: GIF frame of step %d is %v, the first %v", f.Step, img.Bounds(), size)
		}
		p := image.NewPaletted(size, pal)
		draw.Draw(p, size, img, image.Point{}, draw.Src)
		d := delay
		if i == len(frames)-1 {
			d *= 3
		}
		anim.Image = append(anim.Image, p)
		anim.Delay = append(anim.Delay, d)
	}
	if err := gif.EncodeAll(w, anim); err != nil {
		return fmt.Errorf("introspect: encoding GIF: %w", err)
	}
	return nil
}
