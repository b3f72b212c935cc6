package introspect

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/optimize"
)

// GaborParams are the parameters of a 2-D Gabor function on a filter's pixel
// grid (x: column, y: row, pixel centres at integers, (0, 0) top-left):
//
//	x′ =  (x−X0)·cos θ + (y−Y0)·sin θ
//	y′ = −(x−X0)·sin θ + (y−Y0)·cos θ
//	g(x, y) = A·exp(−x′²/(2σx²) − y′²/(2σy²))·cos(2π·x′/λ + φ) + C
//
// The carrier runs along x′, at angle θ from the x axis. The form is
// reported canonically: A ≥ 0 (a negative amplitude is a phase of π) and
// θ ∈ [0, π) (θ+π is the same function with x′ → −x′, hence φ → −φ).
type GaborParams struct {
	X0     float64 `json:"x0"`
	Y0     float64 `json:"y0"`
	Theta  float64 `json:"theta"`
	SigmaX float64 `json:"sigma_x"`
	SigmaY float64 `json:"sigma_y"`
	Lambda float64 `json:"lambda"`
	Phase  float64 `json:"phase"`
	Amp    float64 `json:"amplitude"`
	Offset float64 `json:"offset"`
}

// Eval is g at pixel (x, y).
func (p GaborParams) Eval(x, y float64) float64 {
	dx, dy := x-p.X0, y-p.Y0
	c, s := math.Cos(p.Theta), math.Sin(p.Theta)
	xr, yr := dx*c+dy*s, -dx*s+dy*c
	env := math.Exp(-xr*xr/(2*p.SigmaX*p.SigmaX) - yr*yr/(2*p.SigmaY*p.SigmaY))
	return p.Amp*env*math.Cos(2*math.Pi*xr/p.Lambda+p.Phase) + p.Offset
}

// Render is g on a w×h grid, row-major.
func (p GaborParams) Render(w, h int) []float64 {
	out := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out[y*w+x] = p.Eval(float64(x), float64(y))
		}
	}
	return out
}

// GaborFit is the result of fitting one filter.
type GaborFit struct {
	GaborParams
	R2 float64 `json:"r2"` // 1 − SSres/SStot (SStot about the filter's mean)
	// R2Adj is R² adjusted for the 9 fitted parameters on n pixels,
	// 1 − (1 − R²)(n − 1)/(n − 10): nine parameters chosen by search fit
	// some of any pattern, and on a 7×7 filter white noise reaches a raw R²
	// of about 0.3. The Gabor score counts R2Adj.
	R2Adj float64 `json:"r2_adj"`
	// Evals is the number of objective evaluations spent over all starts.
	Evals int `json:"evals"`
}

// FitOptions tune FitGabor.
type FitOptions struct {
	// RandomStarts adds this many seeded random starts to the deterministic
	// ones (default 4; negative: none).
	RandomStarts int
	Seed         uint64
	// MaxEvals bounds the objective evaluations of one start (default 1500).
	MaxEvals int
}

