package sweep

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const specYAML = `name: lr-study
train:
  model: mlp
  epochs: 2
  nesterov: true
grid:
  lr: [0.01, 0.05]
  batch: 64, 128
seeds: 1-3
retries: 1
`

func TestParseSpecYAML(t *testing.T) {
	s, err := ParseSpec("spec.yaml", []byte(specYAML))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "lr-study" || s.Retries != 1 || !s.RetriesSet {
		t.Errorf("name %q retries %d (set %v)", s.Name, s.Retries, s.RetriesSet)
	}
	wantTrain := []Flag{{"model", "mlp", 3}, {"epochs", "2", 4}, {"nesterov", "true", 5}}
	if !slices.Equal(s.Train, wantTrain) {
		t.Errorf("train %+v, want %+v", s.Train, wantTrain)
	}
	if len(s.Grid) != 2 || s.Grid[0].Name != "lr" || !slices.Equal(s.Grid[0].Values, []string{"0.01", "0.05"}) ||
		!slices.Equal(s.Grid[1].Values, []string{"64", "128"}) || s.Grid[1].Line != 8 {
		t.Errorf("grid %+v", s.Grid)
	}
	if !slices.Equal(s.Seeds, []uint64{1, 2, 3}) {
		t.Errorf("seeds %v", s.Seeds)
	}
}

