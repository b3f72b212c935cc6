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

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/kernels"
)

// The device path (device.go) is checked here on the CPU: emulatedBackend
// wraps the cpu backend in a kernels.DeviceData that does, in Go, what
// kernels/cuda's loops do on the GPU (the contract on kernels.DeviceData:
// gather from the epoch's permutation, prime [lr, t] and the mode from
// device-side counters, sample the loss every LossEvery steps, score the
// test set batch by batch). A run through it must equal the host path's
// run bit for bit: metrics, checkpoint, hooks and errors.

type emulatedBackend struct {
	kernels.Backend
	failAt int // with failAt > 0, the failAt-th Step of the process fails
	count  *emulatedCounts
}

// emulatedCounts shows that the device path ran: steps and evaluations.
type emulatedCounts struct{ steps, evals int }

func (b emulatedBackend) Load(p *kernels.Program) (kernels.Executable, error) {
	exe, err := b.Backend.Load(p)
	if err != nil {
		return nil, err
	}
	return &emulatedExe{Executable: exe, prog: p, failAt: b.failAt, count: b.count}, nil
}

type emulatedExe struct {
	kernels.Executable
	prog   *kernels.Program
	failAt int
	count  *emulatedCounts
}

type emulatedSet struct {
	set  data.Set
	perm []int32
}

func (s *emulatedSet) Len() int     { return s.set.N }
func (s *emulatedSet) Dim() int     { return s.set.H * s.set.W }
func (s *emulatedSet) Close() error { return nil }

func (e *emulatedExe) UploadSet(images, labels []uint8, dim int) (kernels.DeviceSet, error) {
	n := len(labels)
	s := &emulatedSet{set: data.Set{Images: append([]uint8(nil), images...), Labels: append([]uint8(nil), labels...),
		N: n, H: 1, W: dim, Classes: 256}, perm: make([]int32, n)}
	for i := range s.perm {
		s.perm[i] = int32(i)
	}
	return s, nil
}

// gather is gather_u8_f32: rows perm[(pos+b) mod n].
func (e *emulatedExe) gather(s *emulatedSet, pos int, images, labels kernels.BufID, mean, std float32) error {
	batch := e.prog.Buf(labels).Len
	idx := make([]int32, batch)
	for b := range idx {
		idx[b] = s.perm[(pos+b)%s.set.N]
	}
	x, y := make([]float32, e.prog.Buf(images).Len), make([]float32, batch)
	if err := data.Gather(&s.set, idx, x, y, mean, std); err != nil {
		return err
	}
	if err := e.Write(images, x); err != nil {
		return err
	}
	return e.Write(labels, y)
}

type emulatedLoop struct {
	e       *emulatedExe
	set     *emulatedSet
	spec    kernels.TrainLoopSpec
	batch   int
	lr      []float32
	k, step int
	st      kernels.LossStats
}

func (e *emulatedExe) NewTrainLoop(set kernels.DeviceSet, spec kernels.TrainLoopSpec) (kernels.TrainLoop, error) {
	s := set.(*emulatedSet)
	batch, err := kernels.CheckTrainLoop(e.prog, spec, s.Len(), s.Dim())
	if err != nil {
		return nil, err
	}
	return &emulatedLoop{e: e, set: s, spec: spec, batch: batch}, nil
}

func (l *emulatedLoop) StartEpoch(perm []int32, lr []float32, firstStep int) error {
	if err := kernels.CheckEpoch(perm, lr, firstStep, l.set.Len(), l.spec.StepsPerEpoch); err != nil {
		return err
	}
	copy(l.set.perm, perm)
	l.lr = append(l.lr[:0], lr...)
	l.k, l.step, l.st = 0, firstStep, kernels.LossStats{BadStep: -1}
	return nil
}

// Step is step_prime, gather, the segment and step_end.
func (l *emulatedLoop) Step() error {
	e, p := l.e, l.e.prog
	e.count.steps++
	if e.failAt > 0 && e.count.steps == e.failAt {
		return errors.New("emulated device fault")
	}
	if l.k >= l.spec.StepsPerEpoch {
		return fmt.Errorf("step %d of an epoch of %d", l.k+1, l.spec.StepsPerEpoch)
	}
	if err := e.gather(l.set, l.k*l.batch, l.spec.Images, l.spec.Labels, l.spec.Mean, l.spec.Std); err != nil {
		return err
	}
	if p.Hyper >= 0 {
		if err := e.Write(p.Hyper, []float32{l.lr[l.k], float32(l.step + 1)}); err != nil {
			return err
		}
	}
	if p.Ctl >= 0 {
		if err := e.Write(p.Ctl, []float32{1, float32(l.step)}); err != nil {
			return err
		}
	}
	if err := e.Run(l.spec.Segment); err != nil {
		return err
	}
	if (l.k+1)%l.spec.LossEvery == 0 || l.k == l.spec.StepsPerEpoch-1 {
		loss := make([]float32, 1)
		if err := e.Read(p.Loss, loss); err != nil {
			return err
		}
		l.st.Sum += float64(loss[0])
		l.st.N++
		l.st.Last = loss[0]
		if v := float64(loss[0]); (math.IsNaN(v) || math.IsInf(v, 0)) && l.st.BadStep < 0 {
			l.st.BadStep, l.st.BadLoss = l.step, loss[0]
		}
	}
	l.k++
	l.step++
	return nil
}