// FitGabor fits a Gabor function to a w×h filter (row-major) by nonlinear
// least squares.
//
// The amplitude, phase and offset enter linearly once the other parameters
// are fixed: A·cos(kx′+φ) = a·cos(kx′) + b·sin(kx′) with a = A cos φ,
// b = −A sin φ. So the fit is a variable projection: for given centre,
// orientation, widths and wavelength, (a, b, C) come from a 3×3 linear least
// squares solve, and only those 6 nonlinear parameters are searched, with
// gonum's Nelder–Mead (derivative-free, robust to the objective's kinks).
// Bounds enter by reparametrization, so the search is unconstrained: the
// centre stays within half a filter of the middle (tanh), σ in [1, max(w,h)]
// and λ in [2, 3·max(w,h)] (logistic; λ = 2 is the Nyquist limit).
//
// Starts: orientation and wavelength from the peak of the filter's Fourier
// magnitude (evaluated on a fine frequency grid), the orientation also turned
// by π/4, π/2 and 3π/4, the wavelength also ×1.5, centred at the middle and at
// the peak of |filter|; plus seeded random starts. The best fit is polished by
// one more run from where it ended.
func FitGabor(v []float64, w, h int, o FitOptions) GaborFit {
	if o.RandomStarts == 0 {
		o.RandomStarts = 4
	}
	if o.MaxEvals <= 0 {
		o.MaxEvals = 1500
	}
	pr := newGaborProblem(v, w, h)
	if pr.sst == 0 {
		// A constant filter has no structure to fit: R² is 0 by convention.
		return GaborFit{GaborParams: GaborParams{X0: pr.cx, Y0: pr.cy, SigmaX: 1, SigmaY: 1, Lambda: 2, Offset: pr.mean}}
	}
	var starts [][]float64
	theta, lambda := fourierPeak(v, w, h)
	px, py := absPeak(v, w, h)
	sig := float64(max(w, h)) / 4
	for _, c := range [][2]float64{{pr.cx, pr.cy}, {px, py}} {
		for _, dt := range []float64{0, math.Pi / 4, math.Pi / 2, 3 * math.Pi / 4} {
			for _, lm := range []float64{lambda, lambda * 1.5} {
				starts = append(starts, pr.encode(c[0], c[1], theta+dt, sig, sig, lm))
			}
		}
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6a09e667f3bcc908))
	for i := 0; i < max(o.RandomStarts, 0); i++ {
		starts = append(starts, pr.encode(
			pr.cx+(rng.Float64()-0.5)*float64(w)/2, pr.cy+(rng.Float64()-0.5)*float64(h)/2,
			rng.Float64()*math.Pi, pr.smin+rng.Float64()*(sig*2-pr.smin), pr.smin+rng.Float64()*(sig*2-pr.smin),
			pr.lmin+rng.Float64()*(float64(max(w, h))-pr.lmin)))
	}
	best, bestF, evals := []float64(nil), math.Inf(1), 0
	for _, s := range starts {
		x, f, n := pr.minimize(s, o.MaxEvals)
		evals += n
		if f < bestF {
			best, bestF = x, f
		}
	}
	if x, f, n := pr.minimize(best, o.MaxEvals); f < bestF {
		best, bestF, evals = x, f, evals+n
	} else {
		evals += n
	}
	r2 := 1 - bestF/pr.sst
	return GaborFit{GaborParams: pr.params(best), R2: r2, R2Adj: adjustR2(r2, len(v)), Evals: evals}
}

// gaborFreeParams is the number of parameters a Gabor fit chooses.
const gaborFreeParams = 9

// adjustR2 is the adjusted R² of a fit of gaborFreeParams parameters to n
// values (≤ R²; it equals R² when n is large). With n ≤ 10 nothing is left
// to judge the fit by, and it is 0.
func adjustR2(r2 float64, n int) float64 {
	if n <= gaborFreeParams+1 {
		return 0
	}
	return 1 - (1-r2)*float64(n-1)/float64(n-gaborFreeParams-1)
}

// gaborProblem holds a filter and the reparametrization of its fit.
type gaborProblem struct {
	v            []float64
	w, h         int
	cx, cy, mean float64
	sst          float64
	smin, smax   float64
	lmin, lmax   float64
	basis        [3][]float64 // scratch: env·cos, env·sin, 1
	xs, ys       []float64
	halfW, halfH float64
}

func newGaborProblem(v []float64, w, h int) *gaborProblem {
	p := &gaborProblem{v: v, w: w, h: h, cx: float64(w-1) / 2, cy: float64(h-1) / 2}
	for _, x := range v {
		p.mean += x
	}
	p.mean /= float64(len(v))
	for _, x := range v {
		p.sst += (x - p.mean) * (x - p.mean)
	}
	p.smin, p.smax, p.lmin, p.lmax = GaborBounds(w, h)
	p.halfW, p.halfH = float64(w)/2, float64(h)/2
	for i := range p.basis {
		p.basis[i] = make([]float64, len(v))
	}
	for i := range v {
		p.xs = append(p.xs, float64(i%w))
		p.ys = append(p.ys, float64(i/w))
	}
	return p
}

