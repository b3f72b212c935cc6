//go:build linux

package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/sweep"
)

// slurmCluster starts a one-node Slurm on this machine with
// scripts/slurm-local.sh (stopped when the test ends) and points the Slurm
// commands at it. Without Slurm (scripts/setup-test.sh installs it) the test
// is skipped, except in CI (CI=true), where it fails. Tests using it hold a
// lock file, so two packages' tests never share the daemons' ports.
func slurmCluster(t *testing.T) {
	t.Helper()
	var missing []string
	for _, b := range []string{"sbatch", "squeue", "scancel", "slurmctld", "slurmd", "munged"} {
		if _, err := exec.LookPath(b); err != nil {
			if _, err := os.Stat(filepath.Join("/usr/sbin", b)); err != nil {
				missing = append(missing, b)
			}
		}
	}
	why := ""
	switch {
	case len(missing) > 0:
		why = fmt.Sprintf("Slurm is not installed (no %s): scripts/setup-test.sh installs slurm-wlm and munge", strings.Join(missing, ", "))
	case os.Geteuid() != 0:
		why = "a local Slurm needs root (slurmd runs jobs as their submitter)"
	}
	if why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	// A fixed path (not $TMPDIR): munged is one per machine, whatever TMPDIR says.
	lock, err := os.OpenFile("/tmp/gabor-slurm-local.lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Close() })

	dir := t.TempDir()
	script, _ := filepath.Abs("../../scripts/slurm-local.sh")
	start := exec.Command(script, "start", dir)
	start.Env = append(os.Environ(), fmt.Sprintf("SLURM_LOCAL_PORT=%d", freePortPair(t)))
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("starting slurm: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("stopping slurm: %v\n%s", err, out)
		}
	})
	t.Setenv("SLURM_CONF", filepath.Join(dir, "slurm.conf"))
	t.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin")
}

// freePortPair finds a port p with p+1 also free (slurmctld and slurmd).
func freePortPair(t *testing.T) int {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1))
		l.Close()
		if err == nil {
			l2.Close()
			return p
		}
	}
	t.Fatal("no two adjacent free ports")
	return 0
}

// A 4-point sweep (2 learning rates × 2 seeds) runs as one job array on a
// real Slurm; every point's run directory is complete and the report holds
// their metrics. A refused submission leaves nothing behind.
func TestSweepSlurmJobArray(t *testing.T) {
	slurmCluster(t)
	exe := buildGabor(t)
	isolateData(t)
	root := t.TempDir()

	refused := filepath.Join(root, "refused")
	out, err := exec.Command(exe, append([]string{"sweep", "run", "--executor", "slurm", "--partition", "no-such-partition",
		"--seeds", "1-2", "--dir", refused}, sweepTrainArgs(t, 1)...)...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "sbatch refused the job array") || !strings.Contains(string(out), "partition") {
		t.Errorf("a submission to a missing partition: %v\n%s", err, out)
	}
	if _, err := os.Stat(refused); err == nil {
		t.Errorf("the refused sweep left %s behind", refused)
	}

	dir := filepath.Join(root, "sw")
	start := time.Now()
	cmd := exec.Command(exe, append([]string{"sweep", "run", "--executor", "slurm", "--poll", "500ms",
		"--grid", "lr=0.01,0.05", "--seeds", "1-2", "--dir", dir, "--time", "10:00", "--sbatch=--comment=gabor-test"}, sweepTrainArgs(t, 2)...)...)
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("slurm sweep: %v\n%s", err, out)
	}
	t.Logf("4-point sweep through sbatch in %.1fs", time.Since(start).Seconds())
	if !strings.Contains(string(out), "submitted job array") {
		t.Errorf("log:\n%s", out)
	}
	d, err := sweep.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	states, c, err := d.States()
	if err != nil || c.Done != 4 {
		t.Fatalf("after the sweep: %s, %v\n%s", c, err, out)
	}
	for i, p := range d.Plan.Points {
		recs, err := runs.Metrics(d.RunDir(p))
		if err != nil || len(recs) != 2 {
			t.Errorf("%s: %d epochs recorded, %v", p.Name, len(recs), err)
		}
		if len(recs) == 2 && recs[1].TestAcc != nil && *recs[1].TestAcc > 0.97 {
			t.Errorf("%s: test accuracy %g: the toy set is meant to be hard", p.Name, *recs[1].TestAcc)
		}
		if !strings.Contains(states[i].JobID, "_") || states[i].Attempts != 1 {
			t.Errorf("%s: state %+v: want one attempt by a Slurm array task", p.Name, states[i])
		}
		if _, err := os.Stat(filepath.Join(dir, sweep.SlurmDir, states[i].JobID+".out")); err != nil {
			t.Errorf("%s: the array task's output: %v", p.Name, err)
		}
	}
	script, _ := os.ReadFile(filepath.Join(dir, sweep.SlurmDir, "array-1.sh"))
	for _, want := range []string{"#SBATCH --array=0-3\n", "#SBATCH --time=10:00\n", "#SBATCH --comment=gabor-test\n"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("the array script lacks %q:\n%s", want, script)
		}
	}
	checkReport(t, dir, d)
}

