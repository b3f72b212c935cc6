package geometry

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// gridCheck evaluates the constructed network on an n×n grid of the box
// and counts the points farther than 1e-4 from every edge that it
// classifies differently from the shapes themselves.
func gridCheck(t *testing.T, c *Constructed, box Box, n int) (wrong, checked int) {
	t.Helper()
	g := Grid{Box: box, NX: n, NY: n}
	m, err := DecisionMap(c.Net, g)
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			want, margin := c.Inside(g.At(i, j))
			if margin <= 1e-4 {
				continue
			}
			checked++
			if m.Class[j*n+i] != want {
				wrong++
			}
		}
	}
	return wrong, checked
}

func pentagon(cx, cy, r, rot float64) [][2]float64 {
	var v [][2]float64
	for k := 0; k < 5; k++ {
		a := rot + 2*math.Pi*float64(k)/5
		v = append(v, [2]float64{cx + r*math.Cos(a), cy + r*math.Sin(a)})
	}
	return v
}

func TestConstructFiresInside(t *testing.T) {
	box := Box{-2, -2, 2, 2}
	for _, tc := range []struct {
		name   string
		shapes Shapes
		inside int // classes other than 0 that must occur
	}{
		{"triangle", Shapes{Polygons: [][][2]float64{{{-1, -0.5}, {1.2, -0.8}, {0.1, 1.3}}}}, 1},
		{"pentagon, not axis-aligned", Shapes{Polygons: [][][2]float64{pentagon(0.2, -0.1, 1.3, 0.3)}}, 1},
		// clockwise on purpose: Construct orients it
		{"two disjoint triangles", Shapes{Polygons: [][][2]float64{{{-1.8, -1}, {-1.5, 1}, {-0.4, 0}}, {{0.3, -1.5}, {1.8, -1.2}, {1, 1.5}}}, Unions: [][]int{{0, 1}}}, 1},
		{"concave L of two rectangles", Shapes{Polygons: [][][2]float64{{{-1.5, -1.5}, {1.5, -1.5}, {1.5, -0.5}, {-1.5, -0.5}}, {{-1.5, -0.5}, {-0.5, -0.5}, {-0.5, 1.5}, {-1.5, 1.5}}}, Unions: [][]int{{0, 1}}}, 1},
		{"two shapes, two classes", Shapes{Polygons: [][][2]float64{{{-1.8, -1}, {-0.4, 0}, {-1.5, 1}}, {{0.3, -1.5}, {1.8, -1.2}, {1, 1.5}}}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Construct(&tc.shapes)
			if err != nil {
				t.Fatal(err)
			}
			wrong, checked := gridCheck(t, c, box, 1000)
			if wrong != 0 {
				t.Errorf("%d of %d grid points farther than 1e-4 from an edge are misclassified", wrong, checked)
			}
			if checked < 990000 {
				t.Errorf("only %d points checked", checked)
			}
			// the exact decision regions give the same areas as the shapes
			crs, err := DecisionRegions(c.Net, box)
			if err != nil {
				t.Fatal(err)
			}
			area := map[int]float64{}
			for _, r := range crs {
				area[r.Class] += r.Poly.Area()
			}
			want := map[int]float64{}
			for s, members := range c.Shapes {
				for _, m := range members {
					want[s+1] += c.Polygons[m].Area() // the test's shapes do not overlap
				}
			}
			for cl := 1; cl <= tc.inside; cl++ {
				if math.Abs(area[cl]-want[cl]) > 1e-9 {
					t.Errorf("class %d covers %g exactly, the polygons %g", cl, area[cl], want[cl])
				}
			}
		})
	}
}

func TestConstructRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    [][2]float64
	}{
		{"two vertices", [][2]float64{{0, 0}, {1, 0}}},
		{"non-convex (a dart)", [][2]float64{{0, 0}, {2, 0}, {1, 0.5}, {1, 2}}},
		{"self-intersecting (a bow tie)", [][2]float64{{0, 0}, {1, 1}, {1, 0}, {0, 1}}},
		{"pentagram", [][2]float64{pentagon(0, 0, 1, 0)[0], pentagon(0, 0, 1, 0)[2], pentagon(0, 0, 1, 0)[4], pentagon(0, 0, 1, 0)[1], pentagon(0, 0, 1, 0)[3]}},
		{"collinear", [][2]float64{{0, 0}, {1, 0}, {2, 0}}},
		{"repeated vertex", [][2]float64{{0, 0}, {1, 0}, {1, 0}, {0, 1}}},
		{"not finite", [][2]float64{{0, 0}, {1, 0}, {math.NaN(), 1}}},
	} {
		if _, err := Construct(&Shapes{Polygons: [][][2]float64{tc.v}}); err == nil {
			t.Errorf("%s: want an error", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
	if _, err := Construct(&Shapes{Polygons: [][][2]float64{{{0, 0}, {1, 0}, {0, 1}}}, Unions: [][]int{{3}}}); err == nil {
		t.Error("a union of a polygon that does not exist: want an error")
	}
	if _, err := ParseShapes([]byte(`{"polygons": [], "extra": 1}`)); err == nil {
		t.Error("an unknown field: want an error")
	}
}

func TestDepthExample(t *testing.T) {
	deep, err := DeepPatternNet(DepthPolygons)
	if err != nil {
		t.Fatal(err)
	}
	if w, b := deep.Net.Weights(); w != 74 || w+b != 95 || deep.Net.Widths() != "2-10-3-8" {
		t.Errorf("deep net %s has %d weights, %d with biases; want 2-10-3-8, 74 and 95", deep.Net.Widths(), w, w+b)
	}
	// On a 1000×1000 grid every unit fires on exactly its pattern.
	box := Box{-2, -2, 2, 2}
	g := Grid{Box: box, NX: 1000, NY: 1000}
	seen := map[int]bool{}
	e := newEvaluator(deep.Net)
	for j := 0; j < g.NY; j++ {
		for i := 0; i < g.NX; i++ {
			p := g.At(i, j)
			if _, margin := deep.Inside(p); margin <= 1e-4 {
				continue
			}
			pat := deep.PatternOf(p)
			seen[pat] = true
			out := e.forward(p)
			for u, v := range out {
				if (v == 1) != (u == pat) {
					t.Fatalf("at %v (pattern %03b) unit %d gives %g", p, pat, u, v)
				}
			}
		}
	}
	if len(seen) != 8 {
		t.Errorf("the polygons show %d of the 8 patterns on the grid", len(seen))
	}
	ths, cells, err := deep.ShallowPatterns()
	if err != nil {
		t.Fatal(err)
	}
	shallow := deep.ShallowNet(ths)
	if w, b := shallow.Weights(); w != 100 || w+b != 118 || shallow.Widths() != "2-10-8" {
		t.Errorf("shallow net %s has %d weights, %d with biases; want 2-10-8, 100 and 118", shallow.Widths(), w, w+b)
	}
	// Every unit the LP found fires on exactly the cells of its pattern.
	for _, th := range ths {
		t.Logf("pattern %03b: one threshold unit expresses it: %v", th.Pattern, th.OK)
		if !th.OK {
			continue
		}
		for _, cl := range cells {
			s := th.B
			for k, on := range cl.Edges {
				if on {
					s += th.W[k]
				}
			}
			if (s > 0) != (cl.Pattern == th.Pattern) {
				t.Errorf("pattern %03b: the unit gives %g on a cell of pattern %03b", th.Pattern, s, cl.Pattern)
			}
		}
	}
	// Inside all three is the AND of all ten edges: always expressible.
	for _, th := range ths {
		if th.Pattern == 7 && !th.OK {
			t.Error("pattern 111 (the AND of all edges) was found inexpressible")
		}
	}
	t.Logf("%d cells of the arrangement", len(cells))
}

// An inexpressible pattern has a certificate anyone can check: convex
// combinations of its cells' edge vectors and of the other cells' that are
// equal (their convex hulls meet, so no hyperplane separates them). The
// certificate is found by a second, different linear program and verified
// here by arithmetic.
func TestShallowInexpressibleHasCertificate(t *testing.T) {
	deep, err := DeepPatternNet(DepthPolygons)
	if err != nil {
		t.Fatal(err)
	}
	ths, cells, err := deep.ShallowPatterns()
	if err != nil {
		t.Fatal(err)
	}
	ne := len(deep.Net.Layers[0].W)
	for _, th := range ths {
		if th.OK {
			continue
		}
		// rows: Σ σ_i λ_i e_ik = 0 (k < ne), Σ_pos λ = 1, Σ_neg λ = 1; λ ≥ 0
		rows := ne + 2
		a := mat.NewDense(rows, len(cells), nil)
		b := make([]float64, rows)
		b[ne], b[ne+1] = 1, 1
		for i, cl := range cells {
			s := -1.0
			row := ne + 1
			if cl.Pattern == th.Pattern {
				s, row = 1, ne
			}
			for k, on := range cl.Edges {
				if on {
					a.Set(k, i, s)
				}
			}
			a.Set(row, i, 1)
		}
		// drop edge rows that are linearly dependent on earlier ones
		var keep []int
		var basis *mat.Dense
		for r := 0; r < rows; r++ {
			cand := mat.NewDense(len(keep)+1, len(cells), nil)
			for i, k := range keep {
				cand.SetRow(i, mat.Row(nil, k, a))
			}
			cand.SetRow(len(keep), mat.Row(nil, r, a))
			var svd mat.SVD
			svd.Factorize(cand, mat.SVDNone)
			v := svd.Values(nil)
			if v[len(v)-1] > 1e-9*v[0] {
				keep, basis = append(keep, r), cand
			}
		}
		bk := make([]float64, len(keep))
		for i, r := range keep {
			bk[i] = b[r]
		}
		_, lam, err := lp.Simplex(make([]float64, len(cells)), basis, bk, 1e-10, nil)
		if err != nil {
			t.Fatalf("pattern %03b: no certificate found: %v", th.Pattern, err)
		}
		// verify by arithmetic on every original row
		for r := 0; r < rows; r++ {
			s := 0.0
			for i := range cells {
				if lam[i] < -1e-12 {
					t.Fatalf("pattern %03b: negative weight %g", th.Pattern, lam[i])
				}
				s += a.At(r, i) * lam[i]
			}
			if math.Abs(s-b[r]) > 1e-9 {
				t.Fatalf("pattern %03b: certificate row %d gives %g, want %g", th.Pattern, r, s, b[r])
			}
		}
		t.Logf("pattern %03b: the hulls of its %d-dimensional edge vectors and the others' meet: certified", th.Pattern, ne)
	}
}