// GaborBounds are the search bounds of a w×h fit: σ in [1, max(w, h)], λ
// in [2, 3·max(w, h)].
func GaborBounds(w, h int) (smin, smax, lmin, lmax float64) {
	m := float64(max(w, h))
	return 1, m, 2, 3 * m
}

func gaborLogistic(u float64) float64 { return 1 / (1 + math.Exp(-u)) }

// logit is the inverse of logistic, clamped away from ±∞.
func gaborLogit(t float64) float64 {
	t = math.Min(math.Max(t, 1e-4), 1-1e-4)
	return math.Log(t / (1 - t))
}

// encode maps natural parameters to the search space.
func (p *gaborProblem) encode(x0, y0, theta, sx, sy, lambda float64) []float64 {
	at := func(v, half float64) float64 { return math.Atanh(math.Max(math.Min(v/half, 0.999), -0.999)) }
	return []float64{
		at(x0-p.cx, p.halfW), at(y0-p.cy, p.halfH), theta,
		gaborLogit((sx - p.smin) / (p.smax - p.smin)), gaborLogit((sy - p.smin) / (p.smax - p.smin)),
		gaborLogit((lambda - p.lmin) / (p.lmax - p.lmin)),
	}
}

// decode maps the search space to (x0, y0, θ, σx, σy, λ).
func (p *gaborProblem) decode(u []float64) (x0, y0, theta, sx, sy, lambda float64) {
	return p.cx + p.halfW*math.Tanh(u[0]), p.cy + p.halfH*math.Tanh(u[1]), u[2],
		p.smin + (p.smax-p.smin)*gaborLogistic(u[3]), p.smin + (p.smax-p.smin)*gaborLogistic(u[4]),
		p.lmin + (p.lmax-p.lmin)*gaborLogistic(u[5])
}

// solve fills the basis for u, solves the linear part and returns (a, b, C)
// and the residual sum of squares.
func (p *gaborProblem) solve(u []float64) (coef [3]float64, ssr float64) {
	x0, y0, theta, sx, sy, lambda := p.decode(u)
	c, s := math.Cos(theta), math.Sin(theta)
	k := 2 * math.Pi / lambda
	e0, e1, e2 := p.basis[0], p.basis[1], p.basis[2]
	for i := range p.v {
		dx, dy := p.xs[i]-x0, p.ys[i]-y0
		xr, yr := dx*c+dy*s, -dx*s+dy*c
		env := math.Exp(-xr*xr/(2*sx*sx) - yr*yr/(2*sy*sy))
		sn, cs := math.Sincos(k * xr)
		e0[i], e1[i], e2[i] = env*cs, env*sn, 1
	}
	// Normal equations MᵀM·β = Mᵀv, with a tiny ridge so that a vanishing
	// envelope (a degenerate start) stays solvable.
	var m [3][3]float64
	var r [3]float64
	for i, vi := range p.v {
		b := [3]float64{e0[i], e1[i], e2[i]}
		for j := 0; j < 3; j++ {
			r[j] += b[j] * vi
			for l := j; l < 3; l++ {
				m[j][l] += b[j] * b[l]
			}
		}
	}
	for j := 0; j < 3; j++ {
		m[j][j] += 1e-9 * (1 + m[j][j])
		for l := 0; l < j; l++ {
			m[j][l] = m[l][j]
		}
	}
	coef = solve3(m, r)
	for i, vi := range p.v {
		d := vi - coef[0]*e0[i] - coef[1]*e1[i] - coef[2]
		ssr += d * d
	}
	return coef, ssr
}

// solve3 solves a symmetric positive definite 3×3 system by Cholesky.
func solve3(m [3][3]float64, r [3]float64) [3]float64 {
	var l [3][3]float64
	for i := 0; i < 3; i++ {
		for j := 0; j <= i; j++ {
			s := m[i][j]
			for k := 0; k < j; k++ {
				s -= l[i][k] * l[j][k]
			}
			if i == j {
				l[i][i] = math.Sqrt(math.Max(s, 1e-300))
			} else {
				l[i][j] = s / l[j][j]
			}
		}
	}
	var y, x [3]float64
	for i := 0; i < 3; i++ {
		s := r[i]
		for k := 0; k < i; k++ {
			s -= l[i][k] * y[k]
		}
		y[i] = s / l[i][i]
	}
	for i := 2; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < 3; k++ {
			s -= l[k][i] * x[k]
		}
		x[i] = s / l[i][i]
	}
	return x
}