// An array task cancelled with scancel while it trains is a failure; the
// sweep, run again, waits for the array, submits that point again and
// completes it.
func TestSweepSlurmRetriesACancelledTask(t *testing.T) {
	slurmCluster(t)
	exe := buildGabor(t)
	isolateData(t)
	dir := filepath.Join(t.TempDir(), "sw")
	out, err := exec.Command(exe, append([]string{"sweep", "run", "--executor", "slurm", "--detach",
		"--grid", "lr=0.01,0.05", "--dir", dir}, sweepTrainArgs(t, 8)...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "submitted:") {
		t.Fatalf("detached submission: %v\n%s", err, out)
	}
	d, err := sweep.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	victim := d.Plan.Points[0]
	deadline := time.Now().Add(2 * time.Minute)
	var s sweep.State
	for {
		if s, err = d.ReadState(victim); err == nil && s.Status == sweep.StatusRunning && s.JobID != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never started: %+v %v", victim.Name, s, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, err := exec.Command("scancel", s.JobID).CombinedOutput(); err != nil {
		t.Fatalf("scancel %s: %v\n%s", s.JobID, err, out)
	}
	status, err := exec.Command(exe, "sweep", "status", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("status: %v\n%s", err, status)
	}

	out, err = exec.Command(exe, "sweep", "run", dir, "--executor", "slurm", "--poll", "500ms").CombinedOutput()
	if err != nil {
		t.Fatalf("continuing: %v\n%s", err, out)
	}
	if s, err = d.Status(victim); err != nil || s.Status != sweep.StatusDone || s.Failures != 1 || s.Attempts != 2 {
		t.Errorf("the cancelled point: %+v, %v; want done after one failure and two attempts\n%s", s, err, out)
	}
	if len(s.Logs) < 2 {
		t.Errorf("the cancelled attempt's log is not kept: %+v", s)
	} else if _, err := os.Stat(filepath.Join(dir, s.Logs[0])); err != nil {
		t.Errorf("the cancelled attempt's log: %v", err)
	}
	if !strings.Contains(string(status), "failed") && !strings.Contains(string(status), "running") {
		t.Errorf("status right after scancel:\n%s", status)
	}
	if other, _ := d.Status(d.Plan.Points[1]); other.Attempts != 1 || other.Status != sweep.StatusDone {
		t.Errorf("the other point: %+v, want done in one attempt", other)
	}
	if n := strings.Count(string(out), "submitted job array"); n != 1 {
		t.Errorf("the retry submitted %d arrays, want 1:\n%s", n, out)
	}
}

// scripts/setup-test.sh installs Slurm for the tests above: on a fresh
// machine (an empty SETUP_ROOT) it plans slurm-wlm and munge, and with
// their binaries in place it does not.
func TestSetupScriptPlansSlurm(t *testing.T) {
	script, _ := filepath.Abs("../../scripts/setup-test.sh")
	run := func(root string) string {
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(), "SETUP_ROOT="+root)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("SETUP_ROOT=%s: exit 0 with things missing:\n%s", root, out)
		}
		return string(out)
	}
	if out := run(t.TempDir()); !strings.Contains(out, "slurm-wlm munge") || !strings.Contains(out, "would run: apt-get update && apt-get install") {
		t.Errorf("a fresh machine:\n%s", out)
	}
	root := t.TempDir()
	for _, b := range []string{"usr/bin/sbatch", "usr/bin/squeue", "usr/bin/scancel", "usr/sbin/slurmctld", "usr/sbin/slurmd", "usr/sbin/munged"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(b)), 0o755)
		if err := os.WriteFile(filepath.Join(root, b), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out := run(root); strings.Contains(out, "slurm") || strings.Contains(out, "munge") {
		t.Errorf("with the Slurm binaries in place it still plans them:\n%s", out)
	}
}
