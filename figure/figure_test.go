package figure

import (
	"bytes"
	"compress/zlib"
	"encoding/xml"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixed is the creation date of every golden file.
var fixed = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// goldenGrid is six 5×5 signed filters with labels, a title and a colorbar.
func goldenGrid(t testing.TB, n int) *Figure {
	var ps []Panel
	for i := 0; i < n; i++ {
		v := make([]float32, 25)
		for k := range v {
			v[k] = float32((k%5)-2) * float32(i%7+1) * float32(1-2*(i%2))
		}
		ps = append(ps, Panel{W: 5, H: 5, V: v, Label: "f" + itoaTest(i)})
	}
	f, err := Grid(ps, GridOptions{Labels: true, Colorbar: true, Title: "conv1 at step 468 (R² ≥ 0.7)", Signed: true, Norm: NormGlobal, CbarLabel: "weight"})
	if err != nil {
		t.Fatal(err)
	}
	f.SetMeta(map[string]string{"model": "lenet", "step": "468", "seed": "7", "commit": "abc123"})
	return f
}

func itoaTest(i int) string { return strconv.Itoa(i) }

func TestPNGSizeAtDPI(t *testing.T) {
	f := New(72, 36)
	for _, tc := range []struct {
		dpi   int
		width float64
		w, h  int
	}{{300, 0, 300, 150}, {150, 0, 150, 75}, {72, 0, 72, 36}, {300, 2, 600, 300}, {0, 0, 300, 150}} {
		b, err := Render(f, "png", Options{DPI: tc.dpi, Width: tc.width})
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got != image.Pt(tc.w, tc.h) {
			t.Errorf("72×36 pt at %d DPI, width %g in: %v pixels, want %d×%d", tc.dpi, tc.width, got, tc.w, tc.h)
		}
	}
	// The default-size 64-filter grid at 300 DPI is print-sized.
	b, err := Render(goldenGrid(t, 64), "png", Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width < 1200 {
		t.Errorf("64-filter grid at 300 DPI is %d px wide, want ≥ 1200", cfg.Width)
	}
}

// A 2×1 tile upscaled to 100×50 pixels must be two flat blocks: nearest
// neighbour, no blended pixel in between.
func TestPNGTilesStaySharp(t *testing.T) {
	f := New(72, 36)
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 255})
	img.SetNRGBA(1, 0, color.NRGBA{255, 255, 255, 255})
	f.Add(Tile{X: 0, Y: 0, W: 72, H: 36, Img: img})
	b, err := Render(f, "png", Options{DPI: 100})
	if err != nil {
		t.Fatal(err)
	}
	out, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 50; y++ {
		for x := 0; x < 100; x++ {
			r, _, _, _ := out.At(x, y).RGBA()
			want := uint32(0)
			if x >= 50 {
				want = 0xffff
			}
			if r != want {
				t.Fatalf("pixel (%d,%d) red = %#x, want %#x: the tile was interpolated", x, y, r, want)
			}
		}
	}
}

func TestPNGProvenance(t *testing.T) {
	b, err := Render(goldenGrid(t, 6), "png", Options{DPI: 200, Created: fixed})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := ReadPNGText(b)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"gabor:model": "lenet", "gabor:step": "468", "gabor:commit": "abc123", "Software": "gabor", "Creation Time": "2026-01-02T03:04:05Z"} {
		if kv[k] != want {
			t.Errorf("tEXt %q = %q, want %q", k, kv[k], want)
		}
	}
	if !bytes.Contains(b, []byte("pHYs")) {
		t.Error("no pHYs chunk: the DPI is not recorded")
	}
}

// svgTexts parses an SVG and returns the text of its <text> elements, and
// the number of <image> and <path> elements.
func svgTexts(t *testing.T, b []byte) (texts []string, images, paths int) {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "text":
			var s string
			if err := d.DecodeElement(&s, &se); err != nil {
				t.Fatal(err)
			}
			texts = append(texts, s)
		case "image":
			images++
		case "path":
			paths++
		}
	}
}

func TestSVGTextTilesAndMetadata(t *testing.T) {
	b, err := Render(goldenGrid(t, 6), "svg", Options{Created: fixed})
	if err != nil {
		t.Fatal(err)
	}
	texts, images, paths := svgTexts(t, b)
	all := strings.Join(texts, "|")
	for _, want := range []string{"conv1 at step 468 (R² ≥ 0.7)", "f0", "f5", "weight"} {
		if !strings.Contains(all, want) {
			t.Errorf("SVG text lacks %q; has %q", want, all)
		}
	}
	if images != 0 {
		t.Errorf("SVG has %d <image> elements; tiles must be rectangles", images)
	}
	// 6 tiles of 5 rows, each row of ≥ 1 runs; colour runs of these ramps are
	// one per pixel (5 per row).
	if paths < 6*25 {
		t.Errorf("SVG has %d paths, want ≥ %d (a rectangle per pixel)", paths, 6*25)
	}
	md, err := ReadSVGMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	if md["model"] != "lenet" || md["commit"] != "abc123" || md["created"] != "2026-01-02T03:04:05Z" {
		t.Errorf("SVG metadata = %v", md)
	}
}

