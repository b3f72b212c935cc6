package geometry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// Shapes are the input of Construct (and of `gabor regions --construct`):
// convex polygons, vertices in order (either orientation), and unions of
// them by index. With no unions, each polygon is its own shape.
type Shapes struct {
	Polygons [][][2]float64 `json:"polygons"`
	Unions   [][]int        `json:"unions,omitempty"`
	// Names name the shapes (the classes 1, 2…; class 0 is "outside").
	Names []string `json:"names,omitempty"`
}

// ParseShapes reads Shapes from JSON, rejecting unknown fields.
func ParseShapes(b []byte) (*Shapes, error) {
	var s Shapes
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("geometry: reading shapes: %w", err)
	}
	return &s, nil
}

// Constructed is a network built from shapes, with its parts.
type Constructed struct {
	Net      *Net
	Polygons []Polygon // counter-clockwise
	Edges    [][]int   // first-layer units of each polygon
	Shapes   [][]int   // polygons of each shape (the network's classes 1…)
}

// Construct builds a step network that fires inside the shapes: one
// first-layer unit per polygon edge, 1[n·x + c > 0] with n the edge's unit
// inward normal (so a unit's value is the distance from its edge, and the
// margin is geometric); one AND unit per polygon over its k edges, weights
// 1/k and bias −1 + 1/(2k) (all k on: +1/(2k); one off: −1/(2k), a margin
// far above rounding); with unions, one OR unit per union, weights 1 and
// bias −1/2. The output layer has one logit per shape, 4 inside it and 0
// outside, after a constant 2 for class 0 ("outside every shape"), so the
// class is 0 outside and s+1 inside shape s (the first where shapes
// overlap), with a softmax probability of 0.88 or more for two classes.
func Construct(s *Shapes) (*Constructed, error) {
	if len(s.Polygons) == 0 {
		return nil, errors.New("geometry: no polygons to construct from")
	}
	c := &Constructed{}
	edges := Layer{Name: "edges", Act: Step}
	ands := Layer{Name: "polygons", Act: Step}
	for i, v := range s.Polygons {
		pts := make([]Point, len(v))
		for k, q := range v {
			pts[k] = Point{q[0], q[1]}
		}
		p, err := Convex(pts)
		if err != nil {
			return nil, fmt.Errorf("polygon %d: %w", i, err)
		}
		c.Polygons = append(c.Polygons, p)
		var idx []int
		for k := range p {
			l := edgeLine(p[k], p[(k+1)%len(p)])
			n := math.Hypot(l.A, l.B)
			idx = append(idx, len(edges.W))
			edges.W = append(edges.W, []float64{l.A / n, l.B / n})
			edges.B = append(edges.B, l.C/n)
		}
		c.Edges = append(c.Edges, idx)
	}
	for _, idx := range c.Edges {
		k := float64(len(idx))
		row := make([]float64, len(edges.W))
		for _, e := range idx {
			row[e] = 1 / k
		}
		ands.W = append(ands.W, row)
		ands.B = append(ands.B, -1+1/(2*k))
	}
	layers := []Layer{edges, ands}
	if len(s.Unions) > 0 {
		ors := Layer{Name: "unions", Act: Step}
		for u, members := range s.Unions {
			if len(members) == 0 {
				return nil, fmt.Errorf("geometry: union %d has no polygons", u)
			}
			row := make([]float64, len(c.Polygons))
			for _, m := range members {
				if m < 0 || m >= len(c.Polygons) {
					return nil, fmt.Errorf("geometry: union %d names polygon %d; there are %d (from 0)", u, m, len(c.Polygons))
				}
				row[m] = 1
			}
			ors.W = append(ors.W, row)
			ors.B = append(ors.B, -0.5)
			c.Shapes = append(c.Shapes, members)
		}
		layers = append(layers, ors)
	} else {
		for i := range c.Polygons {
			c.Shapes = append(c.Shapes, []int{i})
		}
	}
	in := layers[len(layers)-1].Units()
	out := Layer{Name: "classes", Act: Linear, W: [][]float64{make([]float64, in)}, B: []float64{2}}
	for s := 0; s < in; s++ {
		row := make([]float64, in)
		row[s] = 4
		out.W = append(out.W, row)
		out.B = append(out.B, 0)
	}
	c.Net = &Net{Layers: append(layers, out)}
	return c, c.Net.Validate()
}

