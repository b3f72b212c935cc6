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
	"time"
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
// directory, syncs it, renames it over path and syncs the directory, so readers
// see either the old file or the whole new one, even across a power cut.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("train: writing %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("train: writing %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("train: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("train: writing %s: %w", path, err)
	}
	return syncDir(dir)
}

// syncDir makes a rename or a new file in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("train: syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("train: syncing directory %s: %w", dir, err)
	}
	return nil
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
// first checkpoint exists; it is then renamed to the run directory.
func stagingDir(runDir string) (string, error) {
	parent := filepath.Dir(runDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("train: creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(runDir)+".partial-")
	if err != nil {
		return "", fmt.Errorf("train: creating the run directory in %s: %w", parent, err)
	}
	// MkdirTemp makes it private (0700); a run directory is an ordinary one.
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("train: %w", err)
	}
	return tmp, nil
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

// ReadMetrics reads the records of metrics.jsonl in a run directory.
func ReadMetrics(dir string) ([]Record, error) {
	path := filepath.Join(dir, MetricsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var recs []Record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("train: %s line %d: %w", path, line, err)
		}
		recs = append(recs, r)
	}
	return recs, sc.Err()
}

// truncateMetrics rewrites metrics.jsonl with the records of epochs ≤ epoch
// only: a run that stopped between appending an epoch's record and writing its
// checkpoint redoes that epoch on resume, and must not list it twice.
func truncateMetrics(dir string, epoch int) ([]Record, error) {
	recs, err := ReadMetrics(dir)
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
	if len(keep) != len(recs) {
		if err := writeFileAtomic(filepath.Join(dir, MetricsFile), buf.Bytes()); err != nil {
			return nil, err
		}
	}
	return keep, nil
}
