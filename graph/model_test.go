package graph

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Models beyond classification with class indices, and graphs that gorgonia
// rewrote, each compiled, run on the cpu backend and held against the
// TapeMachine on the same graph.

// compileChecked compiles m for training with a tap on every gradient and
// checks the wiring of every lowered instruction (checkOperands).
func compileChecked(t *testing.T, m *Model) *compiler {
	t.Helper()
	opt := Options{Optimizer: &Optimizer{Kind: "sgd"}}
	for _, p := range m.Params {
		opt.Taps = append(opt.Taps, "grad:"+p.Name())
	}
	u, err := m.unit(opt)
	if err != nil {
		t.Fatalf("%s: %v", m.Name, err)
	}
	c, err := u.compile()
	if err != nil {
		t.Fatalf("%s: %v", m.Name, err)
	}
	checkOperands(t, c)
	return c
}

// checkOperands: every instruction lowered from node n reads only the
// buffers of n's own inputs (or temporaries, or n's buffer itself), and
// writes only n's buffer, the buffer of the activation fused into n, or
// temporaries. A compiler that takes a node's inputs from a stale lookup
// wires another node's buffers and fails here.
func checkOperands(t *testing.T, c *compiler) {
	t.Helper()
	owner := map[kernels.BufID]*G.Node{}
	for n, id := range c.bufs {
		owner[id] = n
	}
	byLabel := map[string]*G.Node{}
	for _, n := range c.order {
		byLabel[fmt.Sprintf("%s %v", nodeLabel(n), n.Op())] = n
	}
	checked := 0
	for i, ins := range c.e.prog.Instrs {
		n, ok := byLabel[ins.Node]
		if !ok {
			continue // constant fills, the optimizer
		}
		checked++
		mine := map[*G.Node]bool{n: true}
		for _, k := range c.consumers[n] {
			if c.done[k] {
				mine[k] = true // the activation fused into n's epilogue
			}
		}
		reads := map[*G.Node]bool{}
		for k := range mine {
			reads[k] = true
		}
		for _, k := range children(n) {
			reads[k] = true
		}
		for _, id := range ins.In {
			if o, ok := owner[id]; ok && !reads[o] {
				t.Errorf("instr %d %v (node %s) reads b%d, the buffer of %s, which is not an input of the node", i, ins, describe(n), id, describe(o))
			}
		}
		for _, id := range ins.Out {
			if o, ok := owner[id]; ok && !mine[o] {
				t.Errorf("instr %d %v (node %s) writes b%d, the buffer of %s", i, ins, describe(n), id, describe(o))
			}
		}
	}
	if checked == 0 {
		t.Errorf("no instruction was lowered from a node")
	}
}

