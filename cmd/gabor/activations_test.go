package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/introspect"
)

func TestActivationsFlags(t *testing.T) {
	f, _, _ := testFactory()
	var got *activationsOptions
	keep := func(o *activationsOptions) error { got = o; return nil }
	if err := parse(newCmdActivations(f, keep), "runs/x"); err != nil {
		t.Fatal(err)
	}
	o := got.Opts
	if got.Path != "runs/x" || o.Index != 0 || o.Norm != introspect.NormLayer || !(slices.Equal(o.Output.Formats, []string{"png"}) && o.Output.DPI == 300) || o.Device != "auto" || got.JSON {
		t.Errorf("defaults: %+v %+v", got, o)
	}
	if err := parse(newCmdActivations(f, keep), "r", "--index", "17", "--norm", "map", "--format", "png, SVG,pdf", "--out", "o", "--json", "--device", "cpu"); err != nil {
		t.Fatal(err)
	}
	o = got.Opts
	if o.Index != 17 || o.Norm != introspect.NormMap || !slices.Equal(o.Output.Formats, []string{"png", "svg", "pdf"}) || o.Output.Dir != "o" || !got.JSON || o.Device != "cpu" {
		t.Errorf("flags: %+v %+v", got, o)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "needs one RUN_DIR or CHECKPOINT"},
		{[]string{"a", "b"}, "needs one RUN_DIR or CHECKPOINT"},
		{[]string{"r", "--index", "-1"}, "--index must be 0 or more"},
		{[]string{"r", "--norm", "global"}, "--norm must be one of layer, map"},
		{[]string{"r", "--format", "gif"}, `unknown format "gif"`},
		{[]string{"r", "--format", ","}, "at least one of"},
		{[]string{"r", "--device", "tpu"}, `unknown device "tpu"`},
		{[]string{"r", "--index", "x"}, "invalid argument"},
	} {
		err := parse(newCmdActivations(f, keep), tc.args...)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (exit %d), want a usage error saying %q", tc.args, err, exitCode(err), tc.want)
		}
	}
}

func TestEmbedFlags(t *testing.T) {
	f, _, _ := testFactory()
	var got *embedOptions
	keep := func(o *embedOptions) error { got = o; return nil }
	if err := parse(newCmdEmbed(f, keep), "runs/x"); err != nil {
		t.Fatal(err)
	}
	o := got.Opts
	if o.Layer != "all" || o.N != 2000 || o.Seed != 1 || o.MaxFrames != 12 || o.Delay != 60 || !(slices.Equal(o.Output.Formats, []string{"png"}) && o.Output.DPI == 300) {
		t.Errorf("defaults: %+v", o)
	}
	if err := parse(newCmdEmbed(f, keep), "r", "--layer", "fc2", "--n", "500", "--seed", "9", "--frames", "0", "--format", "svg"); err != nil {
		t.Fatal(err)
	}
	o = got.Opts
	if o.Layer != "fc2" || o.N != 500 || o.Seed != 9 || o.MaxFrames >= 0 || !slices.Equal(o.Output.Formats, []string{"svg"}) {
		t.Errorf("flags: %+v (--frames 0 must turn the sequence off)", o)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "needs one RUN_DIR"},
		{[]string{"r", "--n", "1"}, "--n must be at least 2"},
		{[]string{"r", "--frames", "1"}, "--frames must be 0"},
		{[]string{"r", "--delay", "0"}, "--delay must be at least 1"},
		{[]string{"r", "--format", "jpg"}, `unknown format "jpg"`},
	} {
		err := parse(newCmdEmbed(f, keep), tc.args...)
		if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (exit %d), want a usage error saying %q", tc.args, err, exitCode(err), tc.want)
		}
	}
}

// TestActivationsAndEmbedRun trains a tiny lenet (snapshots on by default),
// then runs both commands on it: --json output, the files, and the errors
// for a missing run directory (exit 3), an unknown layer (exit 2, listing
// the layers) and an image index out of range (exit 2, naming the range).
func TestActivationsAndEmbedRun(t *testing.T) {
	isolateData(t)
	dir := filepath.Join(t.TempDir(), "run")
	_, errOut, code := runCLI(t, "train", "--model", "lenet", "--dataset", "synthetic", "--limit", "256", "--test-limit", "128",
		"--epochs", "1", "--device", "cpu", "--out", dir)
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, errOut)
	}

	out, errOut, code := runCLI(t, "activations", dir, "--index", "4", "--json", "--device", "cpu")
	if code != 0 {
		t.Fatalf("activations exit %d: %s", code, errOut)
	}
	var act introspect.ActivationsResult
	if err := json.Unmarshal([]byte(out), &act); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if act.Index != 4 || len(act.Layers) != 12 || act.Layers[1].Layer != "conv1" || len(act.Files) != 2 {
		t.Errorf("activations --json: %s", out)
	}
	for _, f := range act.Files {
		if !strings.HasPrefix(f, filepath.Join(dir, "figures")) {
			t.Errorf("%s is not in RUN_DIR/figures", f)
		}
		if _, err := os.Stat(f); err != nil {
			t.Errorf("listed file: %v", err)
		}
	}

	out, errOut, code = runCLI(t, "embed", dir, "--layer", "pool2", "--n", "100", "--device", "cpu", "--out", filepath.Join(dir, "emb"))
	if code != 0 {
		t.Fatalf("embed exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "pool2") || !strings.Contains(out, "2 frames") {
		t.Errorf("embed output %q: want pool2 with 2 frames (snapshots of steps 0 and 2)", out)
	}
	for _, f := range []string{"embed-pool2-step000002.png", "embed-pool2-step000002.csv", "embed-pool2-frames.gif", "embed-step000002.json"} {
		if _, err := os.Stat(filepath.Join(dir, "emb", f)); err != nil {
			t.Errorf("embed: %v", err)
		}
	}

	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"activations", filepath.Join(dir, "missing")}, exitData, []string{"does not exist"}},
		{[]string{"embed", filepath.Join(dir, "missing")}, exitData, []string{"does not exist"}},
		{[]string{"activations", dir, "--index", "10000", "--device", "cpu"}, exitUsage, []string{"index 10000 is out of range", "0 to 9999"}},
		{[]string{"embed", dir, "--layer", "conv7", "--device", "cpu"}, exitUsage, []string{`no layer "conv7"`, "x, conv1, relu1, pool1, conv2, relu2, pool2, fc1"}},
	} {
		_, errOut, code := runCLI(t, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr %q does not say %q", tc.args, errOut, w)
			}
		}
	}
}
