package introspect

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// angleDiffPi is the distance between two orientations modulo π.
func angleDiffPi(a, b float64) float64 {
	d := math.Mod(math.Abs(a-b), math.Pi)
	return math.Min(d, math.Pi-d)
}

// TestFitGaborRecovers synthesizes filters from known parameters, adds
// Gaussian noise (5% of the amplitude), and checks that the fit explains them
// (R² ≥ 0.9) and finds the parameters: θ within 0.1 rad (mod π), λ within
// 10%, σx and σy within 25%, the centre within half a pixel.
func TestFitGaborRecovers(t *testing.T) {
	cases := []struct {
		name string
		size int
		p    GaborParams
	}{
		{"9x9 oblique", 9, GaborParams{X0: 4.3, Y0: 3.8, Theta: 0.7, SigmaX: 1.6, SigmaY: 2.2, Lambda: 4.5, Phase: 0.4, Amp: 1, Offset: 0.05}},
		{"9x9 near pi", 9, GaborParams{X0: 4, Y0: 4, Theta: 3.05, SigmaX: 1.8, SigmaY: 1.4, Lambda: 5, Phase: -1.2, Amp: 0.3, Offset: 0}},
		{"7x7 vertical", 7, GaborParams{X0: 3.2, Y0: 3, Theta: math.Pi / 2, SigmaX: 1.3, SigmaY: 1.8, Lambda: 3.5, Phase: 1.5, Amp: 2, Offset: -0.1}},
		{"7x7 edge", 7, GaborParams{X0: 3, Y0: 2.7, Theta: 0.2, SigmaX: 1.2, SigmaY: 1.6, Lambda: 4, Phase: math.Pi / 2, Amp: 0.5, Offset: 0.02}},
		{"9x9 fine", 9, GaborParams{X0: 4, Y0: 4.4, Theta: 2.2, SigmaX: 1.5, SigmaY: 2.5, Lambda: 2.8, Phase: 0, Amp: 1, Offset: 0}},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.p.Render(tc.size, tc.size)
			for i := range v {
				v[i] += 0.05 * tc.p.Amp * rng.NormFloat64()
			}
			fit := FitGabor(v, tc.size, tc.size, FitOptions{Seed: 1})
			got := fit.GaborParams
			if fit.R2 < 0.9 || fit.R2Adj < 0.9 {
				t.Errorf("R² = %.3f, want ≥ 0.9 (fit %+v)", fit.R2, got)
			}
			if d := angleDiffPi(got.Theta, tc.p.Theta); d > 0.1 {
				t.Errorf("θ = %.3f, want %.3f mod π (off by %.3f rad)", got.Theta, tc.p.Theta, d)
			}
			if r := got.Lambda / tc.p.Lambda; r < 0.9 || r > 1.1 {
				t.Errorf("λ = %.3f, want %.3f ± 10%%", got.Lambda, tc.p.Lambda)
			}
			if r := got.SigmaX / tc.p.SigmaX; r < 0.75 || r > 1.25 {
				t.Errorf("σx = %.3f, want %.3f ± 25%%", got.SigmaX, tc.p.SigmaX)
			}
			if r := got.SigmaY / tc.p.SigmaY; r < 0.75 || r > 1.25 {
				t.Errorf("σy = %.3f, want %.3f ± 25%%", got.SigmaY, tc.p.SigmaY)
			}
			if d := math.Hypot(got.X0-tc.p.X0, got.Y0-tc.p.Y0); d > 0.5 {
				t.Errorf("centre (%.2f, %.2f), want (%.2f, %.2f)", got.X0, got.Y0, tc.p.X0, tc.p.Y0)
			}
			if got.Amp < 0 || got.Theta < 0 || got.Theta >= math.Pi {
				t.Errorf("not canonical: A %.3f, θ %.3f", got.Amp, got.Theta)
			}
			t.Logf("R² %.4f, %d evaluations, fit %+v", fit.R2, fit.Evals, got)
		})
	}
}

