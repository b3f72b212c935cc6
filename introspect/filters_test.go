package introspect

import (
	"bytes"
	"context"
	"encoding/json"
	"image/gif"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
	"github.com/gaborlab/gabor/train/safetensors"
)

var (
	runOnce sync.Once
	runDir  string
	runErr  error
)

// testRun trains lenet with 7×7 first-layer filters for 2 epochs of 2 steps
// on synthetic digits, with a snapshot after every step, once per test
// binary.
func testRun(t *testing.T) string {
	t.Helper()
	runOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gabor-introspect-")
		if err != nil {
			runErr = err
			return
		}
		runDir = filepath.Join(dir, "run")
		ds, err := data.Synthetic(5, 256, 128)
		if err != nil {
			runErr = err
			return
		}
		cfg := train.DefaultConfig("lenet")
		cfg.Device, cfg.Epochs, cfg.Conv1, cfg.Snapshot, cfg.Out = "cpu", 2, 7, "every=1steps", runDir
		w, err := runs.NewSnapshotWriter(runDir, cfg)
		if err != nil {
			runErr = err
			return
		}
		if err := w.TakeInitial(); err != nil {
			runErr = err
			return
		}
		_, err = train.Run(context.Background(), cfg, ds, train.RunOptions{Hooks: w.Hooks()})
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		runErr = err
	})
	if runErr != nil {
		t.Fatal(runErr)
	}
	return runDir
}

func TestFiltersErrorsListWhatExists(t *testing.T) {
	dir := testRun(t)
	_, w, err := OpenWeights(dir, -1)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		layer string
		wrong bool
		want  []string
	}{
		{"conv9", false, []string{`no layer "conv9"`, "conv1 (conv 6×1×7×7)", "pool2 (pooling)", "fc1 (dense 120×400)", "layers with filters: conv1, conv2"}},
		{"pool2", true, []string{"pooling layer, without weights", "layers with filters: conv1, conv2"}},
		{"relu1", true, []string{"activation layer", "conv1, conv2"}},
		{"fc1", true, []string{"dense layer with 400 inputs", "conv1, conv2"}},
	}
	for _, tc := range cases {
		_, err := Filters(w, tc.layer, ChannelsMean)
		le, ok := err.(*LayerError)
		if !ok {
			t.Errorf("%s: error %v is not a *LayerError", tc.layer, err)
			continue
		}
		if le.WrongKind != tc.wrong {
			t.Errorf("%s: WrongKind %v", tc.layer, le.WrongKind)
		}
		for _, s := range tc.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", tc.layer, err, s)
			}
		}
	}
	if _, _, err := OpenWeights(filepath.Join(dir, "nope"), -1); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing run dir: %v", err)
	} else if _, ok := err.(*SourceError); !ok {
		t.Errorf("missing run dir: %T, want *SourceError", err)
	}
	empty := t.TempDir()
	if _, _, err := OpenWeights(empty, -1); err == nil || !strings.Contains(err.Error(), "not a run directory") {
		t.Errorf("empty dir: %v", err)
	}
}

