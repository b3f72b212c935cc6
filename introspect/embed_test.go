package introspect

import (
	"bytes"
	"errors"
	"github.com/gaborlab/gabor/figure"
	"image/gif"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestSampleIndices(t *testing.T) {
	a := SampleIndices(1000, 50, 3)
	if len(a) != 50 || !slices.IsSorted(a) || len(slices.Compact(slices.Clone(a))) != 50 {
		t.Fatalf("sample %v: want 50 distinct sorted indices", a)
	}
	for _, i := range a {
		if i < 0 || i >= 1000 {
			t.Fatalf("index %d outside [0, 1000)", i)
		}
	}
	if !slices.Equal(a, SampleIndices(1000, 50, 3)) {
		t.Errorf("the same seed gave another sample")
	}
	if slices.Equal(a, SampleIndices(1000, 50, 4)) {
		t.Errorf("another seed gave the same sample")
	}
	if all := SampleIndices(7, 100, 1); len(all) != 7 || all[6] != 6 {
		t.Errorf("n above the set size: %v, want 0…6", all)
	}
}

// AlignToLast keeps the last frame and maps earlier ones onto it.
func TestAlignToLast(t *testing.T) {
	last := mat.NewDense(4, 2, []float64{0, 0, 1, 0, 0, 2, -1, -1})
	flipped := (&Similarity{Scale: 0.5, R: mat.NewDense(2, 2, []float64{-1, 0, 0, 1}), T: []float64{4, 4}}).Apply(last)
	out, err := AlignToLast([]*Embedding{{XY: flipped}, {XY: last}})
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(out[1], last) || !mat.EqualApprox(out[0], last, 1e-12) {
		t.Errorf("aligned frames %v, %v; want both equal to the last", mat.Formatted(out[0]), mat.Formatted(out[1]))
	}
}

// RenderEmbeddings on a run with snapshots: a scatter and CSV per layer,
// the overview, and for the layers the snapshots determine (the
// convolutions, not the dense layers) aligned frames and a GIF.
func TestRenderEmbeddings(t *testing.T) {
	dir := tinyRun(t, "lenet", true)
	out := t.TempDir()
	res, err := RenderEmbeddings(dir, EmbedOptions{N: 120, Seed: 5, Output: figure.Output{Dir: out}, Device: "cpu", MaxFrames: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.N != 120 || len(res.Layers) != 12 {
		t.Fatalf("n %d, %d layers; want 120 and 12", res.N, len(res.Layers))
	}
	// The run has snapshots at steps 0, 1, 2: all three are frames.
	if !slices.Equal(res.Steps, []int{0, 1, 2}) {
		t.Errorf("frame steps %v, want [0 1 2]", res.Steps)
	}
	for _, l := range res.Layers {
		r := l.Explained
		if len(r) != 2 || r[0] < r[1] || r[0] <= 0 || r[0]+r[1] > 1+1e-9 {
			t.Errorf("%s: explained variance %v", l.Layer, r)
		}
		wantFrames := 3
		if l.Layer == "x" { // the input does not change over training
			wantFrames = 0
		}
		if l.Frames != wantFrames {
			t.Errorf("%s: %d frames, want %d", l.Layer, l.Frames, wantFrames)
		}
	}
	csv, err := os.ReadFile(filepath.Join(out, "embed-fc2-step000002.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if lines[0] != "index,label,pc1,pc2" || len(lines) != 121 {
		t.Errorf("CSV header %q and %d lines; want index,label,pc1,pc2 and 121", lines[0], len(lines))
	}
	g, err := os.ReadFile(filepath.Join(out, "embed-conv1-frames.gif"))
	if err != nil {
		t.Fatal(err)
	}
	anim, err := gif.DecodeAll(bytes.NewReader(g))
	if err != nil || len(anim.Image) != 3 {
		t.Fatalf("GIF: %v, want 3 frames (%v)", err, anim != nil)
	}
	for _, f := range []string{"embed-overview-step000002.png", "embed-step000002.json", "embed-conv1-frames/step000002.png", "embed-conv1-frames.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The last frame is the final weights' own projection, as in the CSV of
	// the layer: the sequence ends on the static figure.
	fr, _ := os.ReadFile(filepath.Join(out, "embed-conv1-frames.csv"))
	st, _ := os.ReadFile(filepath.Join(out, "embed-conv1-step000002.csv"))
	frLines := strings.Split(strings.TrimSpace(string(fr)), "\n")
	stLines := strings.Split(strings.TrimSpace(string(st)), "\n")
	if len(frLines) != 1+3*120 || frLines[len(frLines)-1] != "2,"+stLines[len(stLines)-1] {
		t.Errorf("frames CSV ends %q, the layer's CSV %q", frLines[len(frLines)-1], stLines[len(stLines)-1])
	}

	_, err = RenderEmbeddings(dir, EmbedOptions{Layer: "conv7", Output: figure.Output{Dir: out}, Device: "cpu"})
	var ue *UnknownLayerError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "conv1, relu1, pool1") {
		t.Errorf("unknown layer: %v, want an UnknownLayerError listing the layers", err)
	}
}