// TestFitGaborNoise checks that white noise is not mistaken for a Gabor.
// Nine parameters chosen by search fit some of any pattern: on 9×9 filters
// (81 pixels) every noise filter stays below R²adj 0.3, and on average below
// raw R² 0.3; on 7×7 (49 pixels) the raw R² of noise is about 0.3, so there
// the adjusted R² (what the Gabor score counts) must average below 0.3 and
// 90% of the filters must stay below it. No noise filter may reach the
// score's default threshold of 0.7.
func TestFitGaborNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 16
	if testing.Short() {
		n = 10
	}
	for _, size := range []int{7, 9} {
		var raw, adj []float64
		for k := 0; k < n; k++ {
			v := make([]float64, size*size)
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			fit := FitGabor(v, size, size, FitOptions{Seed: uint64(k)})
			raw, adj = append(raw, fit.R2), append(adj, fit.R2Adj)
			if fit.R2 >= 0.7 || fit.R2Adj > fit.R2 {
				t.Errorf("%d×%d noise filter %d: R² %.3f, R²adj %.3f", size, size, k, fit.R2, fit.R2Adj)
			}
			if size == 9 && fit.R2Adj >= 0.3 {
				t.Errorf("9×9 noise filter %d: R²adj = %.3f, want < 0.3", k, fit.R2Adj)
			}
		}
		slices.Sort(adj)
		meanRaw, meanAdj := meanOf(raw), meanOf(adj)
		p90 := adj[(9*len(adj))/10-1]
		t.Logf("%d×%d noise, %d filters: mean R² %.3f, mean R²adj %.3f, 90th percentile R²adj %.3f", size, size, n, meanRaw, meanAdj, p90)
		if meanAdj >= 0.3 || p90 >= 0.3 {
			t.Errorf("%d×%d noise: mean R²adj %.3f, 90th percentile %.3f; want both < 0.3", size, size, meanAdj, p90)
		}
		if size == 9 && meanRaw >= 0.3 {
			t.Errorf("9×9 noise: mean raw R² %.3f, want < 0.3", meanRaw)
		}
	}
}

func meanOf(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func TestFitGaborConstant(t *testing.T) {
	fit := FitGabor(make([]float64, 25), 5, 5, FitOptions{})
	if fit.R2 != 0 {
		t.Errorf("constant filter: R² = %g, want 0", fit.R2)
	}
}

func TestCanonicalParamsSameFunction(t *testing.T) {
	// params() must describe the same function after moving θ into [0, π).
	pr := newGaborProblem(GaborParams{X0: 3, Y0: 3, Theta: 1, SigmaX: 1.5, SigmaY: 2, Lambda: 4, Phase: 0.7, Amp: 1}.Render(7, 7), 7, 7)
	for _, th := range []float64{1, 1 + math.Pi, 1 - 3*math.Pi, 1 + 4*math.Pi} {
		u := pr.encode(3, 3, th, 1.5, 2, 4)
		g := pr.params(u)
		coef, _ := pr.solve(u)
		want := func(x, y float64) float64 { // the model at u, uncanonicalized
			x0, y0, t0, sx, sy, lm := pr.decode(u)
			c, s := math.Cos(t0), math.Sin(t0)
			xr, yr := (x-x0)*c+(y-y0)*s, -(x-x0)*s+(y-y0)*c
			env := math.Exp(-xr*xr/(2*sx*sx) - yr*yr/(2*sy*sy))
			return env*(coef[0]*math.Cos(2*math.Pi*xr/lm)+coef[1]*math.Sin(2*math.Pi*xr/lm)) + coef[2]
		}
		for y := 0.0; y < 7; y++ {
			for x := 0.0; x < 7; x++ {
				if d := math.Abs(g.Eval(x, y) - want(x, y)); d > 1e-9 {
					t.Fatalf("θ %.2f: canonical form differs by %g at (%g, %g)", th, d, x, y)
				}
			}
		}
	}
}
