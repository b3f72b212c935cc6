package geometry

import (
	"fmt"
	"math"
)

// Point is a point of the plane.
type Point struct{ X, Y float64 }

// Line is the set A·x + B·y + C = 0; its positive side is where the
// expression is > 0.
type Line struct{ A, B, C float64 }

// At is the line's expression at p (its signed distance times |(A, B)|).
func (l Line) At(p Point) float64 { return l.A*p.X + l.B*p.Y + l.C }

// Dist is the signed distance of p from the line (0 for a degenerate line).
func (l Line) Dist(p Point) float64 {
	n := math.Hypot(l.A, l.B)
	if n == 0 {
		return 0
	}
	return l.At(p) / n
}

// Box is the rectangle [X0, X1] × [Y0, Y1].
type Box struct{ X0, Y0, X1, Y1 float64 }

// Validate checks that the box is finite and has a positive area.
func (b Box) Validate() error {
	for _, v := range []float64{b.X0, b.Y0, b.X1, b.Y1} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("geometry: box %v is not finite", b)
		}
	}
	if !(b.X1 > b.X0 && b.Y1 > b.Y0) {
		return fmt.Errorf("geometry: box [%g, %g] × [%g, %g] is empty", b.X0, b.X1, b.Y0, b.Y1)
	}
	return nil
}

// Polygon is the box as a counter-clockwise polygon.
func (b Box) Polygon() Polygon {
	return Polygon{{b.X0, b.Y0}, {b.X1, b.Y0}, {b.X1, b.Y1}, {b.X0, b.Y1}}
}

// Area is the box's area.
func (b Box) Area() float64 { return (b.X1 - b.X0) * (b.Y1 - b.Y0) }

// Diameter is the length of the box's diagonal.
func (b Box) Diameter() float64 { return math.Hypot(b.X1-b.X0, b.Y1-b.Y0) }

// Clip is the part of the line inside the box, as a segment; ok is false
// where the line misses it (or is degenerate).
func (b Box) Clip(l Line) (p, q Point, ok bool) {
	pos, _ := b.Polygon().Split(l, 0)
	// The segment is the set of pos's vertices on the line.
	tol := 1e-9 * b.Diameter()
	var on []Point
	for _, v := range pos {
		if math.Abs(l.Dist(v)) <= tol {
			on = append(on, v)
		}
	}
	if len(on) < 2 || math.Hypot(l.A, l.B) == 0 {
		return Point{}, Point{}, false
	}
	// the two points farthest apart
	p, q = on[0], on[1]
	best := -1.0
	for i := range on {
		for j := i + 1; j < len(on); j++ {
			if d := math.Hypot(on[i].X-on[j].X, on[i].Y-on[j].Y); d > best {
				best, p, q = d, on[i], on[j]
			}
		}
	}
	return p, q, best > 0
}

// Polygon is a convex polygon, vertices counter-clockwise.
type Polygon []Point

// SignedArea is the shoelace area: positive counter-clockwise.
func (p Polygon) SignedArea() float64 {
	s := 0.0
	for i := range p {
		a, b := p[i], p[(i+1)%len(p)]
		s += a.X*b.Y - b.X*a.Y
	}
	return s / 2
}

// Area is the polygon's area.
func (p Polygon) Area() float64 { return math.Abs(p.SignedArea()) }

// Centroid is the polygon's centre of mass (the vertex mean for a
// degenerate one).
func (p Polygon) Centroid() Point {
	a := p.SignedArea()
	if a == 0 || len(p) < 3 {
		var c Point
		for _, v := range p {
			c.X += v.X / float64(len(p))
			c.Y += v.Y / float64(len(p))
		}
		return c
	}
	// Relative to the first vertex, for accuracy far from the origin.
	o := p[0]
	var cx, cy float64
	for i := range p {
		u, v := p[i], p[(i+1)%len(p)]
		ux, uy, vx, vy := u.X-o.X, u.Y-o.Y, v.X-o.X, v.Y-o.Y
		cr := ux*vy - vx*uy
		cx += (ux + vx) * cr
		cy += (uy + vy) * cr
	}
	return Point{o.X + cx/(6*a), o.Y + cy/(6*a)}
}

// Contains says whether q lies inside the convex counter-clockwise polygon
// or within eps of it.
func (p Polygon) Contains(q Point, eps float64) bool {
	return p.Depth(q) >= -eps
}

// Depth is the distance from q to the nearest edge line of the convex
// counter-clockwise polygon: positive inside, negative outside (where it
// is a lower bound of the distance to the polygon).
func (p Polygon) Depth(q Point) float64 {
	d := math.Inf(1)
	for i := range p {
		d = math.Min(d, edgeLine(p[i], p[(i+1)%len(p)]).Dist(q))
	}
	return d
}

