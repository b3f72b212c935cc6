package introspect

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"sync"
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
				out[i] = FilterFit{Index: i, Label: p.Label, GaborFit: FitGabor(v, p.W, p.H, oi)}
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

// WriteFitCSV writes one row per filter: index, label, r2, r2_adj, then the
// Gabor parameters (angles in radians, lengths in pixels).
func WriteFitCSV(w io.Writer, fits []FilterFit) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"index", "label", "r2", "r2_adj", "x0", "y0", "theta", "sigma_x", "sigma_y", "lambda", "phase", "amplitude", "offset"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, r := range fits {
		p := r.GaborParams
		cw.Write([]string{strconv.Itoa(r.Index), r.Label, f(r.R2), f(r.R2Adj), f(p.X0), f(p.Y0), f(p.Theta),
			f(p.SigmaX), f(p.SigmaY), f(p.Lambda), f(p.Phase), f(p.Amp), f(p.Offset)})
	}
	cw.Flush()
	return cw.Error()
}

// FitFigure draws each filter beside its fit and the residual (filter − fit),
// the three on the filter's own zero-centred scale so the residual's size is
// read against the filter's. Two triplets per row when there are more than
// four filters.
func FitFigure(fs *FilterSet, fits []FilterFit, o GridOptions) (*Figure, error) {
	if len(fits) != len(fs.Panels) {
		return nil, fmt.Errorf("introspect: %d fits for %d filters", len(fits), len(fs.Panels))
	}
	var panels []Panel
	for i, p := range fs.Panels {
		sc := SymmetricScale(p.V)
		fit := fits[i].Render(p.W, p.H)
		fv, rv := make([]float32, len(fit)), make([]float32, len(fit))
		for k := range fit {
			fv[k] = float32(fit[k])
			rv[k] = p.V[k] - fv[k]
		}
		panels = append(panels,
			Panel{W: p.W, H: p.H, V: p.V, Label: fmt.Sprintf("%s %.2f", p.Label, fits[i].R2Adj), Scale: &sc},
			Panel{W: p.W, H: p.H, V: fv, Label: "fit", Scale: &sc},
			Panel{W: p.W, H: p.H, V: rv, Label: "resid", Scale: &sc})
	}
	o.Cols = 3
	if len(fs.Panels) > 4 {
		o.Cols = 6
	}
	o.Labels, o.Signed = true, true
	o.Colorbar = false
	return Grid(panels, o)
}