func (l *emulatedLoop) Loss() (kernels.LossStats, error) { return l.st, nil }
func (l *emulatedLoop) Close() error                     { return nil }

type emulatedEval struct {
	e     *emulatedExe
	set   *emulatedSet
	spec  kernels.EvalLoopSpec
	batch int
}

func (e *emulatedExe) NewEvalLoop(set kernels.DeviceSet, spec kernels.EvalLoopSpec) (kernels.EvalLoop, error) {
	s := set.(*emulatedSet)
	batch, err := kernels.CheckEvalLoop(e.prog, spec, s.Len(), s.Dim())
	if err != nil {
		return nil, err
	}
	return &emulatedEval{e: e, set: s, spec: spec, batch: batch}, nil
}

// Run is gather, forward and eval_score per batch.
func (v *emulatedEval) Run() (int, float64, error) {
	v.e.count.evals++
	correct, loss := 0, 0.0
	logits := make([]float32, v.batch*v.spec.Classes)
	for pos := 0; pos < v.set.Len(); pos += v.batch {
		if err := v.e.gather(v.set, pos, v.spec.Images, v.spec.Labels, v.spec.Mean, v.spec.Std); err != nil {
			return 0, 0, err
		}
		if err := v.e.Run(v.spec.Forward); err != nil {
			return 0, 0, err
		}
		if err := v.e.Read(v.spec.Logits, logits); err != nil {
			return 0, 0, err
		}
		for r := 0; r < min(v.batch, v.set.Len()-pos); r++ {
			row := logits[r*v.spec.Classes : (r+1)*v.spec.Classes]
			label := int(v.set.set.Labels[v.set.perm[pos+r]])
			if argmax(row) == label {
				correct++
			}
			loss += xent(row, label)
		}
	}
	return correct, loss, nil
}

func (v *emulatedEval) Close() error { return nil }

// useEmulated makes Run open the emulated device for "cpu" until the test
// ends; it returns the counts of what ran there.
func useEmulated(t *testing.T, failAt int) *emulatedCounts {
	count := new(emulatedCounts)
	old := openBackend
	openBackend = func(name string) (kernels.Backend, error) {
		b, err := kernels.Open(name)
		if err != nil {
			return nil, err
		}
		return emulatedBackend{Backend: b, failAt: failAt, count: count}, nil
	}
	t.Cleanup(func() { openBackend = old })
	return count
}

