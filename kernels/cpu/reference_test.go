package cpu_test

import (
	"errors"
	"math"
	"testing"

	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/kernels/cpu"
)

// Hand-computed cases that pin the reference, the spec every backend is
// checked against.

func ref(t *testing.T, op kernels.Op, args any, nOut int, inputs ...[]float64) [][]float64 {
	t.Helper()
	in := kernels.Instr{Op: op, Args: args, Out: make([]kernels.BufID, nOut)}
	out, err := cpu.Reference(in, inputs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func near(t *testing.T, what string, got, want []float64) {
	t.Helper()
	nearTol(t, what, got, want, 1e-12)
}

// nearTol allows a relative error rtol: hyper-parameters are float32, so
// 0.9 is 0.899999976 and a hand computation in decimal is off by ~1e-7.
func nearTol(t *testing.T, what string, got, want []float64, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values %v, want %v", what, len(got), got, want)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > rtol*(1+math.Abs(want[i])) {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
}

func TestReferenceSoftmax(t *testing.T) {
	out := ref(t, kernels.OpSoftmax, kernels.SoftmaxArgs{Rows: 2, D: 2}, 1, []float64{0, 0, 1000, 1000})
	near(t, "softmax [0 0] and [1000 1000]", out[0], []float64{.5, .5, .5, .5})
	out = ref(t, kernels.OpSoftmax, kernels.SoftmaxArgs{Rows: 1, D: 2, Log: true}, 1, []float64{0, 0})
	near(t, "log softmax [0 0]", out[0], []float64{-math.Ln2, -math.Ln2})
	// softmax [0, ln 3] = [1/4, 3/4]
	out = ref(t, kernels.OpSoftmax, kernels.SoftmaxArgs{Rows: 1, D: 2}, 1, []float64{0, math.Log(3)})
	near(t, "softmax [0 ln3]", out[0], []float64{.25, .75})
}

func TestReferenceXent(t *testing.T) {
	// Uniform logits: every class has probability 1/D and the loss is log D.
	logits := []float64{7, 7, 7, 7, -2, -2, -2, -2}
	out := ref(t, kernels.OpSoftmaxXent, kernels.XentArgs{N: 2, D: 4}, 2, logits, []float64{1, 3})
	near(t, "loss", out[0], []float64{math.Log(4)})
	near(t, "probs", out[1], []float64{.25, .25, .25, .25, .25, .25, .25, .25})

	// Backward: (p − onehot)/N, then times dloss.
	out = ref(t, kernels.OpSoftmaxXentBwd, kernels.XentArgs{N: 2, D: 4}, 1, out[1], []float64{1, 3})
	near(t, "dlogits", out[0], []float64{.125, -.375, .125, .125, .125, .125, .125, -.375})
	out = ref(t, kernels.OpSoftmaxXentBwd, kernels.XentArgs{N: 1, D: 2}, 1, []float64{.5, .5}, []float64{0}, []float64{4})
	near(t, "dlogits with dloss 4", out[0], []float64{-2, 2})

	in := kernels.Instr{Op: kernels.OpSoftmaxXent, Args: kernels.XentArgs{N: 1, D: 4}, Out: make([]kernels.BufID, 2)}
	if _, err := cpu.Reference(in, [][]float64{{0, 0, 0, 0}, {4}}); err == nil {
		t.Error("label 4 with D=4 accepted")
	}
}

func TestReferenceGemm(t *testing.T) {
	A, B := []float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}
	g := kernels.GemmArgs{M: 2, N: 2, K: 2, Alpha: 1}
	near(t, "AB", ref(t, kernels.OpGemm, g, 1, A, B)[0], []float64{19, 22, 43, 50})
	g.TransA = true
	near(t, "AᵀB", ref(t, kernels.OpGemm, g, 1, A, B)[0], []float64{26, 30, 38, 44})
	g.TransA, g.TransB = false, true
	near(t, "ABᵀ", ref(t, kernels.OpGemm, g, 1, A, B)[0], []float64{17, 23, 39, 53})
	// relu(2·AB − 1·C + bias) with bias [−100, 0]
	g = kernels.GemmArgs{M: 2, N: 2, K: 2, Alpha: 2, Beta: -1, Bias: true, Act: kernels.ActReLU}
	out := ref(t, kernels.OpGemm, g, 1, A, B, []float64{-100, 0}, []float64{1, 1, 1, 1})
	near(t, "relu(2AB − C + bias)", out[0], []float64{0, 43, 0, 99})
}

func TestReferenceBroadcastModes(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	for _, c := range []struct {
		mode  kernels.Bcast
		inner int
		c     int
		b     []float64
		want  []float64
	}{
		{kernels.BcastNone, 0, 0, []float64{1, 1, 1, 1, 1, 1, 1, 1}, []float64{2, 3, 4, 5, 6, 7, 8, 9}},
		{kernels.BcastScalar, 0, 0, []float64{10}, []float64{11, 12, 13, 14, 15, 16, 17, 18}},
		{kernels.BcastInner, 4, 0, []float64{10, 20, 30, 40}, []float64{11, 22, 33, 44, 15, 26, 37, 48}},
		// [N=2, C=2, Inner=2]: b[c] over each block of 2
		{kernels.BcastChannel, 2, 2, []float64{10, 20}, []float64{11, 12, 23, 24, 15, 16, 27, 28}},
		{kernels.BcastOuter, 4, 0, []float64{10, 20}, []float64{11, 12, 13, 14, 25, 26, 27, 28}},
	} {
		args := kernels.BinaryArgs{Fn: kernels.BinaryAdd, N: 8, Bcast: c.mode, Inner: c.inner, C: c.c}
		near(t, "bcast", ref(t, kernels.OpBinary, args, 1, a, c.b)[0], c.want)
	}
}

func TestReferenceReductions(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6} // [Outer=1, Mid=3, Inner=2]
	near(t, "mean over mid", ref(t, kernels.OpReduce, kernels.ReduceArgs{Outer: 1, Mid: 3, Inner: 2, Mean: true}, 1, x)[0], []float64{3, 4})
	near(t, "row sums", ref(t, kernels.OpReduce, kernels.ReduceArgs{Outer: 2, Mid: 3, Inner: 1}, 1, x)[0], []float64{6, 15})
	near(t, "broadcast", ref(t, kernels.OpBroadcast, kernels.BroadcastArgs{Outer: 1, Mid: 2, Inner: 2, Scale: 0.5}, 1, []float64{2, 4})[0], []float64{1, 2, 1, 2})
	// dy [N=2, C=1, HW=3] plus Beta·db
	near(t, "bias grad", ref(t, kernels.OpBiasGrad, kernels.BiasGradArgs{N: 2, C: 1, HW: 3, Beta: 2}, 1, x, []float64{10})[0], []float64{41})
	// [[1 2 3] [4 5 6]]ᵀ
	tr := kernels.TransposeArgs{Rank: 2, Shape: [4]int{2, 3}, Perm: [4]int{1, 0}}
	near(t, "transpose", ref(t, kernels.OpTranspose, tr, 1, x)[0], []float64{1, 4, 2, 5, 3, 6})
}

