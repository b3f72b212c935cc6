package introspect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// anisotropic draws n points in d dimensions: N(0, std[i]²) along the
// orthonormal axes (columns of axes), plus isotropic noise of std noise,
// plus a shift, as float32 rows.
func anisotropic(rng *rand.Rand, n int, axes *mat.Dense, std []float64, noise float64) []float32 {
	d, _ := axes.Dims()
	x := make([]float32, n*d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			v := 3 + noise*rng.NormFloat64()
			x[i*d+j] = float32(v)
		}
		for a, s := range std {
			z := s * rng.NormFloat64()
			for j := 0; j < d; j++ {
				x[i*d+j] += float32(z * axes.At(j, a))
			}
		}
	}
	return x
}

// randomAxes returns k orthonormal columns in d dimensions.
func randomAxes(rng *rand.Rand, d, k int) *mat.Dense {
	g := mat.NewDense(d, k, nil)
	for j := 0; j < d; j++ {
		for c := 0; c < k; c++ {
			g.Set(j, c, rng.NormFloat64())
		}
	}
	q, err := orth(g)
	if err != nil {
		panic(err)
	}
	return q
}

// axisAngle is the angle in degrees between two lines (signs ignored).
func axisAngle(a, b mat.Vector) float64 {
	c := math.Abs(mat.Dot(a, b)) / (mat.Norm(a, 2) * mat.Norm(b, 2))
	return math.Acos(math.Min(c, 1)) * 180 / math.Pi
}

// PCA of an anisotropic Gaussian in 3-D finds its axes and their shares
// of the variance (std 5, 2, 0.5: ratios 25, 4, 0.25 over 29.25).
func TestPCARecoversAxes3D(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	axes := randomAxes(rng, 3, 3)
	std := []float64{5, 2, 0.5}
	const n = 4000
	x := anisotropic(rng, n, axes, std, 0)
	p, err := FitPCA(x, n, 3, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Exact {
		t.Errorf("a 4000×3 PCA should use the full SVD")
	}
	total := 25 + 4 + 0.25
	for i, s := range std {
		if a := axisAngle(p.Components.ColView(i), axes.ColView(i)); a > 1.5 {
			t.Errorf("axis %d is %.2f° from the true one", i, a)
		}
		if r, want := p.Ratio[i], s*s/total; math.Abs(r-want) > 0.01 {
			t.Errorf("axis %d explains %.4f of the variance, want %.4f", i, r, want)
		}
		if v := p.Variance[i]; math.Abs(v-s*s)/(s*s) > 0.08 {
			t.Errorf("axis %d variance %.3f, want %.3f", i, v, s*s)
		}
	}
	// The coordinates are the centred data on the axes: uncorrelated, with
	// the axes' variances.
	var cov mat.Dense
	cov.Mul(p.Coords.T(), p.Coords)
	cov.Scale(1/float64(n-1), &cov)
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			want := 0.0
			if i == j {
				want = p.Variance[i]
			}
			if math.Abs(cov.At(i, j)-want) > 1e-6*p.Variance[0] {
				t.Errorf("cov of coordinates [%d,%d] = %g, want %g", i, j, cov.At(i, j), want)
			}
		}
	}
}

