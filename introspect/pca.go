package introspect

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// PCA is a principal component analysis of n examples of d features.
//
// With A the centred data (each column minus its mean) and A = U Σ Vᵀ its
// singular value decomposition, the principal axes are the columns of V,
// the coordinates of the examples on them are U Σ = A V, the variance along
// axis i is σᵢ²/(n−1), and the fraction of the total variance it explains is
// σᵢ² / ‖A‖²_F (the squared Frobenius norm is the sum of all σ²).
type PCA struct {
	N, D int
	Mean []float64 // d: the column means subtracted
	// Components is d×k: the principal axes as orthonormal columns. Each
	// axis's sign is fixed so that its largest-magnitude entry is positive.
	Components *mat.Dense
	Coords     *mat.Dense // n×k: A V, the examples in the axes' frame
	Variance   []float64  // k: σᵢ²/(n−1)
	Ratio      []float64  // k: explained variance ratios σᵢ²/‖A‖²_F
	Exact      bool       // computed by a full SVD (else by randomized subspace iteration)
}

// exactPCALimit: a full SVD is used when min(n, d) is at most this. Above,
// a full thin SVD costs n·d·min(n, d) (2000×784 takes ~5 s in gonum), while
// the k leading axes found by subspace iteration cost a few passes of n·d·(k+10).
const exactPCALimit = 128

// FitPCA finds the k leading principal axes of x, n rows of d float32
// values (row-major, as Activations hold them). Small problems use gonum's
// thin SVD of the centred matrix. Larger ones use randomized subspace
// iteration (Halko, Martinsson & Tropp 2011, algorithm 4.4) with 10 extra
// directions and 2 power iterations, seeded by seed: it finds the range of
// the leading singular vectors, then takes gonum's SVD of the small
// projection QᵀA. For the 2 or 3 axes of a scatter plot it agrees with the
// full SVD to a few hundredths of a degree even over a flat noise floor
// (see the tests); 2000×4704 (lenet's conv1) takes about 0.5 s on 2 cores.
func FitPCA(x []float32, n, d, k int, seed uint64) (*PCA, error) {
	return fitPCA(x, n, d, k, seed, min(n, d) <= exactPCALimit)
}

func fitPCA(x []float32, n, d, k int, seed uint64, exact bool) (*PCA, error) {
	switch {
	case n < 2 || d < 1:
		return nil, fmt.Errorf("introspect: PCA needs at least 2 examples of 1 feature, got %d×%d", n, d)
	case len(x) != n*d:
		return nil, fmt.Errorf("introspect: PCA of %d×%d needs %d values, got %d", n, d, n*d, len(x))
	case k < 1 || k > min(n, d):
		return nil, fmt.Errorf("introspect: PCA of %d×%d cannot have %d components (1 to %d)", n, d, k, min(n, d))
	}
	p := &PCA{N: n, D: d, Mean: make([]float64, d), Exact: exact}
	for i := 0; i < n; i++ {
		row := x[i*d : (i+1)*d]
		for j, v := range row {
			p.Mean[j] += float64(v)
		}
	}
	for j := range p.Mean {
		p.Mean[j] /= float64(n)
	}
	a := centred{x: x, n: n, d: d, mean: p.Mean}
	total := a.frobenius2()

	var sigma []float64
	var v *mat.Dense // d×k
	if exact {
		dense := mat.NewDense(n, d, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				dense.Set(i, j, float64(x[i*d+j])-p.Mean[j])
			}
		}
		var svd mat.SVD
		if !svd.Factorize(dense, mat.SVDThinV) {
			return nil, fmt.Errorf("introspect: SVD of the centred %d×%d activations did not converge", n, d)
		}
		sigma = svd.Values(nil)[:k]
		var vAll mat.Dense
		svd.VTo(&vAll)
		v = mat.DenseCopyOf(vAll.Slice(0, d, 0, k))
	} else {
		var err error
		if sigma, v, err = a.randomizedSVD(k, seed); err != nil {
			return nil, err
		}
	}
	// Fix each axis's sign: its largest-magnitude entry is positive.
	for c := 0; c < k; c++ {
		big := 0
		for j := 0; j < d; j++ {
			if math.Abs(v.At(j, c)) > math.Abs(v.At(big, c)) {
				big = j
			}
		}
		if v.At(big, c) < 0 {
			for j := 0; j < d; j++ {
				v.Set(j, c, -v.At(j, c))
			}
		}
	}
	p.Components = v
	p.Coords = a.mul(v)
	p.Variance = make([]float64, k)
	p.Ratio = make([]float64, k)
	for i, s := range sigma {
		p.Variance[i] = s * s / float64(n-1)
		if total > 0 {
			p.Ratio[i] = s * s / total
		}
	}
	return p, nil
}

