package geometry

import (
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"testing"
)

var unitBox = Box{-1, -1, 1, 1}

// dense is a layer from rows of [w0, w1, …, b].
func dense(act Act, rows ...[]float64) Layer {
	l := Layer{Act: act}
	for _, r := range rows {
		l.W = append(l.W, append([]float64(nil), r[:len(r)-1]...))
		l.B = append(l.B, r[len(r)-1])
	}
	return l
}

func patterns(rs []Region) []string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Pattern.String())
	}
	sort.Strings(s)
	return s
}

func TestRegionsByHand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		net   Net
		box   Box
		want  []string  // sorted patterns
		areas []float64 // by sorted pattern
	}{
		{"one line x=0", Net{Layers: []Layer{dense(ReLU, []float64{1, 0, 0}), dense(Linear, []float64{1, 0})}},
			unitBox, []string{"0", "1"}, []float64{2, 2}},
		{"two axes: four quadrants", Net{Layers: []Layer{dense(ReLU, []float64{1, 0, 0}, []float64{0, 1, 0}), dense(Linear, []float64{1, 1, 0})}},
			unitBox, []string{"00", "01", "10", "11"}, []float64{1, 1, 1, 1}},
		// A line outside the box does not cut it.
		{"line outside", Net{Layers: []Layer{dense(ReLU, []float64{1, 0, 5}), dense(Linear, []float64{1, 0})}},
			unitBox, []string{"1"}, []float64{4}},
		// relu(x), relu(−x), then |x| − 1: cut at x = 0 by layer 1 and at
		// x = ±1 by layer 2, in the box [−2, 2]².
		{"|x| > 1 in two layers", Net{Layers: []Layer{
			dense(ReLU, []float64{1, 0, 0}, []float64{-1, 0, 0}),
			dense(ReLU, []float64{1, 1, -1}),
			dense(Linear, []float64{1, 0})}},
			Box{-2, -2, 2, 2}, []string{"01|0", "01|1", "10|0", "10|1"}, []float64{4, 4, 4, 4}},
		// The same with steps: layer 2 sees 1[x > 0] + 1[x < 0] − 0.5 > 0
		// everywhere, so it never cuts.
		{"step: constant second layer", Net{Layers: []Layer{
			dense(Step, []float64{1, 0, 0}, []float64{-1, 0, 0}),
			dense(Step, []float64{1, 1, -0.5}),
			dense(Linear, []float64{1, 0})}},
			Box{-2, -2, 2, 2}, []string{"01|1", "10|1"}, []float64{8, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Regions(&tc.net, tc.box)
			if err != nil {
				t.Fatal(err)
			}
			got := patterns(rs)
			if len(got) != len(tc.want) {
				t.Fatalf("patterns %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("patterns %v, want %v", got, tc.want)
				}
			}
			area := map[string]float64{}
			for _, r := range rs {
				area[r.Pattern.String()] += r.Poly.Area()
			}
			for i, p := range tc.want {
				if math.Abs(area[p]-tc.areas[i]) > 1e-12 {
					t.Errorf("region %s has area %g, want %g", p, area[p], tc.areas[i])
				}
			}
		})
	}
}

// k lines in general position with every crossing inside the box cut it
// into 1 + k + k(k−1)/2 regions.
func TestRegionsArrangementCount(t *testing.T) {
	for k := 1; k <= 8; k++ {
		var rows [][]float64
		for j := 0; j < k; j++ {
			// Tangents of a small circle: every pair crosses near the centre.
			a := math.Pi * (float64(j) + 0.37) / float64(k)
			rows = append(rows, []float64{math.Cos(a), math.Sin(a), -0.1})
		}
		n := Net{Layers: []Layer{dense(ReLU, rows...), dense(Linear, make([]float64, k+1))}}
		rs, err := Regions(&n, Box{-10, -10, 10, 10})
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + k + k*(k-1)/2; len(rs) != want {
			t.Errorf("%d lines: %d regions, want %d", k, len(rs), want)
		}
	}
}

func randomNet(rng *rand.Rand, act Act, widths ...int) *Net {
	n := &Net{}
	in := 2
	for i, w := range widths {
		a := act
		if i == len(widths)-1 {
			a = Linear
		}
		l := Layer{Act: a}
		for j := 0; j < w; j++ {
			row := make([]float64, in)
			for k := range row {
				row[k] = rng.NormFloat64() / math.Sqrt(float64(in)) * 2
			}
			l.W = append(l.W, row)
			l.B = append(l.B, rng.NormFloat64()*0.5)
		}
		n.Layers = append(n.Layers, l)
		in = w
	}
	return n
}

func bounds(p Polygon) Box {
	b := Box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, v := range p {
		b.X0, b.X1 = math.Min(b.X0, v.X), math.Max(b.X1, v.X)
		b.Y0, b.Y1 = math.Min(b.Y0, v.Y), math.Max(b.Y1, v.Y)
	}
	return b
}

