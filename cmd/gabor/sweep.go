package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/sweep"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newCmdSweep(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sweep <command>",
		Short: "Run many trainings as one experiment: grids, random search, seeds; locally or on Slurm",
		Long: `A sweep runs gabor train once per point of a grid or random search over its
flags and seeds, each point in its own run directory under the sweep directory
(named by its values), and reports every point's final metrics with the mean ±
std over seeds. See 'gabor sweep run --help' and docs/sweeps.md.`,
		Example: `  gabor sweep run --grid lr=0.01,0.05 --seeds 1-3 -- train --model mlp --epochs 3
  gabor sweep run spec.yaml --dir sweeps/lr
  gabor sweep status sweeps/lr
  gabor sweep report sweeps/lr --format png,pdf`,
		Args: cobra.ArbitraryArgs,
		RunE: helpOrUnknown,
	}
	cmd.AddCommand(newCmdSweepRun(f, nil), newCmdSweepStatus(f, nil), newCmdSweepReport(f, nil), newCmdSweepTask(f))
	return cmd
}

// sweepRunOptions are the flags of `gabor sweep run`.
type sweepRunOptions struct {
	IO  *ioStreams
	Now func() time.Time

	Target     string   // SPEC file, or a sweep directory to continue
	Grid       []string // --grid FLAG=V1,V2
	Random     []string // --random FLAG=DIST
	Samples    int
	SampleSeed uint64
	Seeds      string
	Retries    int
	Dir        string
	Executor   string
	Jobs       int
	Slurm      sweep.SlurmOptions
	Detach     bool
	Poll       time.Duration
	// TrainArgs are the `gabor train` flags after --.
	TrainArgs []string
	Set       map[string]bool
}

