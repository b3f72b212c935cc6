package models_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The oracle: the same network written with gorgonia's built-in ops (as a
// user of plain gorgonia would write it), run by gorgonia's TapeMachine.
type oracle struct {
	g      *G.ExprGraph
	x, y   *G.Node // images, one-hot labels
	logits *G.Node
	cost   *G.Node
	params []*G.Node // same order as the zoo model's
	transp []bool    // the oracle holds this parameter transposed ([in, out])
}

func dense(v []float32, shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]float32(nil), v...)))
}

// transpose2 returns the [c, r] transpose of an [r, c] matrix.
func transpose2(v []float32, r, c int) []float32 {
	out := make([]float32, len(v))
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out[j*r+i] = v[i*c+j]
		}
	}
	return out
}

// newOracle builds the builtin-op twin of a zoo model with its weights.
func newOracle(t *testing.T, m *graph.Model) *oracle {
	t.Helper()
	vals, err := models.ParamValues(m)
	if err != nil {
		t.Fatal(err)
	}
	o := &oracle{g: G.NewGraph()}
	g := o.g
	bs := m.Batch()
	pi := 0
	next := func() (*G.Node, *G.Node, []int) {
		w, b := m.Params[pi], m.Params[pi+1]
		ws := w.Shape()
		var wn *G.Node
		if len(ws) == 2 { // Linear: hold [in, out] for x·W
			wn = G.NewMatrix(g, tensor.Float32, G.WithShape(ws[1], ws[0]), G.WithName(w.Name()),
				G.WithValue(dense(transpose2(vals[pi], ws[0], ws[1]), ws[1], ws[0])))
			bn := G.NewVector(g, tensor.Float32, G.WithShape(ws[0]), G.WithName(b.Name()), G.WithValue(dense(vals[pi+1], ws[0])))
			o.params = append(o.params, wn, bn)
			o.transp = append(o.transp, true, false)
			pi += 2
			return wn, bn, ws
		}
		wn = G.NewTensor(g, tensor.Float32, 4, G.WithShape(ws...), G.WithName(w.Name()), G.WithValue(dense(vals[pi], ws...)))
		bn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, ws[0], 1, 1), G.WithName(b.Name()), G.WithValue(dense(vals[pi+1], 1, ws[0], 1, 1)))
		o.params = append(o.params, wn, bn)
		o.transp = append(o.transp, false, false)
		pi += 2
		return wn, bn, ws
	}
	linear := func(h *G.Node) *G.Node {
		w, b, _ := next()
		return G.Must(G.BroadcastAdd(G.Must(G.Mul(h, w)), b, nil, []byte{0}))
	}
	conv := func(h *G.Node, pad int) *G.Node {
		w, b, ws := next()
		c := G.Must(G.Conv2d(h, w, tensor.Shape{ws[2], ws[3]}, []int{pad, pad}, []int{1, 1}, []int{1, 1}))
		return G.Must(G.BroadcastAdd(c, b, nil, []byte{0, 2, 3}))
	}
	relu := func(h *G.Node) *G.Node { return G.Must(G.Rectify(h)) }
	pool := func(h *G.Node) *G.Node {
		return G.Must(G.MaxPool2D(h, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
	}
	var h *G.Node
	switch m.Name {
	case "mlp":
		o.x = G.NewMatrix(g, tensor.Float32, G.WithShape(bs, 784), G.WithName("x"))
		h = relu(linear(o.x))
		h = relu(linear(h))
		h = linear(h)
	case "lenet":
		o.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(bs, 1, 28, 28), G.WithName("x"))
		h = pool(relu(conv(o.x, 2)))
		h = pool(relu(conv(h, 0)))
		h = G.Must(G.Reshape(h, tensor.Shape{bs, 400}))
		h = relu(linear(h))
		h = relu(linear(h))
		h = linear(h)
	case "convnet":
		o.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(bs, 1, 28, 28), G.WithName("x"))
		h = relu(conv(o.x, 1))
		h = pool(relu(conv(h, 1)))
		h = relu(conv(h, 1))
		h = pool(relu(conv(h, 1)))
		h = G.Must(G.Reshape(h, tensor.Shape{bs, 3136}))
		h = relu(linear(h))
		h = linear(h)
	default:
		t.Fatalf("no oracle for %s", m.Name)
	}
	o.logits = h
	o.y = G.NewMatrix(g, tensor.Float32, G.WithShape(bs, 10), G.WithName("y"))
	logp := G.Must(G.LogSoftMax(h))
	nll := G.Must(G.Neg(G.Must(G.Sum(G.Must(G.HadamardProd(logp, o.y))))))
	o.cost = G.Must(G.HadamardDiv(nll, G.NewConstant(float32(bs))))
	if _, err := G.Grad(o.cost, o.params...); err != nil {
		t.Fatal(err)
	}
	return o
}

// batch makes a deterministic random batch: images and labels.
func batch(m *graph.Model, seed uint64) (x, labels, onehot []float32) {
	rng := rand.New(rand.NewPCG(seed, 7))
	bs := m.Batch()
	x = make([]float32, bs*784)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	labels = make([]float32, bs)
	onehot = make([]float32, bs*10)
	for i := range labels {
		l := rng.IntN(10)
		labels[i] = float32(l)
		onehot[i*10+l] = 1
	}
	return
}

