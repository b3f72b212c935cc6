package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gaborlab/gabor/kernels"
)

// jsonLines decodes stdout of --json: one object per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("stdout line is not a JSON object: %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func requireKeys(t *testing.T, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("event %v lacks key %q", m["event"], k)
		}
	}
}

// The keys of the --json contract (README, "JSON output").
var (
	epochKeys = []string{"event", "epoch", "train_loss", "test_acc", "epoch_s", "images_per_s"}
	doneKeys  = []string{"event", "model", "device", "dataset", "epochs", "test_acc", "epoch_s", "run_dir"}
)

// noRunDir fails if dir, or any staging directory beside it, exists.
func noRunDir(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("run directory %s was left behind", dir)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+filepath.Base(dir)) {
			t.Errorf("partial run directory %s left behind", e.Name())
		}
	}
}

// TestTrainSyntheticJSON is the quick end-to-end run of the issue: the built-in
// dataset, 512 images, one epoch, and the JSON contract on stdout.
func TestTrainSyntheticJSON(t *testing.T) {
	isolateData(t)
	runDir := filepath.Join(t.TempDir(), "run")
	out, errOut, code := runCLI(t, "train", "--dataset", "synthetic", "--limit", "512", "--epochs", "1",
		"--test-limit", "500", "--model", "mlp", "--device", "cpu", "--out", runDir, "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	lines := jsonLines(t, out)
	if len(lines) != 2 {
		t.Fatalf("want an epoch and a done line, got %d:\n%s", len(lines), out)
	}
	ep, done := lines[0], lines[1]
	requireKeys(t, ep, epochKeys...)
	requireKeys(t, done, doneKeys...)
	if ep["event"] != "epoch" || ep["epoch"] != 1.0 || done["event"] != "done" {
		t.Errorf("events %v, %v", ep, done)
	}
	if done["model"] != "mlp" || done["dataset"] != "synthetic" || done["device"] != "cpu" ||
		done["epochs"] != 1.0 || done["run_dir"] != runDir {
		t.Errorf("done event %v", done)
	}
	if acc, _ := ep["test_acc"].(float64); acc <= 0 || acc > 1 || acc != done["test_acc"] {
		t.Errorf("test_acc %v (epoch) vs %v (done)", ep["test_acc"], done["test_acc"])
	}
	if s, _ := done["epoch_s"].([]any); len(s) != 1 || s[0] != ep["epoch_s"] {
		t.Errorf("epoch_s %v, want [%v]", done["epoch_s"], ep["epoch_s"])
	}
	if ips, _ := ep["images_per_s"].(float64); ips <= 0 {
		t.Errorf("images_per_s %v", ep["images_per_s"])
	}
	for _, f := range []string{"config.json", "metrics.jsonl", "checkpoint.safetensors"} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Errorf("run dir lacks %s: %v", f, err)
		}
	}
	// stderr is for people: the plain epoch line (not a terminal, so no bar).
	if !strings.Contains(errOut, "epoch 1/1") || strings.Contains(errOut, "\r") {
		t.Errorf("stderr %q", errOut)
	}
}

