package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/geometry"
)

func TestRegionsArgs(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		ok    bool
		check func(*regionsOptions) bool
	}{
		{[]string{"runs/a"}, true, func(o *regionsOptions) bool { return o.Path == "runs/a" && o.Opts.Step == -1 && o.Opts.Res == 256 }},
		{[]string{"runs/a", "--step", "30", "--box", "-1,-2,1,2", "--unit", "2:3", "--unit", "1:1"}, true, func(o *regionsOptions) bool {
			return o.Opts.Step == 30 && *o.Opts.Box == geometry.Box{X0: -1, Y0: -2, X1: 1, Y1: 2} &&
				len(o.Opts.Units) == 2 && o.Opts.Units[0] == geometry.UnitRef{Layer: 1, Unit: 2}
		}},
		{[]string{"--construct", "s.json"}, true, func(o *regionsOptions) bool { return o.Construct == "s.json" && o.Path == "" }},
		{[]string{"--depth-example", "--json"}, true, func(o *regionsOptions) bool { return o.Depth && o.JSON }},
		{[]string{"--net", "n.json"}, true, func(o *regionsOptions) bool { return o.NetFile == "n.json" }},
		{[]string{"--net", "n.json", "--depth-example"}, false, nil},
		{[]string{}, false, nil},
		{[]string{"a", "b"}, false, nil},
		{[]string{"a", "--construct", "s.json"}, false, nil},
		{[]string{"--construct", "s.json", "--depth-example"}, false, nil},
		{[]string{"a", "--box", "1,2,3"}, false, nil},
		{[]string{"a", "--box", "1,1,0,2"}, false, nil},
		{[]string{"a", "--box", "0,0,nan,1"}, false, nil},
		{[]string{"a", "--unit", "0:1"}, false, nil},
		{[]string{"a", "--unit", "2"}, false, nil},
		{[]string{"a", "--res", "8"}, false, nil},
		{[]string{"a", "--format", "tiff"}, false, nil},
	} {
		var got *regionsOptions
		f, _, _ := testFactory()
		err := parse(newCmdRegions(f, func(o *regionsOptions) error { got = o; return nil }), tc.args...)
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
		if !tc.check(got) {
			t.Errorf("%v: parsed %+v", tc.args, got.Opts)
		}
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRegionsRun draws a constructed network and the depth example, and
// checks the exit codes of bad inputs.
func TestRegionsRun(t *testing.T) {
	dir := t.TempDir()
	shapes := writeFile(t, dir, "two.json", `{"polygons": [[[-1.8,-1],[-1.5,1],[-0.4,0]], [[0.3,-1.5],[1.8,-1.2],[1,1.5]]], "unions": [[0, 1]]}`)
	pts := writeFile(t, dir, "pts.csv", "x,y,label\n-1.2,0,1\n1,0,1\n0,1.8,0\n")
	out, errOut, code := runCLI(t, "regions", "--construct", shapes, "--points", pts, "--json", "--out", filepath.Join(dir, "figs"), "--format", "png,svg")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res geometry.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json %q: %v", out, err)
	}
	if res.Count == nil || *res.Count != len(res.Regions) || *res.Count < 10 || res.Widths != "2-6-2-1-2" {
		t.Errorf("count %v, %d regions listed, widths %s", res.Count, len(res.Regions), res.Widths)
	}
	if res.Accuracy == nil || *res.Accuracy != 1 {
		t.Errorf("accuracy on the points %v, want 1", res.Accuracy)
	}
	tri := func(v ...float64) float64 {
		return geometry.Polygon{{X: v[0], Y: v[1]}, {X: v[2], Y: v[3]}, {X: v[4], Y: v[5]}}.Area()
	}
	want := tri(-1.8, -1, -0.4, 0, -1.5, 1) + tri(0.3, -1.5, 1.8, -1.2, 1, 1.5)
	if d := res.ClassAreas[1] - want; d > 1e-9 || d < -1e-9 {
		t.Errorf("class 1 covers %g, the triangles %g", res.ClassAreas[1], want)
	}
	if len(res.Files) != 2 {
		t.Errorf("files %v, want a png and an svg", res.Files)
	}
	for _, f := range res.Files {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	out, errOut, code = runCLI(t, "regions", "--depth-example", "--json", "--out", filepath.Join(dir, "depth"))
	if code != 0 {
		t.Fatalf("depth exit %d: %s", code, errOut)
	}
	var d geometry.DepthResult
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.DeepWeights != 74 || d.DeepParams != 95 || d.ShallowWeights != 100 || d.ShallowParams != 118 || len(d.Patterns) != 8 {
		t.Errorf("depth: %d/%d and %d/%d weights, %d patterns", d.DeepWeights, d.DeepParams, d.ShallowWeights, d.ShallowParams, len(d.Patterns))
	}
	out, _, code = runCLI(t, "regions", "--depth-example", "--out", filepath.Join(dir, "depth"))
	if code != 0 || !strings.Contains(out, "2-10-3-8 has 74 weights (95 with biases), 2-10-8 has 100 (118)") {
		t.Errorf("depth text (exit %d): %s", code, out)
	}

	net := writeFile(t, dir, "axes.json", `{"layers": [{"weight": [[1,0],[0,1]], "bias": [0,0], "act": "relu"}, {"weight": [[1,-1],[-1,1]], "bias": [0,0]}]}`)
	out, errOut, code = runCLI(t, "regions", "--net", net, "--box", "-1,-1,1,1", "--json", "--out", filepath.Join(dir, "figs"))
	if code != 0 {
		t.Fatalf("--net exit %d: %s", code, errOut)
	}
	res = geometry.Result{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Count == nil || *res.Count != 4 || res.Regions[0].Area != 1 {
		t.Errorf("two ReLU axes: %v regions (want the 4 quadrants), %+v", res.Count, res.Regions)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"non-convex polygon", []string{"--construct", writeFile(t, dir, "dart.json", `{"polygons": [[[0,0],[2,0],[1,0.5],[1,2]]]}`)}, exitData, []string{"dart.json", "polygon 0", "not convex"}},
		{"bow tie", []string{"--construct", writeFile(t, dir, "bow.json", `{"polygons": [[[0,0],[1,1],[1,0],[0,1]]]}`)}, exitData, []string{"bow.json", "not convex"}},
		{"two vertices", []string{"--construct", writeFile(t, dir, "two.json2", `{"polygons": [[[0,0],[1,0]]]}`)}, exitData, []string{"two.json2", "at least 3 vertices"}},
		{"not JSON", []string{"--construct", writeFile(t, dir, "junk.json", `{"polygons": [`)}, exitData, []string{"junk.json"}},
		{"missing shapes", []string{"--construct", filepath.Join(dir, "none.json")}, exitData, []string{"none.json"}},
		{"bad CSV row", []string{"--construct", shapes, "--points", writeFile(t, dir, "bad.csv", "x,y,label\n1,2,0\n1,oops,1\n")}, exitData, []string{"bad.csv", "line 3"}},
		{"missing run", []string{filepath.Join(dir, "norun")}, exitData, []string{"norun"}},
		{"3-D net", []string{"--net", writeFile(t, dir, "3d.json", `{"layers": [{"weight": [[1,0,0]], "bias": [0]}]}`)}, exitUsage, []string{"3d.json", "not 2-D"}},
		{"bad net", []string{"--net", writeFile(t, dir, "badnet.json", `{"layers": [{"weight": [[1,0]], "bias": [0], "act": "softplus"}]}`)}, exitData, []string{"badnet.json", "softplus"}},
		{"unit out of range", []string{"--construct", shapes, "--unit", "9:1", "--out", filepath.Join(dir, "figs")}, exitError, []string{"no hidden unit 9:1"}},
	} {
		_, errOut, code := runCLI(t, append([]string{"regions"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d: %s", tc.name, code, tc.code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: stderr %q lacks %q", tc.name, errOut, w)
			}
		}
	}
}

// A run of a model that is not 2-D is a usage error (exit 2).
func TestRegionsRejectsImageModels(t *testing.T) {
	isolateData(t)
	dir := filepath.Join(t.TempDir(), "run")
	_, errOut, code := runCLI(t, "train", "--model", "mlp", "--dataset", "synthetic", "--limit", "128", "--test-limit", "64",
		"--epochs", "1", "--batch", "64", "--device", "cpu", "--out", dir, "--snapshot", "off")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, errOut)
	}
	_, errOut, code = runCLI(t, "regions", dir)
	if code != exitUsage || !strings.Contains(errOut, "not 2-D") {
		t.Errorf("exit %d, want 2 naming the input: %s", code, errOut)
	}
}

func FuzzParseRegionsFlags(f *testing.F) {
	for _, s := range []string{"-1,-2,1,2", "1:3", "0,0,1e6,1e6", "2:", ":", "1,2,3,4,5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if b, err := parseBox(s); err == nil && !(b.X1 > b.X0 && b.Y1 > b.Y0) {
			t.Fatalf("parseBox(%q) = %v, an empty box", s, b)
		}
		if u, err := parseUnit(s); err == nil && (u.Layer < 0 || u.Unit < 0) {
			t.Fatalf("parseUnit(%q) = %v", s, u)
		}
	})
}
