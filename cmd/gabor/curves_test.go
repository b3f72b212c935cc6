package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// curves and eval --confusion on a trained run: files written, JSON says
// what, and a second call writes beside the first.
func TestCurvesAndConfusionRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	_, errOut, code := runCLI(t, "train", "--model", "mlp", "--dataset", "synthetic", "--limit", "512", "--test-limit", "200",
		"--epochs", "2", "--device", "cpu", "--out", dir)
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, errOut)
	}
	out, errOut, code := runCLI(t, "curves", dir, "--json", "--format", "svg,pdf", "--x", "epoch")
	if code != 0 {
		t.Fatalf("curves exit %d: %s", code, errOut)
	}
	var cj struct{ Files []string }
	if err := json.Unmarshal([]byte(out), &cj); err != nil || len(cj.Files) != 3 {
		t.Fatalf("curves --json %q: %v", out, err)
	}
	for _, f := range cj.Files {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	if !strings.HasSuffix(cj.Files[0], "curves-run-byepoch.svg") || !strings.HasSuffix(cj.Files[2], ".csv") {
		t.Errorf("files %v", cj.Files)
	}
	svg, _ := os.ReadFile(cj.Files[0])
	for _, want := range []string{"training loss", "test accuracy", "learning rate", "epoch"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("curves SVG lacks %q", want)
		}
	}
	out, _, _ = runCLI(t, "curves", dir, "--json", "--format", "svg", "--x", "epoch")
	if !strings.Contains(out, "curves-run-byepoch-2.svg") {
		t.Errorf("second curves call: %s, want a -2 file beside the first", out)
	}

	out, errOut, code = runCLI(t, "eval", "--checkpoint", dir, "--confusion", "--json", "--format", "png", "--dpi", "72", "--device", "cpu")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, errOut)
	}
	var ev struct {
		Correct   int `json:"correct"`
		Confusion struct {
			Counts   [][]int `json:"counts"`
			N        int     `json:"n"`
			PerClass []struct {
				Recall float64 `json:"recall"`
			} `json:"per_class"`
		} `json:"confusion"`
		Files []string `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("eval --json %q: %v", out, err)
	}
	diag := 0
	for i, row := range ev.Confusion.Counts {
		diag += row[i]
	}
	if len(ev.Confusion.Counts) != 10 || len(ev.Confusion.PerClass) != 10 || diag != ev.Correct || ev.Confusion.N == 0 || len(ev.Files) != 1 {
		t.Errorf("confusion: diagonal %d, eval correct %d; %s", diag, ev.Correct, out)
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"curves"}},
		{[]string{"curves", dir, "--x", "hour"}},
		{[]string{"curves", dir, "--preset", "poster"}},
	} {
		if _, _, code := runCLI(t, tc.args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", tc.args, code, exitUsage)
		}
	}
	if _, _, code := runCLI(t, "curves", filepath.Join(dir, "nope")); code != exitData {
		t.Errorf("curves of a missing run: exit %d, want %d", code, exitData)
	}
}

// train --help names --snapshot's value, not a command in backticks.
func TestTrainHelpSnapshotPlaceholder(t *testing.T) {
	out, _, _ := runCLI(t, "train", "--help")
	if strings.Contains(out, "--snapshot gabor") || !strings.Contains(out, "--snapshot every=N[steps|epochs]") {
		t.Errorf("train --help shows --snapshot as:\n%s", grepLine(out, "--snapshot"))
	}
}

func grepLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