// Inside is the class the shapes themselves give p (0 outside every shape,
// s+1 inside shape s, the first one), and margin, the distance from p to
// the nearest polygon edge (as a segment): a point farther than rounding
// from every edge has one right answer.
func (c *Constructed) Inside(p Point) (class int, margin float64) {
	margin = math.Inf(1)
	in := make([]bool, len(c.Polygons))
	for i, poly := range c.Polygons {
		d := poly.Depth(p)
		in[i] = d > 0
		for k := range poly {
			margin = math.Min(margin, segmentDist(p, poly[k], poly[(k+1)%len(poly)]))
		}
	}
	for s, members := range c.Shapes {
		for _, m := range members {
			if in[m] {
				return s + 1, margin
			}
		}
	}
	return 0, margin
}

func segmentDist(p, a, b Point) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	t := ((p.X-a.X)*dx + (p.Y-a.Y)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(p.X-a.X-t*dx, p.Y-a.Y-t*dy)
}

// DepthPolygons are three convex polygons with 3, 3 and 4 edges (10 lines)
// placed so that all 8 in/out patterns occur: two triangles and a square.
var DepthPolygons = [][][2]float64{
	{{-1, -0.2}, {1, -0.2}, {0, 1.6}},
	{{-1.6, -1.3}, {0.4, -1.3}, {-0.6, 0.5}},
	{{-0.4, -1.5}, {1.5, -1.5}, {1.5, 0.4}, {-0.4, 0.4}},
}

// DeepPatternNet is the 2-10-3-8 step network: the polygons' edges, one AND
// unit per polygon, then one unit per in/out pattern p of the three (bit i
// of p: inside polygon i), weights +1 on the polygons p is inside and −1 on
// the others, bias −|p| + 1/2, so it fires on exactly that pattern.
func DeepPatternNet(polys [][][2]float64) (*Constructed, error) {
	c, err := Construct(&Shapes{Polygons: polys})
	if err != nil {
		return nil, err
	}
	k := len(c.Polygons)
	pat := Layer{Name: "patterns", Act: Step}
	for p := 0; p < 1<<k; p++ {
		row := make([]float64, k)
		ones := 0
		for i := range row {
			if p>>i&1 == 1 {
				row[i] = 1
				ones++
			} else {
				row[i] = -1
			}
		}
		pat.W = append(pat.W, row)
		pat.B = append(pat.B, -float64(ones)+0.5)
	}
	c.Net.Layers = append(c.Net.Layers[:2], pat)
	c.Shapes = nil
	return c, c.Net.Validate()
}

// PatternOf is the in/out pattern of p: bit i set inside polygon i.
func (c *Constructed) PatternOf(p Point) int {
	v := 0
	for i, poly := range c.Polygons {
		if poly.Depth(p) > 0 {
			v |= 1 << i
		}
	}
	return v
}

// Cell is a cell of the arrangement of the first-layer lines: its edge
// indicators (bit e: unit e on) and its in/out pattern of the polygons.
type Cell struct {
	Edges   []bool
	Pattern int
	Area    float64 // within the box the arrangement was cut in
}

// Cells lists the distinct edge patterns of the first-layer lines in a box
// large enough to hold every crossing of two lines (so every cell of the
// plane has a part in it), with the polygon pattern each implies.
func (c *Constructed) Cells() ([]Cell, Box, error) {
	first := c.Net.Layers[0]
	box := Box{-1, -1, 1, 1}
	grow := func(p Point) {
		box.X0, box.X1 = math.Min(box.X0, p.X-1), math.Max(box.X1, p.X+1)
		box.Y0, box.Y1 = math.Min(box.Y0, p.Y-1), math.Max(box.Y1, p.Y+1)
	}
	for i := range first.W {
		for j := i + 1; j < len(first.W); j++ {
			a1, b1, c1 := first.W[i][0], first.W[i][1], first.B[i]
			a2, b2, c2 := first.W[j][0], first.W[j][1], first.B[j]
			det := a1*b2 - a2*b1
			if math.Abs(det) < 1e-12 {
				continue
			}
			grow(Point{(b1*c2 - b2*c1) / det, (a2*c1 - a1*c2) / det})
		}
	}
	arr := &Net{Layers: []Layer{first, {Act: Linear, W: [][]float64{make([]float64, len(first.W))}, B: []float64{0}}}}
	rs, err := Regions(arr, box)
	if err != nil {
		return nil, box, err
	}
	seen := map[string]int{}
	var out []Cell
	for _, r := range rs {
		key := r.Pattern.String()
		if i, ok := seen[key]; ok {
			out[i].Area += r.Poly.Area()
			continue
		}
		e := r.Pattern[0]
		pat := 0
		for i, idx := range c.Edges {
			all := true
			for _, k := range idx {
				all = all && e[k]
			}
			if all {
				pat |= 1 << i
			}
		}
		seen[key] = len(out)
		out = append(out, Cell{Edges: e, Pattern: pat, Area: r.Poly.Area()})
	}
	return out, box, nil
}

