package data

import (
	"math"
	"slices"
	"testing"
)

func TestToy2D(t *testing.T) {
	for _, name := range Toy2DNames() {
		p, err := Toy2D(name, 1, 1000)
		if err != nil {
			t.Fatal(err)
		}
		q, _ := Toy2D(name, 1, 1000)
		r, _ := Toy2D(name, 2, 1000)
		if !slices.Equal(p.X, q.X) || slices.Equal(p.X, r.X) {
			t.Errorf("%s: same seed must repeat, different seeds must differ", name)
		}
		counts := make([]int, p.Classes)
		for i := range p.N {
			counts[p.Labels[i]]++
			x, y := float64(p.X[2*i]), float64(p.X[2*i+1])
			if math.Abs(x) > 2 || math.Abs(y) > 2 {
				t.Fatalf("%s: point %d = (%.2f, %.2f) outside [−2, 2]²", name, i, x, y)
			}
		}
		for c, n := range counts {
			if n != p.N/p.Classes && n != p.N/p.Classes+1 { // 1000 points of 3 blobs: 334, 333, 333
				t.Errorf("%s: class %d has %d points, want %d", name, c, n, p.N/p.Classes)
			}
		}
	}
	if _, err := Toy2D("bananas", 1, 10); err == nil {
		t.Error("unknown name: no error")
	}
}

// Each set has the geometry its name promises (checked on noise-free draws).
func TestToy2DGeometry(t *testing.T) {
	c := Circles(3, 200, 0, 0.5)
	for i := range c.N {
		r := math.Hypot(float64(c.X[2*i]), float64(c.X[2*i+1]))
		want := 1.0
		if c.Labels[i] == 1 {
			want = 0.5
		}
		if math.Abs(r-want) > 1e-6 {
			t.Fatalf("circles: point %d class %d at radius %.4f", i, c.Labels[i], r)
		}
	}
	x := XOR(3, 200, 0)
	for i := range x.N {
		prod := x.X[2*i] * x.X[2*i+1]
		if (prod < 0) != (x.Labels[i] == 1) {
			t.Fatalf("xor: point %d (%v, %v) has class %d", i, x.X[2*i], x.X[2*i+1], x.Labels[i])
		}
	}
	m := TwoMoons(3, 200, 0)
	for i := range m.N {
		// Upper moon: centre (−0.5, −0.25) radius 1; lower: centre (0.5, 0.25).
		cx, cy := -0.5, -0.25
		if m.Labels[i] == 1 {
			cx, cy = 0.5, 0.25
		}
		if r := math.Hypot(float64(m.X[2*i])-cx, float64(m.X[2*i+1])-cy); math.Abs(r-1) > 1e-6 {
			t.Fatalf("moons: point %d at distance %.4f from its centre", i, r)
		}
	}
	b := Blobs(3, 90, 3, 0)
	for i := range b.N {
		a := math.Pi/2 + 2*math.Pi*float64(b.Labels[i])/3
		if math.Hypot(float64(b.X[2*i])-math.Cos(a), float64(b.X[2*i+1])-math.Sin(a)) > 1e-6 {
			t.Fatalf("blobs: noise-free point %d is not at its centre", i)
		}
	}
	s := Spirals(3, 300, 3, 0)
	if s.Classes != 3 {
		t.Errorf("spirals with 3 arms has %d classes", s.Classes)
	}
}
