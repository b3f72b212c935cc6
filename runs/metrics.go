package runs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gaborlab/gabor/train"
)

// Metrics reads the records of a run directory's metrics.jsonl
// (train.MetricsFile), one per finished epoch; a run without the file (no
// epoch finished yet) has none. A last line cut short (its writer was killed
// mid-write, or is writing it now) is left out (train.DecodeMetrics); a bad
// line anywhere else is an error naming the file and the line.
func Metrics(dir string) ([]train.Record, error) {
	path := filepath.Join(dir, train.MetricsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	recs, _, err := train.DecodeMetrics(b)
	if err != nil {
		return nil, fmt.Errorf("runs: %s %w", path, err)
	}
	return recs, nil
}