// runProgram loads the program on the cpu backend, writes the parameters'
// values and the feeds, runs the forward and backward segments, and returns
// the loss and each parameter's gradient.
func runProgram(t *testing.T, c *compiler, m *Model, feeds map[*G.Node]*tensor.Dense) (float64, [][]float32) {
	t.Helper()
	p := c.e.prog
	ex, err := loadCPU(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	for i, s := range p.Params {
		if err := ex.Write(s.Value, f32s(m.Params[i].Value())); err != nil {
			t.Fatal(err)
		}
	}
	for name, id := range p.Inputs {
		v, ok := feeds[c.u.inputs[name]]
		if !ok {
			t.Fatalf("no feed for input %q", name)
		}
		if err := ex.Write(id, f32s(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ex.Run(kernels.Segment{Start: 0, End: p.Backward.End}); err != nil {
		t.Fatal(err)
	}
	loss := []float32{0}
	if err := ex.Read(p.Loss, loss); err != nil {
		t.Fatal(err)
	}
	grads := make([][]float32, len(p.Params))
	for i, s := range p.Params {
		grads[i] = make([]float32, p.Buffers[s.Grad].Len)
		if err := ex.Read(p.Taps["grad:"+s.Name], grads[i]); err != nil {
			t.Fatal(err)
		}
	}
	return float64(loss[0]), grads
}

// agreeWithTapeMachine compiles m, runs it, runs the TapeMachine on the same
// graph with the same feeds, and compares the loss and every gradient
// (relative 1e-4 of the largest value, as the random-graph test does).
func agreeWithTapeMachine(t *testing.T, m *Model, feeds map[*G.Node]*tensor.Dense) (float64, [][]float32) {
	t.Helper()
	c := compileChecked(t, m)
	loss, grads := runProgram(t, c, m, feeds)
	for n, v := range feeds {
		if err := G.Let(n, v); err != nil {
			t.Fatal(err)
		}
	}
	vm := G.NewTapeMachine(m.G, G.BindDualValues(m.Params...))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatalf("%s: TapeMachine: %v", m.Name, err)
	}
	want := float64(f32s(m.Loss.Value())[0])
	if d := math.Abs(loss - want); d > 1e-4*math.Max(1, math.Abs(want)) || math.IsNaN(loss) {
		t.Errorf("%s: loss %.7g, TapeMachine %.7g", m.Name, loss, want)
	}
	for i, p := range m.Params {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		wantG := f32s(gv)
		if len(wantG) != len(grads[i]) {
			t.Fatalf("%s: grad %s has %d values, TapeMachine %d", m.Name, p.Name(), len(grads[i]), len(wantG))
		}
		var scale, worst float64
		for j := range wantG {
			scale = math.Max(scale, math.Abs(float64(wantG[j])))
			worst = math.Max(worst, math.Abs(float64(grads[i][j]-wantG[j])))
		}
		if worst > 1e-4*math.Max(scale, 1e-3) || math.IsNaN(worst) {
			t.Errorf("%s: grad %s: max error %.3g (scale %.3g)", m.Name, p.Name(), worst, scale)
		}
	}
	return loss, grads
}

// param adds a trainable float32 node with random values in [−1, 1).
func param(g *G.ExprGraph, rng *rand.Rand, name string, shape ...int) *G.Node {
	return nodeOf(g, name, randT(rng, -1, 1, shape...))
}

func placeholder(g *G.ExprGraph, name string, shape ...int) *G.Node {
	return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name))
}

func TestMSELossMatchesTapeMachine(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	g := G.NewGraph()
	x, y := placeholder(g, "x", 6, 3), placeholder(g, "y", 6, 2)
	w1, b1, w2 := param(g, rng, "w1", 4, 3), param(g, rng, "b1", 4), param(g, rng, "w2", 2, 4)
	h := G.Must(Tanh(G.Must(Dense(x, w1, b1))))
	pred := G.Must(Dense(h, w2, nil))
	loss := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(pred, y))))))
	m := &Model{Name: "regression", G: g, X: x, Labels: y, Target: FloatTargets, Logits: pred, Loss: loss,
		Params: []*G.Node{w1, b1, w2}}
	xv, yv := randT(rng, -1, 1, 6, 3), randT(rng, -2, 2, 6, 2)
	got, _ := agreeWithTapeMachine(t, m, map[*G.Node]*tensor.Dense{x: xv, y: yv})

	// And the loss is the mean squared error, by a float64 loop.
	w1d, b1d, w2d := f32s(w1.Value()), f32s(b1.Value()), f32s(w2.Value())
	var sum float64
	for r := 0; r < 6; r++ {
		var hid [4]float64
		for j := range hid {
			s := float64(b1d[j])
			for k := 0; k < 3; k++ {
				s += float64(f32s(xv)[r*3+k]) * float64(w1d[j*3+k])
			}
			hid[j] = math.Tanh(s)
		}
		for o := 0; o < 2; o++ {
			var s float64
			for j := range hid {
				s += hid[j] * float64(w2d[o*4+j])
			}
			d := s - float64(f32s(yv)[r*2+o])
			sum += d * d
		}
	}
	if want := sum / 12; math.Abs(got-want) > 1e-5*math.Max(1, want) {
		t.Errorf("MSE %.7g, float64 loop %.7g", got, want)
	}

	// A forward-only program with the hidden layer as a named output.
	m.Outputs = map[string]*G.Node{"hidden": h}
	p, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := loadCPU(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	for i, s := range p.Params {
		mustOK(t, ex.Write(s.Value, f32s(m.Params[i].Value())))
	}
	mustOK(t, ex.Write(p.Inputs["x"], f32s(xv)))
	mustOK(t, ex.Write(p.Inputs["labels"], f32s(yv)))
	mustOK(t, ex.Run(p.Forward))
	hidden := make([]float32, 6*4)
	mustOK(t, ex.Read(p.Taps["hidden"], hidden))
	want := make([]float64, len(hidden))
	for r := 0; r < 6; r++ {
		for j := 0; j < 4; j++ {
			s := float64(b1d[j])
			for k := 0; k < 3; k++ {
				s += float64(f32s(xv)[r*3+k]) * float64(w1d[j*3+k])
			}
			want[r*4+j] = math.Tanh(s)
		}
	}
	near(t, "output hidden", hidden, want, 1e-6, 1e-5)
}