func TestReferenceSGD(t *testing.T) {
	// g' = 0.5 + 0.01·1 = 0.51; v = 0.9·0.2 + 0.51 = 0.69; p = 1 − 0.1·0.69
	p, g, v := []float64{1}, []float64{0.5}, []float64{0.2}
	ref(t, kernels.OpSGD, kernels.SGDArgs{Sizes: []int{1}, Momentum: 0.9, WeightDecay: 0.01}, 0, p, g, v, []float64{0.1, 1})
	nearTol(t, "classic p", p, []float64{1 - 0.1*0.69}, 1e-6)
	nearTol(t, "classic v", v, []float64{0.69}, 1e-6)
	// Nesterov: p = 1 − 0.1·(0.51 + 0.9·0.69)
	p, v = []float64{1}, []float64{0.2}
	ref(t, kernels.OpSGD, kernels.SGDArgs{Sizes: []int{1}, Momentum: 0.9, WeightDecay: 0.01, Nesterov: true}, 0, p, g, v, []float64{0.1, 1})
	nearTol(t, "nesterov p", p, []float64{1 - 0.1*(0.51+0.9*0.69)}, 1e-6)
	nearTol(t, "g unchanged", g, []float64{0.5}, 1e-6)
	// momentum 0: v holds g'
	p, v = []float64{1}, []float64{math.NaN()}
	ref(t, kernels.OpSGD, kernels.SGDArgs{Sizes: []int{1}}, 0, p, g, v, []float64{0.1, 1})
	nearTol(t, "plain p", p, []float64{0.95}, 1e-6)
	nearTol(t, "plain v", v, []float64{0.5}, 1e-6)
}

