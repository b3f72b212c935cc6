package introspect

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/gaborlab/gabor/figure"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
)

// tinyRun trains model for one epoch on 64 synthetic images (with snapshots
// every 1 step when snapshots is set) and returns the run directory.
func tinyRun(t *testing.T, model string, snapshots bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	cfg := train.DefaultConfig(model)
	cfg.Dataset, cfg.Epochs, cfg.Batch, cfg.Limit, cfg.TestLimit = data.SyntheticName, 1, 32, 64, 64
	cfg.Device, cfg.Out = "cpu", dir
	if snapshots {
		cfg.Snapshot = "every=1steps"
	}
	ds, err := data.Load(cfg.Dataset, "", data.LoadOptions{TrainLimit: 64, TestLimit: 64, SyntheticTrain: 64, SyntheticTest: 64})
	if err != nil {
		t.Fatal(err)
	}
	var ropts train.RunOptions
	var sw *runs.SnapshotWriter
	if snapshots {
		if sw, err = runs.NewSnapshotWriter(dir, cfg); err != nil {
			t.Fatal(err)
		}
		ropts.Hooks = sw.Hooks()
		if err := sw.TakeInitial(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := train.Run(context.Background(), cfg, ds, ropts); err != nil {
		t.Fatal(err)
	}
	if sw != nil {
		if err := sw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The heat strip's pixels, exactly: values −1, 0, 2 on the scale [−2, 2]
// sit at 0.25, 0.5 and 1 of the gray map, i.e. levels round(255·v) = 64,
// 128 and 255; with 2×2 cells each value fills its own block.
func TestHeatStripPixels(t *testing.T) {
	v := []float32{-1, 0, 2}
	sc := figure.Scale{Lo: -2, Hi: 2}
	img := HeatStrip(v, sc, figure.Gray, 1, 1)
	if b := img.Bounds(); b.Dx() != 3 || b.Dy() != 1 {
		t.Fatalf("1×1 cells: image %v, want 3×1", b)
	}
	want := []uint8{64, 128, 255}
	for x, g := range want {
		if got := img.NRGBAAt(x, 0); got != (color.NRGBA{g, g, g, 255}) {
			t.Errorf("pixel %d = %v, want gray %d", x, got, g)
		}
	}
	img = HeatStrip(v, sc, figure.Gray, 2, 2)
	if b := img.Bounds(); b.Dx() != 6 || b.Dy() != 2 {
		t.Fatalf("2×2 cells: image %v, want 6×2", b)
	}
	for y := 0; y < 2; y++ {
		for x := 0; x < 6; x++ {
			g := want[x/2]
			if got := img.NRGBAAt(x, y); got != (color.NRGBA{g, g, g, 255}) {
				t.Errorf("2×2 cells: pixel (%d,%d) = %v, want gray %d", x, y, got, g)
			}
		}
	}
	// The diverging map: zero is its white centre, the ends its blue and red.
	img = HeatStrip(v, sc, figure.Diverging, 1, 1)
	for x, at := range []float64{0.25, 0.5, 1} {
		if got := img.NRGBAAt(x, 0); got != figure.Diverging.At(at) {
			t.Errorf("diverging pixel %d = %v, want %v", x, got, figure.Diverging.At(at))
		}
	}
}

func TestStats(t *testing.T) {
	l := Layer{Name: "relu1", Kind: KindAct, Out: []int{2, 2}}
	s := Stats(LayerActivation{Layer: l, V: []float32{0, 2, 0, 6}})
	if s.Mean != 2 || s.Max != 6 || s.Min != 0 || s.Zeros != 0.5 || !slices.Equal(s.Shape, []int{2, 2}) {
		t.Errorf("stats %+v, want mean 2, min 0, max 6, zeros 0.5, shape [2 2]", s)
	}
}

// The figure has a row per layer: one tile per feature map, one strip per
// vector, the layer names on the left, the predicted class framed.
func TestActivationFigureStructure(t *testing.T) {
	acts := []LayerActivation{
		{Layer{Name: "x", Kind: KindInput, Out: []int{1, 2, 2}}, []float32{0, 1, 2, 3}},
		{Layer{Name: "conv1", Kind: KindConv, Out: []int{3, 2, 2}}, []float32{1, -1, 0, 0, 2, 2, 2, 2, 0.01, 0, 0, 0}},
		{Layer{Name: "fc1", Kind: KindDense, Out: []int{4}}, []float32{1, 2, 3, 4}},
		{Layer{Name: "fc2", Kind: KindDense, Out: []int{3}}, []float32{0.5, 3, -1}},
	}
	names := []string{"cat", "dog", "emu"}
	fig, err := ActivationFigure(acts, ActivationFigureOptions{ClassNames: names})
	if err != nil {
		t.Fatal(err)
	}
	tiles := mapTiles(fig)
	if got := len(tiles); got != 1+3+1+1 {
		t.Errorf("%d tiles, want 6 (input, 3 maps, 2 strips)", got)
	}
	texts := map[string]color.Color{}
	for _, it := range fig.Items() {
		tx, ok := it.(figure.Text)
		if !ok {
			continue
		}
		texts[tx.S] = tx.Color
		if tx.X < 0 || tx.X > fig.W || tx.Y < 0 || tx.Y > fig.H {
			t.Errorf("text %q at (%g,%g) outside the %g×%g figure", tx.S, tx.X, tx.Y, fig.W, fig.H)
		}
	}
	for _, s := range []string{"input", "conv1", "fc1", "fc2", "3x2x2", "cat", "dog", "emu"} {
		if _, ok := texts[s]; !ok {
			t.Errorf("no text %q in the figure", s)
		}
	}
	if texts["dog"] != color.Color(black) || texts["cat"] == color.Color(black) {
		t.Errorf("the predicted class (dog) should be the one written in black")
	}
	for _, tl := range tiles {
		if tl.X < 0 || tl.Y < 0 || tl.X+tl.W > fig.W || tl.Y+tl.H > fig.H {
			t.Errorf("tile at (%g,%g) of %g×%g leaves the %g×%g figure", tl.X, tl.Y, tl.W, tl.H, fig.W, fig.H)
		}
	}
	// Map 2 (values 0.01 and 0) is nearly white on the layer's shared scale
	// and full red on its own.
	shared := tiles[3].Img.NRGBAAt(0, 0)
	fig, err = ActivationFigure(acts, ActivationFigureOptions{Norm: NormMap})
	if err != nil {
		t.Fatal(err)
	}
	own := mapTiles(fig)[3].Img.NRGBAAt(0, 0)
	if shared != figure.Diverging.At(0.5+0.5*0.01/2) || own != figure.Diverging.At(1) {
		t.Errorf("map 2 pixel: shared scale %v, own scale %v; want %v and %v", shared, own, figure.Diverging.At(0.5025), figure.Diverging.At(1))
	}
	if _, err := ActivationFigure(acts, ActivationFigureOptions{Norm: "sideways"}); err == nil {
		t.Errorf("unknown normalization accepted")
	}
}

// mapTiles are a figure's tiles but the legend strip (the first).
func mapTiles(f *figure.Figure) []figure.Tile { return f.Tiles()[1:] }

// RenderActivations on a trained run: the files exist, the sidecar says
// what was drawn, and bad input is refused with the right error.
func TestRenderActivations(t *testing.T) {
	dir := tinyRun(t, "lenet", false)
	out := t.TempDir()
	res, err := RenderActivations(dir, ActivationsOptions{Index: 3, Output: figure.Output{Dir: out, Formats: []string{"png", "svg"}}, Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Layers) != 12 || res.Layers[0].Layer != "x" || res.Layers[11].Layer != "fc3" {
		t.Errorf("layers %+v, want x … fc3 (12)", res.Layers)
	}
	for _, l := range res.Layers {
		if strings.HasPrefix(l.Layer, "relu") && (l.Zeros <= 0 || l.Min != 0) {
			t.Errorf("%s: zero fraction %g, min %g: a ReLU's output should have zeros and no negatives", l.Layer, l.Zeros, l.Min)
		}
	}
	if res.Predicted < 0 || res.Predicted > 9 || res.Label < 0 || res.Label > 9 {
		t.Errorf("label %d, predicted %d", res.Label, res.Predicted)
	}
	for _, f := range []string{"activations-image3-step000002.png", "activations-image3-step000002.svg", "activations-image3-step000002.json"} {
		p := filepath.Join(out, f)
		if !slices.Contains(res.Files, p) {
			t.Errorf("files %v lack %s", res.Files, p)
		}
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "activations-image3-step000002.png"))
	if err != nil {
		t.Fatal(err)
	}
	meta, err := figure.ReadPNGText(b)
	if err != nil || meta["gabor:model"] != "lenet" || meta["gabor:index"] != "3" {
		t.Errorf("PNG provenance %v (%v), want model lenet, index 3", meta, err)
	}
	var side ActivationsResult
	sb, _ := os.ReadFile(filepath.Join(out, "activations-image3-step000002.json"))
	if err := json.Unmarshal(sb, &side); err != nil || side.Index != 3 || len(side.Layers) != 12 {
		t.Errorf("sidecar: %v, %+v", err, side)
	}

	_, err = RenderActivations(dir, ActivationsOptions{Index: 10000, Output: figure.Output{Dir: out}, Device: "cpu"})
	var ie *IndexError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "0 to 9999") {
		t.Errorf("index 10000: %v, want an IndexError naming the range", err)
	}
	_, err = RenderActivations(filepath.Join(dir, "nope"), ActivationsOptions{Output: figure.Output{Dir: out}})
	var se *SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing run dir: %v, want a SourceError saying it does not exist", err)
	}
}
