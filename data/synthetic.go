package data

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Synthetic generates the built-in default dataset: MNIST-like 28×28 grayscale digits
// 0–9, nTrain + nTest of them, with no files and no network. Each image is
//
//  1. a digit shape picked from a cached library: the nine Go font faces and a set of
//     pen-drawn handwriting templates (open/closed 4, crossed 7, stick 1, …), each in
//     four stroke widths (erosion/dilation at 3× resolution);
//  2. mapped by a random affine transform (rotation ±15°, size so the ink's larger side
//     is 17–21 px like MNIST's 20×20 box, aspect 0.75–1.2, shear ±0.3) plus a smooth
//     random elastic displacement (a 4×4 grid of offsets of up to ~2 px, bilinearly
//     interpolated), sampled bilinearly;
//  3. placed so its centre of mass falls on the image centre (as MNIST's was), give or
//     take a pixel;
//  4. blurred a little, contrast-stretched so stroke cores saturate (peak → 1.1–1.8), given speckle noise
//     on the ink and, rarely, a stray pen mark; then quantized to uint8.
//
// Everything is deterministic from seed: image i of a split uses its own generator
// seeded from (seed, split, i), so the result does not depend on GOMAXPROCS or on how
// the work is divided. Labels are exactly balanced (n/10 per class when n is a multiple
// of 10) in a seeded random order. Train and test are disjoint draws.
func Synthetic(seed uint64, nTrain, nTest int) (*Dataset, error) {
	lib, err := glyphs()
	if err != nil {
		return nil, err
	}
	if nTrain < 0 || nTest < 0 {
		return nil, fmt.Errorf("data: Synthetic: negative size (train %d, test %d)", nTrain, nTest)
	}
	ds := &Dataset{
		Name:       SyntheticName,
		ClassNames: digitNames,
		Source:     fmt.Sprintf("synthetic(seed=%d)", seed),
	}
	ds.Train = synthSet(&lib, seed, 1, "train", nTrain)
	ds.Test = synthSet(&lib, seed, 2, "test", nTest)
	return ds, nil
}

const (
	synthSide = 28
	maxInkBox = 20.5 // px: the transformed ink box must fit in about MNIST's 20×20
)

func synthSet(lib *[10][]*glyph, seed, split uint64, name string, n int) *Set {
	s := &Set{Name: name, N: n, H: synthSide, W: synthSide, Classes: 10,
		Images: make([]uint8, n*synthSide*synthSide), Labels: make([]uint8, n)}
	splitSeed := splitmixFinalize(splitmixFinalize(seed) ^ split*0xD1B54A32D192ED03)
	// Balanced labels, shuffled with the epoch shuffle itself.
	perm := Permutation(n, splitSeed)
	for i, p := range perm {
		s.Labels[i] = uint8(p % 10)
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	const chunk = 256
	next := make(chan int, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				for i := lo; i < min(lo+chunk, n); i++ {
					rng := splitmix{s: splitSeed + uint64(i)*0xA0761D6478BD642F}
					renderSynth(lib, int(s.Labels[i]), &rng, s.Images[i*synthSide*synthSide:(i+1)*synthSide*synthSide])
				}
			}
		}()
	}
	for lo := 0; lo < n; lo += chunk {
		next <- lo
	}
	close(next)
	wg.Wait()
	return s
}

// normal returns an approximately standard normal number (Irwin–Hall with 4 terms,
// rescaled): cheap and good enough for jitter.
func (r *splitmix) normal() float64 {
	return (r.float() + r.float() + r.float() + r.float() - 2) * math.Sqrt(3)
}