// edgeLine is the line through a and b, positive on its left (the inside
// of a counter-clockwise polygon).
func edgeLine(a, b Point) Line {
	l := Line{A: -(b.Y - a.Y), B: b.X - a.X}
	l.C = -(l.A*a.X + l.B*a.Y)
	return l
}

// Split cuts the convex polygon by the line into the part on its positive
// side and the part on its negative side (either may be nil). Vertices
// within tol of the line (a distance; 0: 1e-12 of the polygon's extent)
// count as on it and go to both parts. A degenerate line (A = B = 0) puts
// the whole polygon on the side of the sign of C (negative for 0).
func (p Polygon) Split(l Line, tol float64) (pos, neg Polygon) {
	if len(p) == 0 {
		return nil, nil
	}
	n := math.Hypot(l.A, l.B)
	if n == 0 {
		if l.C > 0 {
			return p, nil
		}
		return nil, p
	}
	if tol <= 0 {
		tol = 1e-12 * p.extent()
	}
	d := make([]float64, len(p))
	side := make([]int, len(p))
	npos, nneg := 0, 0
	for i, v := range p {
		d[i] = l.At(v) / n
		switch {
		case d[i] > tol:
			side[i] = 1
			npos++
		case d[i] < -tol:
			side[i] = -1
			nneg++
		}
	}
	switch {
	case nneg == 0 && npos == 0: // all on the line: a sliver; decide by the centroid
		if l.At(p.Centroid()) > 0 {
			return p, nil
		}
		return nil, p
	case nneg == 0:
		return p, nil
	case npos == 0:
		return nil, p
	}
	pos = make(Polygon, 0, len(p)+1)
	neg = make(Polygon, 0, len(p)+1)
	for i, v := range p {
		j := (i + 1) % len(p)
		if side[i] >= 0 {
			pos = append(pos, v)
		}
		if side[i] <= 0 {
			neg = append(neg, v)
		}
		if side[i]*side[j] < 0 { // the edge crosses the line strictly
			t := d[i] / (d[i] - d[j])
			w := p[j]
			x := Point{v.X + t*(w.X-v.X), v.Y + t*(w.Y-v.Y)}
			pos = append(pos, x)
			neg = append(neg, x)
		}
	}
	return pos, neg
}

// extent is the larger side of the polygon's bounding box.
func (p Polygon) extent() float64 {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, v := range p {
		x0, x1 = math.Min(x0, v.X), math.Max(x1, v.X)
		y0, y1 = math.Min(y0, v.Y), math.Max(y1, v.Y)
	}
	return math.Max(x1-x0, y1-y0)
}

// Intersect is the intersection of two convex counter-clockwise polygons
// (nil where they do not overlap).
func (p Polygon) Intersect(q Polygon) Polygon {
	out := p
	for i := range q {
		if len(out) == 0 {
			return nil
		}
		out, _ = out.Split(edgeLine(q[i], q[(i+1)%len(q)]), 0)
	}
	return out
}

// Convex checks that the vertices, in order, make a simple convex polygon
// with a positive area: at least 3 vertices, all finite, no repeated
// vertex, every turn the same way and once around in all. It returns the
// polygon counter-clockwise (reversed if it was given clockwise).
func Convex(v []Point) (Polygon, error) {
	if len(v) < 3 {
		return nil, fmt.Errorf("geometry: a polygon needs at least 3 vertices, got %d", len(v))
	}
	for i, q := range v {
		if math.IsNaN(q.X) || math.IsNaN(q.Y) || math.IsInf(q.X, 0) || math.IsInf(q.Y, 0) {
			return nil, fmt.Errorf("geometry: vertex %d (%g, %g) is not finite", i, q.X, q.Y)
		}
	}
	p := Polygon(append([]Point(nil), v...))
	if p.SignedArea() < 0 {
		for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
			p[i], p[j] = p[j], p[i]
		}
	}
	scale := p.extent()
	if scale == 0 {
		return nil, fmt.Errorf("geometry: polygon %v has no area", v)
	}
	turning := 0.0
	for i := range p {
		a, b, c := p[i], p[(i+1)%len(p)], p[(i+2)%len(p)]
		if a == b {
			return nil, fmt.Errorf("geometry: polygon %v repeats vertex %d", v, (i+1)%len(p))
		}
		ux, uy, wx, wy := b.X-a.X, b.Y-a.Y, c.X-b.X, c.Y-b.Y
		cross := ux*wy - uy*wx
		if cross <= 1e-12*scale*scale {
			return nil, fmt.Errorf("geometry: polygon %v is not convex: it turns the wrong way or goes straight at vertex (%g, %g)", v, b.X, b.Y)
		}
		turning += math.Atan2(cross, ux*wx+uy*wy)
	}
	if math.Abs(turning-2*math.Pi) > 1e-6 {
		return nil, fmt.Errorf("geometry: polygon %v intersects itself (it winds %.3g times)", v, turning/(2*math.Pi))
	}
	return p, nil
}
