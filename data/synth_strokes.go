package data

import "math"

// Pen-drawn digits: each digit has a few handwriting templates, each a list of strokes;
// a stroke is a smooth curve (Catmull–Rom spline) through control points given in a box
// where the digit is 1 tall and about 0.6 wide (x right, y down). Separate strokes meet
// at corners (the bottom of a 2, the top of a 7). Fonts give clean printed shapes; these
// give the open 4, the crossed 7, the plain stick 1 and the loose loops of handwriting.

type pt struct{ x, y float64 }

var strokeTemplates = [10][][][]pt{
	0: {
		{ellipse(0.3, 0.5, 0.27, 0.48, -0.25, 1.05)},
		{ellipse(0.3, 0.5, 0.22, 0.49, 0.3, 1.1)},
		{ellipse(0.32, 0.5, 0.3, 0.47, 0.8, 0.95)},
	},
	1: {
		{{{0.3, 0}, {0.3, 1}}},
		{{{0.1, 0.22}, {0.32, 0}}, {{0.32, 0}, {0.3, 1}}},
		{{{0.1, 0.2}, {0.32, 0}}, {{0.32, 0}, {0.3, 1}}, {{0.1, 1}, {0.5, 1}}},
	},
	2: {
		{{{0.04, 0.22}, {0.18, 0.04}, {0.38, 0}, {0.54, 0.16}, {0.5, 0.4}, {0.3, 0.65}, {0.02, 0.98}}, {{0.02, 0.98}, {0.62, 0.97}}},
		{{{0.06, 0.18}, {0.3, 0}, {0.53, 0.18}, {0.42, 0.5}, {0.1, 0.88}, {0.08, 0.99}, {0.2, 0.9}, {0.4, 0.92}, {0.62, 1.0}}},
	},
	3: {
		{{{0.05, 0.12}, {0.3, 0}, {0.52, 0.12}, {0.5, 0.33}, {0.25, 0.47}}, {{0.25, 0.47}, {0.55, 0.6}, {0.56, 0.84}, {0.3, 1.0}, {0.02, 0.9}}},
		{{{0.04, 0.02}, {0.55, 0.02}}, {{0.55, 0.02}, {0.25, 0.4}}, {{0.25, 0.4}, {0.55, 0.58}, {0.54, 0.86}, {0.3, 1.0}, {0.02, 0.9}}},
	},
	4: {
		{{{0.46, 1.0}, {0.46, 0}}, {{0.46, 0}, {0.0, 0.68}}, {{0.0, 0.68}, {0.62, 0.68}}},
		{{{0.08, 0}, {0.04, 0.6}}, {{0.04, 0.6}, {0.62, 0.58}}, {{0.48, 0.18}, {0.46, 1.0}}},
	},
	5: {
		{{{0.56, 0.02}, {0.12, 0.02}}, {{0.12, 0.02}, {0.08, 0.45}}, {{0.08, 0.45}, {0.3, 0.38}, {0.52, 0.5}, {0.56, 0.75}, {0.35, 0.98}, {0.04, 0.9}}},
		{{{0.12, 0.02}, {0.1, 0.45}}, {{0.1, 0.45}, {0.35, 0.4}, {0.54, 0.58}, {0.5, 0.85}, {0.3, 1.0}, {0.03, 0.92}}, {{0.12, 0.03}, {0.58, 0.0}}},
	},
	6: {
		{{{0.5, 0.02}, {0.25, 0.22}, {0.08, 0.55}, {0.1, 0.88}, {0.32, 1.0}, {0.53, 0.84}, {0.5, 0.6}, {0.3, 0.5}, {0.1, 0.64}}},
		{{{0.45, 0.0}, {0.15, 0.35}, {0.06, 0.75}, {0.25, 1.0}, {0.5, 0.9}, {0.52, 0.65}, {0.28, 0.55}, {0.08, 0.72}}},
	},
	7: {
		{{{0.02, 0.02}, {0.58, 0.02}}, {{0.58, 0.02}, {0.4, 0.45}, {0.26, 1.0}}},
		{{{0.02, 0.04}, {0.58, 0.02}}, {{0.58, 0.02}, {0.42, 0.45}, {0.28, 1.0}}, {{0.18, 0.5}, {0.56, 0.48}}},
		{{{0.02, 0.12}, {0.1, 0.02}, {0.58, 0.04}}, {{0.58, 0.04}, {0.3, 1.0}}},
	},
	8: {
		{{{0.3, 0.48}, {0.52, 0.3}, {0.5, 0.08}, {0.3, 0}, {0.1, 0.08}, {0.08, 0.3}, {0.3, 0.48}, {0.56, 0.7}, {0.52, 0.93}, {0.3, 1.0}, {0.07, 0.92}, {0.05, 0.7}, {0.3, 0.48}}},
		{{{0.5, 0.1}, {0.3, 0}, {0.1, 0.12}, {0.15, 0.35}, {0.45, 0.6}, {0.5, 0.9}, {0.28, 1.0}, {0.08, 0.88}, {0.15, 0.6}, {0.45, 0.35}, {0.5, 0.1}}},
	},
	9: {
		{{{0.52, 0.28}, {0.3, 0.45}, {0.08, 0.3}, {0.1, 0.08}, {0.3, 0}, {0.5, 0.1}, {0.52, 0.28}}, {{0.52, 0.28}, {0.5, 1.0}}},
		{{{0.52, 0.3}, {0.3, 0.46}, {0.08, 0.3}, {0.12, 0.06}, {0.35, 0}, {0.52, 0.12}, {0.52, 0.3}, {0.46, 0.7}, {0.28, 1.0}}},
	},
}

