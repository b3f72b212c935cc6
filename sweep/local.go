package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Slots is how a local sweep shares the machine: Jobs runs at once, slot i
// with the environment Env[i] (its cores, or its GPU).
type Slots struct {
	Jobs int
	Env  [][]string
	Desc string // for the log: "2 runs at once, 1 core each (2 cores)"
}

// LocalSlots chooses how many runs go at once. When the runs may use a GPU
// (useGPU: the binary has the CUDA backend and the runs are not pinned to
// --device cpu) and GPUs are visible, it is one run per GPU, each seeing
// only its own (CUDA_VISIBLE_DEVICES). Otherwise the cores are split
// evenly: runs of MNIST-scale models use a few cores well and more poorly,
// so the default is one run per 2 cores, each with GOMAXPROCS = cores /
// runs. jobs > 0 sets the number of runs instead; no more slots than points.
func LocalSlots(jobs, points int, useGPU bool) Slots {
	var gpus []string
	if useGPU {
		gpus = visibleGPUs()
	}
	if len(gpus) > 0 {
		n := len(gpus)
		if jobs > 0 {
			n = jobs
		}
		n = max(1, min(n, points))
		s := Slots{Jobs: n}
		for i := range n {
			s.Env = append(s.Env, []string{"CUDA_VISIBLE_DEVICES=" + gpus[i%len(gpus)]})
		}
		s.Desc = fmt.Sprintf("%d runs at once, one per GPU (%d GPUs: %s)", n, len(gpus), strings.Join(gpus, ","))
		return s
	}
	cores := runtime.NumCPU()
	n := max(1, cores/2)
	if jobs > 0 {
		n = jobs
	}
	n = max(1, min(n, points))
	each := max(1, cores/n)
	s := Slots{Jobs: n}
	for range n {
		s.Env = append(s.Env, []string{"GOMAXPROCS=" + strconv.Itoa(each)})
	}
	s.Desc = fmt.Sprintf("%d run(s) at once, %d core(s) each (%d cores)", n, each, cores)
	return s
}

var nvidiaDev = regexp.MustCompile(`^nvidia[0-9]+$`)

// visibleGPUs lists the GPUs a run may use: CUDA_VISIBLE_DEVICES when set,
// else the /dev/nvidiaN devices.
func visibleGPUs() []string {
	if v, ok := os.LookupEnv("CUDA_VISIBLE_DEVICES"); ok {
		return splitList(v)
	}
	entries, _ := os.ReadDir("/dev")
	var out []string
	for _, e := range entries {
		if nvidiaDev.MatchString(e.Name()) {
			out = append(out, strings.TrimPrefix(e.Name(), "nvidia"))
		}
	}
	return out
}

// LocalOptions configure RunLocal.
type LocalOptions struct {
	Exe   string
	Slots Slots
	Log   io.Writer // one line per start, finish, failure
}

// RunLocal runs every point not yet done on this machine, Slots.Jobs at a
// time, and returns the tally at the end. Done points are skipped; a failed
// one is tried again until it has failed Retries+1 times; an interrupted
// attempt (ctx cancelled, or a sweep killed earlier) does not count as a
// failure. The error lists the points that are out of retries.
func (d *Dir) RunLocal(ctx context.Context, o LocalOptions) (Counts, error) {
	l, err := d.lock()
	if err != nil {
		return Counts{}, err
	}
	defer l.Release()
	states, c, err := d.States()
	if err != nil {
		return c, err
	}
	total := len(d.Plan.Points)
	var queue []Point
	for i, p := range d.Plan.Points {
		s := states[i]
		if s.Status == StatusDone || s.Status == StatusFailed && s.Failures > d.Plan.Retries {
			continue
		}
		queue = append(queue, p)
	}
	if len(queue) == 0 {
		return c, d.exhaustedError()
	}
	fmt.Fprintf(o.Log, "sweep %s: %d of %d points to run; %s\n", d.Path, len(queue), total, o.Slots.Desc)

	var mu sync.Mutex
	done := c.Done
	next := func() (Point, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(queue) == 0 || ctx.Err() != nil {
			return Point{}, false
		}
		p := queue[0]
		queue = queue[1:]
		return p, true
	}
	var wg sync.WaitGroup
	for slot := range o.Slots.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p, ok := next()
				if !ok {
					return
				}
				start := time.Now()
				err := d.RunPoint(ctx, Task{Exe: o.Exe, Env: o.Slots.Env[slot]}, p)
				mu.Lock()
				var re *RunError
				switch {
				case err == nil:
					done++
					fmt.Fprintf(o.Log, "[%d/%d] %s done in %.1fs%s\n", done, total, p.Name, time.Since(start).Seconds(), d.finalAcc(p))
				case errors.As(err, &re):
					left := d.Plan.Retries + 1 - re.State.Failures
					if left > 0 {
						fmt.Fprintf(o.Log, "[%d/%d] %s failed (%s), trying again (%d left)\n", done, total, p.Name, re.State.Error, left)
						queue = append(queue, p)
					} else {
						fmt.Fprintf(o.Log, "[%d/%d] %s failed (%s): out of retries, log %s\n", done, total, p.Name, re.State.Error, filepath.Join(d.Path, re.State.Logs[len(re.State.Logs)-1]))
					}
				case ctx.Err() != nil:
				default:
					fmt.Fprintf(o.Log, "%s: %v\n", p.Name, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	_, c, err = d.States()
	if err != nil {
		return c, err
	}
	if ctx.Err() != nil {
		return c, ctx.Err()
	}
	return c, d.exhaustedError()
}

// finalAcc is ", test acc 0.8123" for a finished point (empty when unknown).
func (d *Dir) finalAcc(p Point) string {
	r, err := readPointResult(d, p)
	if err != nil || r.TestAcc == nil {
		return ""
	}
	return fmt.Sprintf(", test acc %.4f", *r.TestAcc)
}

// exhaustedError names the points that failed more often than Retries
// allows (nil when there are none).
func (d *Dir) exhaustedError() error {
	var bad []string
	for _, p := range d.Plan.Points {
		s, err := d.Status(p)
		if err != nil {
			return err
		}
		if s.Status == StatusFailed && s.Failures > d.Plan.Retries {
			msg := p.Name + ": " + s.Error
			if n := len(s.Logs); n > 0 {
				msg += " (log " + filepath.Join(d.Path, s.Logs[n-1]) + ")"
			}
			bad = append(bad, msg)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &FailedError{Points: bad, Attempts: d.Plan.Retries + 1}
}

// FailedError says which points are out of retries.
type FailedError struct {
	Points   []string
	Attempts int
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("sweep: %d point(s) failed %d time(s), out of retries (gabor sweep run DIR --retries N tries them again):\n  %s",
		len(e.Points), e.Attempts, strings.Join(e.Points, "\n  "))
}
