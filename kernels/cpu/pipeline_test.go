package cpu_test

import (
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// TestPipelineStepDoesNotAllocate: a whole training step with its input
// pipeline (a batch of 128 uint8 images gathered over the workers, the
// step's bookkeeping, a dense layer, the loss, SGD) allocates nothing, and
// the state counts the steps.
func TestPipelineStepDoesNotAllocate(t *testing.T) {
	const batch, in, cls, n, steps = 128, 784, 10, 300, 64
	b := newProg()
	x, labels := b.buf("x", batch*in), b.buf("labels", batch)
	w, logits, loss, probs := b.buf("w", cls*in), b.buf("logits", batch*cls), b.buf("loss", 1), b.buf("probs", batch*cls)
	dlogits, dw, v, hyper := b.buf("dlogits", batch*cls), b.buf("dw", cls*in), b.buf("v", cls*in), b.buf("hyper", 2)
	p := b.p
	p.Buffers[x].Shape, p.Buffers[labels].Shape = []int{batch, in}, []int{batch}
	p.Inputs = map[string]kernels.BufID{"x": x, "labels": labels}
	p.Loss, p.Logits, p.Hyper = loss, logits, hyper
	b.emit(kernels.OpGemm, ids(x, w), ids(logits), kernels.GemmArgs{M: batch, N: cls, K: in, TransB: true, Alpha: 1})
	b.emit(kernels.OpSoftmaxXent, ids(logits, labels), ids(loss, probs), kernels.XentArgs{N: batch, D: cls})
	b.emit(kernels.OpSoftmaxXentBwd, ids(probs, labels), ids(dlogits), kernels.XentArgs{N: batch, D: cls})
	b.emit(kernels.OpGemm, ids(dlogits, x), ids(dw), kernels.GemmArgs{M: cls, N: in, K: batch, TransA: true, Alpha: 1})
	b.emit(kernels.OpSGD, ids(w, dw, v, hyper), nil, kernels.SGDArgs{Sizes: []int{cls * in}, Momentum: 0.9})
	p.Forward, p.Backward, p.Update = kernels.Segment{Start: 0, End: 2}, kernels.Segment{Start: 2, End: 4}, kernels.Segment{Start: 4, End: 5}
	q, err := kernels.AddPipeline(p, kernels.PipelineSpec{
		Train: &kernels.DataSpec{N: n, D: in, T: 1, X: kernels.U8, Y: kernels.U8, Mean: 0.286, Std: 0.353},
		Steps: steps, LossEvery: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := openCPU(t).Load(q)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	images, lab, perm := make([]uint8, n*in), make([]uint8, n), make([]int32, n)
	for i := range images {
		images[i] = uint8(i * 7)
	}
	for i := range perm {
		lab[i], perm[i] = uint8(i%cls), int32((i*37)%n)
	}
	lr := make([]float32, steps)
	for i := range lr {
		lr[i] = 0.01
	}
	for _, err := range []error{
		ex.WriteBytes(q.Pipe.Train.X, images), ex.WriteBytes(q.Pipe.Train.Y, lab),
		ex.WriteBytes(q.Pipe.Train.Perm, kernels.AsBytes(perm)), ex.Write(q.Pipe.LR, lr),
		ex.WriteBytes(q.Pipe.TrainState, kernels.AsBytes(kernels.NewState(0))),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	run := func() {
		if err := kernels.RunStep(ex, q.TrainStep); err != nil {
			t.Fatal(err)
		}
	}
	run() // first run: lazily built pools
	a := testing.AllocsPerRun(20, run)
	switch {
	case raceEnabled:
		t.Logf("a pipelined step allocates %v times under the race detector", a)
	case a != 0:
		t.Fatalf("a pipelined step allocates %v times, want 0", a)
	}
	st := make([]float64, kernels.StateLen)
	if err := ex.ReadBytes(q.Pipe.TrainState, kernels.AsBytes(st)); err != nil {
		t.Fatal(err)
	}
	if st[kernels.StK] != 22 || st[kernels.StN] != 22 || st[kernels.StBad] != -1 || !(st[kernels.StSum] > 0) {
		t.Errorf("state after 22 steps: %v", st)
	}
	// A 65th step of an epoch of 64 is refused, not run on a stale rate.
	for range steps - 22 {
		run()
	}
	if err := kernels.RunStep(ex, q.TrainStep); err == nil {
		t.Error("a step past the epoch's rate table ran")
	}
}