// minimize runs Nelder–Mead from u and returns the end point, its residual
// sum of squares and the evaluations spent.
func (p *gaborProblem) minimize(u []float64, maxEvals int) ([]float64, float64, int) {
	prob := optimize.Problem{Func: func(x []float64) float64 {
		_, ssr := p.solve(x)
		if math.IsNaN(ssr) {
			return math.Inf(1)
		}
		return ssr
	}}
	set := &optimize.Settings{
		FuncEvaluations: maxEvals,
		Converger:       &optimize.FunctionConverge{Absolute: 1e-12 * (1 + p.sst), Relative: 1e-10, Iterations: 60},
	}
	res, err := optimize.Minimize(prob, u, set, &optimize.NelderMead{SimplexSize: 0.3})
	if err != nil || res == nil {
		_, ssr := p.solve(u)
		return u, ssr, 1
	}
	return res.X, res.F, res.FuncEvaluations
}

// params turns a search point into canonical Gabor parameters.
func (p *gaborProblem) params(u []float64) GaborParams {
	coef, _ := p.solve(u)
	x0, y0, theta, sx, sy, lambda := p.decode(u)
	a, b := coef[0], coef[1]
	g := GaborParams{X0: x0, Y0: y0, Theta: theta, SigmaX: sx, SigmaY: sy, Lambda: lambda,
		Amp: math.Hypot(a, b), Phase: math.Atan2(-b, a), Offset: coef[2]}
	// θ + nπ: with n odd, x′ changes sign and cos(−kx′+φ) = cos(kx′−φ).
	n := math.Floor(g.Theta / math.Pi)
	g.Theta -= n * math.Pi
	if math.Mod(math.Abs(n), 2) == 1 {
		g.Phase = -g.Phase
	}
	if g.Theta >= math.Pi {
		g.Theta -= math.Pi
		g.Phase = -g.Phase
	}
	g.Phase = wrapPi(g.Phase)
	return g
}

// wrapPi wraps an angle to (−π, π].
func wrapPi(a float64) float64 {
	a = math.Mod(a, 2*math.Pi)
	if a <= -math.Pi {
		a += 2 * math.Pi
	} else if a > math.Pi {
		a -= 2 * math.Pi
	}
	return a
}

// fourierPeak is the orientation and wavelength of the strongest non-zero
// frequency of the filter (mean removed): |F(f)|² evaluated on a grid of
// frequencies finer than the DFT's (zero padding without the padding), over
// the half plane fx ≥ 0 (the magnitude of a real signal is symmetric).
func fourierPeak(v []float64, w, h int) (theta, lambda float64) {
	mean := 0.0
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	n := min(4*max(w, h), 48)
	best := -1.0
	theta, lambda = 0, float64(max(w, h))
	for i := 0; i <= n/2; i++ {
		fx := float64(i) / float64(n)
		for j := -n / 2; j <= n/2; j++ {
			fy := float64(j) / float64(n)
			f := math.Hypot(fx, fy)
			if f < 0.5/float64(max(w, h)) {
				continue // too close to DC for the filter's size
			}
			var re, im float64
			for k, x := range v {
				ph := -2 * math.Pi * (fx*float64(k%w) + fy*float64(k/w))
				s, c := math.Sincos(ph)
				re += (x - mean) * c
				im += (x - mean) * s
			}
			if p := re*re + im*im; p > best {
				best, theta, lambda = p, math.Atan2(fy, fx), 1/f
			}
		}
	}
	return theta, math.Max(lambda, 2)
}

// absPeak is the pixel of largest |v − mean|.
func absPeak(v []float64, w, h int) (float64, float64) {
	mean := 0.0
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	bi, bv := 0, -1.0
	for i, x := range v {
		if a := math.Abs(x - mean); a > bv {
			bi, bv = i, a
		}
	}
	return float64(bi % w), float64(bi / w)
}
