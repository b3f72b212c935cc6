package sweep

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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gaborlab/gabor/internal/staging"
)

// SlurmOptions configure RunSlurm.
type SlurmOptions struct {
	Partition   string   // #SBATCH --partition ("" : the cluster's default)
	Time        string   // #SBATCH --time of each task ("1:00:00")
	GPUsPerTask int      // #SBATCH --gpus-per-task
	CPUsPerTask int      // #SBATCH --cpus-per-task
	Extra       []string // more #SBATCH lines ("--account=lab")
	MaxParallel int      // at most this many array tasks at once (0: no limit)

	Exe    string        // the gabor binary, on a path every node sees
	Log    io.Writer     // submissions and progress
	Detach bool          // return once submitted
	Poll   time.Duration // how often to ask squeue while waiting (0: 5 s)
}

// ErrNotSubmitted wraps a failure before Slurm accepted any job (sbatch
// missing, a submission refused): nothing of the sweep has run.
var ErrNotSubmitted = errors.New("nothing was submitted")

// jobsFile records every job array submitted for the sweep.
const jobsFile = "jobs.json"

// Job is one submitted job array.
type Job struct {
	ID        string    `json:"id"`
	Indices   []int     `json:"indices"` // the points' indices
	Script    string    `json:"script"`  // relative to the sweep directory
	Submitted time.Time `json:"submitted"`
}

// RunSlurm runs the sweep's points not yet done as Slurm job arrays: one
// script (slurm/array-N.sh), one sbatch, each array task running `gabor
// sweep task DIR INDEX` for the point of that index. It then waits for the
// array to leave the queue, printing the tally as it changes, and submits
// again the points that failed and have retries left (a task cancelled or
// killed before it recorded a result counts as a failure). With Detach it
// returns after the first submission. Jobs of an earlier call that are still
// queued are waited for, not submitted twice.
func (d *Dir) RunSlurm(ctx context.Context, o SlurmOptions) (Counts, error) {
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	for _, e := range o.Extra {
		if strings.ContainsAny(e, "\n\r") || strings.TrimSpace(e) == "" {
			return Counts{}, fmt.Errorf("sweep: --sbatch %q: one #SBATCH option per flag, without line breaks: %w", e, ErrNotSubmitted)
		}
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		return Counts{}, fmt.Errorf("sweep: --executor slurm needs Slurm's sbatch on PATH, and it is not there (%v): %w", err, ErrNotSubmitted)
	}
	l, err := d.lock()
	if err != nil {
		return Counts{}, err
	}
	defer l.Release()
	submitted := 0
	last := ""
	misses := 0
	for {
		active, err := ActiveJobs(d)
		if err != nil {
			// A controller restarting does not answer for a while: wait rather
			// than take queued points for lost and submit them twice.
			if misses++; misses > 12 {
				return Counts{}, err
			}
			fmt.Fprintf(o.Log, "sweep %s: %v; asking again\n", d.Path, err)
			select {
			case <-ctx.Done():
				return Counts{}, ctx.Err()
			case <-time.After(o.Poll):
			}
			continue
		}
		misses = 0
		if len(active) > 0 {
			_, c, err := d.States()
			if o.Detach {
				if submitted == 0 {
					fmt.Fprintf(o.Log, "sweep %s: job %s still queued; nothing submitted\n", d.Path, strings.Join(active, ", "))
				}
				return c, err
			}
			if err != nil {
				return c, err
			}
			if s := c.String(); s != last {
				fmt.Fprintf(o.Log, "sweep %s: %s (slurm job %s)\n", d.Path, s, strings.Join(active, ", "))
				last = s
			}
			select {
			case <-ctx.Done():
				return c, fmt.Errorf("sweep: stopped waiting; the jobs (%s) go on, gabor sweep status %s follows them: %w", strings.Join(active, ", "), d.Path, ctx.Err())
			case <-time.After(o.Poll):
			}
			continue
		}
		if err := d.markLost(); err != nil {
			return Counts{}, err
		}
		states, c, err := d.States()
		if err != nil {
			return c, err
		}
		var todo []int
		for i, s := range states {
			if s.Status == StatusDone || s.Status == StatusFailed && s.Failures > d.Plan.Retries {
				continue
			}
			todo = append(todo, i)
		}
		if len(todo) == 0 {
			fmt.Fprintf(o.Log, "sweep %s: %s\n", d.Path, c)
			return c, d.exhaustedError()
		}
		job, err := d.submit(o, todo)
		if err != nil {
			if submitted == 0 {
				return c, fmt.Errorf("%w: %w", err, ErrNotSubmitted)
			}
			return c, err
		}
		submitted++
		fmt.Fprintf(o.Log, "sweep %s: submitted job array %s (%d tasks, script %s)\n", d.Path, job.ID, len(todo), filepath.Join(d.Path, job.Script))
		if o.Detach {
			_, c, err := d.States()
			return c, err
		}
	}
}

