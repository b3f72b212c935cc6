package runs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/gaborlab/gabor/internal/staging"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/train"
	"github.com/gaborlab/gabor/train/safetensors"
)

// Snapshot files: RUN_DIR/snapshots/step-NNNNNN.safetensors, each a
// safetensors file of the weights introspection draws from (every parameter
// of a zoo-sized model; see chooseParams), with string metadata:
//
//	format   gabor-snapshot-1
//	model, dataset, seed, conv1, step, epoch   (epoch: the epoch in progress
//	         or just finished, 1-based; 0 for the initial weights at step 0)
//	config   the run's Config as JSON
const (
	SnapshotFormat = "gabor-snapshot-1"
	SnapshotDir    = "snapshots"
)

// SnapshotName is the file name of the snapshot at a step.
func SnapshotName(step int) string { return fmt.Sprintf("step-%06d.safetensors", step) }

// snapshotQueue is how many snapshots may wait for the writer before the
// training thread blocks (back-pressure rather than dropping snapshots).
const snapshotQueue = 16

// SnapshotWriter saves snapshots during training. Its hook runs on the
// training thread and only copies the chosen weights to the host (a few
// thousand floats for lenet); encoding and writing happen on the writer's
// goroutine.
//
// A new run's directory appears only after its first checkpoint (see
// train.Run), so snapshots taken before that are held in memory and written
// once RUN_DIR/checkpoint.safetensors exists; if the run fails before, they
// are dropped with it, and nothing is left behind.
type SnapshotWriter struct {
	runDir string
	cfg    train.Config
	spec   train.SnapshotSpec
	meta   map[string]string

	names []string // chosen on the first call, from the compiled program

	ch   chan snapshot
	done chan struct{}
	mu   sync.Mutex
	err  error
	pend []snapshot
	wrot []string
}

type snapshot struct {
	step, epoch int
	tensors     []safetensors.Tensor
	initial     bool // tensors are read at write time: a recorded model's initial weights
}

// NewSnapshotWriter starts a writer for the run in runDir with config cfg
// (cfg.Snapshot is the rate). Close must be called to flush it.
func NewSnapshotWriter(runDir string, cfg train.Config) (*SnapshotWriter, error) {
	spec, err := train.ParseSnapshotSpec(cfg.Snapshot)
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	cj, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	w := &SnapshotWriter{
		runDir: runDir, cfg: cfg, spec: spec,
		meta: map[string]string{
			"format": SnapshotFormat, "model": cfg.Model, "dataset": cfg.Dataset,
			"seed": strconv.FormatUint(cfg.Seed, 10), "conv1": strconv.Itoa(cfg.Conv1),
			"config": string(cj),
		},
		ch: make(chan snapshot, snapshotQueue), done: make(chan struct{}),
	}
	go w.run()
	return w, nil
}

// Hooks are the training hooks that take the snapshots (none when off).
func (w *SnapshotWriter) Hooks() []train.Hook {
	switch {
	case w.spec.Off():
		return nil
	case w.spec.Epochs:
		return []train.Hook{{AtEpochEnd: true, Fn: func(s *train.Snapshot) error {
			if s.Epoch%w.spec.Every != 0 {
				return nil
			}
			return w.Take(s)
		}}}
	}
	return []train.Hook{{Every: w.spec.Every, Fn: w.Take}}
}

// Take copies the chosen weights out of a running program and queues them.
func (w *SnapshotWriter) Take(s *train.Snapshot) error {
	if err := w.failed(); err != nil {
		return err
	}
	if w.names == nil {
		w.names = snapshotParams(s.Program)
		if len(w.names) == 0 {
			return errors.New("runs: the model has no weight to snapshot")
		}
	}
	ts := make([]safetensors.Tensor, 0, len(w.names))
	for _, n := range w.names {
		v, shape, err := s.Read(n)
		if err != nil {
			return fmt.Errorf("runs: snapshot at step %d: %w", s.Step, err)
		}
		ts = append(ts, safetensors.Tensor{Name: n, Shape: shape, Data: v})
	}
	w.ch <- snapshot{step: s.Step, epoch: s.Epoch, tensors: ts}
	return nil
}

// TakeInitial queues the initial weights as the snapshot of step 0, exactly
// what train.Run starts from: a zoo model's seeded initialization
// (models.NewWith with the run's seed and conv1) or its --init-from file; for
// a model built by its caller (cfg.ModelFile set, as train.Fit records it)
// the initial values the run directory holds beside the model record
// (train.InitFile). Those are written into the new run's directory with its
// config, so that snapshot is made when the directory is published, not now.
func (w *SnapshotWriter) TakeInitial() error {
	if w.spec.Off() {
		return nil
	}
	if w.cfg.ModelFile != "" {
		w.ch <- snapshot{step: 0, epoch: 0, initial: true}
		return nil
	}
	ts, err := initialTensors(w.runDir, w.cfg)
	if err != nil {
		return err
	}
	w.ch <- snapshot{step: 0, epoch: 0, tensors: ts}
	return nil
}