// TestTrainRun runs training against buffers on a tiny set in a temporary folder
// (loaded in milliseconds): bad input, the default run dir, resume and eval.
func TestTrainRun(t *testing.T) {
	isolateData(t)
	good := filepath.Join(t.TempDir(), "tiny")
	writeTinySet(t, good, 64, 40)
	tiny := []string{"--model", "mlp", "--data", good, "--batch", "16", "--device", "cpu"}

	t.Run("missing data dir", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "no-such-dir")
		runDir := filepath.Join(t.TempDir(), "run")
		_, errOut, code := runCLI(t, "train", "--data", missing, "--out", runDir)
		if code != exitData || !strings.Contains(errOut, missing) {
			t.Errorf("exit %d (want %d), stderr should name %s: %q", code, exitData, missing, errOut)
		}
		noRunDir(t, runDir)
	})
	for i, c := range corruptions {
		t.Run("bad data: "+c.name, func(t *testing.T) {
			dir, bad := writeCorrupt(t, i)
			runDir := filepath.Join(t.TempDir(), "run")
			_, errOut, code := runCLI(t, "train", "--data", dir, "--batch", "8", "--out", runDir)
			if code != exitData || !strings.Contains(errOut, bad) || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d (want %d), stderr should name %s and say %q: %q", code, exitData, bad, c.want, errOut)
			}
			noRunDir(t, runDir)
		})
	}
	t.Run("dataset not installed", func(t *testing.T) {
		runDir := filepath.Join(t.TempDir(), "run")
		_, errOut, code := runCLI(t, "train", "--dataset", "kmnist", "--out", runDir)
		if code != exitData || !strings.Contains(errOut, `dataset "kmnist" not found`) || !strings.Contains(errOut, "gabor data fetch kmnist") {
			t.Errorf("exit %d (want %d), stderr should list where it looked and how to get it: %q", code, exitData, errOut)
		}
		noRunDir(t, runDir)
	})
	t.Run("usage errors leave nothing", func(t *testing.T) {
		for _, args := range [][]string{{"--model", "resnet"}, {"--epochs", "-1"}, {"--batch", "0"}} {
			runDir := filepath.Join(t.TempDir(), "run")
			_, _, code := runCLI(t, append(append([]string{"train"}, args...), "--out", runDir)...)
			if code != exitUsage {
				t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
			}
			noRunDir(t, runDir)
		}
	})
	t.Run("missing init-from file", func(t *testing.T) {
		runDir := filepath.Join(t.TempDir(), "run")
		missing := filepath.Join(t.TempDir(), "weights.bin")
		_, errOut, code := runCLI(t, append([]string{"train"}, append(tiny, "--init-from", missing, "--out", runDir)...)...)
		if code != exitData || !strings.Contains(errOut, missing) {
			t.Errorf("exit %d (want %d), stderr should name %s: %q", code, exitData, missing, errOut)
		}
		noRunDir(t, runDir)
	})
	t.Run("cuda in a CPU-only binary", func(t *testing.T) {
		if slices.Contains(kernels.Names(), "cuda") {
			t.Skip("this binary has the cuda backend; whether it opens depends on the machine")
		}
		runDir := filepath.Join(t.TempDir(), "run")
		_, errOut, code := runCLI(t, "train", "--device", "cuda", "--data", good, "--out", runDir)
		if code != exitDevice || !strings.Contains(errOut, "make gpu") {
			t.Errorf("exit %d (want %d), stderr %q", code, exitDevice, errOut)
		}
		noRunDir(t, runDir)
	})
	t.Run("interrupted before the first checkpoint", func(t *testing.T) {
		runDir := filepath.Join(t.TempDir(), "run")
		f, _, errOut := testFactory()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		code := execute(ctx, f, append([]string{"train"}, append(tiny, "--out", runDir)...))
		if code != exitInterrupted || !strings.Contains(errOut.String(), "interrupted") {
			t.Errorf("exit %d (want %d), stderr %q should say it was interrupted", code, exitInterrupted, errOut)
		}
		noRunDir(t, runDir)
	})
	t.Run("default run dir", func(t *testing.T) {
		wd := t.TempDir()
		t.Chdir(wd)
		_, errOut, code := runCLI(t, append([]string{"train", "--epochs", "1"}, tiny...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		// testFactory's clock: 2026-01-02 03:04:05.
		want := filepath.Join("runs", "mlp-20260102-030405")
		if _, err := os.Stat(filepath.Join(wd, want, "checkpoint.safetensors")); err != nil {
			t.Errorf("no checkpoint in %s: %v", want, err)
		}
		if !strings.Contains(errOut, "dataset: mnist (files in "+good+")") {
			t.Errorf("stderr should say which dataset was picked: %q", errOut)
		}
	})

	// One run of 3 epochs, and one of 1 epoch resumed to 3: the same numbers.
	straight := filepath.Join(t.TempDir(), "straight")
	out, errOut, code := runCLI(t, append([]string{"train", "--epochs", "3", "--json", "--out", straight}, tiny...)...)
	if code != 0 {
		t.Fatalf("straight run: exit %d: %s", code, errOut)
	}
	want := jsonLines(t, out)
	t.Run("resume", func(t *testing.T) {
		resumed := filepath.Join(t.TempDir(), "resumed")
		if _, errOut, code := runCLI(t, append([]string{"train", "--epochs", "1", "--out", resumed}, tiny...)...); code != 0 {
			t.Fatalf("first epoch: exit %d: %s", code, errOut)
		}
		out, errOut, code := runCLI(t, "train", "--resume", resumed, "--epochs", "3", "--json")
		if code != 0 {
			t.Fatalf("resume: exit %d: %s", code, errOut)
		}
		got := jsonLines(t, out)
		if len(got) != 3 || len(want) != 4 {
			t.Fatalf("resumed run printed %d lines (want epochs 2, 3 and done), straight run %d", len(got), len(want))
		}
		for i, k := range []int{1, 2} { // epochs 2 and 3
			for _, key := range []string{"epoch", "train_loss", "test_acc"} {
				if got[i][key] != want[k][key] {
					t.Errorf("epoch %d %s: resumed %v, straight %v", k+1, key, got[i][key], want[k][key])
				}
			}
		}
		d := got[2]
		requireKeys(t, d, doneKeys...)
		if d["epochs"] != 3.0 || d["test_acc"] != want[3]["test_acc"] || d["run_dir"] != resumed {
			t.Errorf("done %v, straight %v", d, want[3])
		}
		if e, _ := d["epoch_s"].([]any); len(e) != 3 {
			t.Errorf("epoch_s of a resumed run covers all epochs: %v", d["epoch_s"])
		}
	})
	t.Run("resume of a missing run", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nothing")
		_, errOut, code := runCLI(t, "train", "--resume", missing)
		if code != exitData || !strings.Contains(errOut, missing) {
			t.Errorf("exit %d (want %d), stderr %q", code, exitData, errOut)
		}
	})
	t.Run("eval", func(t *testing.T) {
		out, errOut, code := runCLI(t, "eval", "--checkpoint", straight, "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		ev := jsonLines(t, out)
		if len(ev) != 1 {
			t.Fatalf("want one line: %s", out)
		}
		requireKeys(t, ev[0], "event", "model", "dataset", "device", "test_acc", "test_loss", "n", "checkpoint")
		if ev[0]["event"] != "eval" || ev[0]["test_acc"] != want[3]["test_acc"] || ev[0]["n"] != 40.0 {
			t.Errorf("eval %v; training ended with test_acc %v", ev[0], want[3]["test_acc"])
		}
		out, _, code = runCLI(t, "eval", "--checkpoint", filepath.Join(straight, "checkpoint.safetensors"), "--test-limit", "16")
		if code != 0 || !strings.Contains(out, "16 images") {
			t.Errorf("exit %d, output %q", code, out)
		}
	})
	t.Run("eval errors", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "ck.safetensors")
		_, errOut, code := runCLI(t, "eval", "--checkpoint", missing)
		if code != exitData || !strings.Contains(errOut, missing) {
			t.Errorf("exit %d (want %d), stderr %q", code, exitData, errOut)
		}
		corrupt := filepath.Join(t.TempDir(), "ck.safetensors")
		b, err := os.ReadFile(filepath.Join(straight, "checkpoint.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		overwrite(t, corrupt, b[:len(b)/2])
		_, errOut, code = runCLI(t, "eval", "--checkpoint", corrupt)
		if code != exitData || !strings.Contains(errOut, corrupt) {
			t.Errorf("truncated checkpoint: exit %d (want %d), stderr %q", code, exitData, errOut)
		}
		if _, _, code := runCLI(t, "eval"); code != exitUsage {
			t.Errorf("eval without --checkpoint: exit %d, want %d", code, exitUsage)
		}
	})
	t.Run("json lines are the documented events only", func(t *testing.T) {
		var kinds []string
		for _, l := range want {
			kinds = append(kinds, l["event"].(string))
		}
		if !reflect.DeepEqual(kinds, []string{"epoch", "epoch", "epoch", "done"}) {
			t.Errorf("events %v", kinds)
		}
	})
}

// TestDefaultDataset: with no --dataset and no --data, fashion-mnist is used when the
// search finds it ($GABOR_DATA comes first), and stderr says where it was found.
func TestDefaultDataset(t *testing.T) {
	isolateData(t)
	root := t.TempDir()
	t.Setenv("GABOR_DATA", root)
	dir := filepath.Join(root, "fashion-mnist")
	writeTinySet(t, dir, 10, 10)
	io, _, errOut := testIO()
	r := newTrainReporter(io, false, 1, time.Now)
	if got := announceDataset(r, ""); got != "fashion-mnist" {
		t.Errorf("default dataset %q, want fashion-mnist", got)
	}
	if want := "dataset: fashion-mnist (found in " + dir + ")"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q lacks %q", errOut, want)
	}
}
