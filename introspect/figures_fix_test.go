package introspect

import (
	"math"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/figure"
)

// A fit whose σ or λ ends on its search bound is flagged; one inside is not.
func TestAtBounds(t *testing.T) {
	_, smax, _, lmax := GaborBounds(7, 7)
	if got := atBounds(GaborParams{SigmaX: smax, SigmaY: 2, Lambda: lmax}, 7, 7); strings.Join(got, " ") != "sigma_x=max lambda=max" {
		t.Errorf("on bounds: %v", got)
	}
	if got := atBounds(GaborParams{SigmaX: 2, SigmaY: 2, Lambda: 5}, 7, 7); len(got) != 0 {
		t.Errorf("inside: %v", got)
	}
	if smax != 7 || lmax != 21 {
		t.Errorf("7×7 bounds σ ≤ %g, λ ≤ %g; want 7 and 21", smax, lmax)
	}
}

// A negative adjusted R² is "not Gabor-like": counted, not averaged in.
func TestNegativeR2NotAveraged(t *testing.T) {
	fits := []FilterFit{{GaborFit: GaborFit{R2Adj: 0.8}}, {GaborFit: GaborFit{R2Adj: 0.6}}, {GaborFit: GaborFit{R2Adj: -0.5}}}
	if m := MeanR2Adj(fits); math.Abs(m-0.7) > 1e-12 {
		t.Errorf("mean %g, want 0.7 (the negative fit left out)", m)
	}
	if n, _ := countFits(fits); n != 1 {
		t.Errorf("not Gabor-like: %d, want 1", n)
	}
	if g := gaborLike(fits[2], 0.7); g != "not" {
		t.Errorf("verdict %q", g)
	}
}

// The score figure: one quantity per y axis, the threshold in a legend,
// and it writes PDF.
func TestScoreFigure(t *testing.T) {
	pts := []ScorePoint{{Step: 0, Score: 0, MeanR2: 0.1}, {Step: 100, Score: 0.5, MeanR2: 0.6}, {Step: 200, Score: 1, MeanR2: 0.9}}
	f, err := ScoreFigure(pts, "conv1", 0.7, "t")
	if err != nil {
		t.Fatal(err)
	}
	svg, err := figure.Render(f, "svg", figure.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"threshold 0.7", "mean adjusted R²", "fraction with R²adj ≥ 0.7", "Gabor score of conv1"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("score SVG lacks %q", want)
		}
	}
	if b, err := figure.Render(f, "pdf", figure.Options{}); err != nil || !strings.HasPrefix(string(b), "%PDF") {
		t.Errorf("score PDF: %v", err)
	}
}

// An MLP's many units wrap into a block per step instead of one long row.
func TestFilmstripWraps(t *testing.T) {
	var frames []Frame
	for s := 0; s < 3; s++ {
		var ps []figure.Panel
		for i := 0; i < 256; i++ {
			ps = append(ps, figure.Panel{W: 28, H: 28, V: make([]float32, 784)})
		}
		frames = append(frames, Frame{Step: s, Panels: ps})
	}
	f, err := Filmstrip(frames, figure.GridOptions{Signed: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.W > 16*72 || f.H < f.W {
		t.Errorf("filmstrip of 3×256 units is %.0f×%.0f points; want a tall figure at most 16 in wide", f.W, f.H)
	}
}

// The query figure's title widens the figure rather than being cut.
func TestQueryTitleFits(t *testing.T) {
	r := &QueryResult{Model: "lenet", Method: QueryOptimize, H: 2, W: 2, Images: [][]float32{{0, 1, 1, 0}}, ClassNames: []string{"cat"}, Scores: []float64{0.93}}
	title := strings.Repeat("a long title ", 8)
	f, err := QueryFigure(r, title)
	if err != nil {
		t.Fatal(err)
	}
	if f.W < figure.TextWidth(title, figure.TextSize+1) {
		t.Errorf("figure %.0f pt wide, title %.0f pt", f.W, figure.TextWidth(title, figure.TextSize+1))
	}
	if !strings.Contains(strings.Join(f.Texts(), "|"), "cat p=0.93") {
		t.Errorf("optimize score not drawn: %q", f.Texts())
	}
}

// Only a lower bound makes a fit degenerate (red "bound"); an upper bound
// (structure extending past the filter) is marked "wide", unframed.
func TestBoundKinds(t *testing.T) {
	smin, smax, lmin, _ := GaborBounds(5, 5)
	wide := FilterFit{AtBound: atBounds(GaborParams{SigmaX: 2, SigmaY: smax, Lambda: 8}, 5, 5)}
	narrow := FilterFit{AtBound: atBounds(GaborParams{SigmaX: smin, SigmaY: 2, Lambda: lmin}, 5, 5)}
	if wide.Degenerate() || !narrow.Degenerate() {
		t.Fatalf("degenerate: wide %v (%v), narrow %v (%v)", wide.Degenerate(), wide.AtBound, narrow.Degenerate(), narrow.AtBound)
	}
	fs := &FilterSet{Panels: []figure.Panel{{W: 5, H: 5, V: make([]float32, 25), Label: "0"}, {W: 5, H: 5, V: make([]float32, 25), Label: "1"}}}
	for i := range fs.Panels {
		for k := range fs.Panels[i].V {
			fs.Panels[i].V[k] = float32(k%5) - 2
		}
	}
	f, err := FitFigure(fs, []FilterFit{wide, narrow}, figure.GridOptions{})
	if err != nil {
		t.Fatal(err)
	}
	texts, boxes := strings.Join(f.Texts(), "|"), 0
	for _, it := range f.Items() {
		if _, ok := it.(figure.Box); ok {
			boxes++
		}
	}
	if !strings.Contains(texts, "|wide|") || !strings.Contains(texts, "|bound|") || boxes != 1 {
		t.Errorf("fit panels: texts %q, %d red frames (want 1: the degenerate fit's)", texts, boxes)
	}
}