// centred is the matrix A = X − 1·meanᵀ over float32 rows, never formed:
// products subtract the mean's contribution instead.
type centred struct {
	x    []float32
	n, d int
	mean []float64
}

func (a centred) frobenius2() float64 {
	var s float64
	for i := 0; i < a.n; i++ {
		row := a.x[i*a.d : (i+1)*a.d]
		for j, v := range row {
			e := float64(v) - a.mean[j]
			s += e * e
		}
	}
	return s
}

// mul returns A·M for M d×l: rows of X·M minus (meanᵀM), rows split over
// the CPUs.
func (a centred) mul(m *mat.Dense) *mat.Dense {
	_, l := m.Dims()
	mt := mat.DenseCopyOf(m.T()) // l×d: each output column's weights contiguous
	shift := make([]float64, l)
	for c := 0; c < l; c++ {
		shift[c] = mat.Dot(mt.RowView(c), mat.NewVecDense(a.d, a.mean))
	}
	out := mat.NewDense(a.n, l, nil)
	parallelRows(a.n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := a.x[i*a.d : (i+1)*a.d]
			for c := 0; c < l; c++ {
				out.Set(i, c, dot32(row, mt.RawRowView(c))-shift[c])
			}
		}
	})
	return out
}

// dot32 is Σ x[j]·w[j] in float64 over float32 x, four partial sums at a
// time so the additions overlap.
func dot32(x []float32, w []float64) float64 {
	w = w[:len(x)]
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(x); j += 4 {
		s0 += float64(x[j]) * w[j]
		s1 += float64(x[j+1]) * w[j+1]
		s2 += float64(x[j+2]) * w[j+2]
		s3 += float64(x[j+3]) * w[j+3]
	}
	for ; j < len(x); j++ {
		s0 += float64(x[j]) * w[j]
	}
	return (s0 + s1) + (s2 + s3)
}

// mulT returns Aᵀ·Q for Q n×l: Xᵀ·Q minus mean·(1ᵀQ). It accumulates the
// transpose (l×d, each output column contiguous) by adding q[i,c]·row i for
// every row, feature ranges split over the CPUs.
func (a centred) mulT(q *mat.Dense) *mat.Dense {
	_, l := q.Dims()
	colSum := make([]float64, l)
	for i := 0; i < a.n; i++ {
		for c := 0; c < l; c++ {
			colSum[c] += q.At(i, c)
		}
	}
	acc := make([]float64, l*a.d) // (AᵀQ)ᵀ, row c is column c of the result
	parallelRows(a.d, func(lo, hi int) {
		for i := 0; i < a.n; i++ {
			row := a.x[i*a.d+lo : i*a.d+hi]
			for c, qc := range q.RawRowView(i) {
				axpy32(qc, row, acc[c*a.d+lo:c*a.d+hi])
			}
		}
		for c := 0; c < l; c++ {
			o := acc[c*a.d : (c+1)*a.d]
			for j := lo; j < hi; j++ {
				o[j] -= a.mean[j] * colSum[c]
			}
		}
	})
	out := mat.NewDense(a.d, l, nil)
	for c := 0; c < l; c++ {
		out.SetCol(c, acc[c*a.d:(c+1)*a.d])
	}
	return out
}

// axpy32 adds alpha·x to y, x float32, y float64.
func axpy32(alpha float64, x []float32, y []float64) {
	y = y[:len(x)]
	j := 0
	for ; j+4 <= len(x); j += 4 {
		y[j] += alpha * float64(x[j])
		y[j+1] += alpha * float64(x[j+1])
		y[j+2] += alpha * float64(x[j+2])
		y[j+3] += alpha * float64(x[j+3])
	}
	for ; j < len(x); j++ {
		y[j] += alpha * float64(x[j])
	}
}

