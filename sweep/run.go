package sweep

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Task runs points: each is `Exe train …` as a subprocess, so a point's run
// directory is an ordinary run (what gabor curves, eval and filters read).
type Task struct {
	Exe string   // the gabor binary (os.Executable)
	Env []string // added to this process's environment ("GOMAXPROCS=2")
	// JobID names the Slurm array task running it ("" locally).
	JobID string
	// Cancelled counts an interrupted attempt as a failure: a Slurm task is
	// signalled when it is cancelled or runs out of time, and would otherwise
	// be submitted again for ever.
	CancelFails bool
}

// RunPoint runs one attempt of point p and records it in state/: a finished
// run is left alone (nil), a run with a checkpoint is resumed (gabor train
// --resume), anything else starts afresh. The attempt's stdout and stderr go
// to logs/<point>.<attempt>.log. A failed run is a *RunError; a cancelled
// ctx stops the run with SIGTERM (it keeps its last checkpoint) and is not
// counted as a failure.
func (d *Dir) RunPoint(ctx context.Context, t Task, p Point) error {
	s, err := d.Status(p)
	if err != nil {
		return err
	}
	if s.Status == StatusDone {
		return nil
	}
	s.Attempts++
	s.Status, s.Error, s.ExitCode = StatusRunning, "", 0
	s.JobID = t.JobID
	s.Host, _ = os.Hostname()
	s.Started, s.Finished = time.Now().UTC(), time.Time{}
	logRel := filepath.Join(LogsDir, fmt.Sprintf("%s.%d.log", p.Name, s.Attempts))
	s.Logs = append(s.Logs, logRel)
	if err := os.MkdirAll(filepath.Join(d.Path, LogsDir), 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	logf, err := os.Create(filepath.Join(d.Path, logRel))
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	defer logf.Close()
	if err := d.WriteState(p, s); err != nil {
		return err
	}

	runDir := d.RunDir(p)
	args := []string{"train"}
	if resumable(runDir) {
		args = append(args, "--resume", runDir)
	} else {
		args = append(append(args, p.Args...), "--out", runDir)
	}
	fmt.Fprintf(logf, "# gabor sweep: attempt %d of %s: %s %s\n", s.Attempts, p.Name, t.Exe, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, t.Exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), t.Env...)
	cmd.SysProcAttr = childAttr()
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	runErr := cmd.Run()
	s.Finished = time.Now().UTC()

	if ctx.Err() != nil {
		s.Status, s.Error = StatusPending, "interrupted"
		if t.CancelFails {
			s.Status, s.Error = StatusFailed, "stopped by a signal (scancel, or the Slurm time limit)"
			s.Failures++
		}
		if err := d.WriteState(p, s); err != nil {
			return err
		}
		return ctx.Err()
	}
	done, ferr := runFinished(runDir)
	if runErr == nil && done {
		s.Status = StatusDone
		return d.WriteState(p, s)
	}
	s.Status = StatusFailed
	s.Failures++
	switch {
	case runErr != nil:
		var ee *exec.ExitError
		if errors.As(runErr, &ee) {
			s.ExitCode = ee.ExitCode()
		}
		s.Error = lastError(filepath.Join(d.Path, logRel), runErr)
	case ferr != nil:
		s.Error = ferr.Error()
	default:
		s.Error = "gabor train exited 0 but its run directory does not hold every epoch"
	}
	if err := d.WriteState(p, s); err != nil {
		return err
	}
	return &RunError{Point: p.Name, State: s}
}

// RunError is a failed attempt of a point.
type RunError struct {
	Point string
	State State
}

func (e *RunError) Error() string {
	log := ""
	if n := len(e.State.Logs); n > 0 {
		log = " (log: " + e.State.Logs[n-1] + ")"
	}
	return fmt.Sprintf("%s: attempt %d failed: %s%s", e.Point, e.State.Attempts, e.State.Error, log)
}

// lastError is what a failed run said last: its last "gabor: …" line, else
// its last line, else how the process ended.
func lastError(logPath string, runErr error) string {
	f, err := os.Open(logPath)
	if err != nil {
		return runErr.Error()
	}
	defer f.Close()
	var last string
	var gabor []string // the last "gabor: …" line and what follows it
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "# gabor sweep:") {
			continue
		}
		last = line
		switch {
		case strings.HasPrefix(line, "gabor: "):
			gabor = []string{line}
		case len(gabor) > 0:
			gabor = append(gabor, line)
		}
	}
	msg := strings.Join(gabor, " ")
	if msg == "" {
		msg = last
	}
	if msg == "" {
		return runErr.Error()
	}
	if len(msg) > 400 {
		msg = msg[:400] + "…"
	}
	return fmt.Sprintf("%v: %s", runErr, msg)
}
