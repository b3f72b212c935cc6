package sweep

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestNewPlanGridTimesSeeds(t *testing.T) {
	s := &Spec{
		Train: []Flag{{Name: "model", Value: "mlp"}, {Name: "nesterov", Value: "true"}},
		Grid:  []Param{{Name: "lr", Values: []string{"0.01", "0.05"}}},
		Seeds: []uint64{1, 2, 3}, Retries: 2,
	}
	p, err := NewPlan(s, []string{"--epochs", "2"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pt := range p.Points {
		names = append(names, pt.Name)
	}
	want := []string{"lr=0.01_seed=1", "lr=0.01_seed=2", "lr=0.01_seed=3", "lr=0.05_seed=1", "lr=0.05_seed=2", "lr=0.05_seed=3"}
	if !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	wantArgs := []string{"--model=mlp", "--nesterov=true", "--epochs", "2", "--lr=0.05", "--seed=2"}
	if got := p.Points[4].Args; !slices.Equal(got, wantArgs) {
		t.Errorf("args %q, want %q", got, wantArgs)
	}
	if !slices.Equal(p.Swept, []string{"lr", "seed"}) || p.Points[4].Get("lr") != "0.05" {
		t.Errorf("swept %v, Get %q", p.Swept, p.Points[4].Get("lr"))
	}
}

func TestNewPlanRefuses(t *testing.T) {
	grid := []Param{{Name: "lr", Values: []string{"0.1"}}}
	for _, tc := range []struct {
		name  string
		s     Spec
		extra []string
		want  string
	}{
		{"nothing swept", Spec{}, nil, "nothing to sweep"},
		{"swept and after --", Spec{Grid: grid}, []string{"--lr", "0.2"}, "--lr is swept and also given after --"},
		{"out after --", Spec{Grid: grid}, []string{"--out=x"}, "--out cannot be given"},
		{"seed after -- with seeds", Spec{Seeds: []uint64{1}}, []string{"--seed", "4"}, "--seed is swept and also given after --"},
		{"too many", Spec{Grid: []Param{{Name: "a", Values: make([]string, 200)}, {Name: "b", Values: make([]string, 200)}}}, nil, "more than 10000 points"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPlan(&tc.s, tc.extra)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRandomDrawIsSeededAndInRange(t *testing.T) {
	r := &Random{Samples: 50, Seed: 7, Params: []Dist{
		{Name: "lr", Kind: DistLogUniform, Lo: 1e-3, Hi: 1e-1},
		{Name: "momentum", Kind: DistUniform, Lo: 0.8, Hi: 0.99},
		{Name: "warmup-steps", Kind: DistInt, Lo: 0, Hi: 3},
		{Name: "optimizer", Kind: DistChoice, Choices: []string{"sgd", "adam"}},
	}}
	a, b := r.draw(), r.draw()
	seenInt := map[string]bool{}
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("sample %d differs between two draws with one seed: %v vs %v", i, a[i], b[i])
		}
		lr, _ := strconv.ParseFloat(a[i][0].Value, 64)
		m, _ := strconv.ParseFloat(a[i][1].Value, 64)
		if lr < 1e-3*0.9999 || lr > 0.1*1.0001 || m < 0.8*0.9999 || m > 0.99*1.0001 {
			t.Errorf("sample %d out of range: %v", i, a[i])
		}
		seenInt[a[i][2].Value] = true
		if a[i][3].Value != "sgd" && a[i][3].Value != "adam" {
			t.Errorf("choice %q", a[i][3].Value)
		}
	}
	if len(seenInt) != 4 {
		t.Errorf("int(0, 3) over 50 samples drew %v, want all of 0..3", seenInt)
	}
	r.Seed = 8
	if slices.Equal(r.draw()[0], a[0]) {
		t.Error("another seed drew the same first sample")
	}
}

func TestPointNameIsAPlainName(t *testing.T) {
	got := pointName([]Value{{"data", "/home/me/set one"}, {"lr", "1e-3"}})
	if got != "data=-home-me-set-one_lr=1e-3" {
		t.Errorf("name %q", got)
	}
	p, err := NewPlan(&Spec{Grid: []Param{{Name: "data", Values: []string{"a/b", "a b"}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Points[0].Name == p.Points[1].Name {
		t.Errorf("two points share the name %q", p.Points[0].Name)
	}
}

func TestStatIsSampleMeanAndStd(t *testing.T) {
	s := stat([]float64{0.5, 0.7, 0.9})
	if math.Abs(s.Mean-0.7) > 1e-12 || math.Abs(s.Std-0.2) > 1e-12 || s.N != 3 {
		t.Errorf("stat = %+v, want mean 0.7 std 0.2", s)
	}
	if s := stat([]float64{0.3}); s.Std != 0 || s.Mean != 0.3 {
		t.Errorf("one value: %+v", s)
	}
}

func TestCreateRefusesAnotherSweepAndHalfWrites(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sw")
	p1, _ := NewPlan(&Spec{Seeds: []uint64{1, 2}}, nil)
	p2, _ := NewPlan(&Spec{Seeds: []uint64{1, 3}}, nil)
	if _, created, err := Create(dir, p1); err != nil || !created {
		t.Fatalf("create: %v (created %v)", err, created)
	}
	if _, created, err := Create(dir, p1); err != nil || created {
		t.Fatalf("reopen: %v (created %v)", err, created)
	}
	if _, _, err := Create(dir, p2); err == nil || !strings.Contains(err.Error(), "holds a different sweep") {
		t.Errorf("another plan in the same directory: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("beside the sweep directory: %v (staging left behind?)", entries)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "x"), nil, 0o644)
	if _, _, err := Create(other, p1); err == nil || !strings.Contains(err.Error(), "is not a sweep directory") {
		t.Errorf("non-empty directory: %v", err)
	}
}

func TestSlurmScript(t *testing.T) {
	o := SlurmOptions{Partition: "gpu", Time: "1:00:00", GPUsPerTask: 1, CPUsPerTask: 4, Extra: []string{"--account=lab"}, MaxParallel: 2, Exe: "/opt/gabor it's"}
	got := SlurmScript("lr study", "/shared/sw", o, []int{5, 0, 1, 2, 7, 8})
	for _, want := range []string{
		"#!/bin/bash\n",
		"#SBATCH --job-name=gabor-sweep-lr-study\n",
		"#SBATCH --array=0-2,5,7-8%2\n",
		"#SBATCH --output=/shared/sw/slurm/%A_%a.out\n",
		"#SBATCH --partition=gpu\n", "#SBATCH --time=1:00:00\n", "#SBATCH --gpus-per-task=1\n",
		"#SBATCH --cpus-per-task=4\n", "#SBATCH --account=lab\n",
		"export GOMAXPROCS=$SLURM_CPUS_PER_TASK",
		`exec '/opt/gabor it'\''s' sweep task '/shared/sw' "$SLURM_ARRAY_TASK_ID"` + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("script lacks %q:\n%s", want, got)
		}
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		f := filepath.Join(t.TempDir(), "array.sh")
		os.WriteFile(f, []byte(got), 0o755)
		if out, err := exec.Command(bash, "-n", f).CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v\n%s", err, out)
		}
	}
}

func TestLocalSlots(t *testing.T) {
	t.Setenv("CUDA_VISIBLE_DEVICES", "0,1,2")
	if s := LocalSlots(0, 10, true); s.Jobs != 3 || s.Env[2][0] != "CUDA_VISIBLE_DEVICES=2" {
		t.Errorf("3 GPUs: %+v", s)
	}
	if s := LocalSlots(0, 2, true); s.Jobs != 2 {
		t.Errorf("3 GPUs, 2 points: %d runs", s.Jobs)
	}
	s := LocalSlots(0, 100, false)
	cores := runtime.NumCPU()
	if want := max(1, cores/2); s.Jobs != want || s.Env[0][0] != "GOMAXPROCS="+strconv.Itoa(max(1, cores/want)) {
		t.Errorf("CPU, %d cores: %+v, want %d runs", cores, s, want)
	}
	if s := LocalSlots(3, 100, false); s.Jobs != 3 || !strings.Contains(s.Desc, "3 run(s) at once") {
		t.Errorf("--jobs 3: %+v", s)
	}
}
