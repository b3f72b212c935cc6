package train

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/kernels/cpu"
	"github.com/gaborlab/gabor/train/safetensors"
)

var (
	synthOnce sync.Once
	synthDS   *data.Dataset
	synthErr  error
)

// testData is a small synthetic digits set shared by the tests: 2560 training
// and 1000 test images.
func testData(t *testing.T) *data.Dataset {
	t.Helper()
	synthOnce.Do(func() { synthDS, synthErr = data.Synthetic(7, 2560, 1000) })
	if synthErr != nil {
		t.Fatal(synthErr)
	}
	return synthDS
}

// smallConfig is a quick CPU run of model on the first limit images.
func smallConfig(t *testing.T, model string, limit, epochs int) Config {
	c := DefaultConfig(model)
	c.Device, c.Limit, c.Epochs = "cpu", limit, epochs
	c.Out = filepath.Join(t.TempDir(), "run")
	return c
}

func TestTrainEndToEnd(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "mlp", 2560, 2)
	var events []Event
	res, err := Run(context.Background(), cfg, ds, RunOptions{ProgressEvery: 5, Progress: func(e Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	var epochs []*EpochEvent
	progress := 0
	for _, e := range events {
		switch e := e.(type) {
		case *EpochEvent:
			epochs = append(epochs, e)
		case *ProgressEvent:
			progress++
			if e.Steps != 40 || e.EpochSteps != 20 || e.Loss <= 0 || e.ImagesPerS <= 0 || e.ETAS < 0 {
				t.Errorf("odd progress event %+v", e)
			}
		}
	}
	// 20 steps per epoch, an event every 5 steps except at the epoch's end: 3 per epoch.
	if len(epochs) != 2 || progress != 6 {
		t.Fatalf("got %d epoch and %d progress events, want 2 and 6", len(epochs), progress)
	}
	if !(epochs[1].TrainLoss < epochs[0].TrainLoss) {
		t.Errorf("train loss did not decrease: %g then %g", epochs[0].TrainLoss, epochs[1].TrainLoss)
	}
	if res.TestAcc < 0.5 { // chance is 0.1
		t.Errorf("test accuracy %g after 2 epochs, want well above chance", res.TestAcc)
	}
	if res.Epochs != 2 || len(res.EpochS) != 2 || res.Device != "cpu" || res.Model != "mlp" || res.RunDir != cfg.Out {
		t.Errorf("result %+v", res)
	}
	if *epochs[1].TestAcc != res.TestAcc {
		t.Errorf("final epoch acc %g, result %g", *epochs[1].TestAcc, res.TestAcc)
	}

	// The run directory: config, metrics, checkpoint, and nothing else.
	entries, err := os.ReadDir(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "checkpoint.safetensors,config.json,metrics.jsonl" {
		t.Errorf("run dir holds %v", names)
	}
	stored, err := ReadConfig(filepath.Join(cfg.Out, ConfigFile))
	if err != nil || stored != cfg {
		t.Errorf("config.json: %+v, %v", stored, err)
	}
	recs, err := readRecords(cfg.Out)
	if err != nil || len(recs) != 2 {
		t.Fatalf("metrics: %d records, %v", len(recs), err)
	}
	if recs[1].Step != 40 || recs[1].TrainLoss != epochs[1].TrainLoss || recs[1].TestLoss == nil || recs[1].Images != 2560 {
		t.Errorf("metrics record %+v", recs[1])
	}

	// Evaluate on the checkpoint scores exactly what the last epoch reported.
	ev, err := Evaluate(context.Background(), res.Checkpoint, "cpu", &data.Dataset{Name: ds.Name, Train: ds.Train, Test: ds.Test})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Accuracy != res.TestAcc || ev.N != 1000 || ev.Epoch != 2 || ev.Loss != *recs[1].TestLoss {
		t.Errorf("Evaluate: %+v, want accuracy %g, loss %g", ev, res.TestAcc, *recs[1].TestLoss)
	}
}

func TestCheckpointContents(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "mlp", 256, 1)
	res, err := Run(context.Background(), cfg, ds, RunOptions{Version: "v-test"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(res.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	// The safetensors framing, checked on the bytes.
	n := uint64(0)
	for i := 7; i >= 0; i-- {
		n = n<<8 | uint64(raw[i])
	}
	if (8+n)%8 != 0 || raw[8] != '{' {
		t.Fatalf("header length %d or start %q wrong", n, raw[8])
	}
	f, err := safetensors.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"fc1.weight": {512, 784}, "fc1.bias": {512}, "fc3.weight": {10, 512},
		"optim.momentum.fc1.weight": {512, 784}, "optim.momentum.fc3.bias": {10},
	}
	for name, shape := range want {
		tt, ok := f.Get(name)
		if !ok || !slices.Equal(tt.Shape, shape) {
			t.Errorf("tensor %s: %v (present %v), want shape %v", name, tt, ok, shape)
		}
	}
	if len(f.Tensors) != 12 { // 6 parameters + 6 momentum buffers
		t.Errorf("%d tensors, want 12", len(f.Tensors))
	}
	var data int64
	for _, tt := range f.Tensors {
		data += 4 * int64(len(tt.Data))
	}
	if int64(len(raw)) != 8+int64(n)+data {
		t.Errorf("file is %d bytes, header+data %d", len(raw), 8+int64(n)+data)
	}
	meta := map[string]string{"format": CheckpointFormat, "model": "mlp", "epoch": "1", "step": "2", "seed": "1",
		"gabor_version": "v-test", "optimizer": "sgd", "dataset": "synthetic", "rng": "shuffle=splitmix64 next_seed=2",
		"backend": "cpu", "threads": strconv.Itoa(res.threads(t))}
	for k, v := range meta {
		if f.Metadata[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, f.Metadata[k], v)
		}
	}
	ck, err := ReadCheckpoint(res.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Config != cfg || ck.Epoch != 1 || ck.Step != 2 || len(ck.Params) != 6 {
		t.Errorf("ReadCheckpoint: epoch %d step %d params %v config %+v", ck.Epoch, ck.Step, ck.Params, ck.Config)
	}
	pythonCheck(t, res.Checkpoint)
}

// threads is the worker count of the run's backend.
func (r *Result) threads(t *testing.T) int {
	be, err := kernels.Open(r.Device)
	if err != nil {
		t.Fatal(err)
	}
	return be.Caps().Threads
}

// TestResumeNotesOtherThreads: resuming with another worker count than the
// checkpoint's says that the result will not be bit-identical.
func TestResumeNotesOtherThreads(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "mlp", 256, 1)
	if _, err := Run(context.Background(), cfg, ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg.Out, CheckpointFile)
	f, err := safetensors.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Metadata["threads"] = "99"
	b, err := safetensors.Encode(f.Tensors, f.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(path, b); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	if _, err := Resume(context.Background(), cfg.Out, RunOptions{Dataset: ds, Epochs: 2, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "with 99 workers") || !strings.Contains(log.String(), "not bit-identical") {
		t.Errorf("log %q has no note about the worker count", log.String())
	}
}

// pythonCheck opens a checkpoint with Python's safetensors (and torch) where
// they are installed; elsewhere it says it did not run. The byte-level tests
// (here and in train/safetensors) always check the format.
func pythonCheck(t *testing.T, path string) {
	py := ""
	for _, cand := range []string{"python3", "/usr/bin/python3"} {
		// Run from an empty directory: from here, "import safetensors" would
		// find gabor's own train/safetensors folder as a namespace package.
		probe := exec.Command(cand, "-c", "from safetensors.numpy import load_file")
		probe.Dir = t.TempDir()
		if probe.Run() == nil {
			py = cand
			break
		}
	}
	if py == "" {
		t.Log("python safetensors check NOT RUN: no python3 with safetensors and numpy")
		return
	}
	script := `
import sys, json
from safetensors import safe_open
from safetensors.numpy import load_file
d = load_file(sys.argv[1])
assert d["fc1.weight"].shape == (512, 784) and str(d["fc1.weight"].dtype) == "float32"
with safe_open(sys.argv[1], framework="numpy") as f:
    m = f.metadata()
assert m["model"] == "mlp" and json.loads(m["config"])["batch"] == 128, m
try:
    import torch
    from safetensors.torch import load_file as tl
    sd = tl(sys.argv[1])
    w = {k: v for k, v in sd.items() if not k.startswith("optim.")}
    lin = torch.nn.Linear(784, 512)
    lin.load_state_dict({"weight": w["fc1.weight"], "bias": w["fc1.bias"]})
    print("torch ok")
except ImportError:
    print("numpy ok (no torch)")
`
	cmd := exec.Command(py, "-c", script, path)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python safetensors rejected %s: %v\n%s", path, err, out)
	}
	t.Logf("python safetensors check ran: %s", strings.TrimSpace(string(out)))
}

// tensorsOf reads a checkpoint's tensors as raw bits.
func tensorsOf(t *testing.T, path string) map[string][]uint32 {
	t.Helper()
	f, err := safetensors.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]uint32{}
	for _, tt := range f.Tensors {
		bits := make([]uint32, len(tt.Data))
		for i, v := range tt.Data {
			bits[i] = math.Float32bits(v)
		}
		out[tt.Name] = bits
	}
	return out
}

func sameTensors(t *testing.T, a, b string) {
	t.Helper()
	ta, tb := tensorsOf(t, a), tensorsOf(t, b)
	if len(ta) != len(tb) {
		t.Fatalf("%d vs %d tensors", len(ta), len(tb))
	}
	for name, va := range ta {
		vb, ok := tb[name]
		if !ok || len(va) != len(vb) {
			t.Fatalf("tensor %s missing or resized", name)
		}
		for i := range va {
			if va[i] != vb[i] {
				t.Fatalf("tensor %s differs at %d: %08x vs %08x", name, i, va[i], vb[i])
			}
		}
	}
}

// sameMetrics compares the records of two runs, times aside.
func sameMetrics(t *testing.T, a, b string) {
	t.Helper()
	ra, err := readRecords(a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := readRecords(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ra) != len(rb) {
		t.Fatalf("%d vs %d metrics records", len(ra), len(rb))
	}
	for i := range ra {
		x, y := ra[i], rb[i]
		if x.Epoch != y.Epoch || x.Step != y.Step || x.TrainLoss != y.TrainLoss || x.LR != y.LR ||
			(x.TestAcc == nil) != (y.TestAcc == nil) || (x.TestAcc != nil && (*x.TestAcc != *y.TestAcc || *x.TestLoss != *y.TestLoss)) {
			t.Errorf("epoch %d metrics differ: %+v vs %+v", i+1, x, y)
		}
	}
}

// TestResumeBitIdentical stops runs at several points (after an epoch, in the
// middle of one) and resumes them; the final checkpoint tensors and metrics
// must equal those of the uninterrupted run bit for bit.
func TestResumeBitIdentical(t *testing.T) {
	ds := testData(t)
	cases := []struct {
		name     string
		edit     func(*Config)
		stopWhen func(Event) bool
	}{
		{"sgd-nesterov-cosine/after-epoch-1", func(c *Config) { c.Nesterov, c.Schedule, c.WeightDecay = true, "cosine", 1e-4 },
			func(e Event) bool { ep, ok := e.(*EpochEvent); return ok && ep.Epoch == 1 }},
		{"sgd/mid-epoch-2", func(c *Config) {},
			func(e Event) bool { p, ok := e.(*ProgressEvent); return ok && p.Epoch == 2 && p.EpochStep == 4 }},
		// the convnet's 3×3 layers take the Winograd convolutions on the AVX2 path
		{"sgd-convnet/mid-epoch-2", func(c *Config) { c.Model, c.LR = "convnet", 0.02 },
			func(e Event) bool { p, ok := e.(*ProgressEvent); return ok && p.Epoch == 2 && p.EpochStep == 2 }},
		{"adam-onecycle-lenet/after-epoch-2", func(c *Config) {
			c.Model, c.Optimizer, c.LR, c.Schedule, c.Epochs, c.WarmupSteps = "lenet", "adam", 2e-3, "onecycle", 3, 3
		}, func(e Event) bool { ep, ok := e.(*EpochEvent); return ok && ep.Epoch == 2 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			full := smallConfig(t, "mlp", 640, 2)
			full.TestLimit = 300
			tc.edit(&full)
			if _, err := Run(context.Background(), full, ds, RunOptions{}); err != nil {
				t.Fatal(err)
			}

			part := full
			part.Out = filepath.Join(t.TempDir(), "run")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res, err := Run(ctx, part, ds, RunOptions{ProgressEvery: 2, Progress: func(e Event) {
				if tc.stopWhen(e) {
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: %v", err)
			}
			if res == nil || res.Epochs >= full.Epochs {
				t.Fatalf("interrupted run result %+v", res)
			}
			res, err = Resume(context.Background(), part.Out, RunOptions{Dataset: ds})
			if err != nil {
				t.Fatal(err)
			}
			if res.Epochs != full.Epochs || len(res.EpochS) != full.Epochs {
				t.Errorf("resumed result covers %d epochs (%v), want %d", res.Epochs, res.EpochS, full.Epochs)
			}
			sameTensors(t, filepath.Join(full.Out, CheckpointFile), filepath.Join(part.Out, CheckpointFile))
			sameMetrics(t, full.Out, part.Out)
		})
	}
}

// TestResumeBitIdenticalPerPath runs TestResumeBitIdentical again on each
// other CPU path this machine supports (generic, and avx2 on an AVX-512
// machine), each in a child process of this test binary with GABOR_CPU set:
// the path is chosen once, at start-up.
func TestResumeBitIdenticalPerPath(t *testing.T) {
	current := cpu.Backend{}.CPUPath()
	for _, p := range cpu.Paths() {
		if p == current {
			continue // TestResumeBitIdentical itself
		}
		t.Run(p, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run", "^TestResumeBitIdentical$", "-test.count", "1", "-test.v")
			cmd.Env = append(os.Environ(), "GABOR_CPU="+p)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("GABOR_CPU=%s: %v\n%s", p, err, out)
			}
			if !strings.Contains(string(out), "--- PASS: TestResumeBitIdentical ") {
				t.Fatalf("GABOR_CPU=%s: the child did not run TestResumeBitIdentical:\n%s", p, out)
			}
		})
	}
}

// TestResumeMoreEpochs: a 1-epoch run continued to 2 epochs equals a 2-epoch
// run (constant rate, so the schedule does not depend on the length).
func TestResumeMoreEpochs(t *testing.T) {
	ds := testData(t)
	full := smallConfig(t, "mlp", 640, 2)
	if _, err := Run(context.Background(), full, ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	one := smallConfig(t, "mlp", 640, 1)
	if _, err := Run(context.Background(), one, ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Resume(context.Background(), one.Out, RunOptions{Dataset: ds, Epochs: 2}); err != nil {
		t.Fatal(err)
	}
	sameTensors(t, filepath.Join(full.Out, CheckpointFile), filepath.Join(one.Out, CheckpointFile))
	sameMetrics(t, full.Out, one.Out)
	c, err := ReadConfig(filepath.Join(one.Out, ConfigFile))
	if err != nil || c.Epochs != 2 {
		t.Errorf("config.json after resume: epochs %d, %v", c.Epochs, err)
	}
	// Nothing left to do: Resume reports the run as it is.
	res, err := Resume(context.Background(), one.Out, RunOptions{Dataset: ds})
	if err != nil || res.Epochs != 2 {
		t.Errorf("resuming a finished run: %+v, %v", res, err)
	}
}

// TestResumeDropsUncheckpointedRecord: a record appended without its
// checkpoint (a crash in between) is dropped and that epoch trained again.
func TestResumeDropsUncheckpointedRecord(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "mlp", 256, 2)
	cfg.TestLimit = 200
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, cfg, ds, RunOptions{Progress: func(e Event) {
		if _, ok := e.(*EpochEvent); ok {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	recs, _ := readRecords(cfg.Out)
	stray := recs[0]
	stray.Epoch = 2
	if err := appendRecord(cfg.Out, stray); err != nil {
		t.Fatal(err)
	}
	res, err := Resume(context.Background(), cfg.Out, RunOptions{Dataset: ds})
	if err != nil {
		t.Fatal(err)
	}
	recs, err = readRecords(cfg.Out)
	if err != nil || len(recs) != 2 || recs[1].Step != 4 || res.Epochs != 2 {
		t.Errorf("after resume: %d records %+v, %v", len(recs), recs, err)
	}
}

// TestBadInputLeavesNothing: every failure before the first checkpoint
// (config, data, init file, interruption, divergence) leaves no run directory
// and no staging directory behind.
func TestBadInputLeavesNothing(t *testing.T) {
	ds := testData(t)
	badLabels := *ds.Train
	badLabels.Labels = append([]uint8(nil), ds.Train.Labels...)
	badLabels.Labels[3] = 10
	corrupt := filepath.Join(t.TempDir(), "init.anchorw1")
	if err := os.WriteFile(corrupt, []byte("ANCHORW1\x02\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*Config, *data.Dataset, *RunOptions) context.Context
		want string
	}{
		{"negative epochs", func(c *Config, _ *data.Dataset, _ *RunOptions) context.Context { c.Epochs = -1; return nil }, "epochs must be at least 1"},
		{"batch 0", func(c *Config, _ *data.Dataset, _ *RunOptions) context.Context { c.Batch = 0; return nil }, "batch must be at least 1"},
		{"unknown model", func(c *Config, _ *data.Dataset, _ *RunOptions) context.Context { c.Model = "vgg"; return nil }, "unknown model"},
		{"label out of range", func(_ *Config, d *data.Dataset, _ *RunOptions) context.Context { d.Train = &badLabels; return nil }, "label 10 at index 3"},
		{"missing init file", func(c *Config, _ *data.Dataset, _ *RunOptions) context.Context {
			c.InitFrom = "/nonexistent/init.anchorw1"
			return nil
		}, "/nonexistent/init.anchorw1"},
		{"corrupt init file", func(c *Config, _ *data.Dataset, _ *RunOptions) context.Context { c.InitFrom = corrupt; return nil }, corrupt},
		{"too few images", func(c *Config, d *data.Dataset, _ *RunOptions) context.Context {
			d.Train = d.Train.Head(100)
			c.Limit = 0
			return nil
		}, "fewer than one batch"},
		{"diverges", func(c *Config, _ *data.Dataset, _ *RunOptions) context.Context { c.LR = 1e30; return nil }, "diverged"},
		{"interrupted in epoch 1", func(_ *Config, _ *data.Dataset, o *RunOptions) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			o.ProgressEvery = 1
			o.Progress = func(Event) { cancel() }
			return ctx
		}, "nothing was saved"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			cfg := smallConfig(t, "mlp", 256, 1)
			cfg.Out = filepath.Join(parent, "runs", "run") // runs/ does not exist yet
			d := *ds
			var opts RunOptions
			ctx := tc.edit(&cfg, &d, &opts)
			if ctx == nil {
				ctx = context.Background()
			}
			_, err := Run(ctx, cfg, &d, opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			left, _ := os.ReadDir(parent)
			if len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

func TestRunRefusesUsedDir(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "mlp", 256, 1)
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(cfg.Out, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), cfg, ds, RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("error %v", err)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "mine" {
		t.Errorf("existing file disturbed: %q %v", b, err)
	}
	// An existing empty directory is fine.
	empty := smallConfig(t, "mlp", 256, 1)
	if err := os.MkdirAll(empty.Out, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), empty, ds, RunOptions{}); err != nil {
		t.Errorf("empty run dir refused: %v", err)
	}
}

func TestHooks(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "mlp", 640, 1) // 5 steps
	var steps []int
	var last []float32
	changed := 0
	epochEnds := 0
	hooks := []Hook{
		{Every: 2, Fn: func(s *Snapshot) error {
			w, shape, err := s.Read("fc3.bias")
			if err != nil {
				return err
			}
			if !slices.Equal(shape, []int{10}) {
				t.Errorf("fc3.bias shape %v", shape)
			}
			if last != nil && w[0] != last[0] {
				changed++
			}
			last = w
			steps = append(steps, s.Step)
			return nil
		}},
		{AtEpochEnd: true, Fn: func(s *Snapshot) error { epochEnds++; return nil }},
	}
	if _, err := Run(context.Background(), cfg, ds, RunOptions{Hooks: hooks}); err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0] != 2 || steps[1] != 4 || changed != 1 || epochEnds != 1 {
		t.Errorf("hook calls at steps %v (weights changed %d times), epoch ends %d", steps, changed, epochEnds)
	}
	// A failing hook stops the run with its error.
	cfg = smallConfig(t, "mlp", 640, 1)
	_, err := Run(context.Background(), cfg, ds, RunOptions{Hooks: []Hook{{Every: 1, Fn: func(*Snapshot) error { return errors.New("boom") }}}})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("hook error: %v", err)
	}
}

func TestEvalEvery(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "mlp", 256, 3)
	cfg.EvalEvery, cfg.TestLimit = 2, 100
	if _, err := Run(context.Background(), cfg, ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, err := readRecords(cfg.Out)
	if err != nil || len(recs) != 3 {
		t.Fatal(recs, err)
	}
	if recs[0].TestAcc != nil || recs[1].TestAcc == nil || recs[2].TestAcc == nil {
		t.Errorf("evaluated epochs: %v %v %v, want 2 and 3", recs[0].TestAcc, recs[1].TestAcc, recs[2].TestAcc)
	}
}
