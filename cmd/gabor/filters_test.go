package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFiltersFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, o *filtersOptions)
	}{
		{name: "defaults", args: []string{"runs/x"}, check: func(t *testing.T, o *filtersOptions) {
			f := o.Opts
			if o.Path != "runs/x" || f.Step != -1 || f.Norm != "filter" || f.Cmap != "diverging" || !f.Fit || f.R2 != 0.7 ||
				len(f.Output.Formats) != 1 || f.Output.Formats[0] != "png" || f.Output.DPI != 300 || f.Output.Width != 0 || f.Output.Force || f.Channels != "mean" || f.Layer != "" || !f.TimeLapse {
				t.Errorf("defaults: %+v", f)
			}
		}},
		{name: "every flag", args: []string{"ck.safetensors", "--layer", "conv2", "--step", "468", "--out", "figs", "--json",
			"--norm", "global", "--cmap", "gray", "--dpi", "600", "--preset", "paper", "--title", "T", "--force", "--colorbar", "--labels", "--format", "PNG, svg,pdf",
			"--channels", "each", "--fit=false", "--r2", "0.8", "--seed", "9", "--timelapse=false"},
			check: func(t *testing.T, o *filtersOptions) {
				f := o.Opts
				out := f.Output
				if f.Layer != "conv2" || f.Step != 468 || out.Dir != "figs" || !o.JSON || f.Norm != "global" || f.Cmap != "gray" ||
					out.DPI != 600 || out.Width != 3.5 || out.Title != "T" || !out.Force || !strings.Contains(out.Command, "--preset=paper") || out.Version == "" ||
					!f.Colorbar || !f.Labels || strings.Join(out.Formats, ",") != "png,svg,pdf" ||
					f.Channels != "each" || f.Fit || f.R2 != 0.8 || f.Seed != 9 || f.TimeLapse {
					t.Errorf("flags: %+v", f)
				}
			}},
		{name: "no argument", args: nil, wantErr: "needs one RUN_DIR or CHECKPOINT"},
		{name: "two arguments", args: []string{"a", "b"}, wantErr: "got 2"},
		{name: "bad norm", args: []string{"r", "--norm", "row"}, wantErr: "--norm must be filter or global"},
		{name: "bad cmap", args: []string{"r", "--cmap", "jet"}, wantErr: "--cmap must be one of diverging, gray"},
		{name: "bad format", args: []string{"r", "--format", "png,bmp"}, wantErr: `unknown format "bmp"`},
		{name: "no format", args: []string{"r", "--format", ","}, wantErr: "at least one"},
		{name: "bad r2", args: []string{"r", "--r2", "0"}, wantErr: "--r2 must be in (0, 1]"},
		{name: "bad channels", args: []string{"r", "--channels", "sum"}, wantErr: "--channels must be mean or each"},
		{name: "bad dpi", args: []string{"r", "--dpi", "5"}, wantErr: "--dpi must be from 30"},
		{name: "bad preset", args: []string{"r", "--preset", "poster"}, wantErr: "--preset must be one of paper, slide, web"},
		{name: "preset and width", args: []string{"r", "--preset", "web", "--width", "3"}, wantErr: "cannot be combined"},
		{name: "title and no-title", args: []string{"r", "--title", "x", "--no-title"}, wantErr: "cannot be combined"},
		{name: "bad width", args: []string{"r", "--width", "-2"}, wantErr: "--width"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *filtersOptions
			err := parse(newCmdFilters(f, func(o *filtersOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if exitCode(err) != exitUsage {
					t.Errorf("exit code %d, want %d", exitCode(err), exitUsage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
}

func TestTrainSnapshotFlags(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		conv1 int
		snap  string
		err   string
	}{
		{args: nil, snap: "every=1epochs"},
		{args: []string{"--conv1", "7"}, conv1: 7, snap: "every=1epochs"},
		{args: []string{"--conv1", "9x9", "--snapshot", "every=50steps"}, conv1: 9, snap: "every=50steps"},
		{args: []string{"--snapshot", "off"}, snap: "off"},
		{args: []string{"--conv1", "6"}, err: "odd kernel size"},
		{args: []string{"--conv1", "7x5"}, err: "only square kernels"},
		{args: []string{"--conv1", "7", "--model", "mlp"}, err: "has no convolution"},
		{args: []string{"--snapshot", "every=0steps"}, err: "positive integer"},
		{args: []string{"--snapshot", "hourly"}, err: "every=N[steps|epochs]"},
		{args: []string{"--resume", "runs/x", "--conv1", "7"}, err: "--conv1 cannot be combined"},
	} {
		f, _, _ := testFactory()
		var got *trainOptions
		err := parse(newCmdTrain(f, func(o *trainOptions) error { got = o; return nil }), tc.args...)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || exitCode(err) != exitUsage {
				t.Errorf("%v: error %v (exit %d), want %q (exit 2)", tc.args, err, exitCode(err), tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if got.Config.Conv1 != tc.conv1 || got.Config.Snapshot != tc.snap {
			t.Errorf("%v: conv1 %d snapshot %q", tc.args, got.Config.Conv1, got.Config.Snapshot)
		}
	}
}

// TestFiltersRun trains a tiny lenet with 7×7 filters (snapshots on by
// default), then draws it: --json keys, the files, and the errors for a
// missing run directory (exit 3) and for unknown or wrong-kind layers (exit
// 2), each listing what exists.
func TestFiltersRun(t *testing.T) {
	isolateData(t)
	dir := filepath.Join(t.TempDir(), "run")
	_, errOut, code := runCLI(t, "train", "--model", "lenet", "--dataset", "synthetic", "--limit", "256", "--test-limit", "128",
		"--epochs", "1", "--conv1", "7x7", "--device", "cpu", "--out", dir)
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, errOut)
	}
	for _, s := range []string{"step-000000.safetensors", "step-000002.safetensors"} {
		if _, err := os.Stat(filepath.Join(dir, "snapshots", s)); err != nil {
			t.Errorf("default snapshots: %v", err)
		}
	}
	out, errOut, code := runCLI(t, "filters", dir, "--json", "--format", "png,svg")
	if code != 0 {
		t.Fatalf("filters exit %d: %s", code, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	for _, k := range []string{"layer", "step", "n_filters", "gabor_score", "files"} {
		if _, ok := res[k]; !ok {
			t.Errorf("--json lacks %q: %s", k, out)
		}
	}
	if res["layer"] != "conv1" || res["step"] != 2.0 || res["n_filters"] != 6.0 || len(res) != 5 {
		t.Errorf("--json: %s", out)
	}
	for _, f := range res["files"].([]any) {
		if _, err := os.Stat(f.(string)); err != nil {
			t.Errorf("listed file: %v", err)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"filters", filepath.Join(dir, "missing")}, exitData, []string{"does not exist"}},
		{[]string{"filters", dir, "--layer", "conv7", "--fit=false"}, exitUsage, []string{`no layer "conv7"`, "pool2", "layers with filters: conv1, conv2"}},
		{[]string{"filters", dir, "--layer", "pool2", "--fit=false"}, exitUsage, []string{"pooling layer", "layers with filters: conv1, conv2"}},
		{[]string{"filters", dir, "--layer", "fc2", "--fit=false"}, exitUsage, []string{"dense layer with 120 inputs", "conv1, conv2"}},
		{[]string{"filters", dir, "--step", "5", "--fit=false"}, exitData, []string{"no weights at step 5", "steps: 0, 2"}},
	} {
		_, errOut, code := runCLI(t, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args[1:], code, tc.code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr %q does not say %q", tc.args[1:], errOut, w)
			}
		}
	}
}
