package introspect

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randomPoints(rng *rand.Rand, n, k int) *mat.Dense {
	x := mat.NewDense(n, k, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			x.Set(i, j, rng.NormFloat64()*float64(j+1))
		}
	}
	return x
}

// Procrustes recovers a known reflection-rotation, scale and shift exactly.
func TestProcrustesRecoversSimilarity(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := randomPoints(rng, 50, 2)
	th := 0.7
	// A rotation by th followed by a reflection across the first axis.
	want := mat.NewDense(2, 2, []float64{math.Cos(th), -math.Sin(th), -math.Sin(th), -math.Cos(th)})
	truth := &Similarity{Scale: 2.5, R: want, T: []float64{3, -1}}
	y := truth.Apply(x)

	s, err := Procrustes(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.EqualApprox(s.R, want, 1e-12) {
		t.Errorf("R = %v, want %v", mat.Formatted(s.R), mat.Formatted(want))
	}
	if math.Abs(s.Scale-2.5) > 1e-12 || math.Abs(s.T[0]-3) > 1e-12 || math.Abs(s.T[1]+1) > 1e-12 {
		t.Errorf("scale %g shift %v, want 2.5 [3 -1]", s.Scale, s.T)
	}
	if s.RMS > 1e-12 {
		t.Errorf("RMS %g, want ~0", s.RMS)
	}
	if det := mat.Det(s.R); math.Abs(det+1) > 1e-12 {
		t.Errorf("det R = %g, want −1 (a reflection)", det)
	}
}

// A frame aligned to itself is left as it is: identity, scale 1, no shift.
func TestProcrustesSelfIsIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := randomPoints(rng, 40, 3)
	s, err := Procrustes(x, x)
	if err != nil {
		t.Fatal(err)
	}
	id := mat.NewDense(3, 3, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1})
	if !mat.EqualApprox(s.R, id, 1e-12) || math.Abs(s.Scale-1) > 1e-12 || math.Hypot(s.T[0], s.T[1]) > 1e-12 || s.RMS > 1e-12 {
		t.Errorf("self-alignment: R %v scale %g T %v RMS %g", mat.Formatted(s.R), s.Scale, s.T, s.RMS)
	}
}

// With noise the fit is the least-squares one: no other rotation angle
// does better.
func TestProcrustesIsLeastSquares(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := randomPoints(rng, 80, 2)
	rot := mat.NewDense(2, 2, []float64{math.Cos(1.1), math.Sin(1.1), -math.Sin(1.1), math.Cos(1.1)})
	y := (&Similarity{Scale: 0.8, R: rot, T: []float64{0.5, 0.25}}).Apply(x)
	y.Apply(func(_, _ int, v float64) float64 { return v + 0.05*rng.NormFloat64() }, y)
	s, err := Procrustes(x, y)
	if err != nil {
		t.Fatal(err)
	}
	for _, dth := range []float64{-0.02, 0.02} {
		c, sn := math.Cos(dth), math.Sin(dth)
		var r mat.Dense
		r.Mul(s.R, mat.NewDense(2, 2, []float64{c, sn, -sn, c}))
		other := &Similarity{Scale: s.Scale, R: &r, T: s.T}
		var diff mat.Dense
		diff.Sub(other.Apply(x), y)
		if rms := mat.Norm(&diff, 2) / math.Sqrt(80); rms <= s.RMS {
			t.Errorf("turning the fit by %g rad gives RMS %g ≤ the fit's %g", dth, rms, s.RMS)
		}
	}
}

// AlignFrames undoes sign flips and axis swaps between frames.
func TestAlignFrames(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	a := randomPoints(rng, 30, 2)
	swap := &Similarity{Scale: 3, R: mat.NewDense(2, 2, []float64{0, -1, 1, 0}), T: []float64{1, 1}}
	b := swap.Apply(a)
	out, sims, err := AlignFrames([]*mat.Dense{a, b, a})
	if err != nil {
		t.Fatal(err)
	}
	if sims[0] != nil || !mat.Equal(out[0], a) {
		t.Errorf("the first frame must be kept as it is")
	}
	for i := 1; i < 3; i++ {
		if !mat.EqualApprox(out[i], a, 1e-10) {
			t.Errorf("frame %d not mapped back onto frame 0", i)
		}
	}
	if _, _, err := AlignFrames([]*mat.Dense{a, mat.NewDense(3, 2, nil)}); err == nil {
		t.Errorf("frames of different sizes accepted")
	}
}
