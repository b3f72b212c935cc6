package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/train/safetensors"
)

// CheckpointFormat is the value of the "format" metadata key of gabor's
// checkpoints; a reader refuses other values.
const CheckpointFormat = "gabor-checkpoint-1"

// Checkpoint is the state of a run after a whole epoch. Its file is a
// safetensors file: the parameters under their model names ("fc1.weight",
// "conv1.bias", as in a PyTorch state_dict, in PyTorch's layout), the
// optimizer state under "optim.<state>.<param>" ("optim.momentum.fc1.weight"
// for SGD, "optim.m.…" and "optim.v.…" for Adam), the program's persistent
// state that is no parameter's (kernels.Program.State: BatchNorm's running
// averages) under StatePrefix + its name ("state.bn1.running_mean"), and
// string metadata:
//
//	format         gabor-checkpoint-1
//	model          mlp | lenet | convnet
//	dataset        the dataset trained on
//	optimizer      sgd | adam
//	epoch, step    epochs and steps completed
//	seed           the run's seed
//	rng            the shuffle state: the seed of the next epoch's permutation
//	               (the dropout stream is counter-based on step, so it needs none)
//	config         the whole Config as JSON
//	gabor_version  the version that wrote it
//	backend, threads  the backend and its worker count (CPU results depend on
//	               how reductions are split, so bit-identical resumes need the same)
//	train_loss, test_acc   of the last epoch (test_acc when it was evaluated)
type Checkpoint struct {
	Config  Config
	Epoch   int
	Step    int
	Version string
	// Tensors holds parameters and optimizer state by name.
	Tensors map[string]safetensors.Tensor
	// Params lists the parameter names in file order.
	Params   []string
	Metadata map[string]string
}

// StatePrefix begins the checkpoint name of a Program.State buffer.
const StatePrefix = "state."

// nextPermutationSeed is the rng state recorded in a checkpoint.
func nextPermutationSeed(cfg *Config, epochsDone int) uint64 {
	return cfg.Seed + uint64(epochsDone)
}

// snapshotState reads the parameters and optimizer state of a loaded program
// into checkpoint tensors, parameters first, then each state kind.
func snapshotState(prog *kernels.Program, exe kernels.Executable, optimizer string) ([]safetensors.Tensor, error) {
	var ts []safetensors.Tensor
	read := func(name string, id kernels.BufID) error {
		b := prog.Buf(id)
		data := make([]float32, b.Len)
		if err := exe.Read(id, data); err != nil {
			return fmt.Errorf("train: reading %s for the checkpoint: %w", name, err)
		}
		ts = append(ts, safetensors.Tensor{Name: name, Shape: append([]int(nil), b.Shape...), Data: data})
		return nil
	}
	for _, p := range prog.Params {
		if err := read(p.Name, p.Value); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(prog.State)) {
		if err := read(StatePrefix+name, prog.State[name]); err != nil {
			return nil, err
		}
	}
	states := stateNames(optimizer)
	for k, st := range states {
		for _, p := range prog.Params {
			if len(p.State) == 0 {
				continue // forward-only program
			}
			if err := checkStates(optimizer, p.Name, len(p.State)); err != nil {
				return nil, err
			}
			if err := read(stateKey(st, p.Name), p.State[k]); err != nil {
				return nil, err
			}
		}
	}
	return ts, nil
}

// encodeCheckpoint serializes a training state with its metadata.
// extra adds metadata such as the backend and its thread count.
func encodeCheckpoint(cfg *Config, epoch, step int, version string, last *Record, ts []safetensors.Tensor, extra map[string]string) ([]byte, error) {
	cj, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{
		"format":        CheckpointFormat,
		"model":         cfg.Model,
		"dataset":       cfg.Dataset,
		"optimizer":     cfg.Optimizer,
		"epoch":         strconv.Itoa(epoch),
		"step":          strconv.Itoa(step),
		"seed":          strconv.FormatUint(cfg.Seed, 10),
		"rng":           "shuffle=splitmix64 next_seed=" + strconv.FormatUint(nextPermutationSeed(cfg, epoch), 10),
		"config":        string(cj),
		"gabor_version": version,
	}
	for k, v := range extra {
		meta[k] = v
	}
	if last != nil {
		meta["train_loss"] = strconv.FormatFloat(last.TrainLoss, 'g', -1, 64)
		if last.TestAcc != nil {
			meta["test_acc"] = strconv.FormatFloat(*last.TestAcc, 'g', -1, 64)
		}
	}
	return safetensors.Encode(ts, meta)
}

// CheckpointError says what is wrong with which checkpoint file: unreadable,
// not a valid safetensors file, not written by gabor, or not matching the
// model. errors.As finds it; Unwrap exposes the cause (fs.ErrNotExist…).
type CheckpointError struct {
	Path string
	Err  error
}