// renderSynth draws one digit into out (28×28 bytes).
func renderSynth(lib *[10][]*glyph, digit int, rng *splitmix, out []uint8) {
	gs := lib[digit]
	g := gs[rng.intn(len(gs))]

	// Forward map from glyph pixel coordinates u (relative to the glyph's centre of mass)
	// to output coordinates o:  o = R(θ)·Shear(k)·diag(s·a, s)·(u − c) + centre + t.
	theta := rng.uniform(-15, 15) * math.Pi / 180
	size := rng.uniform(16, 21) / g.extent
	aspect := rng.uniform(0.7, 1.25)
	shear := rng.uniform(-0.3, 0.3)
	sx, sy := size*aspect, size
	// M = R · [[1, k],[0, 1]] · diag(sx, sy)
	cos, sin := math.Cos(theta), math.Sin(theta)
	m00, m01 := cos*sx, (cos*shear-sin)*sy
	m10, m11 := sin*sx, (sin*shear+cos)*sy
	// Like MNIST's 20×20 box: if the transformed ink box is wider or taller than 20 px,
	// shrink the whole map so it fits (the corners of the ink rectangle bound the ink).
	x0, y0 := float64(margin), float64(margin)
	x1, y1 := float64(g.w-margin), float64(g.h-margin)
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, c := range [4][2]float64{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
		ox, oy := m00*c[0]+m01*c[1], m10*c[0]+m11*c[1]
		minX, maxX = math.Min(minX, ox), math.Max(maxX, ox)
		minY, maxY = math.Min(minY, oy), math.Max(maxY, oy)
	}
	if ext := math.Max(maxX-minX, maxY-minY); ext > maxInkBox {
		f := maxInkBox / ext
		m00, m01, m10, m11 = m00*f, m01*f, m10*f, m11*f
	}
	det := m00*m11 - m01*m10
	i00, i01, i10, i11 := m11/det, -m01/det, -m10/det, m00/det
	cxo := synthSide/2 + rng.uniform(-1.2, 1.2)
	cyo := synthSide/2 + rng.uniform(-1.2, 1.2)

	// Elastic displacement: offsets on a 4×4 grid over the image, bilinearly interpolated.
	var ex, ey [4][4]float64
	alpha := rng.uniform(0, 2.5)
	for a := range 4 {
		for b := range 4 {
			ex[a][b], ey[a][b] = alpha*rng.normal(), alpha*rng.normal()
		}
	}

	var img [synthSide * synthSide]float32
	const gridStep = float64(synthSide) / 3
	for y := range synthSide {
		oy := float64(y) + 0.5
		gy := oy / gridStep
		by := min(int(gy), 2)
		fy := gy - float64(by)
		for x := range synthSide {
			ox := float64(x) + 0.5
			gx := ox / gridStep
			bx := min(int(gx), 2)
			fx := gx - float64(bx)
			dx := lerp2(ex[by][bx], ex[by][bx+1], ex[by+1][bx], ex[by+1][bx+1], fx, fy)
			dy := lerp2(ey[by][bx], ey[by][bx+1], ey[by+1][bx], ey[by+1][bx+1], fx, fy)
			px, py := ox+dx-cxo, oy+dy-cyo
			u := i00*px + i01*py + g.cx
			v := i10*px + i11*py + g.cy
			img[y*synthSide+x] = g.sample(u-0.5, v-0.5)
		}
	}

	if rng.float() < 0.15 {
		strayMark(&img, rng)
	}
	if rng.float() < 0.12 {
		breakStroke(&img, rng)
	}
	blur3(&img, rng.uniform(0, 0.22))
	keepOffBorder(&img)
	// Contrast: scale so the brightest pixel reaches 1, then stretch further so stroke
	// cores saturate at 255 as MNIST's do, whatever the stroke width and blur.
	var peak float32
	for _, v := range img {
		peak = max(peak, v)
	}
	gain := float32(rng.uniform(1.1, 1.8)) / max(peak, 0.05)
	noise := rng.uniform(0, 0.08)
	for i, v := range img {
		v *= gain
		if v > 0.02 {
			v += float32(noise * rng.normal())
		}
		out[i] = quantize(v)
	}
}

func lerp2(a, b, c, d, fx, fy float64) float64 {
	top := a + (b-a)*fx
	bot := c + (d-c)*fx
	return top + (bot-top)*fy
}

