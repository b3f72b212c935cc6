package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Helpers shared by the convolution and pooling tests: guarded slices, random
// data and the float64 comparison.

// cpGuard is the number of NaNs on each side of a guarded slice: a kernel that
// reads them poisons its result, one that writes them is caught by cpGuarded.check.
const cpGuard = 13

// cpGuarded is a slice embedded between two NaN guard regions.
type cpGuarded struct {
	all []float32
	s   []float32 // the usable middle
}

func newCPGuarded(n int) cpGuarded {
	all := make([]float32, n+2*cpGuard)
	for i := range all {
		all[i] = float32(math.NaN())
	}
	return cpGuarded{all: all, s: all[cpGuard : cpGuard+n : cpGuard+n]}
}

// cpRand returns a guarded slice of n uniform values in [−1, 1).
func cpRand(rng *rand.Rand, n int) cpGuarded {
	g := newCPGuarded(n)
	for i := range g.s {
		g.s[i] = 2*rng.Float32() - 1
	}
	return g
}

// check fails the test when a guard element was overwritten.
func (g cpGuarded) check(t *testing.T, name string) {
	t.Helper()
	for i, v := range g.all {
		if i >= cpGuard && i < len(g.all)-cpGuard {
			continue
		}
		if v == v {
			t.Fatalf("%s: guard element %d (offset %d from the slice) was written: %v", name, i, i-cpGuard, v)
		}
	}
}

func cpClone(s []float32) []float32 { return append([]float32(nil), s...) }

func cpTo64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// cpSame fails unless s still holds exactly the values of orig (bitwise, so
// NaNs compare equal to themselves).
func cpSame(t *testing.T, name string, s, orig []float32) {
	t.Helper()
	for i := range s {
		if math.Float32bits(s[i]) != math.Float32bits(orig[i]) {
			t.Fatalf("%s was modified at %d: %v, was %v", name, i, s[i], orig[i])
		}
	}
}

// cpClose checks |got − want| ≤ atol + rtol·|want| everywhere and reports the
// worst element.
func cpClose(got []float32, want []float64, atol, rtol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	worst, wi := -1.0, -1
	for i, g := range got {
		d := math.Abs(float64(g) - want[i])
		if math.IsNaN(d) {
			if math.IsNaN(float64(g)) && math.IsNaN(want[i]) {
				continue
			}
			return fmt.Errorf("element %d: got %v, want %v", i, g, want[i])
		}
		if excess := d - (atol + rtol*math.Abs(want[i])); excess > 0 && excess > worst {
			worst, wi = excess, i
		}
	}
	if wi >= 0 {
		return fmt.Errorf("element %d of %d: got %v, want %v (|diff| %.3g over tolerance)", wi, len(got), got[wi], want[wi], worst)
	}
	return nil
}

// cpDot is ⟨a, b⟩ in float64.
func cpDot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
