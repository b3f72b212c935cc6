package introspect

import (
	"github.com/gaborlab/gabor/figure"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train/safetensors"
)

// copyRun copies a run directory (flat files and snapshots/) into a new folder.
func copyRun(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "run")
	for _, sub := range []string{"", runs.SnapshotDir} {
		entries, err := os.ReadDir(filepath.Join(src, sub))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dst, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(src, sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dst, sub, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dst
}

// A snapshot holding NaN and Inf weights is drawn; the non-finite filters are
// reported (which filter, which step) and left out of the fit and the score.
func TestRenderFiltersNonFinite(t *testing.T) {
	dir := copyRun(t, testRun(t))
	path := filepath.Join(dir, runs.SnapshotDir, runs.SnapshotName(4))
	f, err := safetensors.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	w, ok := f.Get("conv1.weight")
	if !ok {
		t.Fatal("no conv1.weight in the snapshot")
	}
	per := len(w.Data) / w.Shape[0] // one filter's values
	for i := 2 * per; i < 3*per; i++ {
		w.Data[i] = float32(math.NaN()) // filter 2: all NaN
	}
	w.Data[4*per+3] = float32(math.Inf(1)) // filter 4: one Inf
	b, err := safetensors.Encode(f.Tensors, f.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Step 2 also gets a NaN, to be reported by the time-lapse's fits.
	p2 := filepath.Join(dir, runs.SnapshotDir, runs.SnapshotName(2))
	f2, err := safetensors.Read(p2)
	if err != nil {
		t.Fatal(err)
	}
	w2, _ := f2.Get("conv1.weight")
	w2.Data[0] = float32(math.NaN())
	b2, _ := safetensors.Encode(f2.Tensors, f2.Metadata)
	os.WriteFile(p2, b2, 0o644)

	out := t.TempDir()
	res, err := RenderFilters(dir, FiltersOptions{Step: -1, Output: figure.Output{Dir: out, Formats: []string{"png", "svg"}}, Channels: ChannelsMean, Norm: figure.NormFilter, Cmap: figure.CmapDiverging,
		Fit: true, R2: 0.7, TimeLapse: true, Labels: true, Colorbar: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []NonFiniteFilter{{Step: 2, Filter: 0}, {Step: 4, Filter: 2}, {Step: 4, Filter: 4}}
	if len(res.NonFinite) != len(want) {
		t.Fatalf("non-finite filters reported: %+v, want %+v", res.NonFinite, want)
	}
	for i, nf := range res.NonFinite {
		if nf.Step != want[i].Step || nf.Filter != want[i].Filter || nf.Layer != "conv1" {
			t.Errorf("report %d: %+v, want step %d filter %d of conv1", i, nf, want[i].Step, want[i].Filter)
		}
	}
	if !strings.Contains(res.NonFinite[1].String(), "filter 2") || !strings.Contains(res.NonFinite[1].String(), "step 4") {
		t.Errorf("report reads %q", res.NonFinite[1].String())
	}
	if res.GaborScore == nil || math.IsNaN(*res.GaborScore) {
		t.Fatalf("score %v", res.GaborScore)
	}
	for _, name := range []string{"filters-conv1-step000004.png", "gaborfit-conv1-step000004.png", "timelapse-conv1.gif"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s not drawn: %v", name, err)
		}
	}
}

// FitFilters skips a non-finite panel (no Nelder–Mead on NaN) and GaborScore
// counts only the filters that were fitted.
func TestFitFiltersSkipsNonFinite(t *testing.T) {
	good := GaborParams{X0: 3, Y0: 3, Theta: 0.5, SigmaX: 2, SigmaY: 2, Lambda: 4, Amp: 1}.Render(7, 7)
	fs := &FilterSet{Layer: "conv1"}
	for i := 0; i < 3; i++ {
		v := make([]float32, len(good))
		for k, x := range good {
			v[k] = float32(x)
		}
		fs.Panels = append(fs.Panels, figure.Panel{V: v, W: 7, H: 7})
	}
	fs.Panels[1].V[5] = float32(math.NaN())
	fits := FitFilters(fs, FitOptions{Seed: 1})
	if !fits[1].Skipped || fits[0].Skipped || fits[2].Skipped {
		t.Fatalf("skipped: %v %v %v, want only filter 1", fits[0].Skipped, fits[1].Skipped, fits[2].Skipped)
	}
	if s := GaborScore(fits, 0.7); s != 1 {
		t.Errorf("score %g, want 1 (two Gabors fitted, the NaN filter not counted)", s)
	}
	if m := MeanR2Adj(fits); math.IsNaN(m) || m < 0.9 {
		t.Errorf("mean adjusted R² %g", m)
	}
}