// pdfContentStrings inflates every Flate stream of a PDF and returns the
// literal strings shown by Tj operators: a small parser for the text fpdf
// writes (single-byte encoded fonts).
func pdfContentStrings(t *testing.T, b []byte) []string {
	var out []string
	re := regexp.MustCompile(`\((?:\\.|[^\\)])*\)\s*Tj`)
	for rest := b; ; {
		i := bytes.Index(rest, []byte("stream\n"))
		if i < 0 {
			break
		}
		rest = rest[i+len("stream\n"):]
		j := bytes.Index(rest, []byte("endstream"))
		if j < 0 {
			break
		}
		zr, err := zlib.NewReader(bytes.NewReader(rest[:j]))
		if err == nil {
			if data, err := io.ReadAll(zr); err == nil || len(data) > 0 {
				for _, m := range re.FindAll(data, -1) {
					s := string(m[1:bytes.LastIndexByte(m, ')')])
					out = append(out, strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`).Replace(s))
				}
			}
		}
		rest = rest[j:]
	}
	return out
}

// needTool finds a poppler tool or fails saying what to install.
func needTool(t *testing.T, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: this test checks PDFs with poppler; install it with `apt-get install poppler-utils` (scripts/setup-test.sh does)", name)
	}
	return p
}

func TestPDFTextFontsAndInfo(t *testing.T) {
	b, err := Render(goldenGrid(t, 6), "pdf", Options{Created: fixed})
	if err != nil {
		t.Fatal(err)
	}
	strs := strings.Join(pdfContentStrings(t, b), "|")
	for _, want := range []string{"f0", "f5", "weight"} {
		if !strings.Contains(strs, want) {
			t.Errorf("PDF content streams lack %q; have %q", want, strs)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "g.pdf")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	txt, err := exec.Command(needTool(t, "pdftotext"), p, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, txt)
	}
	for _, want := range []string{"conv1 at step 468 (R² >= 0.7)", "f3", "weight"} {
		if !strings.Contains(string(txt), want) {
			t.Errorf("pdftotext output lacks %q:\n%s", want, txt)
		}
	}
	fonts, err := exec.Command(needTool(t, "pdffonts"), p).CombinedOutput()
	if err != nil {
		t.Fatalf("pdffonts: %v: %s", err, fonts)
	}
	lines := strings.Split(strings.TrimSpace(string(fonts)), "\n")
	if len(lines) < 3 {
		t.Fatalf("pdffonts lists no font:\n%s", fonts)
	}
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		if !strings.HasPrefix(f[0], "Liberation") || !strings.Contains(l, " yes ") {
			t.Errorf("font not a Liberation font embedded: %q", l)
		}
	}
	info, err := exec.Command(needTool(t, "pdfinfo"), "-isodates", p).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v: %s", err, info)
	}
	for _, want := range []string{"2026-01-02T03:04:05", "model=lenet", "commit=abc123", "Producer:        gabor"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("pdfinfo lacks %q:\n%s", want, info)
		}
	}
}

// The golden files: with the creation date fixed, every format is
// byte-for-byte reproducible. go test ./figure -update rewrites them.
func TestGoldenFiles(t *testing.T) {
	for _, format := range Formats {
		a, err := Render(goldenGrid(t, 6), format, Options{DPI: 150, Created: fixed})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Render(goldenGrid(t, 6), format, Options{DPI: 150, Created: fixed})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders with a fixed date differ", format)
		}
		p := filepath.Join("testdata", "grid."+format)
		if *update {
			if err := os.WriteFile(p, a, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run go test ./figure -update to make it)", err)
		}
		if !bytes.Equal(a, want) {
			t.Errorf("%s differs from %s (%d vs %d bytes); if the change is meant, rerun with -update and look at the files", format, p, len(a), len(want))
		}
	}
}

func TestWriteFilesNoSilentOverwrite(t *testing.T) {
	dir := t.TempDir()
	o := Output{Formats: []string{"png", "svg"}, DPI: 72, Created: fixed, Command: "gabor filters run"}
	f := New(20, 10)
	a, err := WriteFiles(dir, "filters-conv1", f, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := WriteFiles(dir, "filters-conv1", f, o)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(a[0]) != "filters-conv1.png" || filepath.Base(b[0]) != "filters-conv1-2.png" || filepath.Base(b[1]) != "filters-conv1-2.svg" {
		t.Errorf("first %v, second %v: want the second beside the first with -2", a, b)
	}
	o.Force = true
	c, err := WriteFiles(dir, "filters-conv1", f, o)
	if err != nil {
		t.Fatal(err)
	}
	if c[0] != a[0] {
		t.Errorf("--force wrote %v, want %v replaced", c, a)
	}
	png, _ := os.ReadFile(a[0])
	kv, err := ReadPNGText(png)
	if err != nil || kv["gabor:command"] != "gabor filters run" {
		t.Errorf("command not recorded: %v %v", kv, err)
	}
	if _, err := WriteFiles(dir, "x", f, Output{Formats: []string{"eps"}}); err == nil {
		t.Error("format eps accepted")
	}
}

func TestDivergingMap(t *testing.T) {
	mid, lo, hi := Diverging.At(0.5), Diverging.At(0), Diverging.At(1)
	if d := int(mid.R) - int(mid.B); d < -12 || d > 12 {
		t.Errorf("centre %v is not neutral", mid)
	}
	if !(lo.B > lo.R+60) || !(hi.R > hi.B+60) {
		t.Errorf("ends %v, %v: want blue then red", lo, hi)
	}
	for _, v := range []float64{0.1, 0.25, 0.4} {
		a, b := lum(Diverging.At(0.5-v)), lum(Diverging.At(0.5+v))
		if a-b > 0.08 || b-a > 0.08 || a >= lum(mid) {
			t.Errorf("±%g: luminance %.3f and %.3f, centre %.3f: want equal and darker", v, a, b, lum(mid))
		}
	}
	if Gray.At(0) != (color.NRGBA{0, 0, 0, 255}) || Gray.At(1) != (color.NRGBA{255, 255, 255, 255}) {
		t.Error("gray ends wrong")
	}
}

func TestClassColorsDistinct(t *testing.T) {
	for i := 0; i < 10; i++ {
		for j := i + 1; j < 10; j++ {
			a, b := ClassColor(i), ClassColor(j)
			d := abs(int(a.R)-int(b.R)) + abs(int(a.G)-int(b.G)) + abs(int(a.B)-int(b.B))
			if d < 60 {
				t.Errorf("classes %d and %d too alike: %v %v", i, j, a, b)
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestMatrixAndOverlay(t *testing.T) {
	m, err := MatrixFigure([][]float64{{5, 1}, {0, 7}}, []string{"cat", "dog"}, []string{"cat", "dog"}, MatrixOptions{Title: "confusion", XLabel: "predicted", YLabel: "true"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(m, "svg", Options{})
	if err != nil {
		t.Fatal(err)
	}
	texts, _, _ := svgTexts(t, b)
	all := strings.Join(texts, "|")
	for _, want := range []string{"confusion", "predicted", "true", "cat", "dog", "5", "7"} {
		if !strings.Contains(all, want) {
			t.Errorf("matrix SVG lacks %q: %q", want, all)
		}
	}
	if _, err := MatrixFigure([][]float64{{1, 2}, {3}}, nil, nil, MatrixOptions{}); err == nil {
		t.Error("ragged matrix accepted")
	}
	img := make([]float32, 16)
	heat := make([]float32, 16)
	heat[5] = 1
	o, err := HeatOverImage(img, heat, 4, 4, OverlayOptions{Title: "why 7"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Tiles()) < 2 {
		t.Errorf("overlay has %d tiles", len(o.Tiles()))
	}
	if _, err := HeatOverImage(img, heat[:3], 4, 4, OverlayOptions{}); err == nil {
		t.Error("mismatched heat accepted")
	}
}

func TestGridErrors(t *testing.T) {
	if _, err := Grid(nil, GridOptions{}); err == nil {
		t.Error("empty grid accepted")
	}
	ps := []Panel{{W: 2, H: 2, V: make([]float32, 4)}, {W: 3, H: 2, V: make([]float32, 6)}}
	if _, err := Grid(ps, GridOptions{}); err == nil || !strings.Contains(err.Error(), "panel 1") {
		t.Errorf("mixed sizes: %v", err)
	}
	if _, err := Grid(ps[:1], GridOptions{Norm: "row"}); err == nil {
		t.Error("unknown norm accepted")
	}
	if _, err := Render(New(0, 10), "png", Options{}); err == nil {
		t.Error("empty page rendered")
	}
}

// A grid given a width fills it: cells grow, text keeps its size.
func TestGridWidth(t *testing.T) {
	f := goldenGrid(t, 6)
	var ps []Panel
	for i := 0; i < 6; i++ {
		ps = append(ps, Panel{W: 5, H: 5, V: make([]float32, 25)})
	}
	g, err := Grid(ps, GridOptions{Width: 3.5 * 72})
	if err != nil {
		t.Fatal(err)
	}
	if g.W < 3.5*72-0.01 || g.W > 3.5*72+0.01 {
		t.Errorf("grid width %g, want %g", g.W, 3.5*72)
	}
	_ = f
}

func FuzzReadPNGText(f *testing.F) {
	b, _ := Render(New(4, 4), "png", Options{DPI: 72})
	f.Add(b)
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) { ReadPNGText(b) })
}

func FuzzReadSVGMetadata(f *testing.F) {
	b, _ := Render(New(4, 4), "svg", Options{})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) { ReadSVGMetadata(b) })
}

// BenchmarkGrid64 renders a 64-filter 5×5 grid (labels, colorbar) as PNG at
// 300 DPI, SVG and PDF: the issue asks ≤ 1 s for all three on 2 cores.
func BenchmarkGrid64(b *testing.B) {
	for b.Loop() {
		f := goldenGrid(b, 64)
		for _, format := range Formats {
			if _, err := Render(f, format, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
