package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/geometry"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/runs"
)

func TestTrain2DArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
		want models.MLP2DOptions
	}{
		{[]string{"--dataset", "moons"}, true, models.MLP2DOptions{Hidden: []int{8, 8}, Act: "relu"}},
		{[]string{"--dataset", "XOR", "--hidden", "10,3", "--act", "step"}, true, models.MLP2DOptions{Hidden: []int{10, 3}, Act: "step"}},
		{[]string{"--model", "mlp2d", "--act", "Tanh"}, true, models.MLP2DOptions{Hidden: []int{8, 8}, Act: "tanh"}},
		{[]string{"--points", "p.csv", "--hidden", "4"}, true, models.MLP2DOptions{Hidden: []int{4}, Act: "relu"}},
		{[]string{"--dataset", "moons", "--model", "lenet"}, false, models.MLP2DOptions{}},
		{[]string{"--dataset", "moons", "--act", "softplus"}, false, models.MLP2DOptions{}},
		{[]string{"--dataset", "moons", "--hidden", "10,,3"}, false, models.MLP2DOptions{}},
		{[]string{"--dataset", "moons", "--hidden", "0"}, false, models.MLP2DOptions{}},
		{[]string{"--model", "mlp2d", "--dataset", "fashion-mnist"}, false, models.MLP2DOptions{}},
		{[]string{"--points", "p.csv", "--dataset", "moons"}, false, models.MLP2DOptions{}},
		{[]string{"--points", "p.csv", "--noise", "0.1"}, false, models.MLP2DOptions{}},
		{[]string{"--dataset", "moons", "--noise", "-2"}, false, models.MLP2DOptions{}},
		{[]string{"--dataset", "moons", "--limit", "10"}, false, models.MLP2DOptions{}},
		{[]string{"--dataset", "moons", "--n-points", "1"}, false, models.MLP2DOptions{}},
	} {
		var got *trainOptions
		f, _, _ := testFactory()
		err := parse(newCmdTrain(f, func(o *trainOptions) error { got = o; return nil }), tc.args...)
		if !tc.ok {
			if err == nil || exitCode(err) != exitUsage {
				t.Errorf("%v: got %v, want a usage error", tc.args, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		o := got.TwoD.opts
		if !slices.Equal(o.Hidden, tc.want.Hidden) || o.Act != tc.want.Act || got.Config.Model != "mlp2d" {
			t.Errorf("%v: %+v, model %s; want %+v", tc.args, o, got.Config.Model, tc.want)
		}
	}
}

// TestTrain2DRun trains mlp2d on moons (ReLU) and on a points file (step),
// then draws both with regions: the run keeps its points, the regions are
// exact, the step network is read as steps.
func TestTrain2DRun(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "moons")
	_, errOut, code := runCLI(t, "train", "--dataset", "moons", "--n-points", "400", "--hidden", "8,8", "--optimizer", "adam", "--lr", "0.02",
		"--epochs", "12", "--batch", "40", "--device", "cpu", "--out", run, "--snapshot", "every=5epochs")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, errOut)
	}
	for _, f := range []string{"points.csv", "model.json", "checkpoint.safetensors", filepath.Join(runs.SnapshotDir, runs.SnapshotName(0))} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Error(err)
		}
	}
	out, errOut, code := runCLI(t, "regions", run, "--json", "--unit", "2:1")
	if code != 0 {
		t.Fatalf("regions exit %d: %s", code, errOut)
	}
	var res geometry.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Widths != "2-8-8-2" || res.Count == nil || *res.Count < 5 || res.Accuracy == nil || *res.Accuracy < 0.9 {
		t.Errorf("regions of the moons run: widths %s, count %v, accuracy %v", res.Widths, res.Count, res.Accuracy)
	}
	gif := false
	for _, f := range res.Files {
		gif = gif || strings.HasSuffix(f, "-frames.gif")
	}
	if len(res.Curve) == 0 || res.Curve[0].Step != 0 {
		t.Errorf("the count over training does not start from the initial weights: %v", res.Curve)
	}
	if !gif || len(res.Curve) < 2 {
		t.Errorf("a run with snapshots: curve %v, files %v; want the count over training and a GIF", res.Curve, res.Files)
	}

	// gabor eval scores the run on its own points, or on a --points file.
	out, errOut, code = runCLI(t, "eval", "--checkpoint", run, "--device", "cpu", "--json")
	var ev struct {
		Acc float64 `json:"test_acc"`
		N   int     `json:"n"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &ev) != nil || ev.N != 400 || ev.Acc < 0.9 {
		t.Errorf("eval of the moons run (exit %d): %s %s", code, out, errOut)
	}

	// A step network on one's own points: the steepness schedule is in its weights.
	pts := filepath.Join(dir, "pts.csv")
	var b strings.Builder
	b.WriteString("x,y,label\n")
	for i := 0; i < 200; i++ {
		x, y := math.Cos(float64(i)), math.Sin(float64(i)*1.7)
		l := 0
		if x+y > 0.2 {
			l = 1
		}
		b.WriteString(strings.Join([]string{ftoa(x), ftoa(y), string(rune('0' + l))}, ",") + "\n")
	}
	if err := os.WriteFile(pts, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	srun := filepath.Join(dir, "step")
	_, errOut, code = runCLI(t, "train", "--points", pts, "--hidden", "4", "--act", "step", "--optimizer", "adam", "--lr", "0.05",
		"--epochs", "4", "--batch", "20", "--device", "cpu", "--out", srun, "--snapshot", "off")
	if code != 0 {
		t.Fatalf("step train exit %d: %s", code, errOut)
	}
	ck, err := runs.ReadWeights(filepath.Join(srun, "checkpoint.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := geometry.NetOf(ck)
	if err != nil {
		t.Fatal(err)
	}
	if n.Layers[0].Act != geometry.Step || n.Layers[1].Act != geometry.Linear {
		t.Errorf("activations %v %v, want step then linear", n.Layers[0].Act, n.Layers[1].Act)
	}
	out, errOut, code = runCLI(t, "regions", srun, "--json")
	if code != 0 {
		t.Fatalf("regions of the step run exit %d: %s", code, errOut)
	}
	res = geometry.Result{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Accuracy == nil || *res.Accuracy < 0.8 || res.Count == nil {
		t.Errorf("step run on its points: accuracy %v, count %v", res.Accuracy, res.Count)
	}
	out, errOut, code = runCLI(t, "eval", "--checkpoint", srun, "--points", pts, "--device", "cpu", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &ev) != nil || ev.N != 200 {
		t.Errorf("eval --points (exit %d): %s %s", code, out, errOut)
	}

	// A bad row of --points is a data error naming the file and the line.
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("x,y,label\n0,0,0\n0,0,zero\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = runCLI(t, "train", "--points", bad, "--device", "cpu", "--out", filepath.Join(dir, "bad"))
	if code != exitData || !strings.Contains(errOut, "bad.csv") || !strings.Contains(errOut, "line 3") {
		t.Errorf("bad CSV: exit %d: %s", code, errOut)
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

func FuzzParseWidths(f *testing.F) {
	for _, s := range []string{"10,3", "16,16", " 4 ", "0", "1,,2", "4096,4097", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := parseWidths(s)
		if err != nil {
			return
		}
		if len(w) == 0 || len(w) > 16 {
			t.Fatalf("parseWidths(%q) = %v", s, w)
		}
		for _, v := range w {
			if v < 1 || v > 4096 {
				t.Fatalf("parseWidths(%q) = %v", s, w)
			}
		}
	})
}
