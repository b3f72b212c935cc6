package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/train"
	"github.com/gaborlab/gabor/train/safetensors"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"plain failure", errors.New("diverged"), exitError},
		{"usage", usagef("--epochs must be at least 1"), exitUsage},
		{"wrapped usage", fmt.Errorf("train: %w", usagef("x")), exitUsage},
		{"bad file", &data.FileError{Path: "a.gz", Problem: "bad magic", Kind: data.ErrCorrupt}, exitData},
		{"dataset not found", fmt.Errorf("load: %w", &data.NotFoundError{Name: "mnist"}), exitData},
		{"checksum", fmt.Errorf("fetch: %w", data.ErrChecksum), exitData},
		// An untyped file-system error is a failure: an output that cannot be
		// written must not read as a bad input.
		{"untyped missing file", fmt.Errorf("open: %w", fs.ErrNotExist), exitError},
		{"checkpoint", &train.CheckpointError{Path: "c", Err: errors.New("no tensor")}, exitData},
		{"run input", &train.InputError{Path: "r", Err: errors.New("disagree")}, exitData},
		{"checksum of a tensor", fmt.Errorf("x: %w", &safetensors.ChecksumError{Tensor: "fc1.weight"}), exitData},
		{"diverged", fmt.Errorf("run: %w", &train.DivergedError{}), exitDiverged},
		{"unknown dataset", fmt.Errorf("data: %w %q", data.ErrUnknownDataset, "x"), exitUsage},
		{"device", &deviceError{errors.New("cuda not built in")}, exitDevice},
		{"interrupted", fmt.Errorf("train: interrupted in epoch 2: %w", context.Canceled), exitInterrupted},
		{"reported data failure", errSilentData, exitData},
		{"reported failure", errSilent, exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err); got != tt.want {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestRootCommand(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string
		wantErrOut string
	}{
		{"no arguments prints help", nil, 0, "Available Commands", ""},
		{"unknown command", []string{"trian"}, exitUsage, "", `unknown command "trian"`},
		{"suggestion", []string{"trian"}, exitUsage, "", `did you mean "train"?`},
		{"unknown flag", []string{"version", "--yaml"}, exitUsage, "", "unknown flag: --yaml"},
		{"unknown data subcommand", []string{"data", "verfy"}, exitUsage, "", `did you mean "verify"?`},
		{"usage hint", []string{"version", "--yaml"}, exitUsage, "", "Run 'gabor version --help' for usage."},
		{"help of a verb", []string{"train", "--help"}, 0, "--init-from FILE", ""},
		{"examples in help", []string{"data", "fetch", "--help"}, 0, "Examples:", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut, tt.wantErrOut) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.wantErrOut)
			}
		})
	}
}

// TestEveryCommandHasExamples walks the command tree: every command gabor defines
// has Example text and a short description.
func TestEveryCommandHasExamples(t *testing.T) {
	f, _, _ := testFactory()
	root := newCmdRoot(f)
	stack := root.Commands()
	n := 0
	for len(stack) > 0 {
		c := stack[0]
		stack = append(stack[1:], c.Commands()...)
		// help and completion are cobra's own.
		if c.Name() == "help" || c.Name() == "completion" || c.Parent().Name() == "completion" {
			continue
		}
		n++
		if c.Example == "" {
			t.Errorf("%s has no Example", c.CommandPath())
		}
		if c.Short == "" {
			t.Errorf("%s has no Short description", c.CommandPath())
		}
	}
	if n < 8 { // train eval data info verify fetch devices version
		t.Errorf("walked %d commands, want at least 8", n)
	}
}
