package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Flag parsing of `gabor landscape`: what is refused is a usage error.
func TestLandscapeFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"run"}, true},
		{[]string{"run", "--views", "line,pca,random", "--alpha", "-1,2,5", "--grid", "3"}, true},
		{[]string{}, false},
		{[]string{"a", "b"}, false},
		{[]string{"run", "--views", "line,hills"}, false},
		{[]string{"run", "--alpha", "1,0,5"}, false},
		{[]string{"run", "--alpha", "0,1"}, false},
		{[]string{"run", "--alpha", "0,1,1"}, false},
		{[]string{"run", "--alpha", "0,x,3"}, false},
		{[]string{"run", "--grid", "1"}, false},
		{[]string{"run", "--range", "0"}, false},
		{[]string{"run", "--images", "-1"}, false},
		{[]string{"run", "--batch", "0"}, false},
		{[]string{"run", "--views", "random", "--to", "other"}, false},
		{[]string{"run", "--device", "tpu"}, false},
	} {
		f, _, _ := testFactory()
		var got *landscapeOptions
		err := parse(newCmdLandscape(f, func(o *landscapeOptions) error { got = o; return nil }), tc.args...)
		if tc.ok != (err == nil) {
			t.Errorf("%v: error %v, want ok=%v", tc.args, err, tc.ok)
			continue
		}
		if err != nil && exitCode(err) != exitUsage {
			t.Errorf("%v: exit %d, want %d (%v)", tc.args, exitCode(err), exitUsage, err)
		}
		if tc.ok && len(tc.args) > 1 && (got.Opts.AlphaN != 5 || len(got.Opts.Views) != 3 || got.Opts.Grid != 3) {
			t.Errorf("%v: parsed %+v", tc.args, got.Opts)
		}
	}
}

// Running `gabor landscape` on trained runs: files and JSON, the line's ends
// are the final weights' score, and bad inputs are data errors naming what
// there is.
func TestLandscapeRun(t *testing.T) {
	base := t.TempDir()
	a, b, mlp := filepath.Join(base, "a"), filepath.Join(base, "b"), filepath.Join(base, "mlp")
	for _, r := range []struct {
		dir  string
		args []string
	}{
		{a, []string{"--model", "lenet", "--snapshot", "every=1steps", "--seed", "1"}},
		{b, []string{"--model", "lenet", "--snapshot", "off", "--seed", "2"}},
		{mlp, []string{"--model", "mlp", "--snapshot", "off"}},
	} {
		args := append([]string{"train", "--dataset", "synthetic", "--limit", "256", "--test-limit", "100", "--epochs", "2", "--device", "cpu", "--out", r.dir}, r.args...)
		if _, errOut, code := runCLI(t, args...); code != 0 {
			t.Fatalf("train %s: exit %d: %s", r.dir, code, errOut)
		}
	}
	out, errOut, code := runCLI(t, "landscape", a, "--views", "line,random,pca", "--alpha", "0,1,3", "--grid", "3", "--images", "64",
		"--device", "cpu", "--format", "svg", "--json")
	if code != 0 {
		t.Fatalf("landscape: exit %d: %s", code, errOut)
	}
	var res struct {
		Final struct{ Loss float64 }
		Line  []struct {
			Alpha, Loss float64
		}
		Surfaces []struct {
			Kind string
			Path [][2]float64
		}
		Files    []string
		InitFrom string `json:"init_from"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json %q: %v", out, err)
	}
	if len(res.Line) != 3 || res.Line[2].Loss != res.Final.Loss || res.InitFrom != "snapshot step 0" {
		t.Errorf("line %+v, final %+v, init from %q", res.Line, res.Final, res.InitFrom)
	}
	if len(res.Surfaces) != 2 || res.Surfaces[1].Kind != "pca" || len(res.Surfaces[1].Path) != 5 {
		t.Errorf("surfaces %+v", res.Surfaces)
	}
	if len(res.Files) != 6 {
		t.Errorf("files %v, want an SVG and a CSV per view", res.Files)
	}
	for _, f := range res.Files {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(errOut, "landscape: ") || !strings.Contains(errOut, "ETA") {
		t.Errorf("no progress on stderr: %q", errOut)
	}
	out, errOut, code = runCLI(t, "landscape", a, "--views", "line", "--to", b, "--alpha", "0,1,2", "--images", "64", "--device", "cpu", "--format", "png", "--dpi", "72")
	if code != 0 || !strings.Contains(out, "landscape-line-a-to-b.png") {
		t.Errorf("--to: exit %d: %s %s", code, out, errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"landscape", b, "--views", "pca"}, "has 0 snapshots"},
		{[]string{"landscape", a, "--views", "line", "--to", mlp}, "does not match"},
		{[]string{"landscape", filepath.Join(base, "none")}, "does not exist"},
	} {
		_, errOut, code := runCLI(t, append(tc.args, "--device", "cpu", "--images", "16")...)
		if code != exitData || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit %d saying %q", tc.args, code, errOut, exitData, tc.want)
		}
	}
}
