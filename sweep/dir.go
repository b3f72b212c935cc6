package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gaborlab/gabor/internal/staging"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
)

// A sweep directory holds:
//
//	sweep.json            the Plan: fixed flags, swept flags, every point
//	runs/<point>/         each point's run directory (an ordinary gabor train run)
//	state/<point>.json    each point's State: status, attempts, failures, logs
//	logs/<point>.<n>.log  the stderr of each attempt (kept for failures)
//	slurm/                the job-array scripts, their job ids and outputs
//	report/               what gabor sweep report writes
const (
	PlanFile  = "sweep.json"
	RunsDir   = "runs"
	StateDir  = "state"
	LogsDir   = "logs"
	SlurmDir  = "slurm"
	ReportDir = "report"
)

// Dir is an open sweep directory.
type Dir struct {
	Path string
	Plan *Plan
}

// Open reads the sweep directory at path.
func Open(path string) (*Dir, error) {
	b, err := os.ReadFile(filepath.Join(path, PlanFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sweep: %s is not a sweep directory (no %s)", path, PlanFile)
	}
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var p Plan
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", filepath.Join(path, PlanFile), err)
	}
	if p.Version != PlanVersion {
		return nil, fmt.Errorf("sweep: %s: format version %d, this gabor reads %d", filepath.Join(path, PlanFile), p.Version, PlanVersion)
	}
	if len(p.Points) == 0 {
		return nil, fmt.Errorf("sweep: %s lists no points", filepath.Join(path, PlanFile))
	}
	for i, pt := range p.Points {
		if pt.Index != i || pt.Name == "" || pt.Name != filepath.Base(pt.Name) || pt.Name[0] == '.' {
			return nil, fmt.Errorf("sweep: %s: point %d is malformed (index %d, name %q)", filepath.Join(path, PlanFile), i, pt.Index, pt.Name)
		}
	}
	return &Dir{Path: path, Plan: &p}, nil
}

// Create makes the sweep directory path for plan p, or opens it when it
// already holds the same points (a resumed sweep; the new Retries apply).
// A directory holding anything else is refused. A new directory appears
// whole: it is assembled beside path and renamed into place.
func Create(path string, p *Plan) (d *Dir, created bool, err error) {
	if old, err := Open(path); err == nil {
		if !samePoints(old.Plan, p) {
			return nil, false, fmt.Errorf("sweep: %s holds a different sweep (its %s lists other points): choose another directory, or continue it with gabor sweep run %s", path, PlanFile, path)
		}
		if old.Plan.Retries != p.Retries {
			old.Plan.Retries = p.Retries
			if err := writePlan(path, old.Plan); err != nil {
				return nil, false, err
			}
		}
		return old, false, nil
	}
	entries, err := os.ReadDir(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, false, fmt.Errorf("sweep: %w", err)
	case len(entries) > 0:
		return nil, false, fmt.Errorf("sweep: %s exists and is not a sweep directory (no %s): choose another directory", path, PlanFile)
	default:
		if err := writePlan(path, p); err != nil {
			return nil, false, err
		}
		return &Dir{Path: path, Plan: p}, true, nil
	}
	parent := filepath.Dir(path)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, false, fmt.Errorf("sweep: creating %s: %w", parent, err)
	}
	tmp, err := staging.MkdirTemp(parent, "."+filepath.Base(path)+".partial-", 0o755)
	if err != nil {
		return nil, false, fmt.Errorf("sweep: creating the sweep directory in %s: %w", parent, err)
	}
	defer tmp.Release()
	if err := writePlan(tmp.Path, p); err != nil {
		os.RemoveAll(tmp.Path)
		return nil, false, err
	}
	if err := os.Rename(tmp.Path, path); err != nil {
		os.RemoveAll(tmp.Path)
		return nil, false, fmt.Errorf("sweep: moving the sweep directory into place: %w", err)
	}
	return &Dir{Path: path, Plan: p}, true, nil
}

func samePoints(a, b *Plan) bool {
	ja, _ := json.Marshal(a.Points)
	jb, _ := json.Marshal(b.Points)
	return bytes.Equal(ja, jb)
}

func writePlan(dir string, p *Plan) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("sweep: encoding the plan: %w", err)
	}
	if err := staging.WriteFile(filepath.Join(dir, PlanFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("sweep: writing %s: %w", filepath.Join(dir, PlanFile), err)
	}
	return nil
}

// RunDir is the run directory of a point.
func (d *Dir) RunDir(p Point) string { return filepath.Join(d.Path, RunsDir, p.Name) }

// Statuses of a point (State.Status).
const (
	StatusPending = "pending" // never started
	StatusRunning = "running" // started (locally, or a Slurm task began it)
	StatusQueued  = "queued"  // submitted to Slurm, not begun
	StatusDone    = "done"    // its run directory holds every epoch
	StatusFailed  = "failed"  // the last attempt failed; Failures says how often
)

