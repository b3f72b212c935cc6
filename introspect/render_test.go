package introspect

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"strings"
	"testing"
)

// goldenPanels are four 2×2 filters whose gray levels are easy to work out.
func goldenPanels() []Panel {
	return []Panel{
		{W: 2, H: 2, V: []float32{1, -1, 0, 0.5}, Label: "0"},
		{W: 2, H: 2, V: []float32{2, 0, 0, -2}, Label: "1"},
		{W: 2, H: 2, V: []float32{0, 0, 0, 0}, Label: "2"},
		{W: 2, H: 2, V: []float32{-4, 1, 2, 3}, Label: "3"},
	}
}

func decodeGray(t *testing.T, b []byte) [][]uint8 {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bd := img.Bounds()
	out := make([][]uint8, bd.Dy())
	for y := range out {
		out[y] = make([]uint8, bd.Dx())
		for x := range out[y] {
			r, g, bl, a := img.At(x, y).RGBA()
			if r != g || g != bl || a != 0xffff {
				t.Fatalf("pixel (%d, %d) is not opaque gray: %v", x, y, img.At(x, y))
			}
			out[y][x] = uint8(r >> 8)
		}
	}
	return out
}

// TestGridPNGGolden checks every pixel of a 2×2 grid of 2×2 filters, gray
// map, pad 1. Zero-centred per-filter scale: level = round(255·(0.5 +
// x/(2·max|x|))). Filter 0 (max 1): 1 → 255, −1 → 0, 0 → 128, 0.5 → 191.
// Filter 1 (max 2): 2 → 255, 0 → 128, −2 → 0. Filter 2 is all zero: 128.
// Filter 3 (max 4): −4 → 0, 1 → 159, 2 → 191, 3 → 223. Pads are white.
func TestGridPNGGolden(t *testing.T) {
	const W = 255
	cases := []struct {
		norm string
		want [][]uint8
	}{
		{NormFilter, [][]uint8{
			{W, W, W, W, W, W, W},
			{W, 255, 0, W, 255, 128, W},
			{W, 128, 191, W, 128, 0, W},
			{W, W, W, W, W, W, W},
			{W, 128, 128, W, 0, 159, W},
			{W, 128, 128, W, 191, 223, W},
			{W, W, W, W, W, W, W},
		}},
		// One scale, max |x| = 4: 1 → 159, −1 → 96, 0.5 → 143, 2 → 191, −2 → 64.
		{NormGlobal, [][]uint8{
			{W, W, W, W, W, W, W},
			{W, 159, 96, W, 191, 128, W},
			{W, 128, 143, W, 128, 64, W},
			{W, W, W, W, W, W, W},
			{W, 128, 128, W, 0, 159, W},
			{W, 128, 128, W, 191, 223, W},
			{W, W, W, W, W, W, W},
		}},
	}
	for _, tc := range cases {
		fig, err := Grid(goldenPanels(), GridOptions{Cols: 2, Pad: 1, Scale: 1, Cmap: Gray, Norm: tc.norm, Signed: true})
		if err != nil {
			t.Fatal(err)
		}
		fig.Meta = map[string]string{"model": "lenet", "step": "468", "normalization": tc.norm}
		var b bytes.Buffer
		if err := WritePNG(&b, fig); err != nil {
			t.Fatal(err)
		}
		got := decodeGray(t, b.Bytes())
		if len(got) != 7 || len(got[0]) != 7 {
			t.Fatalf("%s: image %d×%d, want 7×7", tc.norm, len(got[0]), len(got))
		}
		for y := range tc.want {
			for x := range tc.want[y] {
				if got[y][x] != tc.want[y][x] {
					t.Errorf("%s: pixel (%d, %d) = %d, want %d", tc.norm, x, y, got[y][x], tc.want[y][x])
				}
			}
		}
		text, err := ReadPNGText(b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if text["gabor:model"] != "lenet" || text["gabor:step"] != "468" || text["gabor:normalization"] != tc.norm || text["Software"] != "gabor" {
			t.Errorf("%s: PNG text chunks %v lack the provenance", tc.norm, text)
		}
	}
}

// TestGridUpscale checks nearest-neighbour upscaling: with scale 3 each
// weight is a 3×3 block, panels start at pad + i·(3·2 + pad).
func TestGridUpscale(t *testing.T) {
	fig, err := Grid(goldenPanels()[:2], GridOptions{Cols: 2, Pad: 2, Scale: 3, Cmap: Gray, Signed: true})
	if err != nil {
		t.Fatal(err)
	}
	if fig.W != 2+2*(6+2) || fig.H != 2+6+2 {
		t.Fatalf("figure %d×%d, want 18×10", fig.W, fig.H)
	}
	img := fig.Raster()
	level := func(x, y int) uint8 { return img.NRGBAAt(x, y).R }
	for y := 0; y < 6; y++ {
		for x := 0; x < 6; x++ {
			want := []uint8{255, 0, 128, 191}[(y/3)*2+x/3]
			if got := level(2+x, 2+y); got != want {
				t.Errorf("panel 0 pixel (%d, %d) = %d, want %d", x, y, got, want)
			}
			want = []uint8{255, 128, 128, 0}[(y/3)*2+x/3]
			if got := level(10+x, 2+y); got != want {
				t.Errorf("panel 1 pixel (%d, %d) = %d, want %d", x, y, got, want)
			}
		}
	}
}

func TestDivergingMap(t *testing.T) {
	mid := Diverging.At(0.5)
	if mid.R < 240 || mid.G < 240 || mid.B < 240 {
		t.Errorf("zero is not white: %v", mid)
	}
	lo, hi := Diverging.At(0), Diverging.At(1)
	if lo.B <= lo.R || hi.R <= hi.B {
		t.Errorf("ends are not blue (%v) and red (%v)", lo, hi)
	}
	// Lightness falls monotonically away from the centre on both sides.
	luma := func(v float64) float64 {
		c := Diverging.At(v)
		return 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
	}
	for k := 1; k <= 50; k++ {
		d, e := float64(k)/100, float64(k-1)/100
		if luma(0.5+d) > luma(0.5+e)+1 || luma(0.5-d) > luma(0.5-e)+1 {
			t.Fatalf("lightness not monotone at ±%.2f", d)
		}
	}
}

func TestGridErrors(t *testing.T) {
	if _, err := Grid(nil, GridOptions{}); err == nil {
		t.Error("empty grid: no error")
	}
	ps := goldenPanels()
	ps[1].W = 3
	if _, err := Grid(ps, GridOptions{}); err == nil || !strings.Contains(err.Error(), "panel 1") {
		t.Errorf("mismatched panel: %v", err)
	}
	if _, err := Grid(goldenPanels(), GridOptions{Norm: "row"}); err == nil || !strings.Contains(err.Error(), "filter, global") {
		t.Errorf("bad norm: %v", err)
	}
}

type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Width   int      `xml:"width,attr"`
	Height  int      `xml:"height,attr"`
	Meta    []struct {
		Key   string `xml:"key,attr"`
		Value string `xml:",chardata"`
	} `xml:"metadata>meta"`
	Rects  []svgRect `xml:"rect"`
	Groups []struct {
		Class string    `xml:"class,attr"`
		Rects []svgRect `xml:"rect"`
	} `xml:"g"`
	Images []struct {
		Class string `xml:"class,attr"`
		Href  string `xml:"href,attr"`
		W     int    `xml:"width,attr"`
	} `xml:"image"`
	Texts []struct {
		X, Y  int    `xml:",attr"`
		Value string `xml:",chardata"`
	} `xml:"text"`
}

