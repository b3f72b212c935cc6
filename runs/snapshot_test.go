package runs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/train"
	"github.com/gaborlab/gabor/train/safetensors"
)

// trainWithSnapshots trains cfg (lenet when m is nil, else m through
// train.Fit) with a snapshot writer started as `gabor train` starts it,
// initial snapshot included, and returns the run directory.
func trainWithSnapshots(t *testing.T, cfg train.Config, ds *data.Dataset, m *graph.Model) string {
	t.Helper()
	cfg.Out = filepath.Join(t.TempDir(), "run")
	w, err := NewSnapshotWriter(cfg.Out, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.TakeInitial(); err != nil {
		t.Fatal(err)
	}
	if m == nil {
		_, err = train.Run(context.Background(), cfg, ds, train.RunOptions{Hooks: w.Hooks()})
	} else {
		_, err = train.Fit(context.Background(), cfg, m, ds, train.RunOptions{Hooks: w.Hooks()})
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Out
}

// TestSnapshotsOfARun trains lenet with 7×7 first-layer filters for 2
// epochs of 2 steps on synthetic digits, with a snapshot after every step.
func TestSnapshotsOfARun(t *testing.T) {
	ds, err := data.Synthetic(5, 256, 128)
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig("lenet")
	cfg.Device, cfg.Epochs, cfg.Conv1, cfg.Snapshot = "cpu", 2, 7, "every=1steps"
	dir := trainWithSnapshots(t, cfg, ds, nil)
	run, steps := openRunSteps(t, dir)
	// Steps 1 and 2 were taken before the run directory existed (it appears
	// with the first checkpoint, after step 2): they were held and written.
	if !slices.Equal(steps, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("snapshot steps %v, want 0…4", steps)
	}
	last, err := ReadWeights(run.Snapshots[4].Path)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := train.ReadCheckpoint(filepath.Join(dir, train.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if last.Kind != "snapshot" || last.Step != 4 || last.Epoch != 2 || last.Config.Conv1 != 7 {
		t.Errorf("last snapshot: kind %s step %d epoch %d conv1 %d", last.Kind, last.Step, last.Epoch, last.Config.Conv1)
	}
	want := []string{"conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight", "fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight", "fc3.bias", "fc3.weight"}
	if got := last.Names(); !slices.Equal(got, want) {
		t.Errorf("snapshot holds %v, want every parameter of this small model %v", got, want)
	}
	if !slices.Equal(last.Tensors["conv1.weight"].Data, ck.Tensors["conv1.weight"].Data) {
		t.Error("the last snapshot's conv1.weight differs from the checkpoint's")
	}
	if s := last.Tensors["conv1.weight"].Shape; !slices.Equal(s, []int{6, 1, 7, 7}) {
		t.Errorf("conv1.weight shape %v, want [6 1 7 7]", s)
	}
	// Step 0 is the seeded initialization train.Run started from.
	init, err := ReadWeights(run.Snapshots[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewWith("lenet", 1, 1, models.Options{Conv1: 7})
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := models.ParamValues(m)
	if !slices.Equal(init.Tensors["conv1.weight"].Data, vals[0]) || init.Epoch != 0 {
		t.Error("step 0 is not the seeded initial weights")
	}
	f, err := safetensors.Read(run.Snapshots[2].Path)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"format": SnapshotFormat, "model": "lenet", "seed": "1", "conv1": "7", "step": "2", "epoch": "1"} {
		if f.Metadata[k] != want {
			t.Errorf("metadata %s = %q, want %q", k, f.Metadata[k], want)
		}
	}
	if _, err := run.At(7); err == nil || !strings.Contains(err.Error(), "steps: 0, 1, 2, 3, 4") {
		t.Errorf("missing step: %v", err)
	}
	if w, err := run.At(-1); err != nil || w.Step != 4 {
		t.Errorf("latest: %v, %v", w, err)
	}
}

func TestSnapshotWriterDropsUnpublished(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "never")
	cfg := train.DefaultConfig("lenet")
	cfg.Snapshot = "every=2epochs"
	w, err := NewSnapshotWriter(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if h := w.Hooks(); len(h) != 1 || !h[0].AtEpochEnd || h[0].Every != 0 {
		t.Errorf("every=2epochs hooks %+v", h)
	}
	if err := w.TakeInitial(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) || len(w.Written()) != 0 {
		t.Errorf("a run that never published got files: %v %v", err, w.Written())
	}
}

// A model built by its caller (train.Fit) gets its step-0 snapshot too: the
// initial values its run directory records (train.InitFile), read once the
// directory is published.
func TestInitialSnapshotOfARecordedModel(t *testing.T) {
	ds, err := data.Synthetic(5, 256, 128)
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig("")
	cfg.Model, cfg.ModelFile, cfg.Device, cfg.Epochs, cfg.Snapshot = "caller-mlp", train.ModelFile, "cpu", 1, "every=1steps"
	// Seed 9, not the config's: the zoo's mlp of the run's seed is not
	// where this run starts.
	m, err := models.New("mlp", cfg.Batch, 9)
	if err != nil {
		t.Fatal(err)
	}
	init, err := models.ParamValues(m)
	if err != nil {
		t.Fatal(err)
	}
	dir := trainWithSnapshots(t, cfg, ds, m)
	run, steps := openRunSteps(t, dir)
	if !slices.Equal(steps, []int{0, 1, 2}) {
		t.Fatalf("snapshot steps %v, want 0, 1, 2", steps)
	}
	w0, err := run.At(0)
	if err != nil {
		t.Fatal(err)
	}
	w1, err := run.At(1)
	if err != nil {
		t.Fatal(err)
	}
	if w0.Epoch != 0 || w0.Config.ModelFile != train.ModelFile {
		t.Errorf("step 0: epoch %d, model file %q", w0.Epoch, w0.Config.ModelFile)
	}
	for i, p := range m.Params {
		got := w0.Tensors[p.Name()]
		if !slices.Equal(got.Data, init[i]) || !slices.Equal(got.Shape, p.Shape()) {
			t.Errorf("step 0's %s is not the model's initial value", p.Name())
		}
		if slices.Equal(w1.Tensors[p.Name()].Data, init[i]) && !strings.HasSuffix(p.Name(), ".bias") {
			t.Errorf("step 1's %s still holds the initial value: training changed nothing?", p.Name())
		}
	}
	// The snapshot's model is rebuilt from the run's record.
	rm, err := w0.Model(1)
	if err != nil || len(rm.Params) != len(m.Params) {
		t.Fatalf("model of step 0: %v", err)
	}
}

// A recorded model's initial snapshot is made from its run directory: a run
// directory without the initial values is an error at Close, never zeros.
func TestInitialSnapshotNeedsTheRecord(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig("")
	cfg.Model, cfg.ModelFile, cfg.Snapshot = "caller-mlp", train.ModelFile, "every=1steps"
	w, err := NewSnapshotWriter(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.TakeInitial(); err != nil {
		t.Fatal(err)
	}
	// The directory looks published (a checkpoint exists) but holds no
	// record and no initial values.
	if err := os.WriteFile(filepath.Join(dir, train.CheckpointFile), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = w.Close()
	if err == nil || !strings.Contains(err.Error(), "no initial weights") || !strings.HasPrefix(err.Error(), "runs: ") {
		t.Errorf("initial snapshot without the record: %v", err)
	}
	if len(w.Written()) != 0 {
		t.Errorf("written: %v", w.Written())
	}
}

// TestChooseParamsOfALargeModel: past snapshotAllLimit floats a snapshot
// keeps the convolutions, or an MLP's first layer.
func TestChooseParamsOfALargeModel(t *testing.T) {
	shapes := map[string][]int{
		"conv1.weight": {64, 3, 7, 7}, "conv1.bias": {64},
		"fc1.weight": {4096, 4096}, "fc1.bias": {4096},
	}
	shape := func(n string) []int { return shapes[n] }
	got := chooseParams([]string{"conv1.weight", "conv1.bias", "fc1.weight", "fc1.bias"}, shape)
	if !slices.Equal(got, []string{"conv1.weight", "conv1.bias"}) {
		t.Errorf("large convnet: %v, want conv1's weight and bias", got)
	}
	got = chooseParams([]string{"fc1.weight", "fc1.bias"}, shape)
	if !slices.Equal(got, []string{"fc1.weight", "fc1.bias"}) {
		t.Errorf("large MLP: %v", got)
	}
	small := chooseParams([]string{"conv1.bias", "fc9.bias"}, shape)
	if len(small) != 2 {
		t.Errorf("small model: %v, want both", small)
	}
}

// openRunSteps opens the run in dir and lists the steps of its snapshots.
func openRunSteps(t *testing.T, dir string) (*Run, []int) {
	t.Helper()
	run, err := OpenRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	for _, s := range run.Snapshots {
		steps = append(steps, s.Step)
	}
	return run, steps
}
