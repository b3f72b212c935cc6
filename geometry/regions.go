package geometry

import (
	"fmt"
)

// Affine is a map of the input plane to R^k: f(x) = M·x + C, M k×2.
type Affine struct {
	M [][2]float64 `json:"m"`
	C []float64    `json:"c"`
}

// At evaluates the map at p.
func (a Affine) At(p Point) []float64 {
	out := make([]float64, len(a.C))
	for i := range out {
		out[i] = a.M[i][0]*p.X + a.M[i][1]*p.Y + a.C[i]
	}
	return out
}

// Line is the zero set of output i.
func (a Affine) Line(i int) Line { return Line{A: a.M[i][0], B: a.M[i][1], C: a.C[i]} }

// identity is the input itself.
func identity() Affine { return Affine{M: [][2]float64{{1, 0}, {0, 1}}, C: []float64{0, 0}} }

// through is W·a + b: a layer's pre-activations as a map of the input.
func (a Affine) through(l *Layer) Affine {
	out := Affine{M: make([][2]float64, len(l.W)), C: make([]float64, len(l.W))}
	for j, row := range l.W {
		c := l.B[j]
		var m0, m1 float64
		for k, w := range row {
			m0 += w * a.M[k][0]
			m1 += w * a.M[k][1]
			c += w * a.C[k]
		}
		out.M[j], out.C[j] = [2]float64{m0, m1}, c
	}
	return out
}

// Region is one linear region of a piecewise-linear network: a convex
// polygon, its activation pattern, and the logits on it as one affine map.
type Region struct {
	Poly    Polygon
	Pattern Pattern
	Out     Affine
}

// piece is a polygon on the way through the layers: the pattern so far and
// the current layer's output as a map of the input.
type piece struct {
	poly Polygon
	pat  Pattern
	h    Affine
}

// NotPiecewiseLinearError is a network with a smooth hidden layer, whose
// regions are not polygons.
type NotPiecewiseLinearError struct {
	Layer int
	Act   Act
}

func (e *NotPiecewiseLinearError) Error() string {
	return fmt.Sprintf("geometry: hidden layer %d is %s, so the network is not piecewise linear: its exact regions are defined for step and ReLU layers only", e.Layer, e.Act)
}

// sliverFrac is the area, relative to the box, below which a piece left by
// a cut is rounding, not a region.
const sliverFrac = 1e-13

// Regions computes the exact linear regions of a piecewise-linear network
// in the box: after each hidden layer every polygon is cut by each unit's
// line (its pre-activation, an affine map on the polygon, equal to 0).
func Regions(n *Net, box Box) ([]Region, error) {
	ps, err := pieces(n, box, n.Hidden())
	if err != nil {
		return nil, err
	}
	out := make([]Region, len(ps))
	last := &n.Layers[len(n.Layers)-1]
	for i, p := range ps {
		// The output layer's pre-activations: the logits (an output
		// activation, if any, is monotone and leaves the class unchanged).
		out[i] = Region{Poly: p.poly, Pattern: p.pat, Out: p.h.through(last)}
	}
	return out, nil
}

