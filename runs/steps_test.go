package runs

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseSteps: any steps file is parsed or refused, never a panic; what
// is parsed holds only steps ≥ 0 and finite (or NaN) losses.
func FuzzParseSteps(f *testing.F) {
	f.Add([]byte(`{"step":10,"epoch":1,"loss":2.3}` + "\n"))
	f.Add([]byte("{\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		steps, err := ParseSteps(b, "fuzz")
		if err != nil {
			return
		}
		for _, s := range steps {
			if s.Step < 0 || math.IsInf(s.Loss, 0) {
				t.Fatalf("parsed %+v", s)
			}
		}
	})
}

// A resumed run logs the steps after its checkpoint again: the later sample
// of a step wins, in step order.
func TestLatestSteps(t *testing.T) {
	got := latestSteps([]StepLoss{{Step: 10, Loss: 3}, {Step: 20, Loss: 2}, {Step: 30, Loss: 9}, {Step: 30, Loss: 1}, {Step: 20, Loss: 1.5}})
	if len(got) != 3 || got[1].Loss != 1.5 || got[2].Loss != 1 || got[0].Step != 10 {
		t.Errorf("%+v", got)
	}
}

// StepLosses reads a run's steps.jsonl (none without it) and names the file
// and line of a bad sample.
func TestStepLosses(t *testing.T) {
	dir := t.TempDir()
	if got, err := StepLosses(dir); err != nil || got != nil {
		t.Errorf("no steps file: %v, %v", got, err)
	}
	path := filepath.Join(dir, StepsFile)
	os.WriteFile(path, []byte(`{"step":20,"epoch":1,"loss":2}`+"\n"+`{"step":10,"epoch":1,"loss":3}`+"\n"+`{"step":20,"epoch":1,"loss":1.5}`+"\n"), 0o644)
	got, err := StepLosses(dir)
	if err != nil || len(got) != 2 || got[0].Step != 10 || got[1].Loss != 1.5 {
		t.Errorf("resumed steps: %+v, %v", got, err)
	}
	os.WriteFile(path, []byte(`{"step":10,"epoch":1,"loss":3}`+"\n"+`{"step":-1}`+"\n"), 0o644)
	if _, err := StepLosses(dir); err == nil || !strings.HasPrefix(err.Error(), "runs: "+path+" line 2:") {
		t.Errorf("negative step: %v", err)
	}
}