// deviceTestConfig: 10 steps per epoch, the loss sampled at steps 3, 6, 9
// and 10, a cosine schedule (every step its own rate), a test set that
// ends in a partial batch (1000 = 7·128 + 104).
func deviceTestConfig(t *testing.T, model string) Config {
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

func TestDevicePathMatchesHost(t *testing.T) {
	for _, model := range []string{"mlp", "lenet"} {
		t.Run(model, func(t *testing.T) {
			host := deviceTestConfig(t, model)
			hostRes, hostProg, hostHooks := runWith(t, host)

			count := useEmulated(t, 0)
			dev := deviceTestConfig(t, model)
			devRes, devProg, devHooks := runWith(t, dev)
			if count.steps != 20 || count.evals != 2 {
				t.Fatalf("the device path ran %d steps and %d evaluations, want 20 (2 epochs of 10) and 2", count.steps, count.evals)
			}
			sameMetrics(t, host.Out, dev.Out)
			sameTensors(t, hostRes.Checkpoint, devRes.Checkpoint)
			if fmt.Sprint(hostHooks) != fmt.Sprint(devHooks) {
				t.Errorf("hooks ran at steps %v on the host path, %v on the device path", hostHooks, devHooks)
			}
			if len(hostProg) != len(devProg) || len(devProg) == 0 {
				t.Fatalf("%d progress events on the host path, %d on the device path", len(hostProg), len(devProg))
			}
			for i := range hostProg {
				h, d := hostProg[i], devProg[i]
				if h.Step != d.Step || math.Abs(h.Loss-d.Loss) > 1e-12*math.Abs(h.Loss) {
					t.Errorf("progress event %d: host step %d loss %v, device step %d loss %v", i, h.Step, h.Loss, d.Step, d.Loss)
				}
			}
		})
	}
}

// TestDeviceEvaluate: Evaluate of a checkpoint scores the same through the
// device path as through the host.
func TestDeviceEvaluate(t *testing.T) {
	cfg := deviceTestConfig(t, "mlp")
	cfg.Epochs = 1
	res, err := Run(context.Background(), cfg, testData(t), RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds := testData(t)
	test := *ds
	test.Test = ds.Test.Head(1000)
	host, err := Evaluate(context.Background(), res.Checkpoint, "", &test)
	if err != nil {
		t.Fatal(err)
	}
	count := useEmulated(t, 0)
	dev, err := Evaluate(context.Background(), res.Checkpoint, "", &test)
	if err != nil {
		t.Fatal(err)
	}
	if count.evals != 1 {
		t.Fatalf("Evaluate ran %d device evaluations, want 1", count.evals)
	}
	if host.Correct != dev.Correct || host.Loss != dev.Loss || host.N != dev.N || host.Correct == 0 {
		t.Fatalf("host path %+v, device path %+v", host, dev)
	}
}

// TestDeviceDivergence: a NaN loss on the device path stops the epoch with
// the host path's message (same step, same value) and no checkpoint.
func TestDeviceDivergence(t *testing.T) {
	run := func() (string, error) {
		cfg := smallConfig(t, "mlp", 1280, 1)
		cfg.LR = 1e30
		cfg.LossEvery = 1
		_, err := Run(context.Background(), cfg, testData(t), RunOptions{})
		return cfg.Out, err
	}
	_, hostErr := run()
	useEmulated(t, 0)
	out, devErr := run()
	if hostErr == nil || devErr == nil {
		t.Fatalf("a rate of 1e30 trained without error (host %v, device %v)", hostErr, devErr)
	}
	if !strings.Contains(devErr.Error(), "diverged") || hostErr.Error() != devErr.Error() {
		t.Fatalf("host path: %v\ndevice path: %v", hostErr, devErr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a diverged first epoch left %s behind (%v)", out, err)
	}
}

// TestDeviceFaultKeepsLastCheckpoint: a device error in the middle of the
// second epoch ends the run with that error; the run directory keeps the
// first epoch's checkpoint and metrics, untouched.
func TestDeviceFaultKeepsLastCheckpoint(t *testing.T) {
	// A constant rate, so the first epoch does not depend on the run's length.
	cfg := deviceTestConfig(t, "mlp")
	cfg.Epochs, cfg.Schedule = 1, ScheduleConstant
	if _, err := Run(context.Background(), cfg, testData(t), RunOptions{}); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(cfg.Out, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}

	useEmulated(t, 15) // step 5 of epoch 2
	cfg2 := deviceTestConfig(t, "mlp")
	cfg2.Schedule = ScheduleConstant
	_, err = Run(context.Background(), cfg2, testData(t), RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "emulated device fault") || !strings.Contains(err.Error(), "epoch 2 step 5") {
		t.Fatalf("error %v, want the fault at epoch 2 step 5", err)
	}
	recs, rerr := ReadMetrics(cfg2.Out)
	if rerr != nil || len(recs) != 1 {
		t.Fatalf("metrics after the fault: %d records, %v; want epoch 1 only", len(recs), rerr)
	}
	got, err := os.ReadFile(filepath.Join(cfg2.Out, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	// The first epoch of both runs is the same computation: the checkpoint
	// left behind is exactly the one of a clean one-epoch run (the
	// metadata aside, which records the config's epochs).
	sameTensors(t, filepath.Join(cfg.Out, CheckpointFile), filepath.Join(cfg2.Out, CheckpointFile))
	if len(got) == 0 || len(want) == 0 {
		t.Fatal("empty checkpoint")
	}
}

// TestDeviceStepper: the Stepper (what gabor bench times) runs its epochs
// on the device path and ends them with the host path's loss.
func TestDeviceStepper(t *testing.T) {
	epoch := func() StepperEpoch {
		cfg := deviceTestConfig(t, "mlp")
		s, err := NewStepper(cfg, testData(t))
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
	host := epoch()
	count := useEmulated(t, 0)
	dev := epoch()
	if count.steps != 20 || host.Loss != dev.Loss || host.Images != dev.Images {
		t.Fatalf("host epoch %+v, device epoch %+v after %d device steps", host, dev, count.steps)
	}
}
