package introspect

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/gaborlab/gabor/figure"
)

// DefaultR2Threshold is the adjusted R² from which a filter counts as
// Gabor-like in the Gabor score.
const DefaultR2Threshold = 0.7

// FilterFit is the Gabor fit of one panel of a FilterSet.
type FilterFit struct {
	Index int    `json:"index"`
	Label string `json:"label"`
	// Skipped: the panel holds NaN or ±Inf and was not fitted (its fit is
	// zero); GaborScore and MeanR2Adj leave it out.
	Skipped bool `json:"skipped,omitempty"`
	GaborFit
	// AtBound names the parameters that ended on their search bounds
	// ("sigma_x=max", "lambda=min"). On an upper bound the envelope or the
	// wavelength extends past the filter: the value is only a lower limit,
	// the fit itself can be good (an edge along a 5×5 filter). On a lower
	// bound the fit is degenerate (see Degenerate).
	AtBound []string `json:"at_bound,omitempty"`
}

// Degenerate reports whether a width or the wavelength ended on its lower
// bound: an envelope of about one pixel or a wavelength at the pixel
// spacing's limit, structure finer than the filter resolves, so the fit's
// R² says little about Gabor-likeness.
func (f FilterFit) Degenerate() bool {
	for _, b := range f.AtBound {
		if strings.HasSuffix(b, "=min") {
			return true
		}
	}
	return false
}

// boundTol is how close (relative to the bound interval) a parameter must
// be to a bound to count as on it.
const boundTol = 0.02

// atBounds lists the parameters of p that sit on the search bounds of a
// w×h fit (GaborBounds).
func atBounds(p GaborParams, w, h int) []string {
	smin, smax, lmin, lmax := GaborBounds(w, h)
	var out []string
	check := func(name string, v, lo, hi float64) {
		tol := boundTol * (hi - lo)
		switch {
		case v <= lo+tol:
			out = append(out, name+"=min")
		case v >= hi-tol:
			out = append(out, name+"=max")
		}
	}
	check("sigma_x", p.SigmaX, smin, smax)
	check("sigma_y", p.SigmaY, smin, smax)
	check("lambda", p.Lambda, lmin, lmax)
	return out
}

// countFits counts the fits that are not Gabor-like at all (adjusted R²
// below zero: worse than a constant) and those on a search bound.
func countFits(fits []FilterFit) (notGabor, atBound int) {
	for _, f := range fits {
		if !f.Skipped && f.R2Adj < 0 {
			notGabor++
		}
		if len(f.AtBound) > 0 {
			atBound++
		}
	}
	return notGabor, atBound
}

// finitePanel reports whether every value of a panel is a number.
func finitePanel(v []float32) bool {
	for _, x := range v {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return true
}

// FitFilters fits every panel of a filter set, in parallel over GOMAXPROCS
// goroutines; panel i uses seed o.Seed+i, so the result does not depend on
// scheduling. A panel holding NaN or Inf is not fitted (Skipped).
func FitFilters(fs *FilterSet, o FitOptions) []FilterFit {
	out := make([]FilterFit, len(fs.Panels))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for g := 0; g < min(runtime.GOMAXPROCS(0), len(fs.Panels)); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				p := fs.Panels[i]
				if !finitePanel(p.V) {
					out[i] = FilterFit{Index: i, Label: p.Label, Skipped: true}
					continue
				}
				v := make([]float64, len(p.V))
				for k, x := range p.V {
					v[k] = float64(x)
				}
				oi := o
				oi.Seed = o.Seed + uint64(i)
				g := FitGabor(v, p.W, p.H, oi)
				out[i] = FilterFit{Index: i, Label: p.Label, GaborFit: g, AtBound: atBounds(g.GaborParams, p.W, p.H)}
			}
		}()
	}
	for i := range fs.Panels {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

// GaborScore is the fraction of the fitted filters (Skipped ones left out)
// whose adjusted R² reaches threshold; 0 when none was fitted.
func GaborScore(fits []FilterFit, threshold float64) float64 {
	n, fitted := 0, 0
	for _, f := range fits {
		if f.Skipped {
			continue
		}
		fitted++
		if f.R2Adj >= threshold {
			n++
		}
	}
	if fitted == 0 {
		return 0
	}
	return float64(n) / float64(fitted)
}

// WriteFitCSV writes one row per filter: index, label, r2, r2_adj, whether
// it counts as Gabor-like at threshold ("yes", "no", or "not" for a negative
// adjusted R²), the parameters on a search bound, then the Gabor parameters
// (angles in radians, lengths in pixels).
func WriteFitCSV(w io.Writer, fits []FilterFit, threshold float64) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"index", "label", "r2", "r2_adj", "gabor_like", "at_bound", "x0", "y0", "theta", "sigma_x", "sigma_y", "lambda", "phase", "amplitude", "offset"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, r := range fits {
		p := r.GaborParams
		cw.Write([]string{strconv.Itoa(r.Index), r.Label, f(r.R2), f(r.R2Adj), gaborLike(r, threshold), strings.Join(r.AtBound, " "),
			f(p.X0), f(p.Y0), f(p.Theta), f(p.SigmaX), f(p.SigmaY), f(p.Lambda), f(p.Phase), f(p.Amp), f(p.Offset)})
	}
	cw.Flush()
	return cw.Error()
}