func TestFiltersShapes(t *testing.T) {
	_, w, err := OpenWeights(testRun(t), -1)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Filters(w, "", ChannelsMean)
	if err != nil || fs.Layer != "conv1" || len(fs.Panels) != 6 || fs.W != 7 || fs.H != 7 {
		t.Fatalf("default layer: %+v, %v", fs, err)
	}
	each, err := Filters(w, "conv2", ChannelsEach)
	if err != nil || len(each.Panels) != 16*6 || each.Cols != 6 {
		t.Fatalf("conv2 each: %v", err)
	}
	mean, err := Filters(w, "conv2", ChannelsMean)
	if err != nil {
		t.Fatal(err)
	}
	// The mean panel of filter 3 is the average of its 6 channel panels.
	for p := 0; p < 25; p++ {
		s := float32(0)
		for c := 0; c < 6; c++ {
			s += each.Panels[3*6+c].V[p]
		}
		if d := s/6 - mean.Panels[3].V[p]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("mean panel differs at %d by %g", p, d)
		}
	}
	// An MLP's first layer: one 28×28 image per hidden unit; its second
	// layer has no image to show.
	m, _ := models.New("mlp", 1, 3)
	vals, _ := models.ParamValues(m)
	cfg := train.DefaultConfig("mlp")
	mw := &runs.Weights{Config: cfg, Tensors: map[string]safetensors.Tensor{}}
	for i, p := range m.Params {
		mw.Tensors[p.Name()] = safetensors.Tensor{Name: p.Name(), Shape: p.Shape(), Data: vals[i]}
	}
	fs, err = Filters(mw, "", ChannelsMean)
	if err != nil || fs.Layer != "fc1" || len(fs.Panels) != 512 || fs.W != 28 || !slices.Equal(fs.Panels[5].V, vals[0][5*784:6*784]) {
		t.Fatalf("mlp fc1: %v", err)
	}
	if _, err := Filters(mw, "fc2", ChannelsMean); err == nil || !strings.Contains(err.Error(), "512 inputs") || !strings.Contains(err.Error(), "filters: fc1") {
		t.Errorf("mlp fc2: %v", err)
	}
}

func TestRenderFiltersRun(t *testing.T) {
	dir := testRun(t)
	out := t.TempDir()
	res, err := RenderFilters(dir, FiltersOptions{Step: -1, Output: figure.Output{Dir: out, Formats: []string{"png", "svg", "pdf"}}, Channels: ChannelsMean, Norm: figure.NormFilter, Cmap: figure.CmapDiverging,
		Fit: true, R2: 0.7, TimeLapse: true, Labels: true, Colorbar: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Layer != "conv1" || res.Step != 4 || res.NFilters != 6 || res.GaborScore == nil || len(res.Curve) != 5 {
		t.Fatalf("result %+v", res)
	}
	var names []string
	for _, f := range res.Files {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("listed file missing: %v", err)
		}
		names = append(names, filepath.Base(f))
	}
	for _, want := range []string{"filters-conv1-step000004.png", "filters-conv1-step000004.svg", "filters-conv1-step000004.pdf",
		"filters-conv1-step000004.json", "gaborfit-conv1-step000004.csv", "gaborfit-conv1-step000004.png",
		"timelapse-conv1.png", "timelapse-conv1.gif", "gabor-score-conv1.png", "gabor-score-conv1.svg", "gabor-score-conv1.csv"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %s among %v", want, names)
		}
	}
	var sc sidecar
	b, _ := os.ReadFile(filepath.Join(out, "filters-conv1-step000004.json"))
	if err := json.Unmarshal(b, &sc); err != nil || len(sc.Fits) != 6 || sc.Provenance["step"] != "4" || sc.Provenance["conv1"] != "7" {
		t.Errorf("sidecar: %v %+v", err, sc.Provenance)
	}
	g, err := os.ReadFile(filepath.Join(out, "timelapse-conv1.gif"))
	if err != nil {
		t.Fatal(err)
	}
	anim, err := gif.DecodeAll(bytes.NewReader(g))
	if err != nil || len(anim.Image) != 5 {
		t.Errorf("GIF: %v, frames %d, want 5", err, len(anim.Image))
	}
	csv, _ := os.ReadFile(filepath.Join(out, "gaborfit-conv1-step000004.csv"))
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 7 || !strings.HasPrefix(lines[0], "index,label,r2,r2_adj,gabor_like,at_bound,x0") {
		t.Errorf("fit CSV:\n%s", csv)
	}
	// The same command again writes beside, never over, the first files.
	again, err := RenderFilters(dir, FiltersOptions{Step: -1, Output: figure.Output{Dir: out, Formats: []string{"png"}}, Fit: false})
	if err != nil {
		t.Fatal(err)
	}
	if got := filepath.Base(again.Files[0]); got != "filters-conv1-step000004-2.png" {
		t.Errorf("second run wrote %s, want filters-conv1-step000004-2.png", got)
	}
}
