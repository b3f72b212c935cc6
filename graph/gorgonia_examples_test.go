package graph

import (
	"math"
	"math/rand"
	"testing"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Models written the way gorgonia's own examples write them (examples/mnist,
// examples/convnet, a logistic regression, a net with Concat and
// LeakyRelu), compiled by gabor unchanged: the loss and every gradient
// agree with the TapeMachine within 1e-4 relative, and so does every loss
// over 20 SGD steps, each step on a fresh batch.

// example is one model and how to feed it: feed returns a step's batch.
type example struct {
	m      *Model
	oracle *Model // the graph the TapeMachine runs: m itself, or a twin
	feed   func(m *Model, step int) map[*G.Node]*tensor.Dense
}

// trainAgainstTapeMachine runs steps SGD steps (learning rate lr, no
// momentum) with gabor's compiled program and with the TapeMachine on the
// oracle graph (gorgonia's symbolic gradients, the update done by hand in
// float32, the machine reset between steps so nothing accumulates), and
// compares the loss and every gradient at every step.
func trainAgainstTapeMachine(t *testing.T, ex example, steps int, lr float32) {
	t.Helper()
	m, om := ex.m, ex.oracle
	c := compileChecked(t, m)
	p := c.e.prog
	x, err := loadCPU(p)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for i, s := range p.Params {
		mustOK(t, x.Write(s.Value, f32s(m.Params[i].Value())))
	}
	if p.Ctl >= 0 {
		mustOK(t, x.Write(p.Ctl, []float32{1, 0}))
	}

	grads := make([]*G.Node, len(om.Params))
	if om == m {
		for i, pn := range m.Params {
			grads[i] = pn.Deriv()
		}
	} else if grads, err = om.gradients(); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(om.G)
	defer vm.Close()

	for step := 1; step <= steps; step++ {
		feeds := ex.feed(m, step)
		for name, id := range p.Inputs {
			mustOK(t, x.Write(id, f32s(feeds[c.u.inputs[name]])))
		}
		mustOK(t, x.Write(p.Hyper, []float32{lr, float32(step)}))
		// Forward and backward first, to read the gradients before the update.
		mustOK(t, x.Run(kernels.Segment{Start: 0, End: p.Backward.End}))
		loss := []float32{0}
		mustOK(t, x.Read(p.Loss, loss))
		got := make([][]float32, len(p.Params))
		for i, s := range p.Params {
			got[i] = make([]float32, p.Buffers[s.Grad].Len)
			mustOK(t, x.Read(p.Taps["grad:"+s.Name], got[i]))
		}
		mustOK(t, x.Run(p.Update))

		for i, n := range []*G.Node{m.X, m.Labels} {
			if n != nil {
				on := []*G.Node{om.X, om.Labels}[i]
				mustOK(t, G.Let(on, feeds[n]))
			}
		}
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatalf("step %d: TapeMachine: %v", step, err)
		}
		want := float64(f32s(om.Loss.Value())[0])
		if d := math.Abs(float64(loss[0]) - want); d > 1e-4*math.Abs(want) || math.IsNaN(d) {
			t.Fatalf("%s step %d: loss %.7g, TapeMachine %.7g", m.Name, step, loss[0], want)
		}
		for i, gn := range grads {
			wantG := f32s(gn.Value())
			var scale, worst float64
			for j := range wantG {
				scale = math.Max(scale, math.Abs(float64(wantG[j])))
				worst = math.Max(worst, math.Abs(float64(got[i][j]-wantG[j])))
			}
			if worst > 1e-4*math.Max(scale, 1e-3) || math.IsNaN(worst) {
				t.Fatalf("%s step %d: grad %s: max error %.3g (scale %.3g)", m.Name, step, om.Params[i].Name(), worst, scale)
			}
			// SGD on the TapeMachine's parameters, in float32 as the kernel does.
			pv := f32s(om.Params[i].Value())
			for j := range pv {
				pv[j] -= lr * wantG[j]
			}
		}
	}
}

