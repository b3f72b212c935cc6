package runs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// StepsFile is the sampled training loss of a run directory: one JSON line
// {"step","epoch","loss"} per progress report (`gabor train` appends it).
const StepsFile = "steps.jsonl"

// StepLoss is one sampled training loss: the mean over the steps since the
// previous sample.
type StepLoss struct {
	Step  int     `json:"step"`
	Epoch int     `json:"epoch"`
	Loss  float64 `json:"loss"`
}

// StepLosses reads a run directory's sampled training losses (StepsFile) in
// step order: for each step the sample written last, since a resumed run
// trains the steps after its checkpoint again and logs them again. A run
// without the file has none; a line that is not a sample is an error
// naming the file and the line.
func StepLosses(dir string) ([]StepLoss, error) {
	path := filepath.Join(dir, StepsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	steps, err := ParseSteps(b, path)
	if err != nil {
		return nil, err
	}
	return latestSteps(steps), nil
}

// latestSteps keeps, for each step, the sample written last, in step order.
func latestSteps(in []StepLoss) []StepLoss {
	at := map[int]int{}
	var out []StepLoss
	for _, s := range in {
		if i, ok := at[s.Step]; ok {
			out[i] = s
			continue
		}
		at[s.Step] = len(out)
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Step < out[j].Step })
	return out
}

// ParseSteps parses the lines of a steps file, as written (name is for
// messages): a negative step or an infinite loss is an error.
func ParseSteps(b []byte, name string) ([]StepLoss, error) {
	var out []StepLoss
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var s StepLoss
		if err := json.Unmarshal(line, &s); err != nil {
			return nil, fmt.Errorf("runs: %s line %d: %w", name, n, err)
		}
		if s.Step < 0 || math.IsInf(s.Loss, 0) {
			return nil, fmt.Errorf("runs: %s line %d: step %d, loss %g", name, n, s.Step, s.Loss)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("runs: %s: %w", name, err)
	}
	return out, nil
}