// rosenbrock is f(a, b) = (1 − a)² + 100·(b − a²)², a surface to minimize
// with no data: the model has parameters and a loss, nothing else.
func rosenbrock(a0, b0 float32) *Model {
	g := G.NewGraph()
	a := G.NewScalar(g, tensor.Float32, G.WithName("a"), G.WithValue(a0))
	b := G.NewScalar(g, tensor.Float32, G.WithName("b"), G.WithValue(b0))
	one, hundred := G.NewConstant(float32(1)), G.NewConstant(float32(100))
	t1 := G.Must(G.Square(G.Must(G.Sub(one, a))))
	t2 := G.Must(G.Mul(hundred, G.Must(G.Square(G.Must(G.Sub(b, G.Must(G.Mul(a, a))))))))
	return &Model{Name: "rosenbrock", G: g, Loss: G.Must(G.Add(t1, t2)), Params: []*G.Node{a, b}}
}

func TestSurfaceWithNoDataMatchesTapeMachine(t *testing.T) {
	const a0, b0 = -0.5, 0.8
	m := rosenbrock(a0, b0)
	loss, grads := agreeWithTapeMachine(t, m, nil)
	// By hand: f = 2.25 + 100·0.55² = 32.5, ∂f/∂a = −2(1−a) − 400a(b−a²) = 107, ∂f/∂b = 200(b−a²) = 110.
	if math.Abs(loss-32.5) > 1e-4 || math.Abs(float64(grads[0][0])-107) > 1e-3 || math.Abs(float64(grads[1][0])-110) > 1e-3 {
		t.Errorf("f = %g, ∇f = (%g, %g); want 32.5, (107, 110)", loss, grads[0][0], grads[1][0])
	}
}

