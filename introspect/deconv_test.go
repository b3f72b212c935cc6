package introspect

import (
	"errors"
	"github.com/gaborlab/gabor/figure"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train/safetensors"
)

func TestDeconvOnTrainedLenet(t *testing.T) {
	run, _ := trainedRun(t, "lenet", 3000)
	res, err := Deconv(run, DeconvOptions{Layer: "conv2", Maps: []int{0, 5}, Top: 4, Rule: graph.RuleDeconvnet, Step: -1, Limit: 300, Batch: 32})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Maps) != 2 || res.Scanned != 300 || res.CropH != 14 || res.CropW != 14 {
		t.Fatalf("maps %d, scanned %d, crop %d×%d; want 2 maps, 300 images, 14×14 crops", len(res.Maps), res.Scanned, res.CropH, res.CropW)
	}
	for _, m := range res.Maps {
		if len(m.Hits) != 4 {
			t.Fatalf("map %d: %d hits, want 4", m.Map, len(m.Hits))
		}
		for i, h := range m.Hits {
			if i > 0 && h.Value > m.Hits[i-1].Value {
				t.Errorf("map %d: hits not strongest first: %v", m.Map, m.Hits)
			}
			if h.Window.Y1-h.Window.Y0 != 14 || h.Image < 0 || h.Image >= 300 {
				t.Errorf("map %d hit %+v: bad window or image", m.Map, h.Hit)
			}
			var mass float64
			for _, v := range h.Proj {
				mass += float64(v * v)
			}
			if mass == 0 {
				t.Errorf("map %d hit %d: the projection is zero over its receptive field", m.Map, i)
			}
		}
	}
	fig, err := DeconvFigure(res, DeconvFigureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := figure.Render(fig, "png", figure.Options{DPI: 72}); err != nil {
		t.Fatal(err)
	}
	svg, err := figure.Render(fig, "svg", figure.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * 2 * 4; len(fig.Tiles()) != want || !strings.Contains(string(svg), "map 5") {
		t.Errorf("figure: %d tiles (want %d: projection and patch per hit), map label present: %v", len(fig.Tiles()), want, strings.Contains(string(svg), "map 5"))
	}
	// A map that never fires is drawn as dead, without projections.
	dead := *res
	dead.Maps = append([]DeconvMap(nil), res.Maps...)
	dead.Maps[0].Dead = true
	fig, err = DeconvFigure(&dead, DeconvFigureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(fig.Tiles()); got != 2*4 {
		t.Errorf("with map %d dead: %d tiles, want 8 (the other map only)", dead.Maps[0].Map, got)
	}
	if !strings.Contains(strings.Join(fig.Texts(), "|"), "dead") {
		t.Errorf("dead map not labelled: %q", fig.Texts())
	}

	// Errors: a layer without maps, a map out of range, an unknown layer.
	for _, c := range []struct {
		o    DeconvOptions
		want string
	}{
		{DeconvOptions{Layer: "fc1", Step: -1}, "no spatial maps"},
		{DeconvOptions{Layer: "conv2", Maps: []int{16}, Step: -1}, "layer conv2 has 16 maps"},
		{DeconvOptions{Layer: "conv7", Step: -1}, "layers: conv1"},
	} {
		if _, err := Deconv(run, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want one containing %q", c.o, err, c.want)
		}
	}
}

// A snapshot holds only some weights: a query that needs the others says
// which snapshots exist and where every parameter is.
func TestMissingTensorNamesTheSnapshot(t *testing.T) {
	run, _ := trainedRun(t, "mlp-sigmoid", 1280)
	w, ck, err := runWeights(run, -1)
	if err != nil {
		t.Fatal(err)
	}
	snap := &runs.Weights{Path: "snapshots/step-000010.safetensors", Kind: "snapshot", Config: w.Config, Step: 5,
		Tensors: map[string]safetensors.Tensor{"fc1.weight": w.Tensors["fc1.weight"], "fc1.bias": w.Tensors["fc1.bias"]}}
	res := &QueryResult{Labels: []int{0}}
	err = inverseQuery(snap, ck, res)
	var me *MissingTensorError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "--snapshot") || !strings.Contains(err.Error(), "fc2.weight") {
		t.Errorf("err = %v, want a MissingTensorError naming fc2.weight and --snapshot", err)
	}
}
