package main

import (
	"encoding/json"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Flag parsing of `gabor race`: what is refused is a usage error naming
// what exists.
func TestRaceFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" : accepted
	}{
		{[]string{}, ""},
		{[]string{"--problem", "beale,saddle", "--optimizers", "adam,sgd", "--lr-adam", "0.3", "--steps", "10"}, ""},
		{[]string{"--problem", "himmelblau"}, "rosenbrock"},
		{[]string{"--optimizers", "adam,lbfgs"}, "rmsprop"},
		{[]string{"--lr-sgd", "-1"}, "--lr-sgd"},
		{[]string{"--steps", "0"}, "--steps"},
		{[]string{"--tol", "0"}, "--tol"},
		{[]string{"--grid", "1"}, "--grid"},
		{[]string{"--gif-every", "-2"}, "--gif-every"},
		{[]string{"--device", "tpu"}, "tpu"},
		{[]string{"extra"}, "no arguments"},
	} {
		f, _, _ := testFactory()
		err := parse(newCmdRace(f, func(*raceOptions) error { return nil }), tc.args...)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.args, err)
			}
			continue
		}
		if err == nil || exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v (exit %d), want a usage error saying %q", tc.args, err, exitCode(err), tc.want)
		}
	}
	f, _, _ := testFactory()
	var got *raceOptions
	if err := parse(newCmdRace(f, func(o *raceOptions) error { got = o; return nil }), "--problem", "beale,saddle", "--optimizers", "adam,sgd", "--lr-adam", "0.3"); err != nil {
		t.Fatal(err)
	}
	if len(got.Problems) != 2 || got.Problems[1].Name != "saddle" || len(got.Race.Optimizers) != 2 || got.Race.LR["adam"] != 0.3 || len(got.Race.LR) != 1 {
		t.Errorf("parsed problems %d, optimizers %v, rates %v", len(got.Problems), got.Race.Optimizers, got.Race.LR)
	}
}

// Running `gabor race`: the table, the files, a GIF of one frame per N
// steps under 5 MB, and --json.
func TestRaceRun(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runCLI(t, "race", "--problem", "linefit", "--steps", "40", "--gif-every", "10", "--grid", "21", "--out", dir, "--format", "svg", "--json")
	if code != 0 {
		t.Fatalf("race: exit %d: %s", code, errOut)
	}
	var res struct {
		Races []struct {
			Problem string
			Paths   []struct {
				Optimizer string
				Points    [][2]float64
			}
			Files     []string
			GIFFrames int `json:"gif_frames"`
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json %q: %v", out, err)
	}
	if len(res.Races) != 1 || len(res.Races[0].Paths) != 6 || len(res.Races[0].Paths[5].Points) != 41 {
		t.Fatalf("races %+v", res.Races)
	}
	r := res.Races[0]
	if r.GIFFrames != 5 || len(r.Files) != 3 {
		t.Errorf("%d GIF frames (want 5: steps 0, 10, 20, 30, 40), files %v", r.GIFFrames, r.Files)
	}
	gf, err := os.Open(filepath.Join(dir, "race-linefit.gif"))
	if err != nil {
		t.Fatal(err)
	}
	defer gf.Close()
	st, _ := gf.Stat()
	g, err := gif.DecodeAll(gf)
	if err != nil || len(g.Image) != 5 || st.Size() > 5<<20 {
		t.Errorf("GIF: %v, %d frames, %d bytes", err, len(g.Image), st.Size())
	}
	out, errOut, code = runCLI(t, "race", "--problem", "saddle", "--optimizers", "sgd,adam", "--gif=false", "--grid", "11", "--out", dir, "--format", "png", "--dpi", "72")
	if code != 0 || !strings.Contains(out, "left the box") || !strings.Contains(out, "steps to tol") || !strings.Contains(out, "race-saddle.png") {
		t.Errorf("saddle: exit %d: %s %s", code, out, errOut)
	}
}