// randomizedSVD returns the k leading singular values of A and its right
// singular vectors (d×k) by subspace iteration: Q spans A·Ω for a Gaussian
// Ω, refined by alternating Q ← orth(Aᵀ Q), Q ← orth(A Q); the SVD of the
// small B = QᵀA then gives them.
func (a centred) randomizedSVD(k int, seed uint64) ([]float64, *mat.Dense, error) {
	const oversample, powerIters = 10, 2
	l := min(k+oversample, a.n, a.d)
	rng := rand.New(rand.NewPCG(seed, 0x5CA1AB1E))
	omega := mat.NewDense(a.d, l, nil)
	for j := 0; j < a.d; j++ {
		for c := 0; c < l; c++ {
			omega.Set(j, c, rng.NormFloat64())
		}
	}
	q, err := orth(a.mul(omega))
	if err != nil {
		return nil, nil, err
	}
	for it := 0; it < powerIters; it++ {
		z, err := orth(a.mulT(q))
		if err != nil {
			return nil, nil, err
		}
		if q, err = orth(a.mul(z)); err != nil {
			return nil, nil, err
		}
	}
	bt := a.mulT(q) // d×l = (QᵀA)ᵀ
	var svd mat.SVD
	// Bᵀ = Ũ Σ Ṽᵀ, so B = Ṽ Σ Ũᵀ: A's right singular vectors are Ũ.
	if !svd.Factorize(bt, mat.SVDThinU) {
		return nil, nil, errors.New("introspect: SVD of the projected activations did not converge")
	}
	var u mat.Dense
	svd.UTo(&u)
	return svd.Values(nil)[:k], mat.DenseCopyOf(u.Slice(0, a.d, 0, k)), nil
}

// orth returns an orthonormal basis of m's columns (a tall, thin matrix) by
// modified Gram–Schmidt, run twice: the second pass removes what rounding
// left of the earlier directions, which keeps the basis orthonormal to
// machine precision ("twice is enough"). gonum's QR would build the full
// r×r Q, which for r in the thousands costs far more than the iteration.
func orth(m *mat.Dense) (*mat.Dense, error) {
	r, c := m.Dims()
	q := mat.DenseCopyOf(m)
	col := make([]float64, r)
	for j := 0; j < c; j++ {
		mat.Col(col, j, q)
		norm := orthogonalize(col, q, j)
		// A direction the data does not span (its rank is below the subspace
		// size): any unit vector orthogonal to the others will do, and the
		// SVD gives it singular value 0. Try the coordinate axes in turn.
		for e := 0; norm < 1e-300 && e < r; e++ {
			for i := range col {
				col[i] = 0
			}
			col[e] = 1
			norm = orthogonalize(col, q, j)
			if norm < 1e-8 {
				norm = 0
			}
		}
		if math.IsNaN(norm) || math.IsInf(norm, 0) {
			return nil, errors.New("introspect: PCA: activations hold NaN or infinite values")
		}
		for i := range col {
			col[i] /= norm
		}
		q.SetCol(j, col)
	}
	return q, nil
}

// orthogonalize removes from col its components along q's first j columns
// (two passes) and returns the norm of what is left.
func orthogonalize(col []float64, q *mat.Dense, j int) float64 {
	r := len(col)
	for pass := 0; pass < 2; pass++ {
		for p := 0; p < j; p++ {
			var dot float64
			for i := 0; i < r; i++ {
				dot += q.At(i, p) * col[i]
			}
			for i := 0; i < r; i++ {
				col[i] -= dot * q.At(i, p)
			}
		}
	}
	var norm float64
	for _, v := range col {
		norm += v * v
	}
	return math.Sqrt(norm)
}

// parallelRows calls fn over [0, n) split into one contiguous range per CPU.
func parallelRows(n int, fn func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), max(n/64, 1))
	if w <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		lo, hi := k*n/w, (k+1)*n/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