func newCmdSweepRun(f *factory, runF func(*sweepRunOptions) error) *cobra.Command {
	opts := &sweepRunOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "run [SPEC | SWEEP_DIR] [flags] [-- train TRAIN_FLAGS…]",
		Short: "Run (or continue) a sweep: one gabor train per point, locally or as a Slurm job array",
		Long: `Run gabor train once for every point of a sweep. The points are every
combination of the grid's values (--grid, repeatable), crossed with random samples
(--random FLAG=DIST with --samples N; DIST is uniform(a,b), log-uniform(a,b), int(a,b)
or choice(v1,v2,…)), crossed with the seeds (--seeds 1-5). The flags every run shares
follow -- ("-- train --model mlp --epochs 3"). SPEC is the same as a YAML or JSON file
(see docs/sweeps.md); flags add to it.

Each point's run directory is SWEEP_DIR/runs/<flag=value_…>: an ordinary run that
gabor curves, eval and filters read. SWEEP_DIR/sweep.json records the plan.

A sweep continues where it stopped: run it again (gabor sweep run SWEEP_DIR, or the
same SPEC with the same --dir). Finished runs are skipped, interrupted ones resumed
from their last checkpoint, failed ones tried again until they have failed
--retries+1 times; the output of every attempt is kept in SWEEP_DIR/logs.

--executor local (default) runs N at once on this machine: one per GPU when GPUs are
visible, else one per 2 cores with the cores split evenly (--jobs N to choose; the
choice is printed). --executor slurm writes one job-array script and submits it with
sbatch; each array task runs one point. It waits and resubmits failed points, or
with --detach returns after submitting (gabor sweep status SWEEP_DIR; run it again
to retry failures). The sweep directory must be on a filesystem the nodes share.`,
		Example: `  # 2 learning rates × 3 seeds of a small mlp, here
  gabor sweep run --grid lr=0.01,0.05 --seeds 1-3 --dir sweeps/lr -- train --model mlp --epochs 2 --limit 6000

  # the same from a file, on a Slurm cluster, one GPU per task
  gabor sweep run spec.yaml --dir /shared/sweeps/lr --executor slurm --partition gpu --gpus-per-task 1 --time 1:00:00

  # continue it (skips finished runs, retries failures)
  gabor sweep run /shared/sweeps/lr`,
		RunE: func(cmd *cobra.Command, args []string) error {
			pos := args
			if at := cmd.ArgsLenAtDash(); at >= 0 {
				pos, opts.TrainArgs = args[:at], args[at:]
				if len(opts.TrainArgs) > 0 && opts.TrainArgs[0] == "train" {
					opts.TrainArgs = opts.TrainArgs[1:]
				}
			}
			if len(pos) > 1 {
				return usagef("%s takes at most one SPEC or SWEEP_DIR before --, got %q", cmd.CommandPath(), pos)
			}
			if len(pos) == 1 {
				opts.Target = pos[0]
			}
			opts.Set = map[string]bool{}
			cmd.Flags().Visit(func(fl *pflag.Flag) { opts.Set[fl.Name] = true })
			if err := checkOneOf("executor", opts.Executor, "local", "slurm"); err != nil {
				return err
			}
			if opts.Jobs < 0 {
				return usagef("--jobs must be at least 1 (or 0: chosen), got %d", opts.Jobs)
			}
			if opts.Retries < 0 || opts.Retries > 100 {
				return usagef("--retries must be from 0 to 100, got %d", opts.Retries)
			}
			if opts.Detach && opts.Executor != "slurm" {
				return usagef("--detach is for --executor slurm (a local sweep runs in this process)")
			}
			if runF != nil {
				return runF(opts)
			}
			return runSweep(cmd, f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Grid, "grid", nil, "sweep a train flag over `FLAG=V1,V2,…` (repeatable: every combination)")
	fl.StringArrayVar(&opts.Random, "random", nil, "draw a train flag at random, `FLAG=DIST`: uniform(a,b), log-uniform(a,b), int(a,b), choice(v1,v2,…) (repeatable)")
	fl.IntVar(&opts.Samples, "samples", 0, "how many random points to draw (with --random)")
	fl.Uint64Var(&opts.SampleSeed, "sample-seed", 1, "seed of the random draws (the same seed draws the same points)")
	fl.StringVar(&opts.Seeds, "seeds", "", "train seeds, e.g. `1-5` or 1,2,7 (each point runs once per seed)")
	fl.IntVar(&opts.Retries, "retries", sweep.DefaultRetries, "try a failed run again up to `N` times")
	fl.StringVar(&opts.Dir, "dir", "", "the sweep directory (default sweeps/<name>-<timestamp>; SWEEP_DIR when continuing)")
	fl.StringVar(&opts.Executor, "executor", "local", "where the runs go: local or slurm")
	fl.IntVar(&opts.Jobs, "jobs", 0, "local: runs at once (default: one per GPU, else one per 2 cores); slurm: at most N array tasks at once")
	fl.StringVar(&opts.Slurm.Partition, "partition", "", "slurm: the partition (default: the cluster's)")
	fl.StringVar(&opts.Slurm.Time, "time", "", "slurm: time limit of each task, as sbatch takes it (`1:00:00`)")
	fl.IntVar(&opts.Slurm.GPUsPerTask, "gpus-per-task", 0, "slurm: GPUs of each task (they train with --device cuda when the flags say so)")
	fl.IntVar(&opts.Slurm.CPUsPerTask, "cpus-per-task", 0, "slurm: cores of each task (default: the cluster's)")
	fl.StringArrayVar(&opts.Slurm.Extra, "sbatch", nil, "slurm: one more #SBATCH line, e.g. --sbatch=--account=lab (repeatable)")
	fl.BoolVar(&opts.Detach, "detach", false, "slurm: return once submitted (gabor sweep status SWEEP_DIR follows it)")
	fl.DurationVar(&opts.Poll, "poll", 5*time.Second, "slurm: how often to ask the queue while waiting")
	return cmd
}

// trainFlagKnown says whether gabor train has a flag of that name.
func trainFlagKnown(f *factory) func(string) bool {
	fs := newCmdTrain(f, nil).Flags()
	return func(name string) bool { return fs.Lookup(name) != nil }
}

// checkTrainArgs parses a point's arguments exactly as gabor train would and
// runs its checks, without training.
func checkTrainArgs(f *factory, args []string) error {
	quiet := &factory{IO: &ioStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}, Now: f.Now}
	cmd := newCmdTrain(quiet, func(*trainOptions) error { return nil })
	cmd.SetFlagErrorFunc(flagError)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.Execute()
}

