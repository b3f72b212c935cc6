//go:build gpu

package cuda

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// pipeProgram is a stand-in for a model whose every value can be worked out
// on the host: images of 10 pixels, logits = the images (10 classes),
// loss = mean of the batch's pixels, and the update copies the hyper buffer
// [lr, t] to "seen" so the test can read what the step saw.
func pipeProgram(batch int) (*kernels.Program, map[string]kernels.BufID) {
	const dim = 10
	p := &kernels.Program{Loss: -1, Logits: -1, Hyper: -1, Ctl: -1, Inputs: map[string]kernels.BufID{}}
	ids := map[string]kernels.BufID{}
	for _, b := range []struct {
		name string
		n    int
	}{{"x", batch * dim}, {"labels", batch}, {"logits", batch * dim}, {"loss", 1}, {"hyper", 2}, {"ctl", 2}, {"seen", 2}} {
		p.Buffers = append(p.Buffers, kernels.Buffer{Name: b.name, Shape: []int{b.n}, Len: b.n, View: -1, Offset: p.ArenaLen, Pinned: true})
		p.ArenaLen += b.n + 5 // gaps that nothing may write
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

func randomSet(r *rand.Rand, n, dim int) ([]uint8, []uint8) {
	images, labels := make([]uint8, n*dim), make([]uint8, n)
	for i := range images {
		images[i] = uint8(r.IntN(256))
	}
	for i := range labels {
		labels[i] = uint8(r.IntN(10))
	}
	return images, labels
}

// TestTrainLoop runs two epochs of the stand-in program through a training
// loop, with and without the CUDA graph, and checks the loss samples, the
// counters and what [lr, t] and the mode buffer held, against the host.
func TestTrainLoop(t *testing.T) {
	const n, dim, batch, spe, every, first = 1000, 10, 64, 15, 4, 100
	const mean, std = 0.25, 0.5
	r := rand.New(rand.NewPCG(3, 4))
	images, labels := randomSet(r, n, dim)
	for _, graph := range []bool{false, true} {
		name := map[bool]string{false: "launches", true: "graph"}[graph]
		t.Run(name, func(t *testing.T) {
			p, ids := pipeProgram(batch)
			ex, err := open(t, Options{TF32: true, Graph: graph}).Load(p)
			if err != nil {
				t.Fatal(err)
			}
			defer ex.Close()
			x := ex.(*Executable)
			set, err := x.UploadSet(images, labels, dim)
			if err != nil {
				t.Fatal(err)
			}
			loop, err := x.NewTrainLoop(set, kernels.TrainLoopSpec{Segment: kernels.Segment{Start: 0, End: 3}, Images: ids["x"], Labels: ids["labels"],
				Mean: mean, Std: std, StepsPerEpoch: spe, LossEvery: every})
			if err != nil {
				t.Fatal(err)
			}
			// The graph holds every launch of a step: gather, the
			// instructions', step_end.
			if l := loop.(*trainLoop); (l.graph != nil) != graph || (graph && l.graph.nodes != len(l.step)) || len(l.step) < 5 {
				t.Fatalf("graph %v: captured %+v for a step of %d launches", graph, l.graph, len(l.step))
			}
			step := first
			for epoch := 0; epoch < 2; epoch++ {
				perm := make([]int32, n)
				for i, k := range r.Perm(n) {
					perm[i] = int32(k)
				}
				lr := make([]float32, spe)
				for k := range lr {
					lr[k] = float32(r.Float64())
				}
				if err := loop.StartEpoch(perm, lr, step); err != nil {
					t.Fatal(err)
				}
				var wantSum float64
				wantN := 0
				for k := 0; k < spe; k++ {
					if err := loop.Step(); err != nil {
						t.Fatal(err)
					}
					if (k+1)%every == 0 || k == spe-1 {
						var s float64
						for b := 0; b < batch; b++ {
							for j := 0; j < dim; j++ {
								s += float64((float32(images[int(perm[k*batch+b])*dim+j])/255 - mean) / std)
							}
						}
						wantSum += float64(float32(s / (batch * dim)))
						wantN++
					}
				}
				if err := loop.Step(); err == nil {
					t.Fatal("a step past the end of the epoch was accepted")
				}
				st, err := loop.Loss()
				if err != nil {
					t.Fatal(err)
				}
				if st.N != wantN || math.Abs(st.Sum-wantSum) > 1e-5*float64(wantN) || st.BadStep != -1 {
					t.Fatalf("epoch %d: loss samples %+v, want %d summing to %v", epoch, st, wantN, wantSum)
				}
				seen, ctl := make([]float32, 2), make([]float32, 2)
				if err := x.Read(ids["seen"], seen); err != nil {
					t.Fatal(err)
				}
				if err := x.Read(ids["ctl"], ctl); err != nil {
					t.Fatal(err)
				}
				last := step + spe - 1
				if seen[0] != lr[spe-1] || seen[1] != float32(last+1) || ctl[0] != 1 || ctl[1] != float32(last) {
					t.Fatalf("epoch %d: the last step saw hyper %v and mode %v, want [%v %d] and [1 %d]", epoch, seen, ctl, lr[spe-1], last+1, last)
				}
				step += spe
			}

			// A non-finite loss is remembered at the first sampled step.
			bad, err := x.NewTrainLoop(set, kernels.TrainLoopSpec{Segment: kernels.Segment{Start: 0, End: 3}, Images: ids["x"], Labels: ids["labels"],
				Mean: float32(math.Inf(1)), Std: std, StepsPerEpoch: spe, LossEvery: every})
			if err != nil {
				t.Fatal(err)
			}
			ident := make([]int32, n)
			for i := range ident {
				ident[i] = int32(i)
			}
			if err := bad.StartEpoch(ident, make([]float32, spe), 7); err != nil {
				t.Fatal(err)
			}
			for range spe {
				if err := bad.Step(); err != nil {
					t.Fatal(err)
				}
			}
			st, err := bad.Loss()
			if err != nil {
				t.Fatal(err)
			}
			if st.BadStep != 7+every-1 || !math.IsInf(float64(st.BadLoss), -1) {
				t.Fatalf("non-finite loss recorded as %+v, want bad step %d with −Inf", st, 7+every-1)
			}
		})
	}
}

// TestEvalLoop scores a set that ends in a partial batch and checks the
// count and the cross-entropy sum against the host, with and without the
// graph, twice in a row (the state is cleared between runs).
func TestEvalLoop(t *testing.T) {
	const n, dim, batch = 150, 10, 64
	const mean, std = 0.5, 0.25
	r := rand.New(rand.NewPCG(5, 6))
	images, labels := randomSet(r, n, dim)
	// Make some rows' maximum the label, and one row a tie.
	for i := 0; i < n; i += 3 {
		images[i*dim+int(labels[i])] = 255
	}
	wantCorrect, wantLoss := 0, 0.0
	for i := 0; i < n; i++ {
		row := make([]float64, dim)
		best := 0
		m := math.Inf(-1)
		for j := range row {
			row[j] = float64((float32(images[i*dim+j])/255 - mean) / std)
			if row[j] > row[best] {
				best = j
			}
			m = math.Max(m, row[j])
		}
		if best == int(labels[i]) {
			wantCorrect++
		}
		var s float64
		for _, v := range row {
			s += math.Exp(v - m)
		}
		wantLoss += math.Log(s) + m - row[labels[i]]
	}
	for _, graph := range []bool{false, true} {
		p, ids := pipeProgram(batch)
		ex, err := open(t, Options{TF32: true, Graph: graph}).Load(p)
		if err != nil {
			t.Fatal(err)
		}
		x := ex.(*Executable)
		set, err := x.UploadSet(images, labels, dim)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := x.NewEvalLoop(set, kernels.EvalLoopSpec{Forward: p.Forward, Images: ids["x"], Labels: ids["labels"], Logits: ids["logits"], Classes: dim, Mean: mean, Std: std})
		if err != nil {
			t.Fatal(err)
		}
		for run := 0; run < 2; run++ {
			correct, loss, err := ev.Run()
			if err != nil {
				t.Fatal(err)
			}
			if correct != wantCorrect || math.Abs(loss-wantLoss) > 1e-9*math.Abs(wantLoss) {
				t.Fatalf("graph %v run %d: %d correct, loss sum %v; want %d and %v", graph, run, correct, loss, wantCorrect, wantLoss)
			}
		}
		if err := ex.Close(); err != nil { // closes the set and the loop too
			t.Fatal(err)
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