// ellipse returns a closed loop of control points, starting near the top; overlap > 1
// lets the pen run past its start as hand-drawn zeros do.
func ellipse(cx, cy, rx, ry, tilt, overlap float64) []pt {
	const n = 14
	var p []pt
	for i := 0; i <= int(n*overlap); i++ {
		a := 2*math.Pi*float64(i)/n - math.Pi/2
		x, y := rx*math.Cos(a), ry*math.Sin(a)
		p = append(p, pt{cx + x*math.Cos(tilt*0.3) - y*math.Sin(tilt*0.3), cy + y})
	}
	return p
}

const (
	strokeVariants = 6            // jittered copies of each template
	strokeJitter   = 0.045        // control-point jitter, in digit heights
	strokeSeed     = 0x5EED0F1A7E // fixed: the library is the same for every dataset seed
)

// penShape is one jittered handwriting variant: its strokes and its pen diameter.
type penShape struct {
	strokes [][]pt
	width   float64 // pen diameter in digit heights
}

// render draws the shape with the pen widened by r hi-res pixels on each side (r < 0
// narrows it): redrawing gives the exact thinner or bolder stroke that erosion or
// dilation of the drawn mask would only approximate.
func (s penShape) render(r float64) *hiMask {
	w := max(s.width+2*r/float64(glyphSize*hiRes), 0.03)
	return drawStrokes(s.strokes, w)
}

// strokeDigits returns the jittered variants of every template of digit d.
func strokeDigits(d int) []penShape {
	rng := splitmix{s: strokeSeed + uint64(d)*1000003}
	var out []penShape
	for _, tpl := range strokeTemplates[d] {
		for v := 0; v < strokeVariants; v++ {
			// Jitter shared between strokes at a shared point keeps corners joined:
			// jitter is a smooth function of position, not per point.
			jx := [3]float64{rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)}
			jy := [3]float64{rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)}
			phase := rng.uniform(0, 2*math.Pi)
			width := rng.uniform(0.1, 0.15) // pen diameter in digit heights (MNIST ≈ 0.1–0.15)
			if v == 0 {
				jx, jy = [3]float64{}, [3]float64{}
			}
			jit := func(p pt) pt {
				fx := jx[0]*math.Sin(5*p.y+phase) + jx[1]*math.Sin(7*p.x+2*p.y) + jx[2]*math.Cos(9*p.y+3*p.x+phase)
				fy := jy[0]*math.Sin(5*p.x+phase) + jy[1]*math.Cos(6*p.y+p.x) + jy[2]*math.Sin(8*p.x+4*p.y+phase)
				return pt{p.x + strokeJitter*fx, p.y + strokeJitter*fy}
			}
			var strokes [][]pt
			for _, s := range tpl {
				js := make([]pt, len(s))
				for i, p := range s {
					js[i] = jit(p)
				}
				strokes = append(strokes, js)
			}
			out = append(out, penShape{strokes, width})
		}
	}
	return out
}

