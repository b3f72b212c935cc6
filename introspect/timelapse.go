package introspect

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/gaborlab/gabor/figure"
)

// Frame is one step of a time-lapse: the filters at that step.
type Frame struct {
	Step   int
	Panels []figure.Panel
}

// filmstripMaxCols is the most filters a filmstrip row holds: beyond it each
// step is a block of rows (an MLP's 256 units would otherwise be one row
// many metres long).
const filmstripMaxCols = 16

// Filmstrip draws the frames top to bottom, one block per step ("step N" on
// its left): a single row of all filters when they are few, so each
// filter's history reads down a column, else a block of rows about as wide
// as tall. With NormGlobal the scale is shared by all frames (weights that
// grow look stronger); with NormFilter each panel has its own.
func Filmstrip(frames []Frame, o figure.GridOptions) (*figure.Figure, error) {
	if len(frames) == 0 {
		return nil, errors.New("introspect: a filmstrip needs at least one frame")
	}
	n := len(frames[0].Panels)
	for _, f := range frames {
		if len(f.Panels) != n {
			return nil, fmt.Errorf("introspect: frame of step %d has %d filters, the first frame %d", f.Step, len(f.Panels), n)
		}
	}
	if o.Norm == figure.NormGlobal && o.Fixed == nil {
		sc := sharedScale(frames, o.Signed)
		o.Fixed = &sc
	}
	cols := n
	if cols > filmstripMaxCols {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	o.Cols = cols
	if o.Cell == 0 && o.Width == 0 {
		o.Cell = 24
	}
	out := figure.New(0, 0)
	y := 0.0
	for _, f := range frames {
		fo := o
		fo.RowLabels = []string{fmt.Sprintf("step %d", f.Step)}
		fo.Title = ""
		g, err := figure.Grid(f.Panels, fo)
		if err != nil {
			return nil, err
		}
		out.Place(g, 0, y)
		y += g.H
	}
	return out, nil
}

// sharedScale is one scale over every panel of every frame.
func sharedScale(frames []Frame, signed bool) figure.Scale {
	var all [][]float32
	for _, f := range frames {
		for _, p := range f.Panels {
			all = append(all, p.V)
		}
	}
	if signed {
		return figure.SymmetricScale(all...)
	}
	return figure.RangeScale(all...)
}

// WriteGIF writes the frames as an animated GIF, one grid per step with the
// step as its title, delay in hundredths of a second per frame, at 96 DPI.
// With NormGlobal all frames share one scale, so the animation shows the
// weights growing.
func WriteGIF(w io.Writer, frames []Frame, o figure.GridOptions, delay int) error {
	if len(frames) == 0 {
		return errors.New("introspect: a GIF needs at least one frame")
	}
	if o.Norm == figure.NormGlobal && o.Fixed == nil {
		sc := sharedScale(frames, o.Signed)
		o.Fixed = &sc
	}
	figs := make([]*figure.Figure, len(frames))
	for i, f := range frames {
		fo := o
		fo.Title = fmt.Sprintf("step %d", f.Step)
		g, err := figure.Grid(f.Panels, fo)
		if err != nil {
			return err
		}
		figs[i] = g
	}
	return figure.WriteGIF(w, figs, delay, 96)
}
