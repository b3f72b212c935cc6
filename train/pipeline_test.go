package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// The one training loop on an executable that captures its steps (a
// kernels.Capturer, as cuda's: the step is captured once and replayed, the
// state read only when needed) must give the bits of the same loop on the
// cpu backend: metrics, checkpoint, hooks, progress, evaluation and errors.
// graphsBackend is the cpu backend claiming graphs, with a Capturer whose
// replay runs the captured step's segments, as the cuda backend's replays
// its graph. The kernels themselves are held to the host's arithmetic by
// the conformance suite.

type graphsBackend struct {
	kernels.Backend
	failAt int // with failAt > 0, the failAt-th replay of the process fails
	count  *replayCounts
}

// replayCounts shows that the captured steps ran: captures and replays.
type replayCounts struct{ captures, trainSteps, evalBatches int }

func (b graphsBackend) Caps() kernels.Caps {
	c := b.Backend.Caps()
	c.Graphs = true
	return c
}

func (b graphsBackend) Load(p *kernels.Program) (kernels.Executable, error) {
	exe, err := b.Backend.Load(p)
	if err != nil {
		return nil, err
	}
	return &graphsExe{Executable: exe, prog: p, failAt: b.failAt, count: b.count}, nil
}

type graphsExe struct {
	kernels.Executable
	prog   *kernels.Program
	failAt int
	count  *replayCounts
}

func (e *graphsExe) Capture(step kernels.Step) (func() error, error) {
	e.count.captures++
	train := len(step) > 0 && len(e.prog.TrainStep) > 0 && step[0] == e.prog.TrainStep[0]
	return func() error {
		if train {
			e.count.trainSteps++
			if e.failAt > 0 && e.count.trainSteps == e.failAt {
				return errors.New("emulated device fault")
			}
		} else {
			e.count.evalBatches++
		}
		return kernels.RunStep(e.Executable, step)
	}, nil
}

// useGraphs makes Run open the graphs backend for "cpu" until the test
// ends; it returns the counts of what was replayed.
func useGraphs(t *testing.T, failAt int) *replayCounts {
	count := new(replayCounts)
	old := openBackend
	openBackend = func(name string) (kernels.Backend, error) {
		b, err := kernels.Open(name)
		if err != nil {
			return nil, err
		}
		return graphsBackend{Backend: b, failAt: failAt, count: count}, nil
	}
	t.Cleanup(func() { openBackend = old })
	return count
}

// graphsTestConfig: 10 steps per epoch, the loss sampled at steps 3, 6, 9
// and 10, a cosine schedule (every step its own rate), a test set that
// ends in a partial batch (1000 = 7·128 + 104).
func graphsTestConfig(t *testing.T, model string) Config {
	c := smallConfig(t, model, 1280, 2)
	c.LossEvery = 3
	c.Schedule = ScheduleCosine
	c.TestLimit = 1000
	return c
}

