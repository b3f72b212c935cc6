package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/bench"
)

func TestBenchFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string // in stderr
	}{
		{[]string{"--models", "resnet"}, exitUsage, `unknown model "resnet" (known:`},
		{[]string{"--models", "mlp,mlp"}, exitUsage, `"mlp" is listed twice`},
		{[]string{"--batch", "0"}, exitUsage, "batch sizes must be at least 1 (got 0)"},
		{[]string{"--batch", "128,-5"}, exitUsage, "batch sizes must be at least 1 (got -5)"},
		{[]string{"--batch", "big"}, exitUsage, `invalid argument "big"`},
		{[]string{"--batch", "512", "--limit", "256"}, exitUsage, "--batch 512 is larger than --limit 256"},
		{[]string{"--epochs", "0"}, exitUsage, "--epochs must be at least 1 (got 0)"},
		{[]string{"--warmup", "-1"}, exitUsage, "--warmup must be 0 or more"},
		{[]string{"--repeat", "0"}, exitUsage, "--repeat must be at least 1"},
		{[]string{"--limit", "-3"}, exitUsage, "--limit must be 0"},
		{[]string{"--devices", "tpu"}, exitUsage, `unknown device "tpu"`},
		{[]string{"--compare", "tensorflow"}, exitUsage, `--compare must be one of pytorch, got "tensorflow"`},
		{[]string{"--dataset", "cifar100"}, exitUsage, `unknown dataset "cifar100"`},
		{[]string{"--dataset", "synthetic", "--data", "/tmp"}, exitUsage, "--data cannot be used with --dataset synthetic"},
		{[]string{"extra"}, exitUsage, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, append([]string{"bench"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.want)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing on a bad command line", out)
			}
		})
	}
}

func TestBenchFlagsParsed(t *testing.T) {
	f, _, _ := testFactory()
	var got *benchOptions
	cmd := newCmdBench(f, func(o *benchOptions) error { got = o; return nil })
	err := parse(cmd, "--models", "mlp,lenet", "--batch", "32,128", "--epochs", "2", "--warmup", "0",
		"--repeat", "3", "--limit", "6400", "--profile", "--json", "--out", "d", "--compare", "pytorch")
	if err != nil {
		t.Fatal(err)
	}
	b := got.Bench
	if fmt.Sprint(b.Models, b.Batches, b.Epochs, b.Warmup, b.Repeat, b.Limit, b.Profile) != "[mlp lenet] [32 128] 2 0 3 6400 true" {
		t.Errorf("parsed %+v", b)
	}
	if !got.JSON || got.Out != "d" || got.Compare != "pytorch" {
		t.Errorf("parsed json=%v out=%q compare=%q", got.JSON, got.Out, got.Compare)
	}
	// No --devices: every device that opens here, cpu first.
	if len(b.Devices) == 0 || b.Devices[0] != "cpu" {
		t.Errorf("default devices %v, want cpu first", b.Devices)
	}
}

// TestBenchRun runs a real (tiny) benchmark through the command: the JSON on
// stdout, the files under --out, and --compare pytorch without torch.
func TestBenchRun(t *testing.T) {
	isolateData(t)
	dir := filepath.Join(t.TempDir(), "out")
	f, out, errOut := testFactory()
	noTorch := func(context.Context) (string, string, error) { return "", "", bench.ErrNoTorch }
	cmd := newCmdBench(f, func(o *benchOptions) error {
		o.findTorch = noTorch
		return runBench(context.Background(), o)
	})
	err := parse(cmd, "--models", "mlp", "--devices", "cpu", "--dataset", "synthetic",
		"--limit", "256", "--batch", "64,128", "--epochs", "2", "--warmup", "0", "--json", "--out", dir,
		"--compare", "pytorch")
	if err != nil {
		t.Fatalf("bench: %v; stderr:\n%s", err, errOut)
	}
	if !strings.Contains(errOut.String(), "carrying on without PyTorch") {
		t.Errorf("stderr does not say PyTorch was skipped:\n%s", errOut)
	}
	var rep struct {
		Machine map[string]any `json:"machine"`
		Results []struct {
			Impl         string    `json:"impl"`
			Model        string    `json:"model"`
			Device       string    `json:"device"`
			Batch        int       `json:"batch"`
			EpochSMedian float64   `json:"epoch_s_median"`
			EpochS       []float64 `json:"epoch_s"`
			ImagesPerS   float64   `json:"images_per_s"`
			SpeedupVsCPU *float64  `json:"speedup_vs_cpu"`
		} `json:"results"`
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out)
	}
	if len(rep.Results) != 2 || rep.Machine["gomaxprocs"] == nil {
		t.Fatalf("report %+v, want 2 results and a machine", rep)
	}
	for i, r := range rep.Results {
		wantBatch := []int{64, 128}[i]
		if r.Impl != "gabor" || r.Model != "mlp" || r.Device != "cpu" || r.Batch != wantBatch ||
			len(r.EpochS) != 2 || r.EpochSMedian <= 0 || r.ImagesPerS <= 0 || r.SpeedupVsCPU == nil {
			t.Errorf("result %d = %+v", i, r)
		}
	}
	if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "pytorch not compared") {
		t.Errorf("notes %q, want the missing PyTorch noted", rep.Notes)
	}
	for _, name := range []string{"bench.json", "images_per_s_batch64.png", "images_per_s_batch128.svg", "scaling.png", "scaling.svg"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("--out: %s: %v", name, err)
		}
	}
}

func TestBenchTable(t *testing.T) {
	isolateData(t)
	out, errOut, code := runCLI(t, "bench", "--models", "mlp", "--devices", "cpu", "--dataset", "synthetic",
		"--limit", "128", "--batch", "64", "--epochs", "1", "--warmup", "1")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"impl", "images/s", "gabor", "mlp", "cpu", "64"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "warm-up epoch 1") {
		t.Errorf("stderr lacks the warm-up epoch:\n%s", errOut)
	}
}