// sweepSpec builds the spec from SPEC and the flags (usage errors).
func sweepSpec(f *factory, o *sweepRunOptions) (*sweep.Spec, error) {
	s := &sweep.Spec{Retries: sweep.DefaultRetries}
	file := ""
	if o.Target != "" {
		b, err := os.ReadFile(o.Target)
		if err != nil {
			return nil, usagef("sweep spec: %v", err)
		}
		file = o.Target
		if s, err = sweep.ParseSpec(o.Target, b); err != nil {
			return nil, &usageError{err}
		}
		if s.Name == "" {
			s.Name = strings.TrimSuffix(filepath.Base(o.Target), filepath.Ext(o.Target))
		}
		if err := sweep.CheckFlags(s, filepath.Base(file), trainFlagKnown(f)); err != nil {
			return nil, &usageError{err}
		}
	}
	fl := &sweep.Spec{Retries: o.Retries, RetriesSet: o.Set["retries"]}
	for _, g := range o.Grid {
		p, err := sweep.ParseGrid(g)
		if err != nil {
			return nil, usagef("%v", err)
		}
		fl.Grid = append(fl.Grid, p)
	}
	if len(o.Random) > 0 {
		if o.Samples < 1 || o.Samples > sweep.MaxPoints {
			return nil, usagef("--random needs --samples from 1 to %d (how many points to draw), got %d", sweep.MaxPoints, o.Samples)
		}
		fl.Random = &sweep.Random{Samples: o.Samples, Seed: o.SampleSeed}
		for _, r := range o.Random {
			d, err := sweep.ParseRandomFlag(r)
			if err != nil {
				return nil, usagef("%v", err)
			}
			fl.Random.Params = append(fl.Random.Params, d)
		}
	} else if o.Set["samples"] {
		return nil, usagef("--samples needs --random (the flags to draw)")
	}
	if o.Seeds != "" {
		seeds, err := sweep.ParseSeeds(o.Seeds)
		if err != nil {
			return nil, usagef("--%v", err)
		}
		fl.Seeds = seeds
	}
	if err := sweep.CheckFlags(fl, "", trainFlagKnown(f)); err != nil {
		return nil, &usageError{err}
	}
	if err := s.Merge(fl); err != nil {
		return nil, &usageError{err}
	}
	return s, nil
}

// sweepPlan is the plan of the command line, every point checked by gabor
// train's own flag parsing before anything is written.
func sweepPlan(f *factory, o *sweepRunOptions) (*sweep.Plan, error) {
	s, err := sweepSpec(f, o)
	if err != nil {
		return nil, err
	}
	p, err := sweep.NewPlan(s, o.TrainArgs)
	if err != nil {
		return nil, &usageError{err}
	}
	for _, pt := range p.Points {
		if err := checkTrainArgs(f, pt.Args); err != nil {
			return nil, usagef("sweep point %s: gabor train %s: %v", pt.Name, strings.Join(pt.Args, " "), err)
		}
	}
	return p, nil
}

// isSweepDir says whether path is a directory holding sweep.json.
func isSweepDir(path string) bool {
	st, err := os.Stat(filepath.Join(path, sweep.PlanFile))
	return err == nil && st.Mode().IsRegular()
}

func runSweep(cmd *cobra.Command, f *factory, o *sweepRunOptions) error {
	var d *sweep.Dir
	created := false
	if o.Target != "" && isSweepDir(o.Target) {
		if len(o.Grid) > 0 || len(o.Random) > 0 || o.Seeds != "" || len(o.TrainArgs) > 0 || o.Dir != "" {
			return usagef("%s is a sweep directory: continuing it takes no --grid, --random, --seeds, --dir or train flags", o.Target)
		}
		var err error
		if d, err = sweep.Open(o.Target); err != nil {
			return &dataError{err}
		}
		if o.Set["retries"] {
			if d, _, err = sweep.Create(o.Target, withRetries(d.Plan, o.Retries)); err != nil {
				return err
			}
		}
	} else {
		p, err := sweepPlan(f, o)
		if err != nil {
			return err
		}
		dir := o.Dir
		if dir == "" {
			name := strings.Map(func(r rune) rune {
				if r == '/' || r == '\\' || r == ' ' {
					return '-'
				}
				return r
			}, strings.TrimLeft(p.Name, "."))
			if name == "" {
				name = "sweep"
			}
			dir = filepath.Join("sweeps", name+"-"+f.Now().Format("20060102-150405"))
		}
		if d, created, err = sweep.Create(dir, p); err != nil {
			return err
		}
	}
	if created {
		fmt.Fprintf(o.IO.ErrOut, "sweep: %d points in %s (plan: %s)\n", len(d.Plan.Points), d.Path, filepath.Join(d.Path, sweep.PlanFile))
	} else {
		fmt.Fprintf(o.IO.ErrOut, "sweep: continuing %s (%d points)\n", d.Path, len(d.Plan.Points))
	}
	// The runs are this very binary (gabor train), so a sweep never mixes versions.
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("sweep: finding the gabor binary: %w", err)
	}
	var c sweep.Counts
	switch o.Executor {
	case "slurm":
		so := o.Slurm
		so.Exe, so.Log, so.Detach, so.Poll, so.MaxParallel = exe, o.IO.ErrOut, o.Detach, o.Poll, o.Jobs
		c, err = d.RunSlurm(cmd.Context(), so)
		if err == nil && o.Detach {
			fmt.Fprintf(o.IO.Out, "submitted: %s (gabor sweep status %s)\n", c, d.Path)
			return nil
		}
		if err != nil && created && errors.Is(err, sweep.ErrNotSubmitted) {
			// Nothing ran: leave no half-made sweep behind.
			os.RemoveAll(d.Path)
		}
	default:
		useGPU := trainDevice(d.Plan.Train) != "cpu" && slices.Contains(kernels.Names(), "cuda")
		slots := sweep.LocalSlots(o.Jobs, len(d.Plan.Points), useGPU)
		c, err = d.RunLocal(cmd.Context(), sweep.LocalOptions{Exe: exe, Slots: slots, Log: o.IO.ErrOut})
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "sweep %s: %s (gabor sweep report %s)\n", d.Path, c, d.Path)
	return nil
}

