package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
	_ "github.com/gaborlab/gabor/kernels/cpu"
)

// tinyRun is the smallest real benchmark: mlp on 256 synthetic images, batch
// 64 (4 steps per epoch), one warm-up and two measured epochs, profiled.
func tinyRun(t *testing.T) *Report {
	t.Helper()
	ds, err := data.Synthetic(3, 256, 16)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Models: []string{"mlp"}, Devices: []string{"cpu"}, Batches: []int{64},
		Epochs: 2, Warmup: 1, Repeat: 1, Limit: 256, Seed: 1, Profile: true}
	var log bytes.Buffer
	rep, err := Run(context.Background(), opts, ds, &log)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "warm-up epoch 1") {
		t.Errorf("log does not mention the warm-up epoch:\n%s", log.String())
	}
	return rep
}

func TestRunJSONSchema(t *testing.T) {
	rep := tinyRun(t)
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.TrimSpace(buf.String()), "\n"); n != 0 {
		t.Errorf("--json output spans %d lines, want one", n+1)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, buf.String())
	}
	machine, ok := got["machine"].(map[string]any)
	if !ok {
		t.Fatalf("machine is %T, want an object", got["machine"])
	}
	for _, k := range []string{"os", "arch", "cpus", "gomaxprocs", "go_version", "date", "devices"} {
		if _, ok := machine[k]; !ok {
			t.Errorf("machine has no %q", k)
		}
	}
	results, ok := got["results"].([]any)
	if !ok || len(results) != 1 {
		t.Fatalf("results = %v, want a list of one", got["results"])
	}
	r := results[0].(map[string]any)
	kinds := map[string]string{
		"impl": "string", "model": "string", "device": "string", "batch": "number",
		"epoch_s_median": "number", "epoch_s": "array", "images_per_s": "number",
		"speedup_vs_cpu": "number", "setup_s": "array", "warmup_epoch_s": "array",
		"first_epoch_s": "number", "arena_bytes": "number", "peak_rss_bytes": "number",
		"epoch_s_stats": "object", "alloc_bytes_per_step": "number", "profile": "object",
		"images_per_epoch": "number", "steps_per_epoch": "number",
	}
	for k, want := range kinds {
		if kind := jsonKind(r[k]); kind != want {
			t.Errorf("results[0].%s is %s (%v), want %s", k, kind, r[k], want)
		}
	}
	if r["model"] != "mlp" || r["device"] != "cpu" || r["batch"] != 64.0 || r["impl"] != "gabor" {
		t.Errorf("result names %v %v %v %v, want gabor mlp cpu 64", r["impl"], r["model"], r["device"], r["batch"])
	}
	if es := r["epoch_s"].([]any); len(es) != 2 {
		t.Errorf("epoch_s has %d values, want the 2 measured epochs (warm-up apart)", len(es))
	}
	if ws := r["warmup_epoch_s"].([]any); len(ws) != 1 {
		t.Errorf("warmup_epoch_s has %d values, want 1", len(ws))
	}
	if r["speedup_vs_cpu"] != 1.0 {
		t.Errorf("speedup_vs_cpu of the CPU row = %v, want 1", r["speedup_vs_cpu"])
	}
}