// TestSurfaceTrains runs the whole training program — forward, backward and
// the SGD update — 20 steps on the surface, against gradient descent in
// float64.
func TestSurfaceTrains(t *testing.T) {
	const lr = 1e-3
	m := rosenbrock(-0.5, 0.8)
	p, err := Compile(m, Options{Optimizer: &Optimizer{Kind: "sgd"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Inputs) != 0 || p.Logits >= 0 {
		t.Fatalf("a model with no data has inputs %v and logits b%d", p.Inputs, p.Logits)
	}
	ex, err := loadCPU(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	mustOK(t, ex.Write(p.Params[0].Value, []float32{-0.5}))
	mustOK(t, ex.Write(p.Params[1].Value, []float32{0.8}))
	a, b := -0.5, 0.8
	for step := 1; step <= 20; step++ {
		mustOK(t, ex.Write(p.Hyper, []float32{lr, float32(step)}))
		mustOK(t, ex.Run(kernels.Segment{Start: 0, End: p.Update.End}))
		loss := []float32{0}
		mustOK(t, ex.Read(p.Loss, loss))
		want := (1-a)*(1-a) + 100*(b-a*a)*(b-a*a)
		if math.Abs(float64(loss[0])-want) > 1e-4*want {
			t.Fatalf("step %d: loss %.7g, float64 descent %.7g", step, loss[0], want)
		}
		da, db := -2*(1-a)-400*a*(b-a*a), 200*(b-a*a)
		a, b = a-lr*da, b-lr*db
	}
	got := []float32{0, 0}
	mustOK(t, ex.Read(p.Params[0].Value, got[:1]))
	mustOK(t, ex.Read(p.Params[1].Value, got[1:]))
	if math.Abs(float64(got[0])-a) > 1e-4 || math.Abs(float64(got[1])-b) > 1e-4 {
		t.Errorf("after 20 steps (a, b) = (%g, %g), float64 descent (%g, %g)", got[0], got[1], a, b)
	}
}

// oneHot returns the one-hot rows of class indices.
func oneHot(labels *tensor.Dense, d int) *tensor.Dense {
	l := f32s(labels)
	out := make([]float32, len(l)*d)
	for i, c := range l {
		out[i*d+int(c)] = 1
	}
	return tensor.New(tensor.WithShape(len(l), d), tensor.WithBacking(out))
}

// TestOneHotCrossEntropy: gabor's loss with one-hot labels agrees with the
// TapeMachine, and with the same loss over class indices (an independent
// kernel: the fused softmax cross-entropy) on the loss and every gradient;
// the gorgonia-style loss on one-hot rows, −mean(log softmax ⊙ y), which
// gorgonia rewrites into its log-softmax, agrees with the TapeMachine too.
func TestOneHotCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewSource(15))
	const batch, in, classes = 5, 4, 3
	xv, lv := randT(rng, -1, 1, batch, in), labelsT(rng, batch, classes)
	build := func(name string, labelShape ...int) (*Model, map[*G.Node]*tensor.Dense) {
		r := rand.New(rand.NewSource(1)) // the same weights for both models
		g := G.NewGraph()
		x, y := placeholder(g, "x", batch, in), placeholder(g, "labels", labelShape...)
		w, b := param(g, r, "w", classes, in), param(g, r, "b", classes)
		logits := G.Must(Dense(x, w, b))
		m := &Model{Name: name, G: g, X: x, Labels: y, Logits: logits, Loss: G.Must(SoftmaxCrossEntropy(logits, y)),
			Params: []*G.Node{w, b}}
		feeds := map[*G.Node]*tensor.Dense{x: xv, y: lv}
		if len(labelShape) == 2 {
			m.Target, feeds[y] = OneHot, oneHot(lv, classes)
		}
		return m, feeds
	}
	mo, fo := build("one-hot", batch, classes)
	oneLoss, oneGrads := agreeWithTapeMachine(t, mo, fo)
	mc, fc := build("class-indices", batch)
	idxLoss, idxGrads := agreeWithTapeMachine(t, mc, fc)
	if math.Abs(oneLoss-idxLoss) > 1e-6*math.Max(1, idxLoss) {
		t.Errorf("one-hot loss %.7g, class-index loss %.7g", oneLoss, idxLoss)
	}
	for i := range idxGrads {
		near(t, fmt.Sprintf("one-hot grad %d vs class indices", i), oneGrads[i], toF64(idxGrads[i]), 1e-6, 1e-5)
	}

	// gorgonia's own way of writing it.
	g := G.NewGraph()
	x, y := placeholder(g, "x", batch, in), placeholder(g, "y", batch, classes)
	w, b := param(g, rng, "w", in, classes), param(g, rng, "b", classes)
	logits := G.Must(G.BroadcastAdd(G.Must(G.Mul(x, w)), b, nil, []byte{0}))
	prob := G.Must(G.SoftMax(logits))
	loss := G.Must(G.Neg(G.Must(G.Mean(G.Must(G.HadamardProd(G.Must(G.Log(prob)), y))))))
	m := &Model{Name: "gorgonia-onehot", G: g, X: x, Labels: y, Target: OneHot, Logits: logits, Loss: loss, Params: []*G.Node{w, b}}
	agreeWithTapeMachine(t, m, map[*G.Node]*tensor.Dense{x: xv, y: oneHot(lv, classes)})
}

func toF64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// staleLookups counts the nodes whose inputs, as gorgonia's graph table
// returns them by id, differ from the inputs the node holds.
func staleLookups(g *G.ExprGraph) int {
	stale := 0
	for _, n := range g.AllNodes() {
		var viaID G.Nodes
		for it := g.From(n.ID()); it != nil && it.Next(); {
			viaID = append(viaID, it.Node().(*G.Node))
		}
		own := children(n)
		same := len(viaID) == len(own)
		for i := 0; same && i < len(own); i++ {
			same = viaID[i] == own[i]
		}
		if !same {
			stale++
		}
	}
	return stale
}

// TestGraphsGorgoniaRewrote: graphs in which gorgonia removed nodes — its
// stabilizing rewrites (log of a sigmoid → softplus inside BinaryXent, log
// of a softmax → log-softmax) and its double-negation rewrite — compile with
// every operand wired to the node's own inputs, and agree with the
// TapeMachine. The stale-lookup count shows each graph really has nodes
// whose id lookup returns another node's inputs.
func TestGraphsGorgoniaRewrote(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	type feeds = map[*G.Node]*tensor.Dense
	binary := func(rows int) *tensor.Dense { // targets of 0 and 1
		y := randT(rng, 0, 1, rows, 1)
		for i, v := range f32s(y) {
			f32s(y)[i] = float32(math.Round(float64(v)))
		}
		return y
	}
	cases := []struct {
		stale bool // the graph has nodes whose id lookup is stale
		build func() (*Model, feeds)
	}{
		{true, func() (*Model, feeds) { // logistic regression with BinaryXent
			g := G.NewGraph()
			x, y := placeholder(g, "x", 8, 3), placeholder(g, "y", 8, 1)
			w := param(g, rng, "w", 3, 1)
			out := G.Must(G.Sigmoid(G.Must(G.Mul(x, w))))
			loss := G.Must(G.Mean(G.Must(G.BinaryXent(out, y))))
			return &Model{Name: "logistic-binary-xent", G: g, X: x, Labels: y, Target: FloatTargets, Logits: out, Loss: loss,
				Params: []*G.Node{w}}, feeds{x: randT(rng, -2, 2, 8, 3), y: binary(8)}
		}},
		{true, func() (*Model, feeds) { // a hidden layer under BinaryXent
			g := G.NewGraph()
			x, y := placeholder(g, "x", 6, 5), placeholder(g, "y", 6, 1)
			w1, w2 := param(g, rng, "w1", 5, 4), param(g, rng, "w2", 4, 1)
			h := G.Must(G.Tanh(G.Must(G.Mul(x, w1))))
			out := G.Must(G.Sigmoid(G.Must(G.Mul(h, w2))))
			loss := G.Must(G.Mean(G.Must(G.BinaryXent(out, y))))
			return &Model{Name: "mlp-binary-xent", G: g, X: x, Labels: y, Target: FloatTargets, Logits: out, Loss: loss,
				Params: []*G.Node{w1, w2}}, feeds{x: randT(rng, -1, 1, 6, 5), y: binary(6)}
		}},
		{false, func() (*Model, feeds) { // −(−x·w), then a log of a softmax rewritten to log-softmax
			g := G.NewGraph()
			x, y := placeholder(g, "x", 4, 5), placeholder(g, "y", 4, 3)
			w := param(g, rng, "w", 5, 3)
			h := G.Must(G.Neg(G.Must(G.Neg(G.Must(G.Mul(x, w))))))
			loss := G.Must(G.Neg(G.Must(G.Mean(G.Must(G.HadamardProd(G.Must(G.Log(G.Must(G.SoftMax(h)))), y))))))
			return &Model{Name: "neg-neg-logsoftmax", G: g, X: x, Labels: y, Target: OneHot, Logits: h, Loss: loss,
				Params: []*G.Node{w}}, feeds{x: randT(rng, -1, 1, 4, 5), y: oneHot(labelsT(rng, 4, 3), 3)}
		}},
	}
	for _, tc := range cases {
		m, f := tc.build()
		t.Run(m.Name, func(t *testing.T) {
			agreeWithTapeMachine(t, m, f)
			if n := staleLookups(m.G); tc.stale && n == 0 {
				t.Errorf("no node's id lookup is stale: the graph does not exercise the bug")
			}
		})
	}
}

func TestFloat64GraphIsRefused(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("x64"))
	w := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 2), G.WithName("w64"), G.WithInit(G.Gaussian(0, 1)))
	loss := G.Must(G.Sum(G.Must(G.Mul(x, w))))
	_, err := Compile(&Model{Name: "f64", G: g, X: x, Loss: loss, Params: []*G.Node{w}}, Options{Optimizer: &Optimizer{}})
	if err == nil || !strings.Contains(err.Error(), `"w64"`) || !strings.Contains(err.Error(), "float64") {
		t.Errorf("a float64 parameter: got %v, want an error naming w64 and float64", err)
	}
	// A float64 computation over float32 data is refused at its node.
	g = G.NewGraph()
	x = placeholder(g, "x", 2, 3)
	c := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("c64"), G.WithInit(G.Zeroes()))
	sum := G.Must(G.Sum(c))
	_, err = Compile(&Model{Name: "f64b", G: g, X: x, Loss: sum}, Options{})
	if err == nil || !strings.Contains(err.Error(), "float64") || !strings.Contains(err.Error(), "id ") {
		t.Errorf("a float64 node: got %v, want an error naming the node, its id and float64", err)
	}
}