// State is what a sweep knows about one point (state/<point>.json).
type State struct {
	Status   string `json:"status"`
	Attempts int    `json:"attempts"` // starts, interrupted ones included
	Failures int    `json:"failures"` // attempts that failed (a run exiting non-zero, a Slurm task lost)
	ExitCode int    `json:"exit_code,omitempty"`
	Error    string `json:"error,omitempty"` // why the last attempt failed
	// Logs are the stderr files of the attempts, relative to the sweep directory.
	Logs     []string  `json:"logs,omitempty"`
	JobID    string    `json:"job_id,omitempty"` // the Slurm array task (JOB_INDEX)
	Host     string    `json:"host,omitempty"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
}

func (d *Dir) statePath(p Point) string {
	return filepath.Join(d.Path, StateDir, p.Name+".json")
}

// ReadState reads a point's recorded state (StatusPending when none).
func (d *Dir) ReadState(p Point) (State, error) {
	b, err := os.ReadFile(d.statePath(p))
	if errors.Is(err, fs.ErrNotExist) {
		return State{Status: StatusPending}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("sweep: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("sweep: %s: %w", d.statePath(p), err)
	}
	return s, nil
}

// WriteState replaces a point's state atomically.
func (d *Dir) WriteState(p Point, s State) error {
	if err := os.MkdirAll(filepath.Join(d.Path, StateDir), 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("sweep: encoding the state of %s: %w", p.Name, err)
	}
	if err := staging.WriteFile(d.statePath(p), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("sweep: writing the state of %s: %w", p.Name, err)
	}
	return nil
}

// Status is a point's state as its run directory confirms it: a run whose
// metrics reach its configured epochs is done whatever the state file says
// (its process may have been killed before recording it).
func (d *Dir) Status(p Point) (State, error) {
	s, err := d.ReadState(p)
	if err != nil {
		return s, err
	}
	done, err := runFinished(d.RunDir(p))
	if err != nil {
		return s, err
	}
	if done {
		s.Status = StatusDone
	} else if s.Status == StatusDone {
		s.Status = StatusPending // its run directory was removed or cut short: run it again
	}
	return s, nil
}

// runFinished says whether the run directory holds every configured epoch
// and a checkpoint.
func runFinished(dir string) (bool, error) {
	cfgPath := filepath.Join(dir, train.ConfigFile)
	if _, err := os.Stat(cfgPath); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	cfg, err := train.ReadConfig(cfgPath)
	if err != nil {
		return false, fmt.Errorf("sweep: run %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, train.CheckpointFile)); err != nil {
		return false, nil
	}
	recs, err := runs.Metrics(dir)
	if err != nil {
		return false, fmt.Errorf("sweep: run %s: %w", dir, err)
	}
	return len(recs) > 0 && recs[len(recs)-1].Epoch >= cfg.Epochs, nil
}

// resumable says whether a point's run directory holds a checkpoint that
// gabor train --resume can continue.
func resumable(runDir string) bool {
	_, err1 := os.Stat(filepath.Join(runDir, train.ConfigFile))
	_, err2 := os.Stat(filepath.Join(runDir, train.CheckpointFile))
	return err1 == nil && err2 == nil
}

// Counts tallies the points of a sweep by status.
type Counts struct {
	Done    int `json:"done"`
	Running int `json:"running"`
	Queued  int `json:"queued"`
	Pending int `json:"pending"`
	Failed  int `json:"failed"`
	// Exhausted are the failed points with no retries left.
	Exhausted int `json:"out_of_retries"`
}

func (c Counts) String() string {
	s := fmt.Sprintf("%d done, %d running", c.Done, c.Running)
	if c.Queued > 0 {
		s += fmt.Sprintf(", %d queued", c.Queued)
	}
	s += fmt.Sprintf(", %d pending, %d failed", c.Pending, c.Failed)
	if c.Exhausted > 0 {
		s += fmt.Sprintf(" (%d out of retries)", c.Exhausted)
	}
	return s
}

// States reads every point's status (Status), with the tally.
func (d *Dir) States() ([]State, Counts, error) {
	var c Counts
	out := make([]State, len(d.Plan.Points))
	for i, p := range d.Plan.Points {
		s, err := d.Status(p)
		if err != nil {
			return nil, c, err
		}
		out[i] = s
		switch s.Status {
		case StatusDone:
			c.Done++
		case StatusRunning:
			c.Running++
		case StatusQueued:
			c.Queued++
		case StatusFailed:
			c.Failed++
			if s.Failures > d.Plan.Retries {
				c.Exhausted++
			}
		default:
			c.Pending++
		}
	}
	return out, c, nil
}

// lock holds the sweep directory while an executor drives it, so that two
// drivers never run the same points.
func (d *Dir) lock() (*staging.Dir, error) {
	l, err := staging.Lock(d.Path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %s is being run by another gabor sweep process (%v)", d.Path, err)
	}
	return l, nil
}
