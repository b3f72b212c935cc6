package weightspace

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gaborlab/gabor/runs"
)

// PointOf takes a model's parameters out of weights read from a checkpoint
// or snapshot, in the order of params. A missing tensor, or one of another
// shape, is an error naming it and what the weights hold.
func PointOf(w *runs.Weights, params []Param) (Point, error) {
	p := make(Point, len(params))
	for i, q := range params {
		t, ok := w.Tensors[q.Name]
		if !ok {
			return nil, fmt.Errorf("weightspace: %s (step %d) has no tensor %s (it holds %s)", w.Path, w.Step, q.Name, strings.Join(w.Names(), ", "))
		}
		if len(t.Data) != q.Len() {
			return nil, fmt.Errorf("weightspace: %s: %s has %d values, the model wants shape %v", w.Path, q.Name, len(t.Data), q.Shape)
		}
		p[i] = t.Data
	}
	return p, nil
}

// Dim is the number of values of a point of params.
func Dim(params []Param) int {
	n := 0
	for _, p := range params {
		n += p.Len()
	}
	return n
}

// Flat concatenates a point's tensors.
func (p Point) Flat() []float32 {
	n := 0
	for _, v := range p {
		n += len(v)
	}
	out := make([]float32, 0, n)
	for _, v := range p {
		out = append(out, v...)
	}
	return out
}

// Unflat cuts a flat vector into a point of params (the inverse of Flat).
func Unflat(flat []float64, params []Param) Point {
	p := make(Point, len(params))
	off := 0
	for i, q := range params {
		p[i] = make([]float32, q.Len())
		for j := range p[i] {
			p[i][j] = float32(flat[off+j])
		}
		off += q.Len()
	}
	return p
}

// Sub is p − q as float64, flat.
func Sub(p, q Point) []float64 {
	var out []float64
	for i := range p {
		for j := range p[i] {
			out = append(out, float64(p[i][j])-float64(q[i][j]))
		}
	}
	return out
}

// Dot is the inner product of two flat float64 vectors.
func Dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Combine writes c + a·d1 + b·d2 into dst (shaped like c; d2 may be nil),
// each value computed in float64 and rounded once.
func Combine(dst, c, d1, d2 Point, a, b float64) {
	for i := range c {
		for j := range c[i] {
			v := float64(c[i][j]) + a*float64(d1[i][j])
			if d2 != nil {
				v += b * float64(d2[i][j])
			}
			dst[i][j] = float32(v)
		}
	}
}

// Interpolate writes (1−α)·from + α·to into dst, in float64 rounded once,
// so that α = 0 gives from and α = 1 gives to exactly.
func Interpolate(dst, from, to Point, alpha float64) {
	for i := range from {
		for j := range from[i] {
			dst[i][j] = float32((1-alpha)*float64(from[i][j]) + alpha*float64(to[i][j]))
		}
	}
}

// FilterNormalized is a random direction in weight space normalized filter
// by filter as in Li et al. 2018 ("Visualizing the loss landscape of neural
// nets"): a Gaussian direction d ~ N(0, I) of the shape of center, in which
// each filter — a slice along the first axis of a parameter of rank ≥ 2: one
// output channel [C, R, S] of a convolution, one output unit's row of a
// dense weight — is scaled to the norm of the same filter of center:
//
//	d_f ← d_f · ‖θ_f‖ / ‖d_f‖
//
// Parameters of rank ≤ 1 (biases, BatchNorm's scale and shift) are left at
// zero, as the paper does, so the direction moves the weights only. A filter
// of center that is all zero gets a zero direction. seed fixes the draw.
func FilterNormalized(center Point, params []Param, seed uint64) Point {
	rng := rand.New(rand.NewPCG(seed, 0x6c616e64)) // "land"
	d := make(Point, len(center))
	for i, q := range params {
		d[i] = make([]float32, len(center[i]))
		if len(q.Shape) < 2 || q.Shape[0] < 1 {
			continue
		}
		g := make([]float64, len(center[i]))
		for j := range g {
			g[j] = rng.NormFloat64()
		}
		normalizeFilters(g, center[i], q.Shape[0])
		for j, v := range g {
			d[i][j] = float32(v)
		}
	}
	return d
}

// normalizeFilters scales each of the filters slices of d (equal, contiguous)
// to the norm of the same slice of center: d_f ← d_f·‖θ_f‖/‖d_f‖ (a zero
// d_f stays zero).
func normalizeFilters(d []float64, center []float32, filters int) {
	size := len(d) / filters
	for f := 0; f < filters; f++ {
		lo, hi := f*size, (f+1)*size
		var nd, nt float64
		for j := lo; j < hi; j++ {
			nd += d[j] * d[j]
			nt += float64(center[j]) * float64(center[j])
		}
		s := 0.0
		if nd > 0 {
			s = math.Sqrt(nt / nd)
		}
		for j := lo; j < hi; j++ {
			d[j] *= s
		}
	}
}
