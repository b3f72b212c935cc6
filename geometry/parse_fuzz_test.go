package geometry

import (
	"testing"
)

func FuzzParseShapes(f *testing.F) {
	f.Add([]byte(`{"polygons": [[[0,0],[1,0],[0,1]]], "unions": [[0]]}`))
	f.Add([]byte(`{"polygons": [[[0,0],[1,1],[1,0],[0,1]]]}`))
	f.Add([]byte(`{"polygons": [[[0,0],[1,0]]], "unions": [[5]]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseShapes(b)
		if err != nil {
			return
		}
		if len(s.Polygons) > 8 {
			return // a test of parsing, not of building large networks
		}
		for _, p := range s.Polygons {
			if len(p) > 64 {
				return
			}
		}
		c, err := Construct(s)
		if err != nil {
			return
		}
		if err := c.Net.Validate(); err != nil {
			t.Fatalf("Construct built an invalid network: %v", err)
		}
		for _, p := range c.Polygons {
			if p.SignedArea() <= 0 {
				t.Fatalf("a polygon is not counter-clockwise: %v", p)
			}
		}
	})
}

func FuzzParseNet(f *testing.F) {
	f.Add([]byte(`{"layers": [{"weight": [[1,0],[0,1]], "bias": [0,0], "act": "relu"}, {"weight": [[1,1]], "bias": [0]}]}`))
	f.Add([]byte(`{"layers": [{"weight": [[1,0,0]], "bias": [0], "act": "step"}]}`))
	f.Add([]byte(`{"layers": [{"weight": [[1e308,-1e308]], "bias": [1e308], "act": "tanh"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseNet(b)
		if err != nil {
			return
		}
		units := 0
		for _, l := range n.Layers {
			units += l.Units()
		}
		if units > 64 {
			return
		}
		_, out := n.Forward(Point{0.3, -0.2})
		if len(out) != n.Outputs() {
			t.Fatalf("%d outputs from a net of width %d", len(out), n.Outputs())
		}
		if n.PiecewiseLinear() && units <= 12 {
			if _, err := Regions(n, Box{-1, -1, 1, 1}); err != nil {
				t.Fatalf("Regions of a valid piecewise-linear net: %v", err)
			}
		}
	})
}
