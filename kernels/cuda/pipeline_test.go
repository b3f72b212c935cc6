//go:build gpu

package cuda

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/kernels/cpu"
)

// pipeProgram is a stand-in for a model whose every value can be worked out
// on the host: examples of 10 inputs, logits = the inputs (10 classes),
// loss = mean of the batch's inputs, and the update copies the hyper buffer
// [lr, t] to "seen" so the test can read what the step saw.
func pipeProgram(batch int) (*kernels.Program, map[string]kernels.BufID) {
	const dim = 10
	p := &kernels.Program{Loss: -1, Logits: -1, Hyper: -1, Ctl: -1, Inputs: map[string]kernels.BufID{}}
	ids := map[string]kernels.BufID{}
	for _, b := range []struct {
		name  string
		shape []int
	}{{"x", []int{batch, dim}}, {"labels", []int{batch}}, {"logits", []int{batch, dim}}, {"loss", []int{1}}, {"hyper", []int{2}}, {"ctl", []int{2}}, {"seen", []int{2}}} {
		n := 1
		for _, d := range b.shape {
			n *= d
		}
		p.Buffers = append(p.Buffers, kernels.Buffer{Name: b.name, Shape: b.shape, Len: n, View: -1, Offset: p.ArenaLen, Pinned: true})
		p.ArenaLen += n + 5 // gaps that nothing may write
		ids[b.name] = kernels.BufID(len(p.Buffers) - 1)
	}
	p.Inputs["x"], p.Inputs["labels"] = ids["x"], ids["labels"]
	p.Loss, p.Logits, p.Hyper, p.Ctl = ids["loss"], ids["logits"], ids["hyper"], ids["ctl"]
	p.Instrs = []kernels.Instr{
		{Op: kernels.OpCopy, In: []kernels.BufID{ids["x"]}, Out: []kernels.BufID{ids["logits"]}, Args: kernels.CopyArgs{N: batch * dim}, Node: "logits"},
		{Op: kernels.OpReduce, In: []kernels.BufID{ids["x"]}, Out: []kernels.BufID{ids["loss"]}, Args: kernels.ReduceArgs{Outer: 1, Mid: batch * dim, Inner: 1, Mean: true}, Node: "loss"},
		{Op: kernels.OpCopy, In: []kernels.BufID{ids["hyper"]}, Out: []kernels.BufID{ids["seen"]}, Args: kernels.CopyArgs{N: 2}, Node: "update"},
	}
	p.Forward, p.Backward, p.Update = kernels.Segment{Start: 0, End: 2}, kernels.Segment{Start: 2, End: 2}, kernels.Segment{Start: 2, End: 3}
	return p, ids
}

// run drives a pipelined program for one epoch of steps and an evaluation
// pass, replaying captured steps when capture is set, and returns what the
// loop reads: the training state, the last [lr, t] seen, the evaluation
// state.
func runPipe(t *testing.T, b kernels.Backend, p *kernels.Program, ids map[string]kernels.BufID, images, labels []uint8, perm []int32, lr []float32, capture bool) (train, eval []float64, seen []float32) {
	t.Helper()
	x, err := b.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	pipe := p.Pipe
	ident := make([]int32, pipe.Eval.N)
	for i := range ident {
		ident[i] = int32(i)
	}
	must(x.WriteBytes(pipe.Train.X, images))
	must(x.WriteBytes(pipe.Train.Y, labels))
	must(x.WriteBytes(pipe.Train.Perm, kernels.AsBytes(perm)))
	must(x.WriteBytes(pipe.Eval.X, images[:pipe.Eval.N*10]))
	must(x.WriteBytes(pipe.Eval.Y, labels[:pipe.Eval.N]))
	must(x.WriteBytes(pipe.Eval.Perm, kernels.AsBytes(ident)))
	must(x.Write(pipe.LR, lr))
	must(x.WriteBytes(pipe.TrainState, kernels.AsBytes(kernels.NewState(100))))
	must(x.WriteBytes(pipe.Eval.State, kernels.AsBytes(kernels.NewState(0))))
	step := func() error { return kernels.RunStep(x, p.TrainStep) }
	ev := func() error { return kernels.RunStep(x, p.EvalStep) }
	if capture {
		c := x.(kernels.Capturer)
		step, err = c.Capture(p.TrainStep)
		must(err)
		ev, err = c.Capture(p.EvalStep)
		must(err)
	}
	for range pipe.Steps {
		must(step())
	}
	for range kernels.EvalBatches(pipe.Eval.N, 64) {
		must(ev())
	}
	train, eval, seen = make([]float64, kernels.StateLen), make([]float64, kernels.StateLen), make([]float32, 2)
	must(x.ReadBytes(pipe.TrainState, kernels.AsBytes(train)))
	must(x.ReadBytes(pipe.Eval.State, kernels.AsBytes(eval)))
	must(x.Read(ids["seen"], seen))
	return train, eval, seen
}

