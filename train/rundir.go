package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gaborlab/gabor/internal/staging"
)

// A run directory holds:
//
//	config.json              the Config, written before the first epoch
//	metrics.jsonl            one Record per finished epoch
//	checkpoint.safetensors   the state after the last finished epoch
//
// Every file is replaced atomically (writeFileAtomic) or appended to and
// synced, so a crash at any moment leaves the last complete checkpoint.
const (
	ConfigFile     = "config.json"
	MetricsFile    = "metrics.jsonl"
	CheckpointFile = "checkpoint.safetensors"
)

// writeFileAtomic replaces path by data: it writes a temporary file in the same
// directory (named with this process's id and locked while written, so a later
// run can tell a dead writer's leftover: see cleanLeftovers), syncs it, renames
// it over path and syncs the directory, so readers see either the old file or
// the whole new one, even across a power cut.
func writeFileAtomic(path string, data []byte) error {
	if err := staging.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("train: writing %s: %w", path, err)
	}
	return nil
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	if err := staging.SyncDir(dir); err != nil {
		return fmt.Errorf("train: syncing directory %s: %w", dir, err)
	}
	return nil
}

// cleanLeftovers removes what a killed process left for the run directory
// runDir: its staging directories (.<run>.partial-*) beside it, and, with
// inside (runDir is a run directory: Resume), the temporary files of
// interrupted writes in it and its snapshots/ — only those no live process
// holds. It returns what it removed, for the log.
func cleanLeftovers(runDir string, inside bool) ([]string, error) {
	partial := "." + filepath.Base(runDir) + ".partial-"
	removed, err := staging.Clean(filepath.Dir(runDir), func(n string) bool { return strings.HasPrefix(n, partial) })
	if err != nil {
		return removed, fmt.Errorf("train: removing leftovers beside %s: %w", runDir, err)
	}
	if !inside {
		return removed, nil
	}
	tmp := func(n string) bool {
		return strings.HasPrefix(n, ".") && strings.Contains(n, ".tmp-") || strings.HasSuffix(n, ".safetensors.tmp")
	}
	for _, d := range []string{runDir, filepath.Join(runDir, "snapshots")} {
		r, err := staging.Clean(d, tmp)
		removed = append(removed, r...)
		if err != nil {
			return removed, fmt.Errorf("train: removing leftovers in %s: %w", d, err)
		}
	}
	return removed, nil
}

// lockRunDir holds a lock on a run directory while a process trains in it, so
// a second resume of the same run is refused instead of mixing two writers.
func lockRunDir(runDir string) (*staging.Dir, error) {
	d, err := staging.Lock(runDir)
	if err != nil {
		return nil, fmt.Errorf("train: run directory %s is in use by another process (%v)", runDir, err)
	}
	return d, nil
}

// defaultRunDir is runs/<model>-<yyyymmdd-hhmmss> under the working directory.
func defaultRunDir(model string, now time.Time) string {
	return filepath.Join("runs", model+"-"+now.Format("20060102-150405"))
}

// checkRunDirFree refuses a run directory that already holds something, so a
// new run never mixes with (or overwrites) an old one.
func checkRunDirFree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("train: run directory %s: %w", dir, pe.Err)
		}
		return fmt.Errorf("train: run directory %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("train: run directory %s already exists and is not empty (resume it, or choose another output directory)", dir)
	}
	return nil
}

// stagingDir creates the hidden directory a new run writes into until its
// first checkpoint exists; it is then renamed to the run directory. The
// directory is locked until Release (the lock follows it through the rename).
func stagingDir(runDir string) (*staging.Dir, error) {
	parent := filepath.Dir(runDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("train: creating %s: %w", parent, err)
	}
	d, err := staging.MkdirTemp(parent, "."+filepath.Base(runDir)+".partial-", 0o755)
	if err != nil {
		return nil, fmt.Errorf("train: creating the run directory in %s: %w", parent, err)
	}
	return d, nil
}

// publishDir renames the staging directory to the run directory (replacing an
// empty directory there) and makes the rename durable.
func publishDir(staging, runDir string) error {
	if err := checkRunDirFree(runDir); err != nil {
		return err
	}
	// os.Rename refuses an existing directory as the target, even an empty one.
	if err := os.Remove(runDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("train: replacing the empty directory %s: %w", runDir, err)
	}
	if err := os.Rename(staging, runDir); err != nil {
		return fmt.Errorf("train: moving the run directory into place: %w", err)
	}
	return syncDir(filepath.Dir(runDir))
}

func writeConfig(dir string, cfg Config) error {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("train: encoding config: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, ConfigFile), append(b, '\n'))
}

// appendRecord adds one line to metrics.jsonl and syncs it.
func appendRecord(dir string, rec Record) error {
	path := filepath.Join(dir, MetricsFile)
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("train: encoding metrics for epoch %d: %w", rec.Epoch, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("train: appending to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("train: syncing %s: %w", path, err)
	}
	return f.Close()
}

// readMetrics reads the records of metrics.jsonl in a run directory (none
// when it has no such file) and says whether a torn last line was left out
// (see DecodeMetrics): what Resume needs to truncate the file. The verbs
// that read a run's metrics call runs.Metrics.
func readMetrics(dir string) ([]Record, bool, error) {
	path := filepath.Join(dir, MetricsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("train: %w", err)
	}
	recs, torn, err := DecodeMetrics(b)
	if err != nil {
		return nil, false, fmt.Errorf("train: %s %w", path, err)
	}
	return recs, torn, nil
}

// DecodeMetrics parses the content of a metrics.jsonl: one Record per line.
// A last line cut short (no newline, not valid JSON: its writer was killed
// mid-write) is left out, and torn says so; a bad line anywhere else is an
// error starting with "line N:".
func DecodeMetrics(b []byte) (recs []Record, torn bool, err error) {
	if i := bytes.LastIndexByte(b, '\n'); i+1 < len(b) {
		var r Record
		if tail := b[i+1:]; len(bytes.TrimSpace(tail)) > 0 && json.Unmarshal(tail, &r) != nil {
			b, torn = b[:i+1], true
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, false, fmt.Errorf("line %d: %w", line, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, false, err
	}
	return recs, torn, nil
}

// truncateMetrics rewrites metrics.jsonl with the records of epochs ≤ epoch
// only: a run that stopped between appending an epoch's record and writing its
// checkpoint redoes that epoch on resume, and must not list it twice.
//
// A torn last line (see DecodeMetrics) is dropped from the file as well.
func truncateMetrics(dir string, epoch int) ([]Record, error) {
	recs, torn, err := readMetrics(dir)
	if err != nil {
		return nil, err
	}
	var keep []Record
	var buf bytes.Buffer
	for _, r := range recs {
		if r.Epoch <= epoch {
			keep = append(keep, r)
			b, err := json.Marshal(r)
			if err != nil {
				return nil, err
			}
			buf.Write(append(b, '\n'))
		}
	}
	if len(keep) != len(recs) || torn {
		if err := writeFileAtomic(filepath.Join(dir, MetricsFile), buf.Bytes()); err != nil {
			return nil, err
		}
	}
	return keep, nil
}