// submit writes the array script for the points todo, marks them queued and
// runs sbatch; a refused submission restores their states and removes the
// script.
func (d *Dir) submit(o SlurmOptions, todo []int) (Job, error) {
	abs, err := filepath.Abs(d.Path)
	if err != nil {
		return Job{}, fmt.Errorf("sweep: %w", err)
	}
	jobs, err := d.readJobs()
	if err != nil {
		return Job{}, err
	}
	sdir := filepath.Join(d.Path, SlurmDir)
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		return Job{}, fmt.Errorf("sweep: %w", err)
	}
	script := filepath.Join(SlurmDir, fmt.Sprintf("array-%d.sh", len(jobs)+1))
	body := SlurmScript(d.Plan.Name, abs, o, todo)
	if err := staging.WriteFile(filepath.Join(d.Path, script), []byte(body), 0o755); err != nil {
		return Job{}, fmt.Errorf("sweep: writing %s: %w", script, err)
	}
	// Mark the points queued before sbatch, so that a task that starts at once
	// finds its state; restore them if the submission is refused.
	before := map[int]State{}
	for _, i := range todo {
		p := d.Plan.Points[i]
		s, err := d.ReadState(p)
		if err != nil {
			return Job{}, err
		}
		before[i] = s
		s.Status, s.JobID = StatusQueued, ""
		if err := d.WriteState(p, s); err != nil {
			return Job{}, err
		}
	}
	undo := func() {
		for i, s := range before {
			d.WriteState(d.Plan.Points[i], s)
		}
		os.Remove(filepath.Join(d.Path, script))
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("sbatch", "--parsable", filepath.Join(abs, script))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		undo()
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return Job{}, fmt.Errorf("sweep: sbatch refused the job array (%s)", msg)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(stdout.String()), ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		undo()
		return Job{}, fmt.Errorf("sweep: sbatch answered %q, not a job id", strings.TrimSpace(stdout.String()))
	}
	job := Job{ID: id, Indices: todo, Script: script, Submitted: time.Now().UTC()}
	jobs = append(jobs, job)
	b, _ := json.MarshalIndent(jobs, "", "  ")
	if err := staging.WriteFile(filepath.Join(sdir, jobsFile), append(b, '\n'), 0o644); err != nil {
		return job, fmt.Errorf("sweep: recording job %s: %w", id, err)
	}
	return job, nil
}

// SlurmScript is the job-array script for the points of indices: one array
// task per point, its output in slurm/%A_%a.out.
func SlurmScript(name, absDir string, o SlurmOptions, indices []int) string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	jobName := "gabor-sweep"
	if name != "" {
		jobName += "-" + pointName([]Value{{Flag: "n", Value: name}})[2:]
	}
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", jobName)
	array := arrayRanges(indices)
	if o.MaxParallel > 0 {
		array += "%" + strconv.Itoa(o.MaxParallel)
	}
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", array)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n", filepath.Join(absDir, SlurmDir, "%A_%a.out"))
	b.WriteString("#SBATCH --ntasks=1\n")
	if o.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", o.Partition)
	}
	if o.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", o.Time)
	}
	if o.GPUsPerTask > 0 {
		fmt.Fprintf(&b, "#SBATCH --gpus-per-task=%d\n", o.GPUsPerTask)
	}
	if o.CPUsPerTask > 0 {
		fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", o.CPUsPerTask)
	}
	for _, e := range o.Extra {
		fmt.Fprintf(&b, "#SBATCH %s\n", strings.TrimSpace(e))
	}
	b.WriteString("# Written by gabor sweep run: each array task runs the point of its index in sweep.json.\n")
	b.WriteString("# A run uses the cores Slurm gave the task, even where no cgroup confines it.\n")
	b.WriteString("if [ -n \"${SLURM_CPUS_PER_TASK:-}\" ]; then export GOMAXPROCS=$SLURM_CPUS_PER_TASK; fi\n")
	fmt.Fprintf(&b, "exec %s sweep task %s \"$SLURM_ARRAY_TASK_ID\"\n", shellQuote(o.Exe), shellQuote(absDir))
	return b.String()
}