func withRetries(p *sweep.Plan, n int) *sweep.Plan {
	q := *p
	q.Retries = n
	return &q
}

// trainDevice is the --device of train arguments ("" when not given).
func trainDevice(args []string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--device="); ok {
			return v
		}
		if a == "--device" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

type sweepStatusOptions struct {
	IO   *ioStreams
	Dir  string
	JSON bool
}

func newCmdSweepStatus(f *factory, runF func(*sweepStatusOptions) error) *cobra.Command {
	opts := &sweepStatusOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "status SWEEP_DIR",
		Short: "Where a sweep stands: each point done, running, queued, pending or failed",
		Example: `  gabor sweep status sweeps/lr
  gabor sweep status sweeps/lr --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("%s needs one SWEEP_DIR", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runSweepStatus(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, `print {"counts","points"} as one JSON object`)
	return cmd
}

func runSweepStatus(o *sweepStatusOptions) error {
	d, err := sweep.Open(o.Dir)
	if err != nil {
		return &dataError{err}
	}
	states, c, err := d.States()
	if err != nil {
		return &dataError{err}
	}
	// A sweep that used Slurm asks the queue; without an answer the states are
	// shown all the same, with the reason.
	jobs, qerr := sweep.ActiveJobs(d)
	if qerr != nil {
		fmt.Fprintf(o.IO.ErrOut, "gabor: %v\n", qerr)
	}
	if o.JSON {
		type pt struct {
			Name string `json:"name"`
			sweep.State
		}
		var pts []pt
		for i, p := range d.Plan.Points {
			pts = append(pts, pt{p.Name, states[i]})
		}
		return json.NewEncoder(o.IO.Out).Encode(struct {
			Counts     sweep.Counts `json:"counts"`
			Points     []pt         `json:"points"`
			SlurmJobs  []string     `json:"slurm_jobs_active"`
			RetryLimit int          `json:"retries"`
		}{c, pts, jobs, d.Plan.Retries})
	}
	for i, p := range d.Plan.Points {
		s := states[i]
		line := fmt.Sprintf("%-40s %-8s attempts %d", p.Name, s.Status, s.Attempts)
		if s.Status == sweep.StatusFailed {
			line += fmt.Sprintf(", failed %d×: %s", s.Failures, s.Error)
		}
		if s.JobID != "" && s.Status != sweep.StatusDone {
			line += " (slurm " + s.JobID + ")"
		}
		fmt.Fprintln(o.IO.Out, line)
	}
	fmt.Fprintf(o.IO.Out, "%s", c)
	if len(jobs) > 0 {
		fmt.Fprintf(o.IO.Out, "; slurm jobs still queued or running: %s", strings.Join(jobs, ", "))
	}
	fmt.Fprintln(o.IO.Out)
	return nil
}

type sweepReportOptions struct {
	IO   *ioStreams
	Dir  string
	JSON bool
	fig  figureFlags
	out  figure.Output
}

func newCmdSweepReport(f *factory, runF func(*sweepReportOptions) error) *cobra.Command {
	opts := &sweepReportOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "report SWEEP_DIR",
		Short: "A sweep's results: every point's final metrics, mean ± std over seeds, figures, JSON and CSV",
		Long: `Read every point's run directory and print one table: each group of points
that differ only in seed with the mean ± sample std of its final test accuracy, test
loss and training loss, then every point. Writes into --out (default SWEEP_DIR/report):
report.json (everything), points.csv and groups.csv, a figure per swept flag (test
accuracy against its values: mean line, ± std band, each seed's mark) and the training
curves of every finished run, in each --format.`,
		Example: `  gabor sweep report sweeps/lr
  gabor sweep report sweeps/lr --format pdf,png --preset paper --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("%s needs one SWEEP_DIR", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = args[0]
			var err error
			if opts.out, err = opts.fig.output(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runSweepReport(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print report.json on stdout instead of the table")
	opts.fig.register(cmd.Flags(), "SWEEP_DIR/report")
	return cmd
}

func runSweepReport(o *sweepReportOptions) error {
	d, err := sweep.Open(o.Dir)
	if err != nil {
		return &dataError{err}
	}
	rep, err := d.Report()
	if err != nil {
		return &dataError{err}
	}
	dir := o.out.Dir
	if dir == "" {
		dir = filepath.Join(d.Path, sweep.ReportDir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	var files []string
	for _, w := range []struct {
		name string
		b    []byte
	}{{"report.json", append(js, '\n')}, {"points.csv", rep.PointsCSV()}, {"groups.csv", rep.GroupsCSV()}} {
		p := filepath.Join(dir, w.name)
		if err := os.WriteFile(p, w.b, 0o644); err != nil {
			return err
		}
		files = append(files, p)
	}
	out := o.out
	out.Force = true // the report is rewritten whole each time
	title := "sweep"
	if rep.Name != "" {
		title = rep.Name
	}
	for _, flag := range rep.Swept {
		if flag == "seed" {
			continue
		}
		fig, err := rep.ValueFigure(flag, o.out.TitleFor(title+": test accuracy against "+flag))
		if err != nil {
			fmt.Fprintf(o.IO.ErrOut, "sweep report: no figure for %s: %v\n", flag, err)
			continue
		}
		fig.SetMeta(map[string]string{"sweep": d.Path, "flag": flag})
		fs, err := figure.WriteFiles(dir, "accuracy-by-"+flag, fig, out)
		if err != nil {
			return err
		}
		files = append(files, fs...)
	}
	var runs []*introspect.RunCurves
	for _, p := range rep.Points {
		if p.Status != sweep.StatusDone {
			continue
		}
		rc, err := introspect.ReadCurves(p.RunDir)
		if err != nil {
			return &dataError{err}
		}
		// One line per run, named by its point; the sampled step losses would
		// add a second legend entry per run (gabor curves RUN_DIR draws them).
		rc.Name, rc.Steps = p.Name, nil
		runs = append(runs, rc)
	}
	if len(runs) > 0 {
		fig, err := introspect.CurvesFigure(runs, introspect.CurvesOptions{X: "epoch", Title: o.out.TitleFor(title + ": every run"), NoGroup: true})
		if err != nil {
			return err
		}
		fig.SetMeta(map[string]string{"sweep": d.Path})
		fs, err := figure.WriteFiles(dir, "curves", fig, out)
		if err != nil {
			return err
		}
		files = append(files, fs...)
	}
	if o.JSON {
		_, err := io.Copy(o.IO.Out, bytes.NewReader(append(js, '\n')))
		return err
	}
	if err := rep.WriteTable(o.IO.Out); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintf(o.IO.Out, "wrote %s\n", f)
	}
	return nil
}

// newCmdSweepTask is what a Slurm array task runs: one point of a sweep
// (the array index is the point's index in sweep.json).
func newCmdSweepTask(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:    "task SWEEP_DIR INDEX",
		Short:  "Run one point of a sweep (what each Slurm array task runs)",
		Hidden: true,
		Example: `  # the last line of SWEEP_DIR/slurm/array-1.sh
  exec /shared/bin/gabor sweep task /shared/sweeps/lr "$SLURM_ARRAY_TASK_ID"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("%s needs SWEEP_DIR and INDEX", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := sweep.Open(args[0])
			if err != nil {
				return &dataError{err}
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			return d.RunTask(cmd.Context(), exe, args[1], f.IO.ErrOut)
		},
	}
}
