package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// Flag parsing of `gabor ablate`.
func TestAblateFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" : accepted
	}{
		{[]string{"run"}, ""},
		{[]string{"run", "--methods", "smallest", "--scope", "layer", "--granularity", "unit", "--fractions", "0,0.5,1", "--layers", "conv1,fc1"}, ""},
		{[]string{}, "one RUN_DIR"},
		{[]string{"run", "--methods", "random,oldest"}, "oldest"},
		{[]string{"run", "--scope", "model"}, "scope"},
		{[]string{"run", "--granularity", "neuron"}, "granularity"},
		{[]string{"run", "--fractions", "0,1.5"}, "outside [0, 1]"},
		{[]string{"run", "--fractions", "-0.1:1:0.1"}, "outside [0, 1]"},
		{[]string{"run", "--fractions", "0:1:0"}, "STEP"},
		{[]string{"run", "--seeds", "0"}, "--seeds"},
		{[]string{"run", "--images", "-3"}, "--images"},
		{[]string{"run", "--finetune", "-1"}, "--finetune"},
	} {
		f, _, _ := testFactory()
		var got *ablateOptions
		err := parse(newCmdAblate(f, func(o *ablateOptions) error { got = o; return nil }), tc.args...)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.args, err)
			} else if len(tc.args) > 1 && (len(got.Opts.Ablate.Fractions) != 3 || len(got.Opts.Ablate.Layers) != 2 || got.Opts.Ablate.Grain != "unit") {
				t.Errorf("%v: parsed %+v", tc.args, got.Opts.Ablate)
			} else if len(tc.args) == 1 && len(got.Opts.Ablate.Fractions) != 21 {
				t.Errorf("default fractions %v, want 0, 0.05, …, 1", got.Opts.Ablate.Fractions)
			}
			continue
		}
		if err == nil || exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v (exit %d), want a usage error saying %q", tc.args, err, exitCode(err), tc.want)
		}
	}
}

// Running `gabor ablate` on a trained lenet: fraction 0 is `gabor eval`'s
// accuracy and loss, fraction 1 the share of one class, the unit map has a row per
// channel; an unknown layer is a data error naming the layers.
func TestAblateRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if _, errOut, code := runCLI(t, "train", "--model", "lenet", "--dataset", "synthetic", "--limit", "256", "--test-limit", "300",
		"--epochs", "2", "--device", "cpu", "--out", dir, "--snapshot", "off"); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	out, errOut, code := runCLI(t, "ablate", dir, "--fractions", "0,0.5,1", "--seeds", "2", "--unit-map", "conv1", "--images", "300",
		"--device", "cpu", "--format", "svg", "--json")
	if code != 0 {
		t.Fatalf("ablate: exit %d: %s", code, errOut)
	}
	var res struct {
		Images int
		Curves []struct {
			Method   string
			Accuracy []float64
			Seeds    int
		}
		UnitMap struct{ Drop [][]float64 } `json:"unit_map"`
		Files   []string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json %q: %v", out, err)
	}
	if len(res.Curves) != 3 || len(res.UnitMap.Drop) != 6 || len(res.Files) != 4 || res.Images != 300 {
		t.Fatalf("curves %+v, unit map rows %d, files %v, %d images", res.Curves, len(res.UnitMap.Drop), res.Files, res.Images)
	}
	for _, c := range res.Curves {
		if c.Accuracy[0] != res.Curves[0].Accuracy[0] {
			t.Errorf("%s at 0: accuracy %g, %s's %g", c.Method, c.Accuracy[0], res.Curves[0].Method, res.Curves[0].Accuracy[0])
		}
		if c.Accuracy[2] > 0.2 {
			t.Errorf("%s at 1: accuracy %g, want one class's share", c.Method, c.Accuracy[2])
		}
	}
	if res.Curves[0].Seeds != 2 || res.Curves[1].Seeds != 1 {
		t.Errorf("seeds %d, %d", res.Curves[0].Seeds, res.Curves[1].Seeds)
	}
	// On the whole test set, fraction 0 is what gabor eval reports.
	out, errOut, code = runCLI(t, "ablate", dir, "--fractions", "0", "--methods", "smallest", "--device", "cpu", "--format", "svg", "--json")
	var whole struct {
		Images int
		Curves []struct {
			Accuracy, Loss []float64
		}
	}
	if err := json.Unmarshal([]byte(out), &whole); code != 0 || err != nil {
		t.Fatalf("ablate on all images: exit %d, %v: %s", code, err, errOut)
	}
	ev, _, _ := runCLI(t, "eval", "--checkpoint", dir, "--json", "--device", "cpu")
	var e struct {
		Acc  float64 `json:"test_acc"`
		Loss float64 `json:"test_loss"`
		N    int     `json:"n"`
	}
	if err := json.Unmarshal([]byte(ev), &e); err != nil {
		t.Fatal(err)
	}
	if whole.Curves[0].Accuracy[0] != e.Acc || whole.Images != e.N || math.Abs(whole.Curves[0].Loss[0]-e.Loss) > 1e-5 {
		t.Errorf("fraction 0: accuracy %g loss %g on %d images; gabor eval %g, %g on %d", whole.Curves[0].Accuracy[0], whole.Curves[0].Loss[0], whole.Images, e.Acc, e.Loss, e.N)
	}
	_, errOut, code = runCLI(t, "ablate", dir, "--layers", "conv9", "--device", "cpu")
	if code != exitData || !strings.Contains(errOut, "conv1, conv2, fc1, fc2, fc3") {
		t.Errorf("unknown layer: exit %d, %q", code, errOut)
	}
}
