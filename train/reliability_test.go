package train

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/internal/staging"
)

// --limit beyond the data: the run says so on its log and records the limit it
// used (config.json and the checkpoint), so a resume sees the same run.
func TestLimitBeyondDataIsRecorded(t *testing.T) {
	ds, err := data.Synthetic(3, 256, 100)
	if err != nil {
		t.Fatal(err)
	}
	cfg := smallConfig(t, "mlp", 1000, 1)
	cfg.TestLimit = 5000
	var log bytes.Buffer
	if _, err := Run(context.Background(), cfg, ds, RunOptions{Log: &log}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"limit 1000 is more than the 256 training images", "test limit 5000 is more than the 100 test images"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log does not say %q:\n%s", want, log.String())
		}
	}
	got, err := ReadConfig(filepath.Join(cfg.Out, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if got.Limit != 256 || got.TestLimit != 100 {
		t.Errorf("config.json records limit %d, test limit %d; want 256, 100 (what was used)", got.Limit, got.TestLimit)
	}
	ck, err := ReadCheckpoint(filepath.Join(cfg.Out, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if ck.Config.Limit != 256 {
		t.Errorf("checkpoint records limit %d, want 256", ck.Config.Limit)
	}
	if _, err := Resume(context.Background(), cfg.Out, RunOptions{Epochs: 2, Dataset: ds}); err != nil {
		t.Errorf("resume of the clamped run: %v", err)
	}
}

// Adam at lr 1e6 once "ended successfully" with a loss of 2.5e21: the
// divergence check stops it with a *DivergedError.
func TestDivergenceStopsAdamAtHugeRate(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "mlp", 1280, 2)
	cfg.Optimizer, cfg.LR = "adam", 1e6
	res, err := Run(context.Background(), cfg, ds, RunOptions{})
	var de *DivergedError
	if !errors.As(err, &de) {
		t.Fatalf("run ended with %v (result %+v); want a *DivergedError", err, res)
	}
	if de.Epoch != 1 || de.Kept != "" || !strings.Contains(err.Error(), "nothing was saved") {
		t.Errorf("diverged in epoch %d, kept %q: %v", de.Epoch, de.Kept, err)
	}
	if _, serr := os.Stat(cfg.Out); !errors.Is(serr, fs.ErrNotExist) {
		t.Errorf("run directory left after a diverged first epoch: %v", serr)
	}
	t.Logf("%v", err)
}

// A NaN that appears in epoch 2 stops the run at the next sampled loss,
// names the first non-finite parameter, and keeps epoch 1's checkpoint.
func TestDivergenceNamesTensorAndKeepsCheckpoint(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "mlp", 1280, 3) // 10 steps per epoch
	poison := Hook{Every: 13, Fn: func(s *Snapshot) error {
		for _, p := range s.Program.Params {
			if p.Name == "fc2.bias" {
				v := make([]float32, s.Program.Buf(p.Value).Len)
				v[0] = float32(math.NaN())
				return s.Exec.Write(p.Value, v)
			}
		}
		return errors.New("no fc2.bias")
	}}
	_, err := Run(context.Background(), cfg, ds, RunOptions{Hooks: []Hook{poison}})
	var de *DivergedError
	if !errors.As(err, &de) {
		t.Fatalf("run ended with %v; want a *DivergedError", err)
	}
	if de.Epoch != 2 || de.Step != 4 || !math.IsNaN(de.Loss) {
		t.Errorf("stopped at epoch %d step %d loss %v; want epoch 2 step 4, NaN", de.Epoch, de.Step, de.Loss)
	}
	if de.Tensor == "" || !strings.Contains(err.Error(), "first non-finite tensor: "+de.Tensor) {
		t.Errorf("no tensor named: %v", err)
	}
	ck, err := ReadCheckpoint(filepath.Join(cfg.Out, CheckpointFile))
	if err != nil || ck.Epoch != 1 {
		t.Fatalf("the last good checkpoint: %v (epoch %v)", err, ck)
	}
	if de.Kept != filepath.Join(cfg.Out, CheckpointFile) {
		t.Errorf("kept %q", de.Kept)
	}
}

func TestDivergenceRule(t *testing.T) {
	best := math.Inf(1)
	for _, l := range []float64{2.3, 1.0, 0.5, 400} { // 400 < 1000·0.5
		if d := divergence(l, &best, 1000, 1, 1); d != nil {
			t.Fatalf("loss %g stopped the run: %v", l, d)
		}
	}
	if best != 0.5 {
		t.Errorf("best %g, want 0.5", best)
	}
	if d := divergence(501, &best, 1000, 1, 7); d == nil || d.Step != 7 || d.Best != 0.5 {
		t.Errorf("501 > 1000·0.5 not stopped: %+v", d)
	}
	tiny := 1e-5
	if d := divergence(5, &tiny, 1000, 1, 1); d != nil { // floor: 1000·0.01 = 10
		t.Errorf("a hard batch after a near-perfect fit stopped the run: %v", d)
	}
	off := 0.5
	if d := divergence(1e30, &off, 0, 1, 1); d != nil {
		t.Errorf("factor off, finite loss stopped: %v", d)
	}
	if d := divergence(math.Inf(1), &off, 0, 1, 1); d == nil {
		t.Error("factor off, Inf loss not stopped")
	}
}

// What a killed run leaves is removed by the next resume of the same run
// directory, what a live process holds is not, and a torn last line of
// metrics.jsonl does not prevent the resume.
func TestResumeCleansLeftoversAndTornMetrics(t *testing.T) {
	ds := testData(t)
	cfg := smallConfig(t, "mlp", 1280, 1)
	if _, err := Run(context.Background(), cfg, ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := cfg.Out
	parent := filepath.Dir(dir)
	leftovers := []string{
		filepath.Join(dir, ".checkpoint.safetensors.tmp-999999-42"),
		filepath.Join(dir, ".metrics.jsonl.tmp-5"),
		filepath.Join(dir, "snapshots", "step-000010.safetensors.tmp"),
		filepath.Join(dir, "snapshots", ".step-000010.safetensors.tmp-999999-7"),
		filepath.Join(parent, ".run.partial-999999-1"),
	}
	os.MkdirAll(filepath.Join(dir, "snapshots"), 0o755)
	for _, p := range leftovers[:4] {
		if err := os.WriteFile(p, []byte("half written"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(leftovers[4], "nested"), 0o755)
	live, err := staging.CreateTemp(dir, ".config.json.tmp-")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	// A record whose append was killed half-way.
	f, _ := os.OpenFile(filepath.Join(dir, MetricsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"event":"epoch","epoch":2,"train_lo`)
	f.Close()
	if _, err := readRecords(dir); err != nil {
		t.Errorf("a torn last line makes readMetrics fail: %v", err)
	}

	var log bytes.Buffer
	if _, err := Resume(context.Background(), dir, RunOptions{Epochs: 2, Dataset: ds, Log: &log}); err != nil {
		t.Fatal(err)
	}
	for _, p := range leftovers {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left behind: %v", p, err)
		}
		if !strings.Contains(log.String(), "removed "+p) {
			t.Errorf("removal of %s not on the log", p)
		}
	}
	if _, err := os.Stat(live.Name()); err != nil {
		t.Errorf("a file a live process holds was removed: %v", err)
	}
	recs, err := readRecords(dir)
	if err != nil || len(recs) != 2 || recs[1].Epoch != 2 {
		t.Errorf("metrics after the resume: %d records, %v", len(recs), err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, MetricsFile))
	if strings.Contains(string(b), "train_lo\n") || strings.Count(string(b), "\n") != 2 {
		t.Errorf("metrics.jsonl keeps the torn line:\n%s", b)
	}
}

// A new run on a path cleans the staging directories a killed run left there.
func TestRunCleansDeadStagingDirs(t *testing.T) {
	cfg := smallConfig(t, "mlp", 256, 1)
	dead := filepath.Join(filepath.Dir(cfg.Out), ".run.partial-999999-3")
	os.MkdirAll(dead, 0o755)
	os.WriteFile(filepath.Join(dead, ConfigFile), []byte("{}"), 0o644)
	ds, _ := data.Synthetic(3, 256, 64)
	if _, err := Run(context.Background(), cfg, ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s left behind: %v", dead, err)
	}
}

// Two processes must not train in one run directory: a resume of a run that
// another holds is refused.
func TestResumeRefusesARunInUse(t *testing.T) {
	cfg := smallConfig(t, "mlp", 256, 1)
	ds, _ := data.Synthetic(3, 256, 64)
	if _, err := Run(context.Background(), cfg, ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	held, err := staging.Lock(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	if _, err := Resume(context.Background(), cfg.Out, RunOptions{Epochs: 2, Dataset: ds}); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("resume of a run in use: %v", err)
	}
}

func FuzzDecodeMetrics(f *testing.F) {
	f.Add([]byte(`{"event":"epoch","epoch":1,"train_loss":0.5}` + "\n"))
	f.Add([]byte(`{"event":"epoch","epoch":1}` + "\n" + `{"event":"ep`))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, torn, err := DecodeMetrics(b)
		if err != nil {
			return
		}
		if torn && bytes.HasSuffix(b, []byte("\n")) {
			t.Fatalf("torn reported for content ending in a newline")
		}
		if len(recs) > bytes.Count(b, []byte("\n"))+1 {
			t.Fatalf("%d records from %d lines", len(recs), bytes.Count(b, []byte("\n"))+1)
		}
	})
}
