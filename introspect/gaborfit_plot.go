package introspect

import (
	"errors"
	"fmt"
	"image/color"

	"github.com/gaborlab/gabor/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// ScorePoint is the Gabor score of a layer at one step of training.
type ScorePoint struct {
	Step    int     `json:"step"`
	Epoch   int     `json:"epoch"`
	Score   float64 `json:"gabor_score"`
	MeanR2  float64 `json:"mean_r2_adj"` // over the fits with adjusted R² ≥ 0
	Filters int     `json:"n_filters"`
	// NotGabor counts fits with a negative adjusted R² (left out of MeanR2).
	NotGabor int `json:"not_gabor_like"`
	AtBound  int `json:"fits_at_bound"`
}

// MeanR2Adj is the mean adjusted R² of the fitted filters whose adjusted R²
// is at least 0; a negative one (the fit is worse than a constant) says "not
// Gabor-like" and is counted apart (countFits), not averaged in; Skipped
// (non-finite) filters are left out. With no such fit it is 0.
func MeanR2Adj(fits []FilterFit) float64 {
	s, n := 0.0, 0
	for _, f := range fits {
		if !f.Skipped && f.R2Adj >= 0 {
			s += f.R2Adj
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// ScoreFigure draws, against the training step, the Gabor score (the
// fraction of filters whose adjusted R² reaches threshold) above and the
// mean adjusted R² with the threshold below: one quantity per y axis. Each
// legend sits in the lower right of its panel, off the title and the 1.0
// gridline; the threshold line has its own legend entry.
func ScoreFigure(pts []ScorePoint, layer string, threshold float64, title string) (*figure.Figure, error) {
	if len(pts) == 0 {
		return nil, errors.New("introspect: no score points to plot")
	}
	xs := make([]float64, len(pts))
	score, mean := make([]float64, len(pts)), make([]float64, len(pts))
	for i, s := range pts {
		xs[i], score[i], mean[i] = float64(s.Step), s.Score, s.MeanR2
	}
	top := figure.NewPlot(title, "", fmt.Sprintf("fraction with R²adj ≥ %.2g", threshold))
	bottom := figure.NewPlot("", "step", "mean adjusted R²")
	for _, p := range []*plot.Plot{top, bottom} {
		p.Y.Min, p.Y.Max = 0, 1.05
		p.Legend.Top, p.Legend.Left = false, false
		p.Legend.XOffs, p.Legend.YOffs = vg.Points(-4), vg.Points(4)
	}
	if err := figure.AddSeries(top, []figure.Series{{Name: "Gabor score of " + layer, X: xs, Y: score, Points: true}}); err != nil {
		return nil, fmt.Errorf("introspect: score figure: %w", err)
	}
	if err := figure.AddSeries(bottom, []figure.Series{{Name: "mean R²adj (fits with R²adj ≥ 0)", X: xs, Y: mean, Points: true, Color: figure.SeriesColor(1)}}); err != nil {
		return nil, fmt.Errorf("introspect: score figure: %w", err)
	}
	thr, err := plotter.NewLine(plotter.XYs{{X: xs[0], Y: threshold}, {X: xs[len(xs)-1], Y: threshold}})
	if err != nil {
		return nil, fmt.Errorf("introspect: score figure: %w", err)
	}
	thr.Color, thr.Width = color.Gray{Y: 110}, vg.Points(0.75)
	thr.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	bottom.Add(thr)
	bottom.Legend.Add(fmt.Sprintf("threshold %.2g", threshold), thr)
	const w, h = 300.0, 150.0
	f := figure.New(w, 2*h)
	f.Add(figure.PlotTable{W: w, H: 2 * h, Plots: [][]*plot.Plot{{top}, {bottom}}, Gap: 6})
	return f, nil
}
