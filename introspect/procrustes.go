package introspect

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Similarity is the map x ↦ Scale·x·R + T on row vectors: an orthogonal R
// (a rotation, possibly with a reflection), a uniform scale and a shift.
type Similarity struct {
	Scale float64
	R     *mat.Dense // k×k, orthogonal
	T     []float64  // k
	// RMS is the root-mean-square distance between the mapped points and
	// the targets they were fitted to.
	RMS float64
}

// Procrustes fits the similarity that best maps the rows of x onto the rows
// of y (both n×k, row i of x corresponding to row i of y) in the least-squares
// sense: the orthogonal Procrustes problem with scaling. With x₀, y₀ the
// centred point sets and x₀ᵀy₀ = U Σ Vᵀ:
//
//	R = U Vᵀ,   Scale = tr Σ / ‖x₀‖²_F,   T = ȳ − Scale·x̄·R.
//
// R maximizes tr(Rᵀ x₀ᵀ y₀) over orthogonal matrices, which is what
// minimizing ‖Scale·x₀R − y₀‖² over R asks. Reflections are allowed: PCA
// axes have no preferred sign, so a frame whose axis flipped is flipped back.
func Procrustes(x, y *mat.Dense) (*Similarity, error) {
	n, k := x.Dims()
	if yn, yk := y.Dims(); yn != n || yk != k {
		return nil, fmt.Errorf("introspect: Procrustes of %d×%d onto %d×%d: the point sets must have the same shape", n, k, yn, yk)
	}
	if n < 1 {
		return nil, fmt.Errorf("introspect: Procrustes of no points")
	}
	mx, my := colMeans(x), colMeans(y)
	x0, y0 := centre(x, mx), centre(y, my)
	var m mat.Dense
	m.Mul(x0.T(), y0)
	var svd mat.SVD
	if !svd.Factorize(&m, mat.SVDFull) {
		return nil, fmt.Errorf("introspect: Procrustes: SVD of the %d×%d cross-covariance did not converge", k, k)
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	r := mat.NewDense(k, k, nil)
	r.Mul(&u, v.T())
	var trace float64
	for _, s := range svd.Values(nil) {
		trace += s
	}
	norm := mat.Norm(x0, 2) // Frobenius
	scale := 1.0
	if norm > 0 {
		scale = trace / (norm * norm)
	}
	var mr mat.VecDense
	mr.MulVec(r.T(), mat.NewVecDense(k, mx)) // (x̄ R)ᵀ
	t := make([]float64, k)
	for c := range t {
		t[c] = my[c] - scale*mr.AtVec(c)
	}
	s := &Similarity{Scale: scale, R: r, T: t}
	fit := s.Apply(x)
	var diff mat.Dense
	diff.Sub(fit, y)
	s.RMS = mat.Norm(&diff, 2) / math.Sqrt(float64(n))
	return s, nil
}

// Apply maps the rows of x: Scale·x·R + T.
func (s *Similarity) Apply(x *mat.Dense) *mat.Dense {
	n, k := x.Dims()
	out := mat.NewDense(n, k, nil)
	out.Mul(x, s.R)
	out.Apply(func(_, j int, v float64) float64 { return s.Scale*v + s.T[j] }, out)
	return out
}

func colMeans(x *mat.Dense) []float64 {
	n, k := x.Dims()
	m := make([]float64, k)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			m[j] += x.At(i, j)
		}
	}
	for j := range m {
		m[j] /= float64(n)
	}
	return m
}

func centre(x *mat.Dense, mean []float64) *mat.Dense {
	out := mat.DenseCopyOf(x)
	out.Apply(func(_, j int, v float64) float64 { return v - mean[j] }, out)
	return out
}

// AlignFrames maps each frame after the first onto the frame before it as
// already aligned (frames[i] n×k, the same n examples in every frame), so a
// sequence of PCA projections taken during training turns and scales
// smoothly instead of jumping whenever an axis flips sign or two axes trade
// places. The first frame is kept as it is. It returns the aligned frames and
// each frame's fitted similarity (nil for the first).
func AlignFrames(frames []*mat.Dense) ([]*mat.Dense, []*Similarity, error) {
	out := make([]*mat.Dense, len(frames))
	sims := make([]*Similarity, len(frames))
	for i, f := range frames {
		if i == 0 {
			out[i] = mat.DenseCopyOf(f)
			continue
		}
		s, err := Procrustes(f, out[i-1])
		if err != nil {
			return nil, nil, fmt.Errorf("introspect: aligning frame %d to frame %d: %w", i, i-1, err)
		}
		out[i], sims[i] = s.Apply(f), s
	}
	return out, sims, nil
}
