package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/sweep"
	"github.com/gaborlab/gabor/train"
)

func TestSweepRunArgs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		target    string
		trainArgs []string
		wantErr   string
	}{
		{"flags and train args", []string{"--grid", "lr=0.01,0.05", "--seeds", "1-3", "--", "train", "--model", "mlp"}, "", []string{"--model", "mlp"}, ""},
		{"train word optional", []string{"--seeds", "1", "--", "--epochs", "1"}, "", []string{"--epochs", "1"}, ""},
		{"spec", []string{"spec.yaml", "--dir", "x"}, "spec.yaml", nil, ""},
		{"two targets", []string{"a.yaml", "b.yaml"}, "", nil, "at most one SPEC"},
		{"bad executor", []string{"--executor", "k8s", "--seeds", "1"}, "", nil, "executor"},
		{"detach local", []string{"--detach", "--seeds", "1"}, "", nil, "--detach is for --executor slurm"},
		{"bad jobs", []string{"--jobs", "-1", "--seeds", "1"}, "", nil, "--jobs"},
		{"bad retries", []string{"--retries", "-3", "--seeds", "1"}, "", nil, "--retries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *sweepRunOptions
			err := parse(newCmdSweepRun(f, func(o *sweepRunOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || exitCode(err) != exitUsage {
					t.Fatalf("error %v (exit %d), want a usage error with %q", err, exitCode(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Target != tc.target || !slices.Equal(got.TrainArgs, tc.trainArgs) {
				t.Errorf("target %q train args %q, want %q %q", got.Target, got.TrainArgs, tc.target, tc.trainArgs)
			}
		})
	}
}

// Bad input is refused before anything is written: the sweep directory does
// not appear.
func TestSweepRunRefusesBadPlans(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.yaml")
	for _, tc := range []struct {
		name, spec string
		args       []string
		want       string
	}{
		{"unknown flag in the spec", "train:\n  model: mlp\ngrid:\n  lrr: [0.1, 0.2]\n", nil, `spec.yaml:4: unknown gabor train flag "lrr" in grid`},
		{"empty grid in the spec", "grid:\n  lr: []\n", nil, "spec.yaml:2: grid lr has no values"},
		{"empty grid flag", "", []string{"--grid", "lr="}, "empty grid"},
		{"unknown flag after --", "", []string{"--seeds", "1", "--", "train", "--modle", "mlp"}, "unknown flag: --modle"},
		{"a point train refuses", "", []string{"--grid", "lr=0.1,-1", "--", "train", "--model", "mlp"}, "sweep point lr=-1: gabor train --model mlp --lr=-1: --lr must be positive"},
		{"nothing swept", "", []string{"--", "train", "--model", "mlp"}, "nothing to sweep"},
		{"unknown grid flag", "", []string{"--grid", "lrr=1"}, `unknown gabor train flag "lrr"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "sw-"+strings.ReplaceAll(tc.name, " ", "-"))
			args := []string{"sweep", "run", "--dir", out}
			if tc.spec != "" {
				os.WriteFile(spec, []byte(tc.spec), 0o644)
				args = append(args, spec)
			}
			args = append(args, tc.args...)
			_, stderr, code := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was created", out)
			}
		})
	}
}

func TestSweepSlurmWithoutSbatch(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	out := filepath.Join(t.TempDir(), "sw")
	_, stderr, code := runCLI(t, "sweep", "run", "--executor", "slurm", "--dir", out, "--seeds", "1-2", "--", "train", "--model", "mlp")
	if code == exitOK || !strings.Contains(stderr, "needs Slurm's sbatch on PATH") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("the sweep directory %s was left behind", out)
	}
}

var (
	gaborOnce sync.Once
	gaborBin  string
	gaborErr  error
)

// buildGabor builds this command once per test binary: a sweep runs gabor
// train as a subprocess, which the test binary is not.
func buildGabor(t *testing.T) string {
	t.Helper()
	gaborOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gabor-sweep-test-")
		if err != nil {
			gaborErr = err
			return
		}
		gaborBin = filepath.Join(dir, "gabor")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", gaborBin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			gaborErr = err
			gaborBin = string(out)
		}
	})
	if gaborErr != nil {
		t.Fatalf("building gabor: %v\n%s", gaborErr, gaborBin)
	}
	return gaborBin
}

// sweepTrainArgs are the train flags of a small mlp run of `epochs` on a
// noisy toy set written into the test's temporary folder (the synthetic
// digits take seconds to generate in every run; these files load at once).
func sweepTrainArgs(t *testing.T, epochs int) []string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	writeNoisySet(t, dir, 3000, 500)
	return []string{"--", "train", "--model", "mlp", "--dataset", "mnist", "--data", dir,
		"--epochs", strconv.Itoa(epochs), "--device", "cpu"}
}

// writeNoisySet writes an MNIST-family set whose class is the position of a
// faint bar in noise, with a fifth of the labels wrong, so that accuracy is
// well below 1 and differs between seeds.
func writeNoisySet(t *testing.T, dir string, nTrain, nTest int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := uint64(12345)
	next := func() uint64 { // splitmix64
		rng += 0x9e3779b97f4a7c15
		z := rng
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		return z ^ z>>31
	}
	for _, split := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		pix := make([]byte, split.n*784)
		lab := make([]byte, split.n)
		for i := range lab {
			c := int(next() % 10)
			for k := range 784 {
				pix[i*784+k] = byte(next() % 256)
			}
			for r := 0; r < 28; r += 4 { // a faint dotted bar: 7 pixels brightened by 80
				k := i*784 + r*28 + 2 + 2*c
				pix[k] = byte(min(255, int(pix[k])+80))
			}
			lab[i] = byte(c)
			if next()%5 == 0 {
				lab[i] = byte(next() % 10)
			}
		}
		for name, b := range map[string][]byte{
			split.prefix + "-images-idx3-ubyte": idxBytes([]int{split.n, 28, 28}, pix),
			split.prefix + "-labels-idx1-ubyte": idxBytes([]int{split.n}, lab),
		} {
			if err := os.WriteFile(filepath.Join(dir, name+".gz"), gzipBytes(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A 2×3 sweep (2 learning rates × 3 seeds) killed with SIGKILL part-way
// continues without redoing its finished runs, and its report's numbers are
// each run's metrics.jsonl.
func TestSweepLocalResumesAfterSIGKILL(t *testing.T) {
	exe := buildGabor(t)
	isolateData(t)
	dir := filepath.Join(t.TempDir(), "sw")
	args := append([]string{"sweep", "run", "--grid", "lr=0.01,0.05", "--seeds", "1-3", "--dir", dir, "--jobs", "1"}, sweepTrainArgs(t, 3)...)

	first := exec.Command(exe, args...)
	var log1 bytes.Buffer
	first.Stdout, first.Stderr = &log1, &log1
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	var d *sweep.Dir
	for {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("two points did not finish in 3 minutes:\n%s", log1.String())
		}
		time.Sleep(200 * time.Millisecond)
		var err error
		if d, err = sweep.Open(dir); err != nil {
			continue
		}
		if _, c, err := d.States(); err == nil && c.Done >= 2 {
			break
		}
	}
	first.Process.Kill() // SIGKILL: no chance to clean up
	first.Wait()

	states, c, err := d.States()
	if err != nil {
		t.Fatal(err)
	}
	if c.Done == len(d.Plan.Points) {
		t.Fatalf("the sweep finished before it was killed (%s): the test proves nothing", c)
	}
	before := map[string][]byte{}
	for i, p := range d.Plan.Points {
		if states[i].Status == sweep.StatusDone {
			b, err := os.ReadFile(filepath.Join(d.RunDir(p), train.MetricsFile))
			if err != nil {
				t.Fatal(err)
			}
			before[p.Name] = b
		}
	}
	// The killed sweep's training child dies with it (no orphan still writing).
	time.Sleep(500 * time.Millisecond)
	if procs := processesMentioning(dir); len(procs) > 0 {
		t.Errorf("processes still running in the killed sweep's directory: %v", procs)
	}

	second := exec.Command(exe, "sweep", "run", dir)
	out, err := second.CombinedOutput()
	if err != nil {
		t.Fatalf("continuing the sweep: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "continuing "+dir) || !strings.Contains(string(out), "points to run") {
		t.Errorf("the second run's log:\n%s", out)
	}
	states, c, err = d.States()
	if err != nil {
		t.Fatal(err)
	}
	if c.Done != 6 {
		t.Fatalf("after continuing: %s", c)
	}
	for i, p := range d.Plan.Points {
		if b, ok := before[p.Name]; ok {
			now, _ := os.ReadFile(filepath.Join(d.RunDir(p), train.MetricsFile))
			if !bytes.Equal(now, b) || states[i].Attempts != 1 {
				t.Errorf("%s was done before the kill but ran again (attempts %d, metrics changed %v)", p.Name, states[i].Attempts, !bytes.Equal(now, b))
			}
			if strings.Contains(string(out), p.Name+" done") {
				t.Errorf("the second run reports %s done again:\n%s", p.Name, out)
			}
		}
	}
	checkReport(t, dir, d)
}

// checkReport runs gabor sweep report and holds its numbers against each
// run's metrics.jsonl, and its means and stds against those by hand.
func checkReport(t *testing.T, dir string, d *sweep.Dir) {
	t.Helper()
	stdout, stderr, code := runCLI(t, "sweep", "report", dir, "--json", "--format", "png,svg")
	if code != exitOK {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	var rep sweep.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, stdout)
	}
	if len(rep.Points) != len(d.Plan.Points) {
		t.Fatalf("report has %d points, the plan %d", len(rep.Points), len(d.Plan.Points))
	}
	accs, losses := map[string][]float64{}, map[string][]float64{}
	for i, p := range d.Plan.Points {
		recs, err := runs.Metrics(d.RunDir(p))
		if err != nil || len(recs) == 0 {
			t.Fatalf("%s: %v (%d records)", p.Name, err, len(recs))
		}
		last := recs[len(recs)-1]
		r := rep.Points[i]
		if r.Name != p.Name || r.Epochs != len(recs) || r.TrainLoss != last.TrainLoss || r.TestAcc == nil || *r.TestAcc != *last.TestAcc || *r.TestLoss != *last.TestLoss {
			t.Errorf("%s: report %+v, metrics.jsonl's last record %+v", p.Name, r, last)
		}
		accs[p.Get("lr")] = append(accs[p.Get("lr")], *last.TestAcc)
		losses[p.Get("lr")] = append(losses[p.Get("lr")], last.TrainLoss)
	}
	if len(rep.Groups) != len(accs) {
		t.Fatalf("%d groups, want %d", len(rep.Groups), len(accs))
	}
	meanSD := func(v []float64) (float64, float64) {
		m := 0.0
		for _, x := range v {
			m += x
		}
		m /= float64(len(v))
		ss := 0.0
		for _, x := range v {
			ss += (x - m) * (x - m)
		}
		return m, math.Sqrt(ss / float64(len(v)-1))
	}
	spread := false
	for _, g := range rep.Groups {
		for _, c := range []struct {
			name string
			got  sweep.Stat
			v    []float64
		}{{"test acc", g.TestAcc, accs[g.Values[0].Value]}, {"train loss", g.TrainLoss, losses[g.Values[0].Value]}} {
			m, sd := meanSD(c.v)
			t.Logf("group %v: %s %.4f ± %.4f over %d seeds", g.Values, c.name, c.got.Mean, c.got.Std, c.got.N)
			if c.got.N != len(c.v) || math.Abs(c.got.Mean-m) > 1e-12 || math.Abs(c.got.Std-sd) > 1e-12 {
				t.Errorf("group %v: %s %+v, want mean %g std %g over %d", g.Values, c.name, c.got, m, sd, len(c.v))
			}
			spread = spread || sd > 0
		}
	}
	if !spread {
		t.Error("every seed of every group gave the same metrics: the check of the std proves nothing")
	}
	for _, f := range []string{"report.json", "points.csv", "groups.csv", "accuracy-by-lr.png", "accuracy-by-lr.svg", "curves.png"} {
		if st, err := os.Stat(filepath.Join(dir, sweep.ReportDir, f)); err != nil || st.Size() == 0 {
			t.Errorf("report file %s: %v", f, err)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(dir, sweep.ReportDir, "points.csv"))
	if lines := strings.Count(string(csv), "\n"); lines != len(d.Plan.Points)+1 {
		t.Errorf("points.csv has %d lines, want %d:\n%s", lines, len(d.Plan.Points)+1, csv)
	}
	_, stderr, code = runCLI(t, "sweep", "report", dir, "--format", "png")
	if code != exitOK {
		t.Errorf("report table: exit %d %s", code, stderr)
	}
}

// processesMentioning lists the command lines (from /proc) that contain s.
func processesMentioning(s string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(s)) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

func TestSweepStatusAndReportOfAFreshSweep(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sw")
	p, err := sweep.NewPlan(&sweep.Spec{Seeds: []uint64{1, 2}}, []string{"--model", "mlp"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sweep.Create(dir, p); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCLI(t, "sweep", "status", dir)
	if code != exitOK || !strings.Contains(stdout, "seed=1") || !strings.Contains(stdout, "0 done, 0 running, 2 pending, 0 failed") {
		t.Errorf("status: exit %d\n%s%s", code, stdout, stderr)
	}
	_, stderr, code = runCLI(t, "sweep", "status", t.TempDir())
	if code != exitData || !strings.Contains(stderr, "is not a sweep directory") {
		t.Errorf("status of a non-sweep: exit %d %s", code, stderr)
	}
	stdout, _, code = runCLI(t, "sweep", "report", dir, "--format", "png")
	if code != exitOK || !strings.Contains(stdout, "0/2") {
		t.Errorf("report of a sweep with nothing done: exit %d\n%s", code, stdout)
	}
}

// A run that fails is tried again up to --retries, each attempt's output
// kept; the sweep fails naming the point and its log; a larger --retries
// given when continuing tries it again.
func TestSweepLocalRetriesFailures(t *testing.T) {
	exe := buildGabor(t)
	isolateData(t)
	dir := filepath.Join(t.TempDir(), "sw")
	out, err := exec.Command(exe, "sweep", "run", "--seeds", "1", "--retries", "1", "--dir", dir, "--",
		"train", "--model", "mlp", "--dataset", "mnist", "--data", filepath.Join(dir, "no-such-data"), "--epochs", "1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "1 point(s) failed 2 time(s), out of retries") ||
		!strings.Contains(string(out), "seed=1: exit status 3: gabor: data:") {
		t.Fatalf("exit %v:\n%s", err, out)
	}
	d, err := sweep.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Status(d.Plan.Points[0])
	if err != nil || s.Status != sweep.StatusFailed || s.Attempts != 2 || s.Failures != 2 || s.ExitCode != exitData || len(s.Logs) != 2 {
		t.Fatalf("state %+v, %v", s, err)
	}
	for _, l := range s.Logs {
		if b, err := os.ReadFile(filepath.Join(dir, l)); err != nil || !strings.Contains(string(b), "not found") {
			t.Errorf("log %s: %v\n%s", l, err, b)
		}
	}
	out, _ = exec.Command(exe, "sweep", "run", dir).CombinedOutput()
	if s, _ := d.Status(d.Plan.Points[0]); s.Attempts != 2 {
		t.Errorf("continuing without more retries ran it again: %+v\n%s", s, out)
	}
	out, _ = exec.Command(exe, "sweep", "run", dir, "--retries", "2").CombinedOutput()
	if s, _ := d.Status(d.Plan.Points[0]); s.Attempts != 3 || s.Failures != 3 {
		t.Errorf("--retries 2 when continuing: %+v\n%s", s, out)
	}
}
