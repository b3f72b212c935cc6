package runs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/train"
	"github.com/gaborlab/gabor/train/safetensors"
)

// Weights are the tensors of a model at one step of its training, read from
// a checkpoint or a snapshot, with where they come from.
type Weights struct {
	Path    string // the file read
	Kind    string // "checkpoint" or "snapshot"
	Config  train.Config
	Step    int
	Epoch   int
	Tensors map[string]safetensors.Tensor
}

// RunDir is the run directory w was read from (train.RunDirOf).
func (w *Weights) RunDir() string { return train.RunDirOf(w.Path) }

// Model rebuilds w's model at a batch size from its run directory
// (train.BuildModel): a zoo run from the zoo, a run of a model built by its
// caller from the run's model record. Its parameters hold the run's
// initial values, not w's.
func (w *Weights) Model(batch int) (*graph.Model, error) {
	m, err := train.BuildModel(w.RunDir(), w.Config, batch)
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	return m, nil
}

// Names lists the tensors, sorted.
func (w *Weights) Names() []string {
	var n []string
	for k := range w.Tensors {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// ReadWeights reads a checkpoint (train.ReadCheckpoint: its parameters and
// persistent state, not the optimizer's) or a snapshot file.
func ReadWeights(path string) (*Weights, error) {
	f, err := safetensors.Read(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("runs: %s does not exist", path)
		}
		return nil, fmt.Errorf("runs: %s: %w", path, err)
	}
	switch f.Metadata["format"] {
	case train.CheckpointFormat:
		ck, err := train.ReadCheckpoint(path)
		if err != nil {
			return nil, err
		}
		w := &Weights{Path: path, Kind: "checkpoint", Config: ck.Config, Step: ck.Step, Epoch: ck.Epoch, Tensors: map[string]safetensors.Tensor{}}
		for _, n := range ck.Params {
			w.Tensors[n] = ck.Tensors[n]
		}
		for n, t := range ck.Tensors { // persistent state (BatchNorm's running averages), under train.StatePrefix
			if strings.HasPrefix(n, train.StatePrefix) {
				w.Tensors[n] = t
			}
		}
		return w, nil
	case SnapshotFormat:
		cfg, err := train.DecodeConfig([]byte(f.Metadata["config"]), "metadata config")
		if err != nil {
			return nil, fmt.Errorf("runs: snapshot %s: %w", path, err)
		}
		w := &Weights{Path: path, Kind: "snapshot", Config: cfg, Tensors: map[string]safetensors.Tensor{}}
		if w.Step, err = strconv.Atoi(f.Metadata["step"]); err != nil || w.Step < 0 {
			return nil, fmt.Errorf("runs: snapshot %s: metadata step %q is not a count", path, f.Metadata["step"])
		}
		if w.Epoch, err = strconv.Atoi(f.Metadata["epoch"]); err != nil || w.Epoch < 0 {
			return nil, fmt.Errorf("runs: snapshot %s: metadata epoch %q is not a count", path, f.Metadata["epoch"])
		}
		for _, t := range f.Tensors {
			w.Tensors[t.Name] = t
		}
		return w, nil
	}
	return nil, fmt.Errorf("runs: %s is neither a gabor checkpoint nor a snapshot (metadata format %q)", path, f.Metadata["format"])
}

// Run is a run directory opened for reading: its config, its snapshots and
// its checkpoint.
type Run struct {
	Dir        string
	Config     train.Config
	Checkpoint string    // "" when there is none
	Snapshots  []StepRef // sorted by step
}

// StepRef names the weights of one step: a snapshot or the checkpoint.
type StepRef struct {
	Step int
	Path string
}

// Model rebuilds the run's model at a batch size (train.BuildModel).
func (r *Run) Model(batch int) (*graph.Model, error) {
	m, err := train.BuildModel(r.Dir, r.Config, batch)
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	return m, nil
}

// OpenRun reads a run directory written by `gabor train`.
func OpenRun(dir string) (*Run, error) {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("runs: run directory %s does not exist", dir)
		}
		return nil, fmt.Errorf("runs: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("runs: %s is a file, not a run directory", dir)
	}
	cfg, cerr := train.ReadConfig(filepath.Join(dir, train.ConfigFile))
	r := &Run{Dir: dir, Config: cfg}
	ck := filepath.Join(dir, train.CheckpointFile)
	if _, err := os.Stat(ck); err == nil {
		r.Checkpoint = ck
	}
	if cerr != nil && r.Checkpoint == "" {
		return nil, fmt.Errorf("runs: %s is not a run directory: it has no %s and no %s", dir, train.ConfigFile, train.CheckpointFile)
	}
	entries, err := os.ReadDir(filepath.Join(dir, SnapshotDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("runs: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		num, ok := strings.CutPrefix(name, "step-")
		if !ok {
			continue
		}
		num, ok = strings.CutSuffix(num, ".safetensors")
		step, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		r.Snapshots = append(r.Snapshots, StepRef{step, filepath.Join(dir, SnapshotDir, name)})
	}
	slices.SortFunc(r.Snapshots, func(a, b StepRef) int { return a.Step - b.Step })
	if cerr != nil {
		// A run directory with a checkpoint but a damaged config: the
		// checkpoint carries the config too.
		w, err := ReadWeights(r.Checkpoint)
		if err != nil {
			return nil, err
		}
		r.Config = w.Config
	}
	return r, nil
}

// Steps lists the weights available by step: every snapshot, and the
// checkpoint when no snapshot has its step. The checkpoint's step is read
// from its metadata.
func (r *Run) Steps() ([]StepRef, error) {
	out := append([]StepRef(nil), r.Snapshots...)
	if r.Checkpoint != "" {
		w, err := ReadWeights(r.Checkpoint)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(out, func(s StepRef) bool { return s.Step == w.Step }) {
			out = append(out, StepRef{w.Step, r.Checkpoint})
			slices.SortFunc(out, func(a, b StepRef) int { return a.Step - b.Step })
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("runs: %s has no checkpoint and no snapshots yet", r.Dir)
	}
	return out, nil
}

// At reads the weights of a step (step < 0: the latest).
func (r *Run) At(step int) (*Weights, error) {
	steps, err := r.Steps()
	if err != nil {
		return nil, err
	}
	if step < 0 {
		return ReadWeights(steps[len(steps)-1].Path)
	}
	for _, s := range steps {
		if s.Step == step {
			return ReadWeights(s.Path)
		}
	}
	var have []string
	for _, s := range steps {
		have = append(have, strconv.Itoa(s.Step))
	}
	return nil, fmt.Errorf("runs: %s has no weights at step %d (steps: %s)", r.Dir, step, strings.Join(have, ", "))
}