// runOracle returns the TapeMachine's loss and gradients (in the zoo's layout).
func runOracle(t *testing.T, o *oracle, x, onehot []float32) (float64, [][]float32) {
	t.Helper()
	if err := G.Let(o.x, dense(x, o.x.Shape()...)); err != nil {
		t.Fatal(err)
	}
	if err := G.Let(o.y, dense(onehot, o.y.Shape()...)); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(o.g, G.BindDualValues(o.params...))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	loss := float64(o.cost.Value().Data().(float32))
	grads := make([][]float32, len(o.params))
	for i, p := range o.params {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		d := append([]float32(nil), gv.Data().([]float32)...)
		if o.transp[i] {
			s := p.Shape()
			d = transpose2(d, s[0], s[1])
		}
		grads[i] = d
	}
	return loss, grads
}

// runProgram compiles m (with gradient taps), runs forward and backward on
// the cpu backend, and returns the loss, the gradients and the program.
func runProgram(t *testing.T, m *graph.Model, x, labels []float32, opt graph.Options) (float64, [][]float32, *kernels.Program) {
	t.Helper()
	opt.Optimizer = &graph.Optimizer{Kind: "sgd", Momentum: 0.9}
	for _, p := range m.Params {
		opt.Taps = append(opt.Taps, "grad:"+p.Name())
	}
	p, err := graph.Compile(m, opt)
	if err != nil {
		t.Fatal(err)
	}
	be, err := kernels.Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := be.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	vals, err := models.ParamValues(m)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range p.Params {
		must(t, ex.Write(s.Value, vals[i]))
	}
	must(t, ex.Write(p.Inputs["x"], x))
	if id, ok := p.Inputs["labels"]; ok {
		must(t, ex.Write(id, labels))
	}
	must(t, ex.Run(kernels.Segment{Start: p.Forward.Start, End: p.Backward.End}))
	loss := make([]float32, 1)
	must(t, ex.Read(p.Loss, loss))
	grads := make([][]float32, len(p.Params))
	for i, s := range p.Params {
		grads[i] = make([]float32, p.Buffers[s.Grad].Len)
		must(t, ex.Read(p.Taps["grad:"+s.Name], grads[i]))
	}
	return float64(loss[0]), grads, p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// closeRel checks max|got−want| ≤ rel·max|want| (a tensor-wide relative error:
// entries near zero are judged against the tensor's scale).
func closeRel(got, want []float32, rel float64) (float64, int) {
	var scale, worst float64
	wi := -1
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d > worst || math.IsNaN(d) {
			worst, wi = d, i
		}
	}
	if scale == 0 {
		return worst, wi
	}
	return worst / scale, wi
}

// TestZooMatchesTapeMachine: for every zoo model, the compiled Program and
// gorgonia's TapeMachine running the builtin-op twin agree on the loss and
// every parameter gradient within 1e-4 relative.
func TestZooMatchesTapeMachine(t *testing.T) {
	for _, name := range []string{"mlp", "lenet", "convnet"} {
		for _, fusion := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/fusion=%v", name, fusion), func(t *testing.T) {
				bs := 8
				m, err := models.New(name, bs, 3)
				must(t, err)
				o := newOracle(t, m)
				x, labels, onehot := batch(m, 11)
				wantLoss, wantGrads := runOracle(t, o, x, onehot)
				gotLoss, gotGrads, p := runProgram(t, m, x, labels, graph.Options{NoFusion: !fusion})
				if r := math.Abs(gotLoss-wantLoss) / math.Abs(wantLoss); r > 1e-4 || math.IsNaN(gotLoss) {
					t.Errorf("loss: program %.7f, TapeMachine %.7f (rel %.2g)", gotLoss, wantLoss, r)
				}
				for i, s := range p.Params {
					if r, wi := closeRel(gotGrads[i], wantGrads[i], 1e-4); r > 1e-4 || wi < 0 && len(wantGrads[i]) > 0 && r != 0 {
						t.Errorf("grad %s: rel error %.3g at %d: program %g, TapeMachine %g", s.Name, r, wi, gotGrads[i][max(wi, 0)], wantGrads[i][max(wi, 0)])
					}
				}
				t.Logf("loss %.6f; arena %d floats vs naive %d (%.0f%%), %d instructions",
					gotLoss, p.ArenaLen, p.NaiveLen(), 100*float64(p.ArenaLen)/float64(p.NaiveLen()), len(p.Instrs))
			})
		}
	}
}

// TestBuiltinGraphCompiles: the oracle's own graph, written with gorgonia's
// built-ins, compiles and its Program agrees with the TapeMachine on it.
func TestBuiltinGraphCompiles(t *testing.T) {
	for _, name := range []string{"mlp", "lenet"} {
		t.Run(name, func(t *testing.T) {
			m, err := models.New(name, 4, 5)
			must(t, err)
			o := newOracle(t, m)
			x, _, onehot := batch(m, 13)
			wantLoss, wantGrads := runOracle(t, o, x, onehot)
			bm := &graph.Model{Name: name + "-builtin", G: o.g, X: o.x, Labels: o.y, Logits: o.logits, Loss: o.cost, Params: o.params}
			gotLoss, gotGrads, p := runProgram(t, bm, x, onehot, graph.Options{})
			if r := math.Abs(gotLoss-wantLoss) / math.Abs(wantLoss); r > 1e-4 {
				t.Errorf("loss: program %.7f, TapeMachine %.7f", gotLoss, wantLoss)
			}
			for i, s := range p.Params {
				want := wantGrads[i]
				if o.transp[i] { // runOracle returned it in the zoo layout: undo
					sh := o.params[i].Shape()
					want = transpose2(want, sh[1], sh[0])
				}
				if r, wi := closeRel(gotGrads[i], want, 1e-4); r > 1e-4 {
					t.Errorf("grad %s: rel error %.3g at %d", s.Name, r, wi)
				}
			}
		})
	}
}