// In 200 dimensions (two strong axes, std 6 and 3, in isotropic noise of
// std 0.5) the randomized subspace iteration agrees with the full SVD (to
// well below what a scatter plot shows: a twentieth of a degree, a
// thousandth of a standard deviation) and both find the axes. A flat noise
// floor is the hard case for subspace iteration; activations' spectra fall
// off faster.
func TestPCARandomizedMatchesExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, d = 1500, 200
	axes := randomAxes(rng, d, 2)
	x := anisotropic(rng, n, axes, []float64{6, 3}, 0.5)
	fast, err := FitPCA(x, n, d, 2, 9)
	if err != nil {
		t.Fatal(err)
	}
	if fast.Exact {
		t.Fatalf("a %d×%d PCA should use the randomized method", n, d)
	}
	exact, err := fitPCA(x, n, d, 2, 9, true)
	if err != nil {
		t.Fatal(err)
	}
	total := 36 + 9 + d*0.25
	for i, want := range []float64{36.25 / total, 9.25 / total} {
		if a := axisAngle(fast.Components.ColView(i), exact.Components.ColView(i)); a > 0.05 {
			t.Errorf("axis %d: randomized and exact differ by %.4f°", i, a)
		}
		if math.Abs(fast.Ratio[i]-exact.Ratio[i]) > 1e-5*exact.Ratio[i] {
			t.Errorf("axis %d ratio: randomized %.10f, exact %.10f", i, fast.Ratio[i], exact.Ratio[i])
		}
		if a := axisAngle(exact.Components.ColView(i), axes.ColView(i)); a > 6 {
			t.Errorf("axis %d is %.2f° from the true one", i, a)
		}
		if math.Abs(exact.Ratio[i]-want) > 0.015 {
			t.Errorf("axis %d explains %.4f, want about %.4f", i, exact.Ratio[i], want)
		}
		// Same sign convention, so the coordinates agree too.
		for r := 0; r < n; r += 97 {
			if d := math.Abs(fast.Coords.At(r, i) - exact.Coords.At(r, i)); d > 1e-3*math.Sqrt(exact.Variance[0]) {
				t.Fatalf("axis %d, example %d: randomized %g, exact %g", i, r, fast.Coords.At(r, i), exact.Coords.At(r, i))
			}
		}
	}
}

func TestPCARejects(t *testing.T) {
	for _, c := range []struct {
		x       []float32
		n, d, k int
	}{
		{make([]float32, 3), 1, 3, 1},
		{make([]float32, 5), 2, 3, 1},
		{make([]float32, 6), 2, 3, 3},
		{make([]float32, 6), 2, 3, 0},
	} {
		if _, err := FitPCA(c.x, c.n, c.d, c.k, 0); err == nil {
			t.Errorf("FitPCA(%d values, %d×%d, k=%d) accepted", len(c.x), c.n, c.d, c.k)
		}
	}
}

func BenchmarkPCA(b *testing.B) {
	for _, d := range []int{400, 4704} {
		rng := rand.New(rand.NewPCG(5, 6))
		const n = 2000
		x := anisotropic(rng, n, randomAxes(rng, d, 2), []float64{4, 2}, 1)
		b.Run(fmt.Sprintf("n=2000,d=%d", d), func(b *testing.B) {
			for b.Loop() {
				if _, err := FitPCA(x, n, d, 2, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Activations of dead units are constant: data of rank 1 in 300 dimensions
// (most of them zero) still gives an orthonormal pair of axes, the second
// explaining nothing.
func TestPCARankDeficient(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const n, d = 400, 300
	x := make([]float32, n*d)
	for i := 0; i < n; i++ {
		z := float32(rng.NormFloat64())
		x[i*d+5], x[i*d+17] = z, -2*z
	}
	p, err := FitPCA(x, n, d, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p.Ratio[0]-1) > 1e-9 || p.Ratio[1] > 1e-9 {
		t.Errorf("ratios %v, want [1 0]", p.Ratio)
	}
	var g mat.Dense
	g.Mul(p.Components.T(), p.Components)
	if !mat.EqualApprox(&g, mat.NewDense(2, 2, []float64{1, 0, 0, 1}), 1e-9) {
		t.Errorf("axes not orthonormal: %v", mat.Formatted(&g))
	}
	if a := axisAngle(p.Components.ColView(0), mat.NewVecDense(d, unit(d, map[int]float64{5: 1, 17: -2}))); a > 1e-6 {
		t.Errorf("first axis %.3g° off", a)
	}
}

func unit(d int, at map[int]float64) []float64 {
	v := make([]float64, d)
	for i, x := range at {
		v[i] = x
	}
	return v
}