// runWith trains cfg and records the progress events and hook calls.
func runWith(t *testing.T, cfg Config) (*Result, []ProgressEvent, []int) {
	t.Helper()
	var prog []ProgressEvent
	var hooked []int
	opts := RunOptions{
		ProgressEvery: 4,
		Progress: func(e Event) {
			if p, ok := e.(*ProgressEvent); ok {
				prog = append(prog, *p)
			}
		},
		Hooks: []Hook{{Every: 5, Fn: func(s *Snapshot) error {
			v, _, err := s.Read("loss")
			if err != nil {
				return err
			}
			hooked = append(hooked, s.Step)
			if math.IsNaN(float64(v[0])) {
				return errors.New("NaN loss in a hook")
			}
			return nil
		}}},
	}
	res, err := Run(context.Background(), cfg, testData(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, prog, hooked
}

func TestReplayedStepMatchesDirect(t *testing.T) {
	for _, model := range []string{"mlp", "lenet"} {
		t.Run(model, func(t *testing.T) {
			direct := graphsTestConfig(t, model)
			dRes, dProg, dHooks := runWith(t, direct)

			count := useGraphs(t, 0)
			replay := graphsTestConfig(t, model)
			rRes, rProg, rHooks := runWith(t, replay)
			if count.captures != 2 || count.trainSteps != 20 || count.evalBatches != 16 {
				t.Fatalf("captured %d steps, replayed %d training steps and %d evaluation batches; want 2, 20 (2 epochs of 10) and 16 (2 passes of 8)",
					count.captures, count.trainSteps, count.evalBatches)
			}
			sameMetrics(t, direct.Out, replay.Out)
			sameTensors(t, dRes.Checkpoint, rRes.Checkpoint)
			if fmt.Sprint(dHooks) != fmt.Sprint(rHooks) {
				t.Errorf("hooks ran at steps %v run directly, %v replayed", dHooks, rHooks)
			}
			if len(dProg) != len(rProg) || len(rProg) == 0 {
				t.Fatalf("%d progress events run directly, %d replayed", len(dProg), len(rProg))
			}
			for i := range dProg {
				d, r := dProg[i], rProg[i]
				if d.Step != r.Step || math.Abs(d.Loss-r.Loss) > 1e-12*math.Abs(d.Loss) {
					t.Errorf("progress event %d: direct step %d loss %v, replayed step %d loss %v", i, d.Step, d.Loss, r.Step, r.Loss)
				}
			}
		})
	}
}

// Evaluate of a checkpoint scores the same replayed as run directly.
func TestReplayedEvaluate(t *testing.T) {
	cfg := graphsTestConfig(t, "mlp")
	cfg.Epochs = 1
	res, err := Run(context.Background(), cfg, testData(t), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds := testData(t)
	test := *ds
	test.Test = ds.Test.Head(1000)
	direct, err := Evaluate(context.Background(), res.Checkpoint, "", &test)
	if err != nil {
		t.Fatal(err)
	}
	count := useGraphs(t, 0)
	replayed, err := Evaluate(context.Background(), res.Checkpoint, "", &test)
	if err != nil {
		t.Fatal(err)
	}
	if count.evalBatches != 8 {
		t.Fatalf("Evaluate replayed %d batches, want 8", count.evalBatches)
	}
	if direct.Correct != replayed.Correct || direct.Loss != replayed.Loss || direct.N != replayed.N || direct.Correct == 0 {
		t.Fatalf("direct %+v, replayed %+v", direct, replayed)
	}
}

// A NaN loss read late (from the state, at the end of the epoch) stops the
// epoch with the message of the loss read at once: same step, same value,
// no checkpoint.
func TestReplayedDivergence(t *testing.T) {
	run := func() (string, error) {
		cfg := smallConfig(t, "mlp", 1280, 1)
		cfg.LR = 1e30
		cfg.LossEvery = 1
		_, err := Run(context.Background(), cfg, testData(t), RunOptions{})
		return cfg.Out, err
	}
	_, direct := run()
	useGraphs(t, 0)
	out, replayed := run()
	if direct == nil || replayed == nil {
		t.Fatalf("a rate of 1e30 trained without error (direct %v, replayed %v)", direct, replayed)
	}
	if !strings.Contains(replayed.Error(), "diverged") || direct.Error() != replayed.Error() {
		t.Fatalf("direct: %v\nreplayed: %v", direct, replayed)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a diverged first epoch left %s behind (%v)", out, err)
	}
}

// A device error in the middle of the second epoch ends the run with that
// error; the run directory keeps the first epoch's checkpoint and metrics.
func TestReplayFaultKeepsLastCheckpoint(t *testing.T) {
	// A constant rate, so the first epoch does not depend on the run's length.
	cfg := graphsTestConfig(t, "mlp")
	cfg.Epochs, cfg.Schedule = 1, ScheduleConstant
	if _, err := Run(context.Background(), cfg, testData(t), RunOptions{}); err != nil {
		t.Fatal(err)
	}
	useGraphs(t, 15) // step 5 of epoch 2
	cfg2 := graphsTestConfig(t, "mlp")
	cfg2.Schedule = ScheduleConstant
	_, err := Run(context.Background(), cfg2, testData(t), RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "emulated device fault") || !strings.Contains(err.Error(), "epoch 2 step 5") {
		t.Fatalf("error %v, want the fault at epoch 2 step 5", err)
	}
	recs, rerr := readRecords(cfg2.Out)
	if rerr != nil || len(recs) != 1 {
		t.Fatalf("metrics after the fault: %d records, %v; want epoch 1 only", len(recs), rerr)
	}
	// The first epoch of both runs is the same computation.
	sameTensors(t, filepath.Join(cfg.Out, CheckpointFile), filepath.Join(cfg2.Out, CheckpointFile))
}

// The Stepper (what gabor bench times) replays its steps where the backend
// has graphs and ends its epochs with the loss of the direct run.
func TestReplayedStepper(t *testing.T) {
	epoch := func() StepperEpoch {
		s, err := NewStepper(graphsTestConfig(t, "mlp"), testData(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var e StepperEpoch
		for range 2 {
			if e, err = s.Epoch(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
		}
		return e
	}
	direct := epoch()
	count := useGraphs(t, 0)
	replayed := epoch()
	if count.trainSteps != 20 || direct.Loss != replayed.Loss || direct.Images != replayed.Images {
		t.Fatalf("direct epoch %+v, replayed epoch %+v after %d replays", direct, replayed, count.trainSteps)
	}
}