// initialTensors are the chosen parameters of the model of the run in runDir
// (train.BuildModel) before training.
func initialTensors(runDir string, cfg train.Config) ([]safetensors.Tensor, error) {
	if cfg.ModelFile != "" {
		// BuildModel leaves a recorded model's parameters as the record has
		// them when the run holds no initial values: never a step 0.
		if _, err := os.Stat(filepath.Join(runDir, train.InitFile)); err != nil {
			return nil, fmt.Errorf("runs: initial snapshot of %s: the run directory holds no initial weights: %w", cfg.Model, err)
		}
	}
	m, err := train.BuildModel(runDir, cfg, 1)
	if err != nil {
		return nil, fmt.Errorf("runs: initial snapshot: %w", err)
	}
	// A recorded model's initial values already hold its --init-from file.
	if cfg.InitFrom != "" && cfg.ModelFile == "" {
		if err := models.LoadInit(m, cfg.InitFrom); err != nil {
			return nil, fmt.Errorf("runs: initial snapshot: %w", err)
		}
	}
	vals, err := models.ParamValues(m)
	if err != nil {
		return nil, fmt.Errorf("runs: initial snapshot of %s: %w", cfg.Model, err)
	}
	var all []string
	byName := map[string]safetensors.Tensor{}
	for i, p := range m.Params {
		all = append(all, p.Name())
		byName[p.Name()] = safetensors.Tensor{Name: p.Name(), Shape: append([]int(nil), p.Shape()...), Data: append([]float32(nil), vals[i]...)}
	}
	names := chooseParams(all, func(name string) []int { return byName[name].Shape })
	ts := make([]safetensors.Tensor, len(names))
	for i, n := range names {
		ts[i] = byName[n]
	}
	return ts, nil
}

// Close waits for the queued snapshots to be written (or dropped, when the
// run directory never appeared) and returns the first write error.
func (w *SnapshotWriter) Close() error {
	close(w.ch)
	<-w.done
	return w.failed()
}

// Written lists the files written so far.
func (w *SnapshotWriter) Written() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.wrot...)
}

func (w *SnapshotWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *SnapshotWriter) run() {
	defer close(w.done)
	for s := range w.ch {
		w.pend = append(w.pend, s)
		w.flush()
	}
	w.flush()
}

// flush writes the pending snapshots once the run directory is published.
func (w *SnapshotWriter) flush() {
	if _, err := os.Stat(filepath.Join(w.runDir, train.CheckpointFile)); err != nil {
		return
	}
	for _, s := range w.pend {
		if err := w.write(s); err != nil {
			w.mu.Lock()
			if w.err == nil {
				w.err = err
			}
			w.mu.Unlock()
		}
	}
	w.pend = w.pend[:0]
}

func (w *SnapshotWriter) write(s snapshot) error {
	if s.initial {
		ts, err := initialTensors(w.runDir, w.cfg)
		if err != nil {
			return err
		}
		s.tensors = ts
	}
	meta := make(map[string]string, len(w.meta)+2)
	for k, v := range w.meta {
		meta[k] = v
	}
	meta["step"], meta["epoch"] = strconv.Itoa(s.step), strconv.Itoa(s.epoch)
	b, err := safetensors.Encode(s.tensors, meta)
	if err != nil {
		return fmt.Errorf("runs: encoding snapshot of step %d: %w", s.step, err)
	}
	dir := filepath.Join(w.runDir, SnapshotDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	path := filepath.Join(dir, SnapshotName(s.step))
	// A locked temporary file named with the pid, so that a resume can remove
	// what a killed writer left (internal/staging).
	if err := staging.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("runs: writing snapshot %s: %w", path, err)
	}
	w.mu.Lock()
	w.wrot = append(w.wrot, path)
	w.mu.Unlock()
	return nil
}

// snapshotParams chooses what a snapshot keeps from a compiled program.
func snapshotParams(p *kernels.Program) []string {
	names := make([]string, len(p.Params))
	for i, q := range p.Params {
		names[i] = q.Name
	}
	return chooseParams(names, func(name string) []int {
		for _, q := range p.Params {
			if q.Name == name {
				return p.Buf(q.Value).Shape
			}
		}
		return nil
	})
}

// snapshotAllLimit: a model with at most this many parameter floats (every
// model of the zoo: convnet has 0.47M, mlp 0.67M) is snapshotted whole, so
// every layer — dense ones included — can be shown across training.
const snapshotAllLimit = 4 << 20

// chooseParams picks what a snapshot keeps: every parameter of a small
// model; of a larger one, every convolution weight ([K, C, R, S]) with its
// bias, or for a model without convolutions its first dense weight and bias
// (an MLP's first layer, whose rows are 28×28 images).
func chooseParams(params []string, shape func(string) []int) []string {
	total := 0
	for _, p := range params {
		n := 1
		for _, d := range shape(p) {
			n *= d
		}
		total += n
	}
	if total <= snapshotAllLimit {
		return append([]string(nil), params...)
	}
	var out []string
	has := map[string]bool{}
	for _, p := range params {
		has[p] = true
	}
	withBias := func(weight string) {
		out = append(out, weight)
		if b, ok := trimWeight(weight); ok && has[b+".bias"] {
			out = append(out, b+".bias")
		}
	}
	for _, p := range params {
		if len(shape(p)) == 4 {
			withBias(p)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, p := range params {
		if len(shape(p)) == 2 {
			withBias(p)
			break
		}
	}
	return out
}

func trimWeight(name string) (string, bool) {
	const suf = ".weight"
	if len(name) > len(suf) && name[len(name)-len(suf):] == suf {
		return name[:len(name)-len(suf)], true
	}
	return "", false
}
