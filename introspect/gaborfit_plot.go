package introspect

import (
	"errors"
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ScorePoint is the Gabor score of a layer at one step of training.
type ScorePoint struct {
	Step    int     `json:"step"`
	Epoch   int     `json:"epoch"`
	Score   float64 `json:"gabor_score"`
	MeanR2  float64 `json:"mean_r2_adj"` // mean adjusted R² of the layer's filters
	Filters int     `json:"n_filters"`
}

// MeanR2Adj is the mean adjusted R² of the fitted filters (Skipped ones left out).
func MeanR2Adj(fits []FilterFit) float64 {
	s, n := 0.0, 0
	for _, f := range fits {
		if !f.Skipped {
			s += f.R2Adj
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// WriteScorePlot draws the Gabor score and the mean adjusted R² against the
// training step (format "png" or "svg", 12×8 cm), with the threshold as a
// dashed line.
func WriteScorePlot(w io.Writer, pts []ScorePoint, layer string, threshold float64, format string) error {
	if len(pts) == 0 {
		return errors.New("introspect: no score points to plot")
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Gabor-likeness of %s over training", layer)
	p.X.Label.Text = "step"
	p.Y.Label.Text = "fraction / R²adj"
	p.Y.Min, p.Y.Max = 0, 1
	score, mean := make(plotter.XYs, len(pts)), make(plotter.XYs, len(pts))
	for i, s := range pts {
		score[i] = plotter.XY{X: float64(s.Step), Y: s.Score}
		mean[i] = plotter.XY{X: float64(s.Step), Y: s.MeanR2}
	}
	blue, red := color.NRGBA{38, 84, 168, 255}, color.NRGBA{190, 50, 40, 255}
	for _, l := range []struct {
		xy    plotter.XYs
		c     color.Color
		label string
		dash  bool
	}{
		{score, blue, fmt.Sprintf("Gabor score (R²adj ≥ %.2g)", threshold), false},
		{mean, red, "mean R²adj", true},
	} {
		line, points, err := plotter.NewLinePoints(l.xy)
		if err != nil {
			return fmt.Errorf("introspect: score plot: %w", err)
		}
		line.Color, points.Color = l.c, l.c
		points.Shape = draw.CircleGlyph{}
		if l.dash {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(line, points)
		p.Legend.Add(l.label, line, points)
	}
	thr, err := plotter.NewLine(plotter.XYs{{X: float64(pts[0].Step), Y: threshold}, {X: float64(pts[len(pts)-1].Step), Y: threshold}})
	if err == nil {
		thr.Color = color.Gray{150}
		thr.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
		p.Add(thr)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	wt, err := p.WriterTo(12*vg.Centimeter, 8*vg.Centimeter, format)
	if err != nil {
		return fmt.Errorf("introspect: score plot as %s: %w", format, err)
	}
	_, err = wt.WriteTo(w)
	return err
}
