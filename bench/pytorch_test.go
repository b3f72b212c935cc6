package bench

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gaborlab/gabor/data"
)

// The reference script shuffles as data.Permutation does, so PyTorch trains on
// the very batches gabor trains on. Its --perm mode needs python3 and numpy
// only (not torch).
func TestTorchScriptShuffle(t *testing.T) {
	py, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		if py, err = exec.LookPath("python3"); err != nil {
			t.Skip("no python3 on this machine: the script's shuffle cannot be run")
		}
	}
	if exec.Command(py, "-c", "import numpy").Run() != nil {
		t.Skip("python3 has no numpy: the script's shuffle cannot be run")
	}
	script := filepath.Join("..", TorchScript)
	for _, c := range []struct {
		n    int
		seed uint64
	}{{60000, 1}, {1000, 5}, {17, 1 << 40}} {
		out, err := exec.Command(py, script, "--perm", itoa(c.n), itoa(int(c.seed))).Output()
		if err != nil {
			t.Fatalf("%s --perm %d %d: %v", script, c.n, c.seed, err)
		}
		var got []int32
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("--perm output %q: %v", out, err)
		}
		want := data.Permutation(c.n, c.seed)
		if len(want) > 16 {
			want = want[:16]
		}
		if !slices.Equal(got, want) {
			t.Errorf("n=%d seed=%d: script %v, data.Permutation %v", c.n, c.seed, got, want)
		}
	}
}

func itoa(n int) string { return intStrings([]int{n})[0] }