// sample reads the glyph bilinearly at continuous index coordinates (x, y); outside the
// mask it is 0 (the margin guarantees the border itself is 0, so there is no seam).
func (g *glyph) sample(x, y float64) float32 {
	if x < 0 || y < 0 {
		return 0
	}
	x0, y0 := int(x), int(y)
	if x0+1 >= g.w || y0+1 >= g.h {
		return 0
	}
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	p := g.pix[y0*g.w+x0:]
	top := p[0] + (p[1]-p[0])*fx
	bot := p[g.w] + (p[g.w+1]-p[g.w])*fx
	return top + (bot-top)*fy
}

// blur3 convolves with the separable kernel [a, 1−2a, a] in x and y (zero outside).
func blur3(img *[synthSide * synthSide]float32, a float64) {
	if a <= 0 {
		return
	}
	w0, w1 := float32(a), float32(1-2*a)
	var tmp [synthSide * synthSide]float32
	for y := range synthSide {
		r := img[y*synthSide : (y+1)*synthSide]
		t := tmp[y*synthSide : (y+1)*synthSide]
		for x := range synthSide {
			s := w1 * r[x]
			if x > 0 {
				s += w0 * r[x-1]
			}
			if x+1 < synthSide {
				s += w0 * r[x+1]
			}
			t[x] = s
		}
	}
	for y := range synthSide {
		for x := range synthSide {
			s := w1 * tmp[y*synthSide+x]
			if y > 0 {
				s += w0 * tmp[(y-1)*synthSide+x]
			}
			if y+1 < synthSide {
				s += w0 * tmp[(y+1)*synthSide+x]
			}
			img[y*synthSide+x] = s
		}
	}
}

// strayMark adds a short pen stroke somewhere near the border: the stray marks and
// neighbouring-digit fragments that real scans contain.
func strayMark(img *[synthSide * synthSide]float32, rng *splitmix) {
	x0, y0 := rng.uniform(2, 26), rng.uniform(2, 26)
	ang := rng.uniform(0, 2*math.Pi)
	l := rng.uniform(2, 6)
	x1, y1 := x0+l*math.Cos(ang), y0+l*math.Sin(ang)
	r := rng.uniform(0.5, 1.1)
	m := &hiMask{w: synthSide, h: synthSide, pix: img[:]}
	segment(m, pt{x0, y0}, pt{x1, y1}, r)
}

// keepOffBorder shifts the image by whole pixels, when there is room, so that no ink
// touches the outermost rows and columns: a strong elastic pull can carry a stroke end
// there, while MNIST's digits sit inside their 28×28 frame.
func keepOffBorder(img *[synthSide * synthSide]float32) {
	const ink = 0.02
	x0, y0, x1, y1 := synthSide, synthSide, -1, -1
	for y := range synthSide {
		for x := range synthSide {
			if img[y*synthSide+x] > ink {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return
	}
	shift := func(lo, hi int) int {
		const last = synthSide - 1
		switch {
		case lo < 1 && hi < last-1:
			return min(1-lo, last-1-hi)
		case hi > last-1 && lo > 1:
			return -min(hi-(last-1), lo-1)
		}
		return 0
	}
	dx, dy := shift(x0, x1), shift(y0, y1)
	if dx == 0 && dy == 0 {
		return
	}
	var out [synthSide * synthSide]float32
	for y := max(0, -dy); y < min(synthSide, synthSide-dy); y++ {
		for x := max(0, -dx); x < min(synthSide, synthSide-dx); x++ {
			out[(y+dy)*synthSide+x+dx] = img[y*synthSide+x]
		}
	}
	*img = out
}

// breakStroke erases a short band across the middle of the image: the gaps a pen
// skipping on paper leaves.
func breakStroke(img *[synthSide * synthSide]float32, rng *splitmix) {
	var gap [synthSide * synthSide]float32
	x0, y0 := rng.uniform(8, 20), rng.uniform(8, 20)
	ang := rng.uniform(0, 2*math.Pi)
	l := rng.uniform(2, 5)
	m := &hiMask{w: synthSide, h: synthSide, pix: gap[:]}
	segment(m, pt{x0, y0}, pt{x0 + l*math.Cos(ang), y0 + l*math.Sin(ang)}, rng.uniform(0.6, 1.2))
	for i, c := range gap {
		img[i] *= 1 - c
	}
}

func quantize(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 1:
		return 255
	}
	return uint8(v*255 + 0.5)
}