// drawStrokes rasterizes strokes with a round pen at hi-res: coverage of a pixel is
// clamp(r + ½ − distance to the curve, 0, 1), the usual one-pixel anti-aliased edge.
func drawStrokes(strokes [][]pt, width float64) *hiMask {
	scale := float64(glyphSize * hiRes) // pixels per digit height
	r := width * scale / 2
	pad := float64((margin+2)*hiRes) + r
	minX, maxX := math.Inf(1), math.Inf(-1)
	var polys [][]pt
	for _, s := range strokes {
		poly := catmullRom(s, 12)
		for _, p := range poly {
			minX, maxX = math.Min(minX, p.x), math.Max(maxX, p.x)
		}
		polys = append(polys, poly)
	}
	minY, maxY := math.Inf(1), math.Inf(-1)
	for _, poly := range polys {
		for _, p := range poly {
			minY, maxY = math.Min(minY, p.y), math.Max(maxY, p.y)
		}
	}
	w := int(math.Ceil((maxX-minX)*scale + 2*pad))
	h := int(math.Ceil((maxY-minY)*scale + 2*pad))
	m := &hiMask{w: w, h: h, pix: make([]float32, w*h)}
	toPix := func(p pt) pt { return pt{(p.x-minX)*scale + pad, (p.y-minY)*scale + pad} }
	for _, poly := range polys {
		for i := 0; i+1 < len(poly); i++ {
			segment(m, toPix(poly[i]), toPix(poly[i+1]), r)
		}
		if len(poly) == 1 {
			segment(m, toPix(poly[0]), toPix(poly[0]), r)
		}
	}
	return m
}

// segment max-blends a round-capped segment of radius r into m.
func segment(m *hiMask, a, b pt, r float64) {
	x0 := max(0, int(math.Floor(math.Min(a.x, b.x)-r-1)))
	x1 := min(m.w-1, int(math.Ceil(math.Max(a.x, b.x)+r+1)))
	y0 := max(0, int(math.Floor(math.Min(a.y, b.y)-r-1)))
	y1 := min(m.h-1, int(math.Ceil(math.Max(a.y, b.y)+r+1)))
	dx, dy := b.x-a.x, b.y-a.y
	l2 := dx*dx + dy*dy
	reach := r + 0.5 // beyond this distance coverage is 0
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			px, py := float64(x)+0.5-a.x, float64(y)+0.5-a.y
			t := 0.0
			if l2 > 0 {
				t = (px*dx + py*dy) / l2
				if t < 0 {
					t = 0
				} else if t > 1 {
					t = 1
				}
			}
			ex, ey := px-t*dx, py-t*dy
			d2 := ex*ex + ey*ey
			if d2 >= reach*reach {
				continue
			}
			c := float32(reach - math.Sqrt(d2))
			if c > 1 {
				c = 1
			}
			if i := y*m.w + x; c > m.pix[i] {
				m.pix[i] = c
			}
		}
	}
}

// catmullRom samples the centripetal-free (uniform) Catmull–Rom spline through pts,
// steps points per span; the end points are repeated so the curve starts and ends on
// them.
func catmullRom(pts []pt, steps int) []pt {
	if len(pts) < 3 {
		return pts
	}
	ext := append(append([]pt{pts[0]}, pts...), pts[len(pts)-1])
	var out []pt
	for i := 1; i+2 < len(ext); i++ {
		p0, p1, p2, p3 := ext[i-1], ext[i], ext[i+1], ext[i+2]
		for s := 0; s < steps; s++ {
			t := float64(s) / float64(steps)
			t2, t3 := t*t, t*t*t
			f := func(a, b, c, d float64) float64 {
				return 0.5 * (2*b + (-a+c)*t + (2*a-5*b+4*c-d)*t2 + (-a+3*b-3*c+d)*t3)
			}
			out = append(out, pt{f(p0.x, p1.x, p2.x, p3.x), f(p0.y, p1.y, p2.y, p3.y)})
		}
	}
	return append(out, pts[len(pts)-1])
}
