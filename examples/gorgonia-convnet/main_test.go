package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestExampleTrainsAndTheCLIDrawsItsFigures runs the example as a user
// would: a few training steps on the synthetic digits, then the gabor CLI
// (built from this module) draws filters and activations from the run
// directory alone, rebuilding the plain-gorgonia model from its record.
func TestExampleTrainsAndTheCLIDrawsItsFigures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	var out bytes.Buffer
	o := options{out: dir, device: "auto", epochs: 1, batch: 16, limit: 64, testLimit: 32, lr: 0.02, seed: 1}
	if err := run(context.Background(), o, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "gabor filters "+dir) {
		t.Errorf("the example's output does not say how to draw its figures: %q", out.String())
	}

	gabor := filepath.Join(t.TempDir(), "gabor")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", gabor, "github.com/gaborlab/gabor/cmd/gabor")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the gabor CLI: %v\n%s", err, b)
	}
	home := t.TempDir()
	cli := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(gabor, args...)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+home, "GABOR_DATA="+filepath.Join(home, "data"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("gabor %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return b
	}

	var fl struct {
		Layer    string   `json:"layer"`
		NFilters int      `json:"n_filters"`
		Files    []string `json:"files"`
	}
	if err := json.Unmarshal(cli("filters", dir, "--json", "--format", "png", "--fit=false"), &fl); err != nil {
		t.Fatal(err)
	}
	if fl.Layer != "conv1" || fl.NFilters != 8 || len(fl.Files) == 0 {
		t.Fatalf("filters: %+v, want conv1's 8 filters", fl)
	}
	for _, f := range fl.Files {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("filters wrote %s: %v", f, err)
		}
	}

	var act struct {
		Layers []struct {
			Layer string  `json:"layer"`
			Kind  string  `json:"kind"`
			Min   float64 `json:"min"`
			Max   float64 `json:"max"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(cli("activations", dir, "--index", "2", "--json", "--device", "cpu"), &act); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range act.Layers {
		names = append(names, l.Layer+":"+l.Kind)
		if l.Max <= l.Min {
			t.Errorf("layer %s is constant (min %v, max %v): its tap reads nothing", l.Layer, l.Min, l.Max)
		}
		if l.Kind == "activation" && l.Min < 0 {
			t.Errorf("layer %s after Rectify has a negative value %v", l.Layer, l.Min)
		}
	}
	want := "x:input,conv1:conv,relu1:activation,pool1:pooling,conv2:conv,relu2:activation,pool2:pooling,fc1:dense,relu3:activation,fc2:dense"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("activations lists %s, want %s", got, want)
	}
}