// TestLeavesNobodyWrites: a leaf that is neither a parameter nor a declared
// input is folded when it is a constant of one value, built on the device
// when it is a constant of a few runs of values (and then agrees with the
// TapeMachine, which reads that value), and is an error naming it otherwise
// — never an input that reads zeros.
func TestLeavesNobodyWrites(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	mk := func(extra *G.Node, g *G.ExprGraph, x, w *G.Node) *Model {
		loss := G.Must(G.Mean(G.Must(G.HadamardProd(G.Must(G.Mul(x, w)), extra))))
		return &Model{Name: "leaf", G: g, X: x, Loss: loss, Params: []*G.Node{w}}
	}
	setup := func() (*G.ExprGraph, *G.Node, *G.Node) {
		g := G.NewGraph()
		return g, placeholder(g, "x", 3, 4), param(g, rng, "w", 4, 2)
	}

	// A value of one repeated number, as a variable and as a gorgonia constant: folded.
	g, x, w := setup()
	halves := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float32{.5, .5, .5, .5, .5, .5}))
	m := mk(G.NewMatrix(g, tensor.Float32, G.WithShape(3, 2), G.WithName("halves"), G.WithValue(halves)), g, x, w)
	agreeWithTapeMachine(t, m, map[*G.Node]*tensor.Dense{x: randT(rng, -1, 1, 3, 4)})
	g, x, w = setup()
	m = mk(G.NewConstant(tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float32{2, 2, 2, 2, 2, 2}))), g, x, w)
	agreeWithTapeMachine(t, m, map[*G.Node]*tensor.Dense{x: randT(rng, -1, 1, 3, 4)})

	// Values that differ: built on the device from runs, as a variable and
	// as a gorgonia constantTensor (an identity matrix).
	g, x, w = setup()
	m = mk(nodeOf(g, "mixed", randT(rng, -1, 1, 3, 2)), g, x, w)
	agreeWithTapeMachine(t, m, map[*G.Node]*tensor.Dense{x: randT(rng, -1, 1, 3, 4)})
	g = G.NewGraph()
	x, w = placeholder(g, "x", 3, 4), param(g, rng, "w", 4, 4)
	eye := tensor.New(tensor.WithShape(4, 4), tensor.WithBacking([]float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1}))
	m = &Model{Name: "leaf", G: g, X: x, Params: []*G.Node{w},
		Loss: G.Must(G.Mean(G.Must(G.Square(G.Must(G.Mul(G.Must(G.Mul(x, w)), G.NewConstant(eye)))))))}
	agreeWithTapeMachine(t, m, map[*G.Node]*tensor.Dense{x: randT(rng, -1, 1, 3, 4)})
	// Too many runs, or a NaN among other values: an error naming the node.
	for _, bad := range []*tensor.Dense{randT(rng, -1, 1, 3, 40), tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float32{1, 2, float32(math.NaN()), 1, 1, 1}))} {
		g, x, w = setup()
		if bad.Shape()[1] == 40 {
			w = param(g, rng, "w", 4, 40)
		}
		m = mk(nodeOf(g, "mixed", bad), g, x, w)
		if _, err := Compile(m, Options{}); err == nil || !strings.Contains(err.Error(), `"mixed"`) || !strings.Contains(err.Error(), "Model.Inputs") {
			t.Errorf("a constant of %d values: got %v, want an error naming it", bad.Shape().TotalSize(), err)
		}
	}
	// A placeholder nobody declared: unbound.
	g, x, w = setup()
	m = mk(placeholder(g, "forgotten", 3, 2), g, x, w)
	if _, err := Compile(m, Options{}); err == nil || !strings.Contains(err.Error(), `"forgotten"`) || !strings.Contains(err.Error(), "unbound input") {
		t.Errorf("an undeclared placeholder: got %v, want an unbound-input error naming it", err)
	}
	// Declared in Inputs, it is an input under its name.
	g, x, w = setup()
	mask := placeholder(g, "mask", 3, 2)
	m = mk(mask, g, x, w)
	m.Inputs = map[string]*G.Node{"mask": mask}
	agreeWithTapeMachine(t, m, map[*G.Node]*tensor.Dense{x: randT(rng, -1, 1, 3, 4), mask: randT(rng, 0, 1, 3, 2)})
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSharedGradients: parameters whose gradients gorgonia gives as one node
// (the two terms of a sum) or as a constant (a parameter the loss reads
// linearly) each get a gradient buffer of their own, and the program agrees
// with the TapeMachine.
func TestSharedGradients(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	g := G.NewGraph()
	a, b := param(g, rng, "a", 2, 3), param(g, rng, "b", 2, 3)
	s := G.NewScalar(g, tensor.Float32, G.WithName("s"), G.WithValue(float32(0.3)))
	loss := G.Must(G.Add(G.Must(G.Sum(G.Must(G.Add(a, b)))), s))
	m := &Model{Name: "shared", G: g, Loss: loss, Params: []*G.Node{a, b, s}}
	_, grads := agreeWithTapeMachine(t, m, nil)
	for i, gr := range grads {
		for _, v := range gr {
			if v != 1 {
				t.Fatalf("grad %d = %v, want all ones", i, gr)
			}
		}
	}
	p, err := Compile(m, Options{Optimizer: &Optimizer{Kind: "sgd"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Params[0].Grad == p.Params[1].Grad {
		t.Errorf("two parameters share the gradient buffer b%d", p.Params[0].Grad)
	}
}