func TestRunMeasures(t *testing.T) {
	rep := tinyRun(t)
	r := rep.Results[0]
	if r.ImagesPerEpoch != 256 || r.StepsPerEpoch != 4 {
		t.Errorf("images/steps per epoch = %d/%d, want 256/4", r.ImagesPerEpoch, r.StepsPerEpoch)
	}
	med := Median(r.EpochS)
	if r.EpochSMedian != med || med <= 0 {
		t.Errorf("epoch_s_median %v, median of %v is %v", r.EpochSMedian, r.EpochS, med)
	}
	if want := 256 / med; r.ImagesPerS != want {
		t.Errorf("images_per_s = %v, want images per epoch / median = %v", r.ImagesPerS, want)
	}
	// mlp: 784·512 + 512 + 512·512 + 512 + 512·10 + 10 parameters, each with a
	// gradient and a momentum buffer, live in the arena at least.
	params := int64(784*512 + 512 + 512*512 + 512 + 512*10 + 10)
	if r.ArenaBytes < 3*4*params {
		t.Errorf("arena %d bytes, less than parameters + gradients + momentum (%d)", r.ArenaBytes, 3*4*params)
	}
	if r.PeakRSSBytes <= 0 {
		t.Errorf("peak RSS %d", r.PeakRSSBytes)
	}
	if len(r.SetupS) != 1 || r.SetupS[0] <= 0 || r.FirstEpochS != r.WarmupEpochS[0] {
		t.Errorf("set-up %v, first epoch %v, warm-up %v", r.SetupS, r.FirstEpochS, r.WarmupEpochS)
	}
	p := r.Profile
	if p == nil || p.Steps != 4 || p.StepS <= 0 {
		t.Fatalf("profile = %+v, want 4 profiled steps", p)
	}
	var share, segS float64
	families := map[string]bool{}
	for _, f := range p.Families {
		share += f.Share
		families[f.Name] = true
	}
	for _, s := range p.Segments {
		segS += s.S
	}
	if share < 0.999 || share > 1.001 {
		t.Errorf("family shares sum to %v, want 1", share)
	}
	if segS < 0.999*p.StepS || segS > 1.001*p.StepS {
		t.Errorf("segments sum to %v s per step, the step is %v s", segS, p.StepS)
	}
	for _, want := range []string{"gemm", "sgd", "softmax_xent"} {
		if !families[want] {
			t.Errorf("profile has no %q family: %+v", want, p.Families)
		}
	}
	var table bytes.Buffer
	if err := WriteTable(&table, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"images/s", "mlp", "profile of mlp cpu batch 64", "gemm"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
}

func TestWritePlots(t *testing.T) {
	rep := &Report{Results: []Result{
		{Impl: ImplGabor, Model: "mlp", Device: "cpu", Batch: 32, ImagesPerEpoch: 3200, EpochS: []float64{1}},
		{Impl: ImplGabor, Model: "mlp", Device: "cpu", Batch: 128, ImagesPerEpoch: 3200, EpochS: []float64{0.5}},
		{Impl: ImplGabor, Model: "lenet", Device: "cpu", Batch: 128, ImagesPerEpoch: 3200, EpochS: []float64{0.8}},
		{Impl: ImplPyTorch, Model: "mlp", Device: "cpu", Batch: 128, ImagesPerEpoch: 3200, EpochS: []float64{0.4}},
	}}
	rep.Finish()
	dir := t.TempDir()
	files, err := WritePlots(dir, rep)
	if err != nil {
		t.Fatal(err)
	}
	// A second report into the same folder replaces its plots.
	if again, err := WritePlots(dir, rep); err != nil || len(again) != len(files) || again[0] != files[0] {
		t.Errorf("rewrite: %v %v, want %v", again, err, files)
	}
	want := []string{"images_per_s_batch32.png", "images_per_s_batch32.svg", "images_per_s_batch32.pdf", "images_per_s_batch128.png",
		"images_per_s_batch128.svg", "images_per_s_batch128.pdf", "scaling.png", "scaling.svg", "scaling.pdf"}
	if len(files) != len(want) {
		t.Errorf("wrote %v, want %v", files, want)
	}
	for _, name := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if strings.HasSuffix(name, ".png") && !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG", name)
		}
		if strings.HasSuffix(name, ".svg") && !bytes.Contains(b, []byte("<svg")) {
			t.Errorf("%s is not an SVG", name)
		}
		if strings.HasSuffix(name, ".pdf") && !bytes.HasPrefix(b, []byte("%PDF")) {
			t.Errorf("%s is not a PDF", name)
		}
	}
}

func TestCompareAndSpeedup(t *testing.T) {
	rep := &Report{Results: []Result{
		{Impl: ImplGabor, Model: "mlp", Device: "cpu", Batch: 128, ImagesPerEpoch: 1000, EpochS: []float64{2, 4, 3}},
		{Impl: ImplGabor, Model: "mlp", Device: "cuda", Batch: 128, ImagesPerEpoch: 1000, EpochS: []float64{0.1, 0.2, 0.3}},
		{Impl: ImplPyTorch, Model: "mlp", Device: "cpu", Batch: 128, ImagesPerEpoch: 1000, EpochS: []float64{1.5}},
		{Impl: ImplPyTorch, Model: "lenet", Device: "cpu", Batch: 128, ImagesPerEpoch: 1000, EpochS: []float64{1}},
	}}
	rep.Finish()
	if s := rep.Results[1].SpeedupVsCPU; s == nil || *s != 15 {
		t.Errorf("cuda speed-up = %v, want 3 s / 0.2 s = 15", s)
	}
	if s := rep.Results[3].SpeedupVsCPU; s == nil || *s != 1 {
		t.Errorf("pytorch cpu speed-up = %v, want 1", s)
	}
	if len(rep.Compare) != 1 {
		t.Fatalf("compare = %+v, want one pair (gabor and pytorch mlp cpu)", rep.Compare)
	}
	if c := rep.Compare[0]; c.Ratio != 0.5 || c.GaborEpochS != 3 || c.TorchEpochS != 1.5 {
		t.Errorf("compare = %+v, want gabor 3 s, pytorch 1.5 s, ratio 0.5", c)
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "?"
}