// batches draws a step's inputs of x's shape and labels of classes classes,
// as class indices or as one-hot rows, from a stream fixed by the step.
func batches(classes int) func(m *Model, step int) map[*G.Node]*tensor.Dense {
	return func(m *Model, step int) map[*G.Node]*tensor.Dense {
		rng := rand.New(rand.NewSource(int64(1000 + step)))
		b := m.X.Shape()[0]
		f := map[*G.Node]*tensor.Dense{m.X: randT(rng, -1, 1, m.X.Shape()...)}
		l := labelsT(rng, b, classes)
		if m.Target == OneHot {
			l = oneHot(l, classes)
		}
		f[m.Labels] = l
		return f
	}
}

// glorot is a parameter with gorgonia's GlorotU initialization, drawn from rng.
func glorot(g *G.ExprGraph, rng *rand.Rand, name string, shape ...int) *G.Node {
	fanIn, fanOut := shape[0], shape[len(shape)-1]
	if len(shape) == 4 {
		fanIn, fanOut = shape[1]*shape[2]*shape[3], shape[0]*shape[2]*shape[3]
	}
	bound := math.Sqrt(6 / float64(fanIn+fanOut))
	return nodeOf(g, name, randT(rng, -bound, bound, shape...))
}

// gorgoniaLoss is the examples' cross-entropy on one-hot rows, or gabor's
// fused loss on class indices.
func gorgoniaLoss(logits, y *G.Node, t Target) *G.Node {
	if t == OneHot {
		prob := G.Must(G.SoftMax(logits))
		return G.Must(G.Neg(G.Must(G.Mean(G.Must(G.HadamardProd(G.Must(G.Log(prob)), y))))))
	}
	return G.Must(SoftmaxCrossEntropy(logits, y))
}

func labelsNode(g *G.ExprGraph, t Target, batch, classes int) *G.Node {
	if t == OneHot {
		return placeholder(g, "y", batch, classes)
	}
	return placeholder(g, "y", batch)
}

// mnistMLP is examples/mnist's network at a smaller size: x×w0, Rectify,
// x×w1, Rectify, x×w2, softmax, with bias rows added by BroadcastAdd.
func mnistMLP(t Target) *Model {
	const batch, in, h0, h1, classes = 8, 20, 16, 12, 5
	rng := rand.New(rand.NewSource(21))
	g := G.NewGraph()
	x, y := placeholder(g, "x", batch, in), labelsNode(g, t, batch, classes)
	w0, w1, w2 := glorot(g, rng, "w0", in, h0), glorot(g, rng, "w1", h0, h1), glorot(g, rng, "w2", h1, classes)
	b0 := glorot(g, rng, "b0", h0)
	l0 := G.Must(G.Rectify(G.Must(G.BroadcastAdd(G.Must(G.Mul(x, w0)), b0, nil, []byte{0}))))
	l1 := G.Must(G.Rectify(G.Must(G.Mul(l0, w1))))
	logits := G.Must(G.Mul(l1, w2))
	return &Model{Name: "mnist-mlp-" + t.String(), G: g, X: x, Labels: y, Target: t, Logits: logits,
		Loss: gorgoniaLoss(logits, y, t), Params: []*G.Node{w0, b0, w1, w2}}
}

// logistic is a multinomial logistic regression, x×w + b → softmax.
func logistic(t Target) *Model {
	const batch, in, classes = 10, 6, 3
	rng := rand.New(rand.NewSource(22))
	g := G.NewGraph()
	x, y := placeholder(g, "x", batch, in), labelsNode(g, t, batch, classes)
	w, b := glorot(g, rng, "w", in, classes), glorot(g, rng, "b", classes)
	logits := G.Must(G.BroadcastAdd(G.Must(G.Mul(x, w)), b, nil, []byte{0}))
	return &Model{Name: "logistic-" + t.String(), G: g, X: x, Labels: y, Target: t, Logits: logits,
		Loss: gorgoniaLoss(logits, y, t), Params: []*G.Node{w, b}}
}

