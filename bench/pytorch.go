package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/data"
)

// TorchScript is the reference script's path from the repository root.
const TorchScript = "scripts/torch_bench.py"

// EnvTorchScript overrides where the reference script is looked for.
const EnvTorchScript = "GABOR_TORCH_SCRIPT"

// TorchEnv is the PyTorch a comparison ran with.
type TorchEnv struct {
	Python  string `json:"python"` // interpreter path
	Version string `json:"torch"`
	Threads int    `json:"threads"`
	BLAS    string `json:"blas,omitempty"`
	Script  string `json:"script"`
}

// TorchOptions say how to run the reference script.
type TorchOptions struct {
	Python  string // interpreter; "" finds one with FindTorch
	Script  string // "" finds it with FindTorchScript
	Threads int    // torch.set_num_threads (0: PyTorch's default)
	// Log receives the script's progress lines (its stderr); nil drops them.
	Log io.Writer
}

// ErrNoTorch says that no python3 here imports torch.
var ErrNoTorch = errors.New("no python3 that imports torch was found")

// FindTorch returns the first of /usr/bin/python3 (Debian's python3-torch
// lives there) and the python3 on PATH that imports torch, with torch's
// version.
func FindTorch(ctx context.Context) (python, version string, err error) {
	cands := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil && p != cands[0] {
		cands = append(cands, p)
	}
	var tried []string
	for _, py := range cands {
		out, err := exec.CommandContext(ctx, py, "-c", "import torch; print(torch.__version__)").Output()
		if err == nil {
			return py, strings.TrimSpace(string(out)), nil
		}
		tried = append(tried, py)
	}
	return "", "", fmt.Errorf("%w (tried %s)", ErrNoTorch, strings.Join(tried, ", "))
}

// FindTorchScript looks for the reference script: $GABOR_TORCH_SCRIPT, then
// scripts/torch_bench.py under the working directory, then beside or above the
// executable's directory (bin/gabor in the repository).
func FindTorchScript() (string, error) {
	if p := os.Getenv(EnvTorchScript); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", EnvTorchScript, err)
		}
		return p, nil
	}
	cands := []string{TorchScript}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		cands = append(cands, filepath.Join(d, TorchScript), filepath.Join(d, "..", TorchScript))
	}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return filepath.Abs(c)
		}
	}
	return "", fmt.Errorf("the PyTorch reference script %s was not found (looked in %s; set %s)",
		TorchScript, strings.Join(cands, ", "), EnvTorchScript)
}

// TorchDataDir returns a folder holding ds's training set as IDX files for the
// script: the folder ds was read from, or, for a generated set, a temporary
// folder the returned cleanup removes.
func TorchDataDir(ds *data.Dataset) (dir string, cleanup func(), err error) {
	if len(ds.Files) > 0 {
		return filepath.Dir(ds.Files[0]), func() {}, nil
	}
	dir, err = os.MkdirTemp("", "gabor-bench-data-")
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	if err := data.WriteDir(ds, dir, false); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("bench: writing the %s set for PyTorch: %w", ds.Name, err)
	}
	return dir, cleanup, nil
}

// torchOutput is the script's JSON line.
type torchOutput struct {
	Torch   string   `json:"torch"`
	Threads int      `json:"threads"`
	BLAS    string   `json:"blas"`
	Results []Result `json:"results"`
	Errors  []struct {
		Device string `json:"device"`
		Error  string `json:"error"`
	} `json:"errors"`
}

// RunPyTorch runs the reference script for the workloads of opts on the data
// in dataDir (see TorchDataDir) and returns its results (impl "pytorch", not
// yet summarized: add them to a Report and call Finish) and notes on devices
// it could not use.
func RunPyTorch(ctx context.Context, opts Options, dataDir string, topts TorchOptions) ([]Result, *TorchEnv, []string, error) {
	py, script := topts.Python, topts.Script
	var err error
	if py == "" {
		if py, _, err = FindTorch(ctx); err != nil {
			return nil, nil, nil, err
		}
	}
	if script == "" {
		if script, err = FindTorchScript(); err != nil {
			return nil, nil, nil, err
		}
	}
	args := []string{script,
		"--models", strings.Join(opts.Models, ","),
		"--devices", strings.Join(opts.Devices, ","),
		"--batches", strings.Join(intStrings(opts.Batches), ","),
		"--epochs", strconv.Itoa(opts.Epochs * opts.Repeat),
		"--warmup", strconv.Itoa(opts.Warmup),
		"--limit", strconv.Itoa(opts.Limit),
		"--seed", strconv.FormatUint(opts.Seed, 10),
		"--threads", strconv.Itoa(topts.Threads),
		"--data-dir", dataDir,
	}
	cmd := exec.CommandContext(ctx, py, args...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if topts.Log != nil {
		cmd.Stderr = topts.Log
	}
	if err := cmd.Run(); err != nil {
		return nil, nil, nil, fmt.Errorf("bench: %s %s: %w", py, script, err)
	}
	out, err := parseTorchOutput(stdout.Bytes())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("bench: %s: %w", script, err)
	}
	env := &TorchEnv{Python: py, Version: out.Torch, Threads: out.Threads, BLAS: out.BLAS, Script: script}
	var notes []string
	for _, e := range out.Errors {
		notes = append(notes, fmt.Sprintf("pytorch could not run on %s: %s", e.Device, e.Error))
	}
	for i := range out.Results {
		out.Results[i].Impl = ImplPyTorch
		out.Results[i].FirstEpochS = firstOf(out.Results[i].WarmupEpochS, out.Results[i].EpochS)
	}
	return out.Results, env, notes, nil
}

// parseTorchOutput reads the last line of the script's stdout that is a JSON
// object.
func parseTorchOutput(b []byte) (*torchOutput, error) {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var out torchOutput
		if err := json.Unmarshal([]byte(l), &out); err != nil {
			return nil, fmt.Errorf("bad JSON line: %w", err)
		}
		return &out, nil
	}
	return nil, errors.New("no JSON line on stdout")
}

func firstOf(lists ...[]float64) float64 {
	for _, l := range lists {
		if len(l) > 0 {
			return l[0]
		}
	}
	return 0
}
