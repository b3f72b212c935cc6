package data

import (
	"fmt"
	"image"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomediumitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/gomonoitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// A glyph is one digit shape as a coverage mask in [0,1], cropped to its ink with a
// margin, plus the numbers the warp needs: its ink's centre of mass and extent.
type glyph struct {
	w, h     int
	pix      []float32 // h·w, row-major
	cx, cy   float64   // centre of mass of the coverage, in pixel units (pixel centres at i+0.5)
	extent   float64   // max(ink width, ink height) in pixels
	digit    int
	variants string // face or pen shape, and stroke change: the library's sort key
}

// Glyph masks are rendered at hiRes× the resolution they are sampled at, changed in
// stroke width there, then box-filtered down, so thin and bold variants keep smooth
// anti-aliased edges.
const (
	hiRes     = 3
	glyphSize = 26 // target ink height in sampling pixels (a bit above MNIST's 20, so upscaling stays sharp)
	margin    = 3  // pixels of empty border around the ink, so bilinear reads at the edge see 0
)

// strokeRadii are the stroke width changes, in hi-res pixels: negative thins, positive
// thickens (fonts by erosion/dilation, pen shapes by a narrower/wider pen). 3 hi-res
// pixels is 1 sampling pixel, about 0.75 output pixel.
var strokeRadii = []float64{-1.5, 0, 2, 3.5}

var fontFaces = []struct {
	name string
	ttf  []byte
}{
	{"regular", goregular.TTF}, {"medium", gomedium.TTF}, {"bold", gobold.TTF},
	{"italic", goitalic.TTF}, {"mediumitalic", gomediumitalic.TTF}, {"bolditalic", gobolditalic.TTF},
	{"mono", gomono.TTF}, {"monobold", gomonobold.TTF}, {"monoitalic", gomonoitalic.TTF},
}

var (
	glyphOnce sync.Once
	glyphLib  [10][]*glyph // per digit, every face × stroke variant
	glyphErr  error
)

// glyphs returns the cached glyph library, building it on first use (about 0.2 s of
// CPU, spread over GOMAXPROCS goroutines).
func glyphs() ([10][]*glyph, error) {
	glyphOnce.Do(func() { glyphLib, glyphErr = buildGlyphs() })
	return glyphLib, glyphErr
}

func buildGlyphs() ([10][]*glyph, error) {
	// A job renders one shape in every stroke width: fonts by eroding or dilating
	// their mask, pen shapes by redrawing with a narrower or wider pen.
	type job struct {
		render func(r float64) *hiMask
		digit  int
		name   string
	}
	var jobs []job
	for _, ff := range fontFaces {
		f, err := opentype.Parse(ff.ttf)
		if err != nil {
			return [10][]*glyph{}, fmt.Errorf("data: parse font %s: %w", ff.name, err)
		}
		// Size in pixels per em: digits are about 0.72 em tall in the Go fonts.
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: glyphSize * hiRes / 0.72, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return [10][]*glyph{}, fmt.Errorf("data: face %s: %w", ff.name, err)
		}
		for d := 0; d < 10; d++ {
			hm := renderDigit(face, d)
			jobs = append(jobs, job{func(r float64) *hiMask { return morph(hm, r) }, d, ff.name})
		}
		face.Close()
	}
	for d := 0; d < 10; d++ {
		for v, ps := range strokeDigits(d) {
			jobs = append(jobs, job{ps.render, d, fmt.Sprintf("stroke%02d", v)})
		}
	}
	var lib [10][]*glyph
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var out []*glyph
			for _, r := range strokeRadii {
				if r > 2 && strings.Contains(j.name, "bold") {
					continue // a dilated bold face is a blob, not a pen stroke
				}
				g := downsample(j.render(r))
				g.digit = j.digit
				g.variants = fmt.Sprintf("%s/r%+g", j.name, r)
				out = append(out, g)
			}
			mu.Lock()
			lib[j.digit] = append(lib[j.digit], out...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	// Goroutines finish in any order: sort each list so the library, and hence every
	// generated image, does not depend on scheduling.
	for d := range lib {
		sortGlyphs(lib[d])
	}
	return lib, nil
}

func sortGlyphs(gs []*glyph) {
	sort.Slice(gs, func(a, b int) bool { return gs[a].variants < gs[b].variants })
}

// hiMask is a high-resolution coverage mask.
type hiMask struct {
	w, h int
	pix  []float32
}

// renderDigit draws one digit with an anti-aliasing rasterizer into a padded mask.
func renderDigit(face font.Face, d int) *hiMask {
	s := string(rune('0' + d))
	if d == 0 {
		s = "O" // the Go fonts' zero is slashed; handwritten zeros are plain ovals
	}
	b, _ := font.BoundString(face, s)
	pad := (margin + 2) * hiRes
	w := (b.Max.X - b.Min.X).Ceil() + 2*pad
	h := (b.Max.Y - b.Min.Y).Ceil() + 2*pad
	img := image.NewGray(image.Rect(0, 0, w, h))
	dr := font.Drawer{
		Dst: img, Src: image.White, Face: face,
		Dot: fixed.Point26_6{X: fixed.I(pad) - b.Min.X, Y: fixed.I(pad) - b.Min.Y},
	}
	dr.DrawString(s)
	m := &hiMask{w: w, h: h, pix: make([]float32, w*h)}
	for i, v := range img.Pix {
		m.pix[i] = float32(v) / 255
	}
	return m
}

// morph changes the stroke width: for r > 0 each pixel takes the maximum coverage within
// a disc of radius r (dilation), for r < 0 the minimum (erosion).
func morph(m *hiMask, r float64) *hiMask {
	if r == 0 {
		return m
	}
	ar := math.Abs(r)
	ir := int(math.Ceil(ar))
	var offs [][2]int
	for dy := -ir; dy <= ir; dy++ {
		for dx := -ir; dx <= ir; dx++ {
			if float64(dx*dx+dy*dy) <= ar*ar+0.25 {
				offs = append(offs, [2]int{dx, dy})
			}
		}
	}
	out := &hiMask{w: m.w, h: m.h}
	if r > 0 {
		// Dilation: splat each inked pixel's value over its disc (background pixels
		// contribute 0 and cannot raise anything), so the cost follows the ink.
		out.pix = make([]float32, len(m.pix))
		for y := 0; y < m.h; y++ {
			for x := 0; x < m.w; x++ {
				v := m.pix[y*m.w+x]
				if v == 0 {
					continue
				}
				for _, o := range offs {
					xx, yy := x+o[0], y+o[1]
					if xx >= 0 && yy >= 0 && xx < m.w && yy < m.h && v > out.pix[yy*m.w+xx] {
						out.pix[yy*m.w+xx] = v
					}
				}
			}
		}
		return out
	}
	// Erosion: a background pixel stays 0; only inked pixels need their disc's minimum.
	out.pix = make([]float32, len(m.pix))
	for y := 0; y < m.h; y++ {
		for x := 0; x < m.w; x++ {
			best := m.pix[y*m.w+x]
			if best == 0 {
				continue
			}
			for _, o := range offs {
				xx, yy := x+o[0], y+o[1]
				v := float32(0)
				if xx >= 0 && yy >= 0 && xx < m.w && yy < m.h {
					v = m.pix[yy*m.w+xx]
				}
				best = min(best, v)
				if best == 0 {
					break
				}
			}
			out.pix[y*m.w+x] = best
		}
	}
	return out
}

// downsample box-filters a hi-res mask by hiRes, crops it to its ink plus margin, and
// measures the centre of mass and extent.
func downsample(m *hiMask) *glyph {
	w, h := m.w/hiRes, m.h/hiRes
	full := make([]float32, w*h)
	inv := float32(1) / (hiRes * hiRes)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float32
			for dy := 0; dy < hiRes; dy++ {
				row := m.pix[(y*hiRes+dy)*m.w+x*hiRes:]
				for dx := 0; dx < hiRes; dx++ {
					s += row[dx]
				}
			}
			full[y*w+x] = s * inv
		}
	}
	// Ink bounds: pixels with noticeable coverage.
	x0, y0, x1, y1 := w, h, -1, -1
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if full[y*w+x] > 0.05 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 { // no ink at all (cannot happen for digits); keep a valid empty glyph
		x0, y0, x1, y1 = 0, 0, 0, 0
	}
	gw, gh := x1-x0+1+2*margin, y1-y0+1+2*margin
	g := &glyph{w: gw, h: gh, pix: make([]float32, gw*gh)}
	var sum, sx, sy float64
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			v := full[y*w+x]
			gx, gy := x-x0+margin, y-y0+margin
			g.pix[gy*gw+gx] = v
			sum += float64(v)
			sx += float64(v) * (float64(gx) + 0.5)
			sy += float64(v) * (float64(gy) + 0.5)
		}
	}
	if sum > 0 {
		g.cx, g.cy = sx/sum, sy/sum
	}
	g.extent = float64(max(x1-x0+1, y1-y0+1))
	return g
}