// TestCapturedStepMatchesCPU: an epoch of training steps and an evaluation
// pass of the pipelined stand-in program, replayed from CUDA graphs and
// issued launch by launch, leave the state the cpu backend leaves: the same
// loss samples, counters, rates, correct count and (within the order of a
// block sum) cross-entropy.
func TestCapturedStepMatchesCPU(t *testing.T) {
	const n, batch, spe = 1000, 64, 15
	r := rand.New(rand.NewPCG(3, 4))
	images, labels := make([]uint8, n*10), make([]uint8, n)
	for i := range images {
		images[i] = uint8(r.IntN(256))
	}
	for i := range labels {
		labels[i] = uint8(r.IntN(10))
	}
	perm := make([]int32, n)
	for i, k := range r.Perm(n) {
		perm[i] = int32(k)
	}
	lr := make([]float32, spe)
	for i := range lr {
		lr[i] = 0.01 * float32(i+1)
	}
	base, ids := pipeProgram(batch)
	p, err := kernels.AddPipeline(base, kernels.PipelineSpec{
		Train: &kernels.DataSpec{N: n, D: 10, T: 1, X: kernels.U8, Y: kernels.U8, Mean: 0.25, Std: 0.5},
		Eval:  &kernels.DataSpec{N: 999, D: 10, T: 1, X: kernels.U8, Y: kernels.U8, Mean: 0.25, Std: 0.5},
		Steps: spe, LossEvery: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	wantTrain, wantEval, wantSeen := runPipe(t, cpu.Backend{}, p, ids, images, labels, perm, lr, false)
	if wantTrain[kernels.StN] != 4 || wantTrain[kernels.StStep] != 100+spe || wantEval[kernels.StK] != 16 {
		t.Fatalf("cpu reference state %v / %v", wantTrain, wantEval)
	}
	for _, graph := range []bool{false, true} {
		b := open(t, Options{TF32: false, Graph: graph})
		train, eval, seen := runPipe(t, b, p, ids, images, labels, perm, lr, true)
		for i := range train {
			if train[i] != wantTrain[i] && !(math.IsNaN(train[i]) && math.IsNaN(wantTrain[i])) {
				t.Errorf("graph=%v: training state [%d] = %v, cpu %v", graph, i, train[i], wantTrain[i])
			}
		}
		if seen[0] != wantSeen[0] || seen[1] != wantSeen[1] {
			t.Errorf("graph=%v: the last step saw [lr, t] = %v, cpu %v", graph, seen, wantSeen)
		}
		if eval[kernels.StCorrect] != wantEval[kernels.StCorrect] || eval[kernels.StK] != wantEval[kernels.StK] ||
			math.Abs(eval[kernels.StSum]-wantEval[kernels.StSum]) > 1e-9*math.Abs(wantEval[kernels.StSum]) {
			t.Errorf("graph=%v: evaluation state %v, cpu %v", graph, eval, wantEval)
		}
	}
}

// TestOutOfMemoryMessage: an arena the device cannot hold is refused with
// the sizes, the free memory and the advice to lower the batch.
func TestOutOfMemoryMessage(t *testing.T) {
	const floats = 1 << 38 // 1 TiB
	p := &kernels.Program{Loss: -1, Logits: -1, Hyper: -1, Ctl: -1, ArenaLen: floats,
		Buffers: []kernels.Buffer{{Name: "huge", Len: floats, View: -1}}}
	_, err := open(t, DefaultOptions()).Load(p)
	if err == nil {
		t.Fatal("a 1 TiB arena was allocated")
	}
	for _, s := range []string{"OutOfMemory", "274877906944 floats", "free of", "smaller --batch"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
}