type svgRect struct {
	X    int    `xml:"x,attr"`
	Y    int    `xml:"y,attr"`
	W    int    `xml:"width,attr"`
	H    int    `xml:"height,attr"`
	Fill string `xml:"fill,attr"`
}

// TestGridSVGStructure parses the SVG of the golden grid: one group of four
// pixel rects per filter at the PNG's positions and colours, labels as text,
// the colorbar's bands, and the provenance in the metadata.
func TestGridSVGStructure(t *testing.T) {
	fig, err := Grid(goldenPanels(), GridOptions{Cols: 2, Pad: 1, Scale: 2, Cmap: Gray, Signed: true, Labels: true, Colorbar: true})
	if err != nil {
		t.Fatal(err)
	}
	fig.Meta = map[string]string{"model": "lenet", "seed": "1"}
	var b bytes.Buffer
	if err := WriteSVG(&b, fig); err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("SVG does not parse: %v\n%s", err, b.String())
	}
	if doc.Width != fig.W || doc.Height != fig.H {
		t.Errorf("svg %d×%d, figure %d×%d", doc.Width, doc.Height, fig.W, fig.H)
	}
	if len(doc.Groups) != 4 {
		t.Fatalf("%d tile groups, want 4", len(doc.Groups))
	}
	l := GridLayout(4, 2, 2, GridOptions{Cols: 2, Pad: 1, Scale: 2, Labels: true})
	for i, g := range doc.Groups {
		if g.Class != "tile" || len(g.Rects) != 4 {
			t.Fatalf("group %d: class %q with %d rects, want tile with 4", i, g.Class, len(g.Rects))
		}
		at := l.PanelAt(i, 1)
		if r := g.Rects[0]; r.X != at.X || r.Y != at.Y || r.W != 2 || r.H != 2 {
			t.Errorf("group %d first rect %+v, want at %v size 2", i, r, at)
		}
	}
	// Filter 3's pixels: −4, 1, 2, 3 → 0, 159, 191, 223.
	for k, want := range []string{"#000000", "#9f9f9f", "#bfbfbf", "#dfdfdf"} {
		if got := doc.Groups[3].Rects[k].Fill; got != want {
			t.Errorf("filter 3 pixel %d fill %s, want %s", k, got, want)
		}
	}
	if n := len(doc.Rects); n != 1+colorbarSteps {
		t.Errorf("%d loose rects, want the background and %d colorbar bands", n, colorbarSteps)
	}
	var labels []string
	for _, tx := range doc.Texts {
		labels = append(labels, tx.Value)
	}
	if got := strings.Join(labels, ","); got != "0,1,2,3,+max,-max,0" {
		t.Errorf("texts %q", got)
	}
	meta := map[string]string{}
	for _, m := range doc.Meta {
		meta[m.Key] = m.Value
	}
	if meta["model"] != "lenet" || meta["seed"] != "1" {
		t.Errorf("metadata %v", meta)
	}

	// Above SVGRectLimit pixels, tiles are embedded PNGs.
	old := SVGRectLimit
	SVGRectLimit = 8
	defer func() { SVGRectLimit = old }()
	b.Reset()
	if err := WriteSVG(&b, fig); err != nil {
		t.Fatal(err)
	}
	doc = svgDoc{}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Images) != 4 || !strings.HasPrefix(doc.Images[0].Href, "data:image/png;base64,") || doc.Images[0].W != 4 {
		t.Errorf("embedded tiles: %d images", len(doc.Images))
	}
}

func TestRasterText(t *testing.T) {
	fig := &Figure{W: 30, H: 16, Background: Gray.At(1), Texts: []Text{{X: 1, Y: 12, S: "ab"}}}
	img := fig.Raster()
	dark := 0
	for y := 0; y < 16; y++ {
		for x := 0; x < 30; x++ {
			if img.NRGBAAt(x, y).R < 128 {
				dark++
				if x >= 1+TextWidth("ab") {
					t.Fatalf("ink at x %d, beyond the text's width", x)
				}
			}
		}
	}
	if dark < 10 {
		t.Errorf("text drew %d dark pixels", dark)
	}
}