func TestReferenceAdam(t *testing.T) {
	// Step 1 from zero moments: m̂ = g, v̂ = g², so p moves by lr·g/(|g|+ε).
	args := kernels.AdamArgs{Sizes: []int{2}, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	p, g, m, v := []float64{1, 1}, []float64{2, -0.5}, []float64{0, 0}, []float64{0, 0}
	ref(t, kernels.OpAdam, args, 0, p, g, m, v, []float64{0.1, 1})
	nearTol(t, "p", p, []float64{1 - 0.1*2/(2+1e-8), 1 + 0.1*0.5/(0.5+1e-8)}, 1e-6)
	nearTol(t, "m", m, []float64{0.2, -0.05}, 1e-6)
	nearTol(t, "v", v, []float64{0.001 * 4, 0.001 * 0.25}, 1e-6)
	in := kernels.Instr{Op: kernels.OpAdam, Args: args}
	if _, err := cpu.Reference(in, [][]float64{p, g, m, v, {0.1, 0}}); err == nil {
		t.Error("Adam step 0 accepted")
	}
}

func TestReferenceActivations(t *testing.T) {
	x := []float64{-1, 0, 2, math.NaN()}
	out := ref(t, kernels.OpUnary, kernels.UnaryArgs{Fn: kernels.UnaryReLU, N: 4}, 1, x)[0]
	if out[0] != 0 || out[1] != 0 || out[2] != 2 || !math.IsNaN(out[3]) {
		t.Errorf("relu %v: want [0 0 2 NaN]", out)
	}
	y := []float64{0, 0.5, 1, 2}
	dy := []float64{1, 1, 1, 1}
	near(t, "relu'", ref(t, kernels.OpActGrad, kernels.ActGradArgs{Act: kernels.ActReLU, N: 4}, 1, y, dy)[0], []float64{0, 1, 1, 1})
	near(t, "sigmoid'", ref(t, kernels.OpActGrad, kernels.ActGradArgs{Act: kernels.ActSigmoid, N: 4}, 1, y, dy)[0], []float64{0, .25, 0, -2})
	near(t, "tanh'", ref(t, kernels.OpActGrad, kernels.ActGradArgs{Act: kernels.ActTanh, N: 4}, 1, y, dy)[0], []float64{1, .75, 0, -3})
}

func TestReferenceNotImplemented(t *testing.T) {
	_, err := cpu.Reference(kernels.Instr{Op: kernels.OpInvalid}, nil)
	if !errors.Is(err, kernels.ErrNotImplemented) {
		t.Fatalf("got %v, want ErrNotImplemented", err)
	}
	_, err = cpu.Reference(kernels.Instr{Op: kernels.OpCopy, Args: kernels.CopyArgs{N: 3}}, [][]float64{{1, 2}})
	if err == nil {
		t.Fatal("copy of 2 values with N=3 accepted")
	}
}