// arrayRanges writes indices as sbatch --array does: "0-3,5,7-8".
func arrayRanges(indices []int) string {
	ix := slices.Clone(indices)
	slices.Sort(ix)
	var parts []string
	for i := 0; i < len(ix); {
		j := i
		for j+1 < len(ix) && ix[j+1] == ix[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", ix[i], ix[j]))
		} else {
			parts = append(parts, strconv.Itoa(ix[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (d *Dir) readJobs() ([]Job, error) {
	b, err := os.ReadFile(filepath.Join(d.Path, SlurmDir, jobsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	var jobs []Job
	if err := json.Unmarshal(b, &jobs); err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", filepath.Join(d.Path, SlurmDir, jobsFile), err)
	}
	return jobs, nil
}

// ActiveJobs lists the sweep's job arrays still in the Slurm queue. It is
// an error when squeue does not answer (a sweep with no jobs does not ask).
func ActiveJobs(d *Dir) ([]string, error) {
	jobs, err := d.readJobs()
	if err != nil || len(jobs) == 0 {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd := exec.Command("squeue", "-h", "-o", "%F")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("sweep: asking squeue for the sweep's jobs: %v %s", err, strings.TrimSpace(stderr.String()))
	}
	queued := map[string]bool{}
	for _, f := range strings.Fields(string(out)) {
		queued[f] = true
	}
	var active []string
	for _, j := range jobs {
		if queued[j.ID] {
			active = append(active, j.ID)
		}
	}
	return active, nil
}

// markLost turns the points left queued or running by job arrays no longer
// in the queue into failures: their task was cancelled, timed out or killed
// before it recorded a result.
func (d *Dir) markLost() error {
	jobs, err := d.readJobs()
	if err != nil {
		return err
	}
	jobOf := map[int]string{}
	for _, j := range jobs {
		for _, i := range j.Indices {
			jobOf[i] = j.ID
		}
	}
	for i, p := range d.Plan.Points {
		s, err := d.Status(p)
		if err != nil {
			return err
		}
		if s.Status != StatusQueued && s.Status != StatusRunning {
			continue
		}
		out := filepath.Join(SlurmDir, fmt.Sprintf("%s_%d.out", jobOf[i], i))
		s.Status = StatusFailed
		s.Failures++
		s.Error = fmt.Sprintf("the Slurm task %s_%d ended without a result (cancelled, timed out or killed; see %s)", jobOf[i], i, out)
		s.Logs = append(s.Logs, out)
		if err := d.WriteState(p, s); err != nil {
			return err
		}
	}
	return nil
}

// RunTask is one Slurm array task: it runs the point of index (an attempt,
// as RunPoint) and returns its error, so that Slurm records the task failed.
func (d *Dir) RunTask(ctx context.Context, exe, index string, log io.Writer) error {
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 || i >= len(d.Plan.Points) {
		return fmt.Errorf("sweep: task index %q is not a point of %s (0 to %d)", index, d.Path, len(d.Plan.Points)-1)
	}
	p := d.Plan.Points[i]
	job := os.Getenv("SLURM_ARRAY_JOB_ID")
	if job != "" {
		job += "_" + index
	}
	fmt.Fprintf(log, "gabor sweep task: point %d (%s) of %s\n", i, p.Name, d.Path)
	return d.RunPoint(ctx, Task{Exe: exe, JobID: job, CancelFails: true}, p)
}
