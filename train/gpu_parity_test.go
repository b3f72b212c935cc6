//go:build gpu

package train

// Model parity between the cuda and the cpu backends (issue: CUDA executor,
// must-show 1). These tests need a GPU: build them with make gpu-bundle and
// run them there (gpu-bundle/run.sh). They use the synthetic digits, so
// they need no files.

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/kernels/cuda"
)

var parityModels = []string{"mlp", "lenet", "convnet"}

var (
	parityOnce sync.Once
	parityDS   *data.Dataset
	parityErr  error
)

// parityData is 100 batches of 128 training images and 1000 test images.
func parityData(t *testing.T) *data.Dataset {
	t.Helper()
	parityOnce.Do(func() { parityDS, parityErr = data.Synthetic(11, 100*128, 1000) })
	if parityErr != nil {
		t.Fatal(parityErr)
	}
	return parityDS
}

// relL2 is ‖got − want‖ / ‖want‖ (NaN when either holds a NaN).
func relL2(got, want []float32) float64 {
	var d, w float64
	for i := range want {
		e := float64(got[i]) - float64(want[i])
		d += e * e
		w += float64(want[i]) * float64(want[i])
	}
	return math.Sqrt(d / math.Max(w, 1e-300))
}

// parityTol are the accepted relative L2 errors of one step. FP32: both
// backends round every product and sum in float32, in different orders; the
// error of a sum of K terms grows like √K·2^-24 ≈ 1e-5 for K ~ 10^5 (the
// filter gradient of a convolution sums N·OH·OW = 128·784 terms), so 1e-4
// on gradients leaves room and still fails on any indexing error (which is
// off by O(1)). TF32: every GEMM and convolution operand is rounded to a
// 10-bit mantissa (relative error ≤ 2^-11 ≈ 5e-4 per operand), which
// gradients with cancellation amplify a few times: 1e-2.
type parityTol struct{ loss, logits, grads, params float64 }

var (
	tolFP32 = parityTol{loss: 1e-5, logits: 1e-5, grads: 1e-4, params: 1e-6}
	tolTF32 = parityTol{loss: 2e-3, logits: 5e-3, grads: 1e-2, params: 1e-4}
)

// TestGPUGradientParity: from the same weights on the same batch, the cuda
// program's loss, logits and every gradient match the cpu program's, and so
// do the parameters after one update; with exact FP32 and with TF32
// tensor-core GEMMs.
func TestGPUGradientParity(t *testing.T) {
	ds := parityData(t)
	for _, model := range parityModels {
		for _, tf32 := range []bool{false, true} {
			tol := map[bool]parityTol{false: tolFP32, true: tolTF32}[tf32]
			t.Run(fmt.Sprintf("%s/tf32=%v", model, tf32), func(t *testing.T) {
				cfg := DefaultConfig(model)
				b, err := buildProgram(buildSpec{model: model, batch: cfg.Batch, seed: 1, opt: cfg.GraphOptimizer()})
				if err != nil {
					t.Fatal(err)
				}
				p := b.prog
				cpuBe, err := kernels.Open("cpu")
				if err != nil {
					t.Fatal(err)
				}
				gpuBe, err := cuda.New(cuda.Options{TF32: tf32, Graph: true})
				if err != nil {
					t.Fatal(err)
				}
				perm := data.Permutation(ds.Train.N, cfg.Seed)
				x, y := make([]float32, p.Buf(p.Inputs["x"]).Len), make([]float32, cfg.Batch)
				if err := data.Gather(ds.Train, data.Batch(perm, cfg.Batch, 0), x, y, data.FashionMean, data.FashionStd); err != nil {
					t.Fatal(err)
				}
				var exes [2]kernels.Executable
				for i, be := range []kernels.Backend{cpuBe, gpuBe} {
					exe, err := be.Load(p)
					if err != nil {
						t.Fatal(err)
					}
					defer exe.Close()
					if err := b.writeInit(exe); err != nil {
						t.Fatal(err)
					}
					for _, w := range []struct {
						id kernels.BufID
						v  []float32
					}{{p.Inputs["x"], x}, {p.Inputs["labels"], y}, {p.Hyper, []float32{float32(cfg.LR), 1}}} {
						if w.id >= 0 {
							if err := exe.Write(w.id, w.v); err != nil {
								t.Fatal(err)
							}
						}
					}
					for _, seg := range []kernels.Segment{p.Forward, p.Backward} {
						if err := exe.Run(seg); err != nil {
							t.Fatalf("%s: %v", be.Name(), err)
						}
					}
					exes[i] = exe
				}
				read := func(id kernels.BufID) (cpu, gpu []float32) {
					n := p.Buf(id).Len
					cpu, gpu = make([]float32, n), make([]float32, n)
					if err := exes[0].Read(id, cpu); err != nil {
						t.Fatal(err)
					}
					if err := exes[1].Read(id, gpu); err != nil {
						t.Fatal(err)
					}
					return cpu, gpu
				}
				check := func(what string, id kernels.BufID, tol float64) {
					cpu, gpu := read(id)
					e := relL2(gpu, cpu)
					t.Logf("%-28s rel L2 %.2e (tolerance %.0e)", what, e, tol)
					if !(e <= tol) {
						t.Errorf("%s: cuda vs cpu relative L2 error %.3e > %.0e", what, e, tol)
					}
				}
				check("loss", p.Loss, tol.loss)
				check("logits", p.Logits, tol.logits)
				for _, ps := range p.Params {
					if ps.Grad >= 0 {
						check("grad "+ps.Name, ps.Grad, tol.grads)
					}
				}
				for _, exe := range exes {
					if err := exe.Run(p.Update); err != nil {
						t.Fatal(err)
					}
				}
				for _, ps := range p.Params {
					check("updated "+ps.Name, ps.Value, tol.params)
				}
			})
		}
	}
}