// convnet is examples/convnet's network at a smaller size: three stages of
// Conv2d 3×3 (pad 1), Rectify, MaxPool2D 2×2, Dropout, then Reshape, a
// dense layer with Rectify and Dropout, and a dense output layer. Dropout
// at p = 0 is the identity forward in gorgonia too, but gorgonia v0.9.18's
// gradient through it is 0 (it divides by p): the TapeMachine therefore
// runs the twin graph without the Dropout nodes.
func convnet(t Target, withDropout bool) *Model {
	const batch, classes = 4, 5
	rng := rand.New(rand.NewSource(23))
	g := G.NewGraph()
	x, y := placeholder(g, "x", batch, 1, 12, 12), labelsNode(g, t, batch, classes)
	w0, w1 := glorot(g, rng, "w0", 4, 1, 3, 3), glorot(g, rng, "w1", 6, 4, 3, 3)
	w2, w3 := glorot(g, rng, "w2", 6*3*3, 16), glorot(g, rng, "w3", 16, classes)
	drop := func(n *G.Node) *G.Node {
		if !withDropout {
			return n
		}
		return G.Must(G.Dropout(n, 0))
	}
	stage := func(in, w *G.Node) *G.Node {
		c := G.Must(G.Conv2d(in, w, tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}))
		r := G.Must(G.Rectify(c))
		p := G.Must(G.MaxPool2D(r, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
		return drop(p)
	}
	l1 := stage(stage(x, w0), w1) // [4, 6, 3, 3]
	flat := G.Must(G.Reshape(l1, tensor.Shape{batch, 6 * 3 * 3}))
	l2 := drop(G.Must(G.Rectify(G.Must(G.Mul(flat, w2)))))
	logits := G.Must(G.Mul(l2, w3))
	name := "convnet-" + t.String()
	if !withDropout {
		name += "-twin"
	}
	return &Model{Name: name, G: g, X: x, Labels: y, Target: t, Logits: logits,
		Loss: gorgoniaLoss(logits, y, t), Params: []*G.Node{w0, w1, w2, w3}}
}

// concatLeaky has two LeakyRelu branches joined by Concat: dense branches
// concatenated along the features, then convolution branches concatenated
// along the channels (axis 1 of NCHW, so Outer = the batch).
func concatLeaky(t Target) *Model {
	const batch, classes = 3, 4
	rng := rand.New(rand.NewSource(24))
	g := G.NewGraph()
	x, y := placeholder(g, "x", batch, 2, 6, 6), labelsNode(g, t, batch, classes)
	ca, cb := glorot(g, rng, "ca", 3, 2, 3, 3), glorot(g, rng, "cb", 2, 2, 3, 3)
	conv := func(w *G.Node, alpha float64) *G.Node {
		return G.Must(G.LeakyRelu(G.Must(G.Conv2d(x, w, tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1})), alpha))
	}
	maps := G.Must(G.Concat(1, conv(ca, 0.1), conv(cb, 0.2))) // [3, 5, 6, 6]
	pooled := G.Must(G.MaxPool2D(maps, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
	flat := G.Must(G.Reshape(pooled, tensor.Shape{batch, 5 * 3 * 3}))
	wa, wb := glorot(g, rng, "wa", 45, 6), glorot(g, rng, "wb", 45, 4)
	feats := G.Must(G.Concat(1, G.Must(G.LeakyRelu(G.Must(G.Mul(flat, wa)), 0.1)), G.Must(G.LeakyRelu(G.Must(G.Mul(flat, wb)), 0.3))))
	wc := glorot(g, rng, "wc", 10, classes)
	logits := G.Must(G.Mul(feats, wc))
	return &Model{Name: "concat-leakyrelu-" + t.String(), G: g, X: x, Labels: y, Target: t, Logits: logits,
		Loss: gorgoniaLoss(logits, y, t), Params: []*G.Node{ca, cb, wa, wb, wc}}
}

func TestGorgoniaExamplesTrainLikeTapeMachine(t *testing.T) {
	for _, target := range []Target{OneHot, ClassIndices} {
		cases := []example{
			{m: mnistMLP(target)},
			{m: logistic(target)},
			{m: convnet(target, true), oracle: convnet(target, false)},
			{m: concatLeaky(target)},
		}
		for _, ex := range cases {
			if ex.oracle == nil {
				ex.oracle = ex.m
			}
			ex.feed = batches(ex.m.Logits.Shape()[1])
			t.Run(ex.m.Name, func(t *testing.T) { trainAgainstTapeMachine(t, ex, 20, 0.1) })
		}
	}
}
