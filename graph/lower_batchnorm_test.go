package graph

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// bnConvnet is a convnet with gorgonia's BatchNorm after the convolution
// (scale and bias per channel) and after the hidden dense layer.
func bnConvnet(t Target) (*Model, []*G.BatchNormOp) {
	const batch, classes = 4, 3
	rng := rand.New(rand.NewSource(25))
	g := G.NewGraph()
	x, y := placeholder(g, "x", batch, 2, 6, 6), labelsNode(g, t, batch, classes)
	w0 := glorot(g, rng, "w0", 3, 2, 3, 3)
	gamma0 := nodeOf(g, "gamma0", randT(rng, 0.5, 1.5, 1, 3, 1, 1))
	beta0 := nodeOf(g, "beta0", randT(rng, -0.5, 0.5, 1, 3, 1, 1))
	conv := G.Must(G.Conv2d(x, w0, tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}))
	bn0, _, _, op0, err := G.BatchNorm(conv, gamma0, beta0, 0.1, 1e-5)
	if err != nil {
		panic(err)
	}
	pooled := G.Must(G.MaxPool2D(G.Must(G.Rectify(bn0)), tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
	flat := G.Must(G.Reshape(pooled, tensor.Shape{batch, 3 * 3 * 3}))
	w1 := glorot(g, rng, "w1", 27, 8)
	gamma1 := nodeOf(g, "gamma1", randT(rng, 0.5, 1.5, 1, 8))
	beta1 := nodeOf(g, "beta1", randT(rng, -0.5, 0.5, 1, 8))
	bn1, _, _, op1, err := G.BatchNorm(G.Must(G.Mul(flat, w1)), gamma1, beta1, 0.1, 1e-5)
	if err != nil {
		panic(err)
	}
	w2 := glorot(g, rng, "w2", 8, classes)
	logits := G.Must(G.Mul(G.Must(G.Rectify(bn1)), w2))
	return &Model{Name: "bn-convnet-" + t.String(), G: g, X: x, Labels: y, Target: t, Logits: logits,
		Loss: gorgoniaLoss(logits, y, t), Params: []*G.Node{w0, gamma0, beta0, w1, gamma1, beta1, w2}}, []*G.BatchNormOp{op0, op1}
}

func TestGorgoniaBatchNormTrainsLikeTapeMachine(t *testing.T) {
	for _, target := range []Target{OneHot, ClassIndices} {
		m, _ := bnConvnet(target)
		ex := example{m: m, oracle: m, feed: batches(3)}
		t.Run(m.Name, func(t *testing.T) { trainAgainstTapeMachine(t, ex, 20, 0.1) })
	}
}

// TestGorgoniaBatchNormRunningAveragesAndEval: over 5 training batches the
// running averages gabor keeps (pinned state, tapped) follow the recurrence
// r ← m·batch + (1−m)·r from (0, 1), computed in float64 from the batch
// statistics gorgonia's op records at each step; gorgonia v0.9.18's own
// averages restart from (0, 1) at each run, which the test shows. In
// evaluation (ctl[0] = 0) the loss uses the running averages: it agrees
// with the TapeMachine after SetTraining(false) with gabor's averages
// written into gorgonia's op, and evaluation leaves the averages alone.
func TestGorgoniaBatchNormRunningAveragesAndEval(t *testing.T) {
	const momentum = 0.1
	m, bnOps := bnConvnet(OneHot)
	c := compileChecked(t, m)
	p := c.e.prog
	ex, err := loadCPU(p)
	mustOK(t, err)
	defer ex.Close()
	for i, s := range p.Params {
		mustOK(t, ex.Write(s.Value, f32s(m.Params[i].Value())))
	}
	vm := G.NewTapeMachine(m.G)
	defer vm.Close()
	feed := batches(3)
	run := func(step int, training bool) {
		f := feed(m, step)
		mustOK(t, ex.Write(p.Inputs["x"], f32s(f[m.X])))
		mustOK(t, ex.Write(p.Inputs["labels"], f32s(f[m.Labels])))
		mode := float32(0)
		if training {
			mode = 1
		}
		mustOK(t, ex.Write(p.Ctl, []float32{mode, float32(step)}))
		mustOK(t, ex.Run(p.Forward))
		loss := []float32{0}
		mustOK(t, ex.Read(p.Loss, loss))
		for _, op := range bnOps {
			mustOK(t, op.SetTraining(training))
		}
		mustOK(t, G.Let(m.X, f[m.X]))
		mustOK(t, G.Let(m.Labels, f[m.Labels]))
		vm.Reset()
		mustOK(t, vm.RunAll())
		want := float64(f32s(m.Loss.Value())[0])
		if d := math.Abs(float64(loss[0]) - want); d > 1e-4*math.Abs(want) {
			t.Fatalf("step %d (training %v): loss %.7g, TapeMachine %.7g", step, training, loss[0], want)
		}
	}
	// gabor's averages of the i-th BatchNorm (3 and 8 channels), by tap suffix.
	state := func(i int, suffix string) []float32 {
		for name, id := range p.Taps {
			if strings.HasSuffix(name, suffix) && p.Buffers[id].Len == []int{3, 8}[i] {
				v := make([]float32, p.Buffers[id].Len)
				mustOK(t, ex.Read(id, v))
				return v
			}
		}
		t.Fatalf("no tap %q of BatchNorm %d", suffix, i)
		return nil
	}
	// gorgonia keeps its statistics unexported: read the *tensor.Dense each points to.
	gorg := func(op *G.BatchNormOp, f string) []float32 {
		return (*tensor.Dense)(unsafe.Pointer(field(op, f).Pointer())).Float32s()
	}
	counts := []float64{4 * 6 * 6, 4} // n = N·S of each layer
	rm, rv := [][]float64{make([]float64, 3), make([]float64, 8)}, [][]float64{make([]float64, 3), make([]float64, 8)}
	for i := range rv {
		for c := range rv[i] {
			rv[i][c] = 1
		}
	}
	for step := 1; step <= 5; step++ {
		run(step, true)
		for i, op := range bnOps {
			mean, ss := gorg(op, "saveMean"), gorg(op, "saveVariance") // ss: the sum of squared deviations
			for c := range rm[i] {
				unbiased := float64(ss[c]) / (counts[i] - 1)
				rm[i][c] = momentum*float64(mean[c]) + (1-momentum)*rm[i][c]
				rv[i][c] = momentum*unbiased + (1-momentum)*rv[i][c]
				// gorgonia's own averages restart from (0, 1) at every run.
				if got := gorg(op, "runningMean")[c]; math.Abs(float64(got)-momentum*float64(mean[c])) > 1e-6 {
					t.Fatalf("step %d: gorgonia's running mean %g, want the restarted %g", step, got, momentum*mean[c])
				}
			}
			near(t, fmt.Sprintf("step %d layer %d running mean", step, i), state(i, ".running_mean"), rm[i], 1e-6, 1e-4)
			rv1 := make([]float64, len(rv[i]))
			for c := range rv1 {
				rv1[c] = rv[i][c] - 1
			}
			near(t, fmt.Sprintf("step %d layer %d running variance − 1", step, i), state(i, ".running_var1"), rv1, 1e-5, 1e-4)
		}
	}
	// Evaluation: gorgonia reads the averages gabor kept.
	before := state(0, ".running_mean")
	for i, op := range bnOps {
		copy(gorg(op, "runningMean"), state(i, ".running_mean"))
		for c, v := range state(i, ".running_var1") {
			gorg(op, "runningVariance")[c] = v + 1
		}
	}
	run(6, false)
	near(t, "running mean after evaluation", state(0, ".running_mean"), toF64(before), 0, 0)
}
