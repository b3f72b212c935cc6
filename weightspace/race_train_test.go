package weightspace

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gaborlab/gabor/train"
)

// A two-weight problem trained by train.Fit (the loop of `gabor train`,
// with --optimizer X) follows the race's trajectory bit for bit: the race
// steps the same compiled Program with the same update kernel. (Rosenbrock:
// the fits hold their points as constant vectors, which a run's model record
// cannot hold yet, so Fit refuses them.)
func TestRaceFollowsTraining(t *testing.T) {
	p, err := ProblemByName("rosenbrock")
	if err != nil {
		t.Fatal(err)
	}
	const steps = 6
	for _, opt := range RaceOptimizers {
		cfg := train.DefaultConfig(p.Name)
		cfg.Dataset, cfg.Device, cfg.Out = "", "cpu", filepath.Join(t.TempDir(), opt)
		cfg.Epochs, cfg.StepsPerEpoch, cfg.EvalEvery, cfg.LR = 1, steps, 0, p.LR[opt]
		cfg.Optimizer, cfg.Momentum, cfg.Nesterov = opt, 0, false
		switch opt {
		case "momentum", "nesterov":
			cfg.Optimizer, cfg.Momentum, cfg.Nesterov = "sgd", 0.9, opt == "nesterov"
		case "adagrad":
			cfg.Eps = 1e-10 // the race's (PyTorch's) Adagrad ε; train's flag default is Adam's 1e-8
		}
		m, err := p.Model(p.Start[0], p.Start[1])
		if err != nil {
			t.Fatal(err)
		}
		var trained [][2]float64
		hook := train.Hook{Every: 1, Fn: func(s *train.Snapshot) error {
			var xy [2]float64
			for i, name := range p.Params {
				v, _, err := s.Read(name)
				if err != nil {
					return err
				}
				xy[i] = float64(v[0])
			}
			trained = append(trained, xy)
			return nil
		}}
		if _, err := train.Fit(context.Background(), cfg, m, nil, train.RunOptions{Hooks: []train.Hook{hook}}); err != nil {
			t.Fatalf("%s: %v", opt, err)
		}
		r, err := NewRacer(p, opt, p.LR[opt], "cpu")
		if err != nil {
			t.Fatal(err)
		}
		if len(trained) != steps {
			t.Fatalf("%s: the hook saw %d steps, want %d", opt, len(trained), steps)
		}
		for s := 0; s < steps; s++ {
			if _, err := r.Step(); err != nil {
				t.Fatal(err)
			}
			got, _ := r.Point()
			if got != trained[s] {
				t.Errorf("%s step %d: race (%.9g, %.9g), gabor train (%.9g, %.9g)", opt, s+1, got[0], got[1], trained[s][0], trained[s][1])
			}
		}
		r.Close()
	}
}
