package bench

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/gaborlab/gabor/figure"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// WritePlots draws the report into dir (created if needed), each plot as PNG
// (300 DPI), SVG and PDF through the figure package, replacing earlier plots
// of the same report, and returns the files written:
//
//   - images_per_s_batch<B>: images/s by model, one bar per implementation
//     and device (grouped bars), one plot per batch size;
//   - scaling: images/s against batch size on a log₂ axis, one line per
//     implementation, model and device.
func WritePlots(dir string, rep *Report) ([]string, error) {
	var files []string
	out := figure.Output{Formats: figure.Formats, Force: true}
	save := func(p *plot.Plot, name string, wIn float64) error {
		f := figure.PlotFigure(p, wIn*72, 4*72)
		f.SetMeta(map[string]string{"plot": name})
		fs, err := figure.WriteFiles(dir, name, f, out)
		if err != nil {
			return fmt.Errorf("bench: saving %s: %w", name, err)
		}
		files = append(files, fs...)
		return nil
	}
	for _, b := range batchesOf(rep.Results) {
		p, err := barPlot(rep.Results, b)
		if err != nil {
			return files, err
		}
		if err := save(p, "images_per_s_batch"+strconv.Itoa(b), 6); err != nil {
			return files, err
		}
	}
	p, err := scalingPlot(rep.Results)
	if err != nil {
		return files, err
	}
	if err := save(p, "scaling", 7); err != nil {
		return files, err
	}
	return files, nil
}

// series names a bar or a line: implementation and device (and model).
func series(r Result) string { return r.Impl + " " + r.Device }

func batchesOf(rs []Result) []int {
	var out []int
	for _, r := range rs {
		if !slices.Contains(out, r.Batch) {
			out = append(out, r.Batch)
		}
	}
	slices.Sort(out)
	return out
}

// barPlot groups the results of one batch size by model: one bar per series
// within each model's group.
func barPlot(rs []Result, batch int) (*plot.Plot, error) {
	var modelNames, names []string
	for _, r := range rs {
		if r.Batch != batch {
			continue
		}
		if !slices.Contains(modelNames, r.Model) {
			modelNames = append(modelNames, r.Model)
		}
		if !slices.Contains(names, series(r)) {
			names = append(names, series(r))
		}
	}
	p := figure.NewPlot(fmt.Sprintf("Training speed at batch %d", batch), "", "images/s (median epoch)")
	p.Y.Min = 0
	width := vg.Points(float64(min(24, 120/max(1, len(names)))))
	for k, name := range names {
		vals := make(plotter.Values, len(modelNames))
		for i, m := range modelNames {
			for _, r := range rs {
				if r.Batch == batch && r.Model == m && series(r) == name {
					vals[i] = r.ImagesPerS
				}
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, fmt.Errorf("bench: bar chart: %w", err)
		}
		bars.Color = figure.SeriesColor(k)
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(k)-float64(len(names)-1)/2)
		p.Add(bars)
		p.Legend.Add(name, bars)
	}
	p.Legend.Top = true
	p.NominalX(modelNames...)
	p.X.Label.Text = "model"
	headroom(p)
	return p, nil
}

// scalingPlot draws images/s against batch size, log₂ on x.
func scalingPlot(rs []Result) (*plot.Plot, error) {
	p := figure.NewPlot("Training speed against batch size", "batch size", "images/s (median epoch)")
	p.X.Scale = plot.LogScale{}
	var ticks []plot.Tick
	for _, b := range batchesOf(rs) {
		ticks = append(ticks, plot.Tick{Value: float64(b), Label: strconv.Itoa(b)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	var keys []string
	for _, r := range rs {
		if k := r.Model + ", " + series(r); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for i, k := range keys {
		var pts plotter.XYs
		for _, r := range rs {
			if r.Model+", "+series(r) == k && r.ImagesPerS > 0 {
				pts = append(pts, plotter.XY{X: float64(r.Batch), Y: r.ImagesPerS})
			}
		}
		slices.SortFunc(pts, func(a, b plotter.XY) int { return int(a.X - b.X) })
		if len(pts) == 0 {
			continue
		}
		line, marks, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, fmt.Errorf("bench: scaling line: %w", err)
		}
		line.Color = figure.SeriesColor(i)
		line.Dashes = plotutil.Dashes(i)
		marks.Color = figure.SeriesColor(i)
		marks.Shape = figure.ClassGlyph(i)
		p.Add(line, marks)
		p.Legend.Add(k, line, marks)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Y.Min = 0
	headroom(p)
	return p, nil
}

// headroom raises the top of the y axis so the legend, drawn in the top
// corner, does not cover the tallest bar or point.
func headroom(p *plot.Plot) {
	if p.Y.Max > 0 {
		p.Y.Max *= 1.25
	}
}