func samePattern(a, b Pattern) bool { return a.String() == b.String() }

// The regions of random ReLU nets tile the box (areas sum to it, no two
// overlap) and every grid sample lies in the region of its own pattern.
func TestRegionsTileAndMatchSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	box := Box{-2, -1.5, 2, 1.5}
	for _, widths := range [][]int{{3, 2}, {4, 4, 2}, {16, 16, 2}} {
		for trial := 0; trial < 3; trial++ {
			n := randomNet(rng, ReLU, widths...)
			rs, err := Regions(n, box)
			if err != nil {
				t.Fatal(err)
			}
			sum := 0.0
			for _, r := range rs {
				if len(r.Poly) < 3 || r.Poly.SignedArea() <= 0 {
					t.Fatalf("%v: a region is not a counter-clockwise polygon: %v", widths, r.Poly)
				}
				sum += r.Poly.Area()
			}
			if math.Abs(sum-box.Area()) > 1e-9 {
				t.Errorf("%v: areas sum to %.15g, the box is %g", widths, sum, box.Area())
			}
			for i := range rs {
				for j := i + 1; j < len(rs); j++ {
					if q := rs[i].Poly.Intersect(rs[j].Poly); len(q) >= 3 && q.Area() > 1e-10 {
						t.Fatalf("%v: regions %s and %s overlap by %g", widths, rs[i].Pattern, rs[j].Pattern, q.Area())
					}
				}
			}
			bb := make([]Box, len(rs))
			for k, r := range rs {
				bb[k] = bounds(r.Poly)
			}
			g := Grid{Box: box, NX: 200, NY: 150}
			checked := 0
			for j := 0; j < g.NY; j++ {
				for i := 0; i < g.NX; i++ {
					p := g.At(i, j)
					var in []int
					for k, r := range rs {
						b := bb[k]
						if p.X < b.X0-1e-9 || p.X > b.X1+1e-9 || p.Y < b.Y0-1e-9 || p.Y > b.Y1+1e-9 {
							continue
						}
						if r.Poly.Contains(p, 1e-9) {
							in = append(in, k)
						}
					}
					if len(in) == 0 {
						t.Fatalf("%v: sample %v lies in no region", widths, p)
					}
					want := n.Pattern(p)
					// A sample on a shared edge lies in two regions; it
					// must match one of them. Off the edges it lies in one.
					ok := false
					for _, k := range in {
						ok = ok || samePattern(rs[k].Pattern, want)
					}
					if !ok || (len(in) > 1 && rs[in[0]].Poly.Depth(p) > 1e-6) {
						t.Fatalf("%v: sample %v has pattern %s; it lies in regions %v", widths, p, want, in)
					}
					// The region's affine map is the network there.
					_, out := n.Forward(p)
					got := rs[in[0]].Out.At(p)
					for c := range out {
						if math.Abs(got[c]-out[c]) > 1e-9*(1+math.Abs(out[c])) && samePattern(rs[in[0]].Pattern, want) {
							t.Fatalf("%v: at %v the region's map gives %v, the network %v", widths, p, got, out)
						}
					}
					checked++
				}
			}
			t.Logf("%v trial %d: %d regions, %d samples checked", widths, trial, len(rs), checked)
		}
	}
}

// The trained moons net of docs/regions.md: its regions tile the window too.
func TestRegionsOfTrainedNet(t *testing.T) {
	raw, err := os.ReadFile("testdata/moons-2-16-16-2.json")
	if err != nil {
		t.Fatal(err)
	}
	n, err := ParseNet(raw)
	if err != nil {
		t.Fatal(err)
	}
	box := Box{-2.4, -2.45, 2.5, 2.45}
	rs, err := Regions(n, box)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, r := range rs {
		sum += r.Poly.Area()
	}
	if math.Abs(sum-box.Area()) > 1e-9 {
		t.Errorf("areas sum to %.15g, the window is %g", sum, box.Area())
	}
	g := Grid{Box: box, NX: 100, NY: 100}
	for j := 0; j < g.NY; j++ {
		for i := 0; i < g.NX; i++ {
			p := g.At(i, j)
			want := n.Pattern(p).String()
			ok := false
			for _, r := range rs {
				if r.Poly.Contains(p, 1e-9) && r.Pattern.String() == want {
					ok = true
					break
				}
			}
			if !ok {
				t.Fatalf("sample %v (pattern %s) lies in no region of its pattern", p, want)
			}
		}
	}
	t.Logf("%d regions", len(rs))
}