func (e *CheckpointError) Error() string { return "train: checkpoint " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *CheckpointError) Unwrap() error { return e.Err }

// ReadCheckpoint reads and validates a checkpoint file written by gabor.
// Every error is a *CheckpointError.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is in CheckpointError already
		}
		return nil, &CheckpointError{path, err}
	}
	f, err := safetensors.Decode(raw)
	if err != nil {
		return nil, &CheckpointError{path, err}
	}
	bad := func(format string, args ...any) error {
		return &CheckpointError{path, fmt.Errorf(format, args...)}
	}
	m := f.Metadata
	if m["format"] != CheckpointFormat {
		return nil, bad("metadata format is %q, want %q (not a gabor checkpoint?)", m["format"], CheckpointFormat)
	}
	cfg, err := DecodeConfig([]byte(m["config"]), "metadata config")
	if err != nil {
		return nil, &CheckpointError{path, err}
	}
	ck := &Checkpoint{Config: cfg, Version: m["gabor_version"], Metadata: m, Tensors: map[string]safetensors.Tensor{}}
	if ck.Epoch, err = strconv.Atoi(m["epoch"]); err != nil || ck.Epoch < 0 {
		return nil, bad("metadata epoch %q is not a count", m["epoch"])
	}
	if ck.Step, err = strconv.Atoi(m["step"]); err != nil || ck.Step < 0 {
		return nil, bad("metadata step %q is not a count", m["step"])
	}
	for _, t := range f.Tensors {
		if err := checkFinite(t); err != nil {
			return nil, &CheckpointError{path, err}
		}
		ck.Tensors[t.Name] = t
		if !strings.HasPrefix(t.Name, "optim.") && !strings.HasPrefix(t.Name, StatePrefix) {
			ck.Params = append(ck.Params, t.Name)
		}
	}
	if len(ck.Params) == 0 {
		return nil, bad("holds no parameters")
	}
	return ck, nil
}

// checkFinite refuses a tensor holding NaN or ±Inf: the training loop stops
// before it would checkpoint such weights (it keeps the last good checkpoint),
// so one in a file means damage or a writer other than gabor.
func checkFinite(t safetensors.Tensor) error {
	bad, first := 0, -1
	for i, v := range t.Data {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			if first < 0 {
				first = i
			}
			bad++
		}
	}
	switch {
	case bad == 0:
		return nil
	case bad == len(t.Data):
		return fmt.Errorf("tensor %q is entirely non-finite (all %d values; the first is %g): refusing a diverged or damaged checkpoint", t.Name, bad, t.Data[0])
	}
	return fmt.Errorf("tensor %q holds %d non-finite values of %d (the first, %g, at index %d): refusing a diverged or damaged checkpoint", t.Name, bad, len(t.Data), t.Data[first], first)
}

// restore writes the checkpoint's tensors into a loaded program: every
// parameter, the optimizer state when the program has one, and the
// persistent state (Program.State). Names and shapes must match exactly; a
// checkpoint without the persistent state (written before checkpoints held
// it) leaves it at its start, zero.
func (ck *Checkpoint) restore(prog *kernels.Program, exe kernels.Executable, path string) error {
	write := func(name string, id kernels.BufID) error {
		t, ok := ck.Tensors[name]
		if !ok {
			return &CheckpointError{path, fmt.Errorf("no tensor %q (model %s)", name, ck.Config.Model)}
		}
		b := prog.Buf(id)
		if !slices.Equal(t.Shape, b.Shape) {
			return &CheckpointError{path, fmt.Errorf("tensor %q has shape %v, the model wants %v", name, t.Shape, b.Shape)}
		}
		return exe.Write(id, t.Data)
	}
	for _, p := range prog.Params {
		if err := write(p.Name, p.Value); err != nil {
			return err
		}
		if len(p.State) == 0 {
			continue
		}
		names := stateNames(ck.Config.Optimizer)
		if err := checkStates(ck.Config.Optimizer, p.Name, len(p.State)); err != nil {
			return err
		}
		for k, st := range names {
			if err := write(stateKey(st, p.Name), p.State[k]); err != nil {
				return err
			}
		}
	}
	for name, id := range prog.State {
		if _, ok := ck.Tensors[StatePrefix+name]; !ok {
			if err := exe.Write(id, make([]float32, prog.Buf(id).Len)); err != nil {
				return fmt.Errorf("train: zeroing %s: %w", name, err)
			}
			continue
		}
		if err := write(StatePrefix+name, id); err != nil {
			return err
		}
	}
	if len(ck.Params) != len(prog.Params) {
		return &CheckpointError{path, fmt.Errorf("holds %d parameters, model %s has %d", len(ck.Params), ck.Config.Model, len(prog.Params))}
	}
	return nil
}