// pieces cuts the box through the first `layers` hidden layers.
func pieces(n *Net, box Box, layers int) ([]piece, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if err := box.Validate(); err != nil {
		return nil, err
	}
	if layers < 0 || layers > n.Hidden() {
		return nil, fmt.Errorf("geometry: layer %d out of range: the network has %d hidden layers", layers, n.Hidden())
	}
	for i := 0; i < layers; i++ {
		if a := n.Layers[i].Act; !a.piecewiseLinear() {
			return nil, &NotPiecewiseLinearError{Layer: i, Act: a}
		}
	}
	minArea := sliverFrac * box.Area()
	tol := 1e-12 * box.Diameter()
	cur := []piece{{poly: box.Polygon(), h: identity()}}
	for li := 0; li < layers; li++ {
		l := &n.Layers[li]
		var next []piece
		for _, p := range cur {
			z := p.h.through(l)
			// Cut p by each unit's line in turn; bits[k] of each part.
			type part struct {
				poly Polygon
				bits []bool
			}
			parts := []part{{poly: p.poly}}
			for j := range l.W {
				var cut []part
				for _, q := range parts {
					if l.Act == Linear { // no cut: the bit is the centroid's sign
						cut = append(cut, part{q.poly, append(q.bits, z.Line(j).At(q.poly.Centroid()) > 0)})
						continue
					}
					pos, neg := q.poly.Split(z.Line(j), tol)
					if len(pos) >= 3 && pos.Area() > minArea {
						cut = append(cut, part{pos, append(append([]bool(nil), q.bits...), true)})
					}
					if len(neg) >= 3 && neg.Area() > minArea {
						cut = append(cut, part{neg, append(append([]bool(nil), q.bits...), false)})
					}
				}
				parts = cut
			}
			for _, q := range parts {
				h := Affine{M: make([][2]float64, len(l.W)), C: make([]float64, len(l.W))}
				for j, on := range q.bits {
					switch {
					case l.Act == Linear, l.Act == ReLU && on:
						h.M[j], h.C[j] = z.M[j], z.C[j]
					case l.Act == Step && on:
						h.C[j] = 1
					}
				}
				pat := make(Pattern, li+1)
				copy(pat, p.pat)
				pat[li] = q.bits
				next = append(next, piece{poly: q.poly, pat: pat, h: h})
			}
		}
		cur = next
	}
	return cur, nil
}

// ActiveSet is the set where hidden unit (layer, unit) is active (its
// pre-activation > 0), as the convex polygons of the regions through its
// layer whose bit is set.
func ActiveSet(n *Net, box Box, layer, unit int) ([]Polygon, error) {
	if layer < 0 || layer >= n.Hidden() {
		return nil, fmt.Errorf("geometry: hidden layer %d out of range: the network has %d", layer, n.Hidden())
	}
	if unit < 0 || unit >= n.Layers[layer].Units() {
		return nil, fmt.Errorf("geometry: layer %d has no unit %d (it has %d)", layer, unit, n.Layers[layer].Units())
	}
	ps, err := pieces(n, box, layer+1)
	if err != nil {
		return nil, err
	}
	var out []Polygon
	for _, p := range ps {
		if p.pat[layer][unit] {
			out = append(out, p.poly)
		}
	}
	return out, nil
}

// ClassRegion is a convex polygon where the network predicts one class.
type ClassRegion struct {
	Poly  Polygon
	Class int
}

// DecisionRegions are the exact decision regions of a piecewise-linear
// network: each linear region clipped, for each class c, by the lines
// where logit c equals each other logit (one logit: where it is 0).
func DecisionRegions(n *Net, box Box) ([]ClassRegion, error) {
	rs, err := Regions(n, box)
	if err != nil {
		return nil, err
	}
	minArea := sliverFrac * box.Area()
	tol := 1e-12 * box.Diameter()
	var out []ClassRegion
	for _, r := range rs {
		k := len(r.Out.C)
		if k == 1 {
			pos, neg := r.Poly.Split(r.Out.Line(0), tol)
			if len(pos) >= 3 && pos.Area() > minArea {
				out = append(out, ClassRegion{pos, 1})
			}
			if len(neg) >= 3 && neg.Area() > minArea {
				out = append(out, ClassRegion{neg, 0})
			}
			continue
		}
		for c := 0; c < k; c++ {
			poly := r.Poly
			for j := 0; j < k && len(poly) > 0; j++ {
				if j == c {
					continue
				}
				d := Line{A: r.Out.M[c][0] - r.Out.M[j][0], B: r.Out.M[c][1] - r.Out.M[j][1], C: r.Out.C[c] - r.Out.C[j]}
				if d.A == 0 && d.B == 0 { // equal slopes: c wins everywhere or nowhere (ties to the lower index)
					if !(d.C > 0 || d.C == 0 && c < j) {
						poly = nil
					}
					continue
				}
				poly, _ = poly.Split(d, tol)
			}
			if len(poly) >= 3 && poly.Area() > minArea {
				out = append(out, ClassRegion{poly, c})
			}
		}
	}
	return out, nil
}