// Decision regions agree with the sampled decision map away from their
// boundaries.
func TestDecisionRegionsMatchMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	box := Box{-2, -2, 2, 2}
	for _, tc := range []struct {
		act    Act
		widths []int
	}{{ReLU, []int{8, 3}}, {ReLU, []int{6, 6, 1}}, {Step, []int{6, 4, 2}}} {
		n := randomNet(rng, tc.act, tc.widths...)
		crs, err := DecisionRegions(n, box)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, c := range crs {
			sum += c.Poly.Area()
		}
		if math.Abs(sum-box.Area()) > 1e-9 {
			t.Errorf("%v %v: decision regions cover %g of %g", tc.act, tc.widths, sum, box.Area())
		}
		g := Grid{Box: box, NX: 120, NY: 120}
		m, err := DecisionMap(n, g)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < g.NY; j++ {
			for i := 0; i < g.NX; i++ {
				p := g.At(i, j)
				for _, c := range crs {
					if c.Poly.Depth(p) > 1e-9 && c.Class != m.Class[j*g.NX+i] {
						t.Fatalf("%v %v: at %v the map says %d, the exact region %d", tc.act, tc.widths, p, m.Class[j*g.NX+i], c.Class)
					}
				}
			}
		}
	}
}

func TestActiveSet(t *testing.T) {
	// Layer-2 unit |x| − 1 (see TestRegionsByHand) is active where |x| > 1.
	n := Net{Layers: []Layer{
		dense(ReLU, []float64{1, 0, 0}, []float64{-1, 0, 0}),
		dense(ReLU, []float64{1, 1, -1}),
		dense(Linear, []float64{1, 0})}}
	box := Box{-2, -2, 2, 2}
	ps, err := ActiveSet(&n, box, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	area := 0.0
	for _, p := range ps {
		area += p.Area()
		if c := p.Centroid(); math.Abs(c.X) <= 1 {
			t.Errorf("active piece centred at %v, want |x| > 1", c)
		}
	}
	if math.Abs(area-8) > 1e-12 {
		t.Errorf("active area %g, want 8", area)
	}
	if _, err := ActiveSet(&n, box, 2, 0); err == nil {
		t.Error("the output layer is not a hidden layer: want an error")
	}
	if _, err := ActiveSet(&n, box, 0, 2); err == nil {
		t.Error("layer 0 has no unit 2: want an error")
	}
	sig := Net{Layers: []Layer{dense(Sigmoid, []float64{1, 0, 0}), dense(Linear, []float64{1, 0})}}
	if _, err := Regions(&sig, box); err == nil {
		t.Error("a sigmoid network has no exact regions: want an error")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		net  Net
	}{
		{"no layers", Net{}},
		{"3-D input", Net{Layers: []Layer{dense(ReLU, []float64{1, 0, 0, 0})}}},
		{"width mismatch", Net{Layers: []Layer{dense(ReLU, []float64{1, 0, 0}), dense(Linear, []float64{1, 1, 0})}}},
		{"NaN", Net{Layers: []Layer{dense(ReLU, []float64{math.NaN(), 0, 0})}}},
		{"missing bias", Net{Layers: []Layer{{W: [][]float64{{1, 0}}}}}},
	} {
		if err := tc.net.Validate(); err == nil {
			t.Errorf("%s: want an error", tc.name)
		}
	}
	if _, err := Regions(&Net{Layers: []Layer{dense(Linear, []float64{1, 0, 0})}}, Box{0, 0, 0, 1}); err == nil {
		t.Error("an empty box: want an error")
	}
}

// Degenerate arrangements: lines through one point, a line repeated, lines
// through the box's corners and along its edges.
func TestRegionsDegenerate(t *testing.T) {
	relu := func(rows ...[]float64) *Net {
		return &Net{Layers: []Layer{dense(ReLU, rows...), dense(Linear, make([]float64, len(rows)+1))}}
	}
	var star [][]float64
	for k := 0; k < 6; k++ {
		a := math.Pi * float64(k) / 6
		star = append(star, []float64{math.Cos(a), math.Sin(a), 0})
	}
	for _, tc := range []struct {
		name string
		net  *Net
		want int
	}{
		{"6 lines through the origin: 12 sectors", relu(star...), 12},
		{"one line twice: 2 regions (patterns 11 and 00)", relu([]float64{1, 1, 0.3}, []float64{2, 2, 0.6}), 2},
		{"a line and its reverse: 2 regions (10 and 01)", relu([]float64{1, -1, 0.2}, []float64{-1, 1, -0.2}), 2},
		{"the diagonals, through the corners: 4", relu([]float64{1, 1, 0}, []float64{1, -1, 0}), 4},
		{"a line along an edge of the box: 1", relu([]float64{1, 0, 1}), 1},
		{"a line touching a corner only: 1", relu([]float64{1, 1, 2}), 1},
	} {
		rs, err := Regions(tc.net, unitBox)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, r := range rs {
			sum += r.Poly.Area()
		}
		if len(rs) != tc.want || math.Abs(sum-4) > 1e-12 {
			t.Errorf("%s: %d regions (%v), area %g; want %d and 4", tc.name, len(rs), patterns(rs), sum, tc.want)
		}
	}
}
