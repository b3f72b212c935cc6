package data

import (
	"slices"
	"strings"
	"testing"
)

// A float set: Gather copies rows and targets as they are, Head views the
// first rows, and Validate names what is inconsistent.
func TestFloatSetGatherHeadValidate(t *testing.T) {
	s := &Set{Name: "train", N: 4, D: 3, T: 2,
		X:       []float32{0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32},
		Targets: []float32{-1, -2, -3, -4, -5, -6, -7, -8}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	x, y := make([]float32, 6), make([]float32, 4)
	if err := Gather(s, []int32{3, 1}, x, y, 0.5, 2); err != nil { // mean and std do not apply
		t.Fatal(err)
	}
	if want := []float32{30, 31, 32, 10, 11, 12}; !slices.Equal(x, want) {
		t.Errorf("x = %v, want %v", x, want)
	}
	if want := []float32{-7, -8, -3, -4}; !slices.Equal(y, want) {
		t.Errorf("y = %v, want %v", y, want)
	}
	for _, bad := range []struct {
		x, y []float32
		idx  []int32
	}{
		{make([]float32, 5), y, []int32{0, 1}},
		{x, make([]float32, 2), []int32{0, 1}},
		{x, y, []int32{0, 4}},
		{x, y, []int32{-1, 0}},
	} {
		if err := Gather(s, bad.idx, bad.x, bad.y, 0, 1); err == nil {
			t.Errorf("Gather(idx %v, len x %d, len y %d): no error", bad.idx, len(bad.x), len(bad.y))
		}
	}
	h := s.Head(2)
	if h.N != 2 || len(h.X) != 6 || len(h.Targets) != 4 || h.Validate() != nil {
		t.Errorf("Head(2) = %+v", h)
	}

	// Points become a classification set of float inputs.
	p := TwoMoons(1, 10, 0.1).Set("test")
	if err := p.Validate(); err != nil || p.Features() != 2 || p.TargetLen() != 1 {
		t.Fatalf("points set: %v, features %d", err, p.Features())
	}
	lx, ly := make([]float32, 4), make([]float32, 2)
	if err := Gather(p, []int32{7, 2}, lx, ly, 0, 1); err != nil {
		t.Fatal(err)
	}
	if lx[0] != p.X[14] || lx[3] != p.X[5] || ly[0] != float32(p.Labels[7]) || ly[1] != float32(p.Labels[2]) {
		t.Errorf("points gather: x %v y %v", lx, ly)
	}

	for _, c := range []struct {
		edit func(*Set)
		want string
	}{
		{func(s *Set) { s.X = s.X[:11] }, "input values"},
		{func(s *Set) { s.Targets = s.Targets[:7] }, "target values"},
		{func(s *Set) { s.T, s.Targets = 0, nil }, "no targets"},
		{func(s *Set) { s.H, s.W = 1, 3 }, "at once"},
		{func(s *Set) { s.Classes = 2 }, "labels for"},
		{func(s *Set) { s.Labels = make([]uint8, 4) }, "no classes"},
		{func(s *Set) { s.Classes, s.Labels = 2, []uint8{0, 1, 2, 0} }, "out of range"},
	} {
		b := *s
		c.edit(&b)
		if err := b.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate: %v, want an error containing %q", err, c.want)
		}
	}
}