// Threshold is one unit over the edge indicators: 1[W·e + B > 0].
type Threshold struct {
	Pattern int // the in/out pattern it is asked to fire on
	OK      bool
	W       []float64
	B       float64
}

// ShallowPatterns asks, for each in/out pattern p, whether one threshold
// unit over the edge indicators fires on exactly the cells of pattern p:
// the linear program "minimize Σ|w| + |b| subject to w·e + b ≥ 1 on the
// cells of p and ≤ −1 on the others", solved by gonum's lp.Simplex (w and
// b split into positive and negative parts, one slack per cell). A margin
// of 1 loses nothing: any strict separator scales to one. Patterns that
// occur in no cell are left out.
func (c *Constructed) ShallowPatterns() ([]Threshold, []Cell, error) {
	cells, _, err := c.Cells()
	if err != nil {
		return nil, nil, err
	}
	ne := len(c.Net.Layers[0].W)
	occurs := map[int]bool{}
	for _, cl := range cells {
		occurs[cl.Pattern] = true
	}
	var out []Threshold
	for p := 0; p < 1<<len(c.Polygons); p++ {
		if !occurs[p] {
			continue
		}
		th := Threshold{Pattern: p}
		w, b, err := separate(cells, ne, p)
		switch {
		case err == nil:
			th.OK, th.W, th.B = true, w, b
		case errors.Is(err, lp.ErrInfeasible):
		default:
			return nil, nil, fmt.Errorf("geometry: pattern %03b: %w", p, err)
		}
		out = append(out, th)
	}
	return out, cells, nil
}

// separate solves the linear program of ShallowPatterns for pattern p.
// Columns: w⁺ (ne), w⁻ (ne), b⁺, b⁻, then one slack per cell.
func separate(cells []Cell, ne, p int) ([]float64, float64, error) {
	rows := len(cells)
	cols := 2*ne + 2 + rows
	a := mat.NewDense(rows, cols, nil)
	rhs := make([]float64, rows)
	cost := make([]float64, cols)
	for j := 0; j < 2*ne+2; j++ {
		cost[j] = 1
	}
	for i, cl := range cells {
		// positive cells: w·e + b − s = 1; negative: −(w·e + b) − s = 1
		sign := -1.0
		if cl.Pattern == p {
			sign = 1
		}
		for k, on := range cl.Edges {
			if on {
				a.Set(i, k, sign)
				a.Set(i, ne+k, -sign)
			}
		}
		a.Set(i, 2*ne, sign)
		a.Set(i, 2*ne+1, -sign)
		a.Set(i, 2*ne+2+i, -1)
		rhs[i] = 1
	}
	// An edge on in no cell would be an all-zero column; give it a cost
	// only (it cannot matter) by dropping it.
	keep := []int{}
	for j := 0; j < cols; j++ {
		nz := false
		for i := 0; i < rows && !nz; i++ {
			nz = a.At(i, j) != 0
		}
		if nz {
			keep = append(keep, j)
		}
	}
	if len(keep) < rows {
		return nil, 0, fmt.Errorf("%d cells, only %d usable columns", rows, len(keep))
	}
	ak := mat.NewDense(rows, len(keep), nil)
	ck := make([]float64, len(keep))
	for jj, j := range keep {
		for i := 0; i < rows; i++ {
			ak.Set(i, jj, a.At(i, j))
		}
		ck[jj] = cost[j]
	}
	_, x, err := lp.Simplex(ck, ak, rhs, 1e-10, nil)
	if err != nil {
		return nil, 0, err
	}
	full := make([]float64, cols)
	for jj, j := range keep {
		full[j] = x[jj]
	}
	w := make([]float64, ne)
	for k := range w {
		w[k] = full[k] - full[ne+k]
	}
	return w, full[2*ne] - full[2*ne+1], nil
}

// ShallowNet is the 2-10-8 network: the same edge layer, then for each
// pattern a threshold unit (a unit that cannot express its pattern is all
// zeros with bias −1: it never fires).
func (c *Constructed) ShallowNet(ths []Threshold) *Net {
	ne := len(c.Net.Layers[0].W)
	l := Layer{Name: "patterns", Act: Step}
	byPat := map[int]Threshold{}
	for _, t := range ths {
		byPat[t.Pattern] = t
	}
	for p := 0; p < 1<<len(c.Polygons); p++ {
		t, ok := byPat[p]
		if ok && t.OK {
			l.W = append(l.W, append([]float64(nil), t.W...))
			l.B = append(l.B, t.B)
		} else {
			l.W = append(l.W, make([]float64, ne))
			l.B = append(l.B, -1)
		}
	}
	return &Net{Layers: []Layer{c.Net.Layers[0], l}}
}