// trace is what a 100-step run shows: the loss of every step but the last
// (progress events, every step) and the run's result.
type trace struct {
	losses []float64
	res    *Result
}

// run100 trains model for 100 steps (one epoch of 100 batches) on device,
// with the environment env set, and records every step's loss.
func run100(t *testing.T, model, device string, env map[string]string) trace {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg := DefaultConfig(model)
	cfg.Device, cfg.Epochs, cfg.LossEvery = device, 1, 1
	cfg.Out = filepath.Join(t.TempDir(), "run")
	var tr trace
	opts := RunOptions{ProgressEvery: 1, Progress: func(e Event) {
		if p, ok := e.(*ProgressEvent); ok {
			tr.losses = append(tr.losses, p.Loss)
		}
	}}
	res, err := Run(context.Background(), cfg, parityData(t), opts)
	if err != nil {
		t.Fatalf("%s on %s %v: %v", model, device, env, err)
	}
	if len(tr.losses) != 99 {
		t.Fatalf("%s on %s: %d step losses, want 99", model, device, len(tr.losses))
	}
	tr.res = res
	return tr
}

// TestGPUTrainingTracksCPU: 100 training steps on the GPU track the CPU's
// losses, whether the step runs as a CUDA graph, launch by launch, or launch
// by launch with a wait after each; those three are the same computation and
// must agree bit for bit. The GPU runs with TF32 GEMMs (the default), so it drifts from the CPU
// trajectory by rounding: the bound is on the mean relative difference of
// the step losses (2%) and on the worst step (10%), and the test accuracies
// are within 2 points.
func TestGPUTrainingTracksCPU(t *testing.T) {
	modes := []struct {
		name string
		env  map[string]string
	}{
		{"graph", map[string]string{"GABOR_CUDA_GRAPH": "1"}},
		{"launches", map[string]string{"GABOR_CUDA_GRAPH": "0"}},
		{"sync-each", map[string]string{"GABOR_CUDA_SYNC": "1"}},
	}
	for _, model := range parityModels {
		t.Run(model, func(t *testing.T) {
			cpu := run100(t, model, "cpu", nil)
			var first trace
			for i, m := range modes {
				t.Run(m.name, func(t *testing.T) {
					gpu := run100(t, model, "cuda", m.env)
					var sum, worst float64
					for k, want := range cpu.losses {
						d := math.Abs(gpu.losses[k]-want) / math.Max(want, 0.05)
						if math.IsNaN(d) {
							t.Fatalf("step %d: loss %v on the GPU, %v on the CPU", k+1, gpu.losses[k], want)
						}
						sum += d
						worst = math.Max(worst, d)
					}
					mean := sum / float64(len(cpu.losses))
					accCPU, accGPU := cpu.res.TestAcc, gpu.res.TestAcc
					t.Logf("step losses: mean rel diff %.4f, worst %.4f; first %.4f/%.4f, last %.4f/%.4f (gpu/cpu); test acc %.4f/%.4f",
						mean, worst, gpu.losses[0], cpu.losses[0], gpu.losses[98], cpu.losses[98], accGPU, accCPU)
					if mean > 0.02 || worst > 0.1 || math.Abs(accGPU-accCPU) > 0.02 {
						t.Errorf("the GPU run does not track the CPU run (limits: mean 0.02, worst 0.1, accuracy 0.02)")
					}
					if i == 0 {
						first = gpu
						return
					}
					for k := range gpu.losses {
						if gpu.losses[k] != first.losses[k] {
							t.Fatalf("step %d: loss %v with %s, %v with %s: the modes must be bit-identical", k+1, gpu.losses[k], m.name, first.losses[k], modes[0].name)
						}
					}
					if gpu.res.TrainLoss != first.res.TrainLoss || gpu.res.TestAcc != first.res.TestAcc {
						t.Errorf("%s: train loss %v, test acc %v; %s: %v, %v", m.name, gpu.res.TrainLoss, gpu.res.TestAcc, modes[0].name, first.res.TrainLoss, first.res.TestAcc)
					}
				})
			}
		})
	}
}