// gaborLike is a fit's verdict: "yes" (adjusted R² ≥ threshold), "no", or
// "not" (negative adjusted R²: not Gabor-like at all).
func gaborLike(f FilterFit, threshold float64) string {
	switch {
	case f.Skipped:
		return "skipped"
	case f.R2Adj < 0:
		return "not"
	case f.R2Adj >= threshold:
		return "yes"
	}
	return "no"
}

// FitFigure draws each filter beside its fit and the residual (filter − fit),
// the three on the filter's own zero-centred scale so the residual's size is
// read against the filter's. A filter's label carries its adjusted R² ("n/G"
// when negative: not Gabor-like); a degenerate fit (a width or the
// wavelength on its lower bound) is framed in red and marked "bound", one
// that extends past the filter (on an upper bound) is marked "wide". Two triplets per row when there are more than four
// filters.
func FitFigure(fs *FilterSet, fits []FilterFit, o figure.GridOptions) (*figure.Figure, error) {
	if len(fits) != len(fs.Panels) {
		return nil, fmt.Errorf("introspect: %d fits for %d filters", len(fits), len(fs.Panels))
	}
	var panels []figure.Panel
	for i, p := range fs.Panels {
		sc := figure.SymmetricScale(p.V)
		fit := fits[i].Render(p.W, p.H)
		fv, rv := make([]float32, len(fit)), make([]float32, len(fit))
		for k := range fit {
			fv[k] = float32(fit[k])
			rv[k] = p.V[k] - fv[k]
		}
		r2 := fmt.Sprintf("%.2f", fits[i].R2Adj)
		switch {
		case fits[i].Skipped:
			r2 = "NaN"
		case fits[i].R2Adj < 0:
			r2 = "n/G"
		}
		flag, fitLabel := "", "fit"
		switch {
		case fits[i].Degenerate():
			flag, fitLabel = strings.Join(fits[i].AtBound, " "), "bound"
		case len(fits[i].AtBound) > 0:
			fitLabel = "wide"
		}
		panels = append(panels,
			figure.Panel{W: p.W, H: p.H, V: p.V, Label: p.Label + " " + r2, Scale: &sc},
			figure.Panel{W: p.W, H: p.H, V: fv, Label: fitLabel, Scale: &sc, Flag: flag},
			figure.Panel{W: p.W, H: p.H, V: rv, Label: "resid", Scale: &sc})
	}
	o.Cols = 3
	if len(fs.Panels) > 4 {
		o.Cols = 6
	}
	o.Labels, o.Signed, o.Norm, o.Fixed = true, true, figure.NormFilter, nil
	return figure.Grid(panels, o)
}
