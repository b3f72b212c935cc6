package data

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Points is a 2-D classification set for small MLPs and decision-region figures.
type Points struct {
	Name    string
	X       []float32 // N×2, row-major: x0, y0, x1, y1, …
	Labels  []uint8
	N       int
	Classes int
}

// Toy2D generates a named 2-D set of n points with its default noise: "moons",
// "spirals", "circles", "xor" or "blobs" (three classes). Classes are balanced (point i has class i mod Classes)
// and the coordinates lie roughly in [−1.5, 1.5]².
func Toy2D(name string, seed uint64, n int) (*Points, error) {
	switch strings.ToLower(name) {
	case "moons", "twomoons", "two-moons":
		return TwoMoons(seed, n, 0.1), nil
	case "spirals", "spiral":
		return Spirals(seed, n, 2, 0.05), nil
	case "circles":
		return Circles(seed, n, 0.06, 0.5), nil
	case "xor":
		return XOR(seed, n, 0.1), nil
	case "blobs":
		return Blobs(seed, n, 3, 0.2), nil
	}
	return nil, fmt.Errorf("data: %w 2-D set %q (known: %s)", ErrUnknownDataset, name, strings.Join(Toy2DNames(), ", "))
}

// Toy2DNames lists the names Toy2D accepts.
func Toy2DNames() []string {
	n := []string{"moons", "spirals", "circles", "xor", "blobs"}
	sort.Strings(n)
	return n
}

// Set is the points as a Set of float inputs (D = 2) with their class labels,
// named split ("train" or "test"); it shares the points' storage.
func (p *Points) Set(split string) *Set {
	return &Set{Name: split, X: p.X, D: 2, Labels: p.Labels, N: p.N, Classes: p.Classes}
}

// PointsDataset pairs two point sets (drawn with different seeds) as a Dataset
// that Run and Fit train on, named after the training points.
func PointsDataset(train, test *Points) *Dataset {
	return &Dataset{Name: train.Name, Train: train.Set("train"), Test: test.Set("test"), Source: "generated 2-D points"}
}

func newPoints(name string, n, classes int) *Points {
	return &Points{Name: name, X: make([]float32, 2*n), Labels: make([]uint8, n), N: n, Classes: classes}
}

func (p *Points) set(i int, x, y float64, c int) {
	p.X[2*i], p.X[2*i+1], p.Labels[i] = float32(x), float32(y), uint8(c)
}

// TwoMoons: two interleaved half circles of radius 1, the upper one centred at (0, 0)
// and the lower at (1, 0.5) reflected, shifted so the pair is centred on the origin,
// plus Gaussian noise of standard deviation noise.
func TwoMoons(seed uint64, n int, noise float64) *Points {
	p := newPoints("moons", n, 2)
	rng := splitmix{s: seed}
	for i := range n {
		c := i % 2
		t := math.Pi * rng.float()
		x, y := math.Cos(t), math.Sin(t)
		if c == 1 {
			x, y = 1-x, 0.5-y
		}
		p.set(i, x-0.5+noise*rng.normal(), y-0.25+noise*rng.normal(), c)
	}
	return p
}

// Spirals: arms interleaved Archimedean spirals r = t, t ∈ [0.1, 1]·1.5, turning 1.75
// times, arm k rotated by 2πk/arms, plus noise scaled with the radius.
func Spirals(seed uint64, n, arms int, noise float64) *Points {
	arms = max(arms, 2)
	p := newPoints("spirals", n, arms)
	rng := splitmix{s: seed}
	for i := range n {
		c := i % arms
		t := 0.1 + 0.9*rng.float()
		a := t*1.75*2*math.Pi + 2*math.Pi*float64(c)/float64(arms)
		r := 1.5 * t
		p.set(i, r*math.Cos(a)+noise*rng.normal(), r*math.Sin(a)+noise*rng.normal(), c)
	}
	return p
}

// Circles: class 0 on the circle of radius 1, class 1 on the concentric circle of
// radius factor (< 1), plus noise.
func Circles(seed uint64, n int, noise, factor float64) *Points {
	p := newPoints("circles", n, 2)
	rng := splitmix{s: seed}
	for i := range n {
		c := i % 2
		r := 1.0
		if c == 1 {
			r = factor
		}
		a := 2 * math.Pi * rng.float()
		p.set(i, r*math.Cos(a)+noise*rng.normal(), r*math.Sin(a)+noise*rng.normal(), c)
	}
	return p
}

// XOR: points uniform in [−1, 1]², class 1 where x·y < 0 (the second and fourth
// quadrants), kept at least 0.05 away from the axes so the label is unambiguous before
// noise is added.
func XOR(seed uint64, n int, noise float64) *Points {
	p := newPoints("xor", n, 2)
	rng := splitmix{s: seed}
	for i := range n {
		c := i % 2
		x := 0.05 + 0.95*rng.float()
		y := 0.05 + 0.95*rng.float()
		if rng.float() < 0.5 { // pick one of the two quadrants of this class
			x = -x
		}
		if (c == 1) == (x > 0) { // class 1: signs differ
			y = -y
		}
		p.set(i, x+noise*rng.normal(), y+noise*rng.normal(), c)
	}
	return p
}

// Blobs: classes isotropic Gaussian blobs of standard deviation std, their
// centres evenly spaced on the circle of radius 1 (the first at angle π/2).
func Blobs(seed uint64, n, classes int, std float64) *Points {
	classes = max(classes, 2)
	p := newPoints("blobs", n, classes)
	rng := splitmix{s: seed}
	for i := range n {
		c := i % classes
		a := math.Pi/2 + 2*math.Pi*float64(c)/float64(classes)
		p.set(i, math.Cos(a)+std*rng.normal(), math.Sin(a)+std*rng.normal(), c)
	}
	return p
}