func TestParseSpecJSONEqualsYAML(t *testing.T) {
	js := `{"name": "lr-study", "train": {"model": "mlp", "epochs": 2, "nesterov": true},
 "grid": {"lr": [0.01, 0.05], "batch": [64, 128]}, "seeds": [1, 2, 3], "retries": 1}`
	a, err := ParseSpec("spec.json", []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ParseSpec("spec.yaml", []byte(specYAML))
	pa, err := NewPlan(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := NewPlan(b, nil)
	if !samePoints(pa, pb) || len(pa.Points) != 12 {
		t.Errorf("JSON and YAML specs make different plans: %d vs %d points", len(pa.Points), len(pb.Points))
	}
}

func TestParseSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		name, spec, want string
	}{
		{"empty", "", "spec.yaml: empty spec"},
		{"not a mapping", "- a\n- b\n", "spec.yaml:1: a spec is a mapping"},
		{"unknown key", "grid:\n  lr: [1]\nseed: 3\n", `spec.yaml:3: unknown key "seed"`},
		{"empty grid", "grid: {}\n", "spec.yaml:1: empty grid"},
		{"grid without values", "grid:\n  lr: []\n", "spec.yaml:2: grid lr has no values"},
		{"grid value a list", "grid:\n  lr: [[1, 2]]\n", "spec.yaml:2: grid value of lr must be a single value, not a list"},
		{"twice", "seeds: 1\nseeds: 2\n", "spec.yaml:2: seeds is given twice"},
		{"swept twice", "train:\n  lr: 0.1\ngrid:\n  lr: [1]\n", "spec.yaml:4: lr is given twice (as a train flag and as a grid flag)"},
		{"owned flag", "train:\n  out: x\nseeds: 1\n", "spec.yaml:2: --out cannot be set in a sweep"},
		{"seed and seeds", "grid:\n  seed: [1, 2]\nseeds: 1-2\n", "spec.yaml:2: seed is swept by seeds"},
		{"bad seeds", "seeds: 5-2\n", "spec.yaml:1: seeds: \"5-2\" is not a range"},
		{"seed twice", "seeds: [1, 1]\n", "spec.yaml:1: seeds: seed 1 is given twice"},
		{"too many seeds", "seeds: 1-99999\n", "holds more than"},
		{"bad retries", "retries: -1\nseeds: 1\n", "spec.yaml:1: retries must be"},
		{"random without samples", "random:\n  params:\n    lr: uniform(0, 1)\n", "spec.yaml:2: random needs samples"},
		{"bad distribution", "random:\n  samples: 2\n  params:\n    lr: gauss(0, 1)\n", `spec.yaml:4: lr: unknown distribution "gauss"`},
		{"log-uniform at zero", "random:\n  samples: 2\n  params:\n    lr: log-uniform(0, 1)\n", "spec.yaml:4: lr: log-uniform needs positive bounds"},
		{"bad flag name", "train:\n  \"a b\": 1\nseeds: 1\n", `spec.yaml:2: flag name "a b"`},
		{"yaml syntax", "grid:\n  lr: [1, 2\n", "spec.yaml:"},
		{"alias", "train:\n  model: &m mlp\n  dataset: *m\nseeds: 1\n", "aliases are not supported"},
		{"null value", "train:\n  model:\nseeds: 1\n", "spec.yaml:2: train flag model has no value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSpec("dir/spec.yaml", []byte(tc.spec))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a *SpecError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestCheckFlagsNamesTheLine(t *testing.T) {
	s, err := ParseSpec("s.yaml", []byte("train:\n  model: mlp\ngrid:\n  lrr: [0.1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = CheckFlags(s, "s.yaml", func(n string) bool { return n == "model" || n == "lr" })
	if err == nil || !strings.Contains(err.Error(), `s.yaml:4: unknown gabor train flag "lrr" in grid`) {
		t.Errorf("error %v", err)
	}
}

func TestParseSeeds(t *testing.T) {
	for in, want := range map[string][]uint64{"1-3": {1, 2, 3}, "1,5, 7": {1, 5, 7}, "0-1,10": {0, 1, 10}, "4": {4}} {
		got, err := ParseSeeds(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseSeeds(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "a", "3-1", "1-", "1,1", "-1", "18446744073709551615-0"} {
		if _, err := ParseSeeds(in); err == nil {
			t.Errorf("ParseSeeds(%q): no error", in)
		}
	}
}

func TestParseGridAndRandomFlags(t *testing.T) {
	p, err := ParseGrid("--lr=0.01, 0.05")
	if err != nil || p.Name != "lr" || !slices.Equal(p.Values, []string{"0.01", "0.05"}) {
		t.Errorf("ParseGrid: %+v, %v", p, err)
	}
	for _, bad := range []string{"lr", "lr=", "=1,2", "l r=1"} {
		if _, err := ParseGrid(bad); err == nil {
			t.Errorf("ParseGrid(%q): no error", bad)
		}
	}
	d, err := ParseRandomFlag("lr=log-uniform(1e-3, 0.1)")
	if err != nil || d.Kind != DistLogUniform || d.Lo != 1e-3 || d.Hi != 0.1 {
		t.Errorf("ParseRandomFlag: %+v, %v", d, err)
	}
	for _, bad := range []string{"lr=uniform(1)", "lr=uniform(2, 1)", "lr=int(0.5, 2)", "lr=choice()", "lr=uniform(NaN, 1)", "lr=uniform 0 1"} {
		if _, err := ParseRandomFlag(bad); err == nil {
			t.Errorf("ParseRandomFlag(%q): no error", bad)
		}
	}
}

// FuzzParseSpec: no input makes the parser (or the plan built from what it
// accepts) panic, and what it accepts has a flag name checked and values.
func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(specYAML))
	f.Add([]byte(`{"grid": {"lr": [0.1]}, "random": {"samples": 3, "params": {"momentum": "uniform(0.8, 0.9)", "batch": "choice(64, 128)", "warmup-steps": "int(0, 9)"}}}`))
	f.Add([]byte("seeds: 1-3\n"))
	f.Add([]byte("grid:\n  lr: &a [1]\n  b: *a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSpec("fuzz.yaml", b)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SpecError: %v", err, err)
			}
			return
		}
		for _, g := range s.Grid {
			if checkFlagName(g.Name) != nil || len(g.Values) == 0 {
				t.Fatalf("accepted grid param %+v", g)
			}
		}
		p, err := NewPlan(s, nil)
		if err != nil {
			return
		}
		if len(p.Points) == 0 || len(p.Points) > MaxPoints {
			t.Fatalf("%d points", len(p.Points))
		}
		names := map[string]bool{}
		for _, pt := range p.Points {
			if names[pt.Name] || strings.ContainsAny(pt.Name, "/\\") || pt.Name[0] == '.' {
				t.Fatalf("point name %q (duplicate or not a plain name)", pt.Name)
			}
			names[pt.Name] = true
		}
	})
}
