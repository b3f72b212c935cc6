package graph_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// randomModel builds a random network from the supported ops: a few
// convolution stages (conv with or without bias, any activation — gabor's or
// gorgonia's, LeakyRelu and Abs among them — max or average pooling,
// sometimes a residual sum that gives a node two consumers, sometimes
// gorgonia's Concat along the channels and a Slice of it, sometimes
// gorgonia's BatchNorm after the convolution), a flatten, a few
// dense layers (sometimes sliced), and the fused loss.
func randomModel(rng *rand.Rand) (*graph.Model, string) {
	g := G.NewGraph()
	b := 1 + rng.IntN(4)
	c, h, w := 1+rng.IntN(3), 5+rng.IntN(8), 5+rng.IntN(8)
	desc := fmt.Sprintf("x[%d,%d,%d,%d]", b, c, h, w)
	m := &graph.Model{Name: "random", G: g}
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(b, c, h, w), G.WithName("x"))
	m.X = x
	param := func(fanIn int, shape ...int) *G.Node {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		bound := 1.5 / math.Sqrt(float64(fanIn))
		for i := range v {
			v[i] = float32((2*rng.Float64() - 1) * bound)
		}
		p := G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...),
			G.WithName(fmt.Sprintf("p%d", len(m.Params))),
			G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
		m.Params = append(m.Params, p)
		return p
	}
	act := func(n *G.Node) *G.Node {
		switch rng.IntN(8) {
		case 0:
			desc += " relu"
			return G.Must(graph.ReLU(n))
		case 1:
			desc += " sigmoid"
			return G.Must(graph.Sigmoid(n))
		case 2:
			desc += " tanh"
			return G.Must(graph.Tanh(n))
		case 3:
			desc += " G.tanh"
			return G.Must(G.Tanh(n))
		case 4:
			desc += " G.sigmoid"
			return G.Must(G.Sigmoid(n))
		case 5:
			desc += " G.leakyrelu"
			return G.Must(G.LeakyRelu(n, 0.1))
		case 6:
			desc += " G.abs"
			return G.Must(G.Abs(n))
		}
		return n
	}
	cur := x
	for stage := rng.IntN(3); stage > 0; stage-- {
		s := cur.Shape()
		k, r := 1+rng.IntN(4), 1+rng.IntN(3)
		stride, pad := 1+rng.IntN(2), rng.IntN(2)
		if s[2]+2*pad < r || s[3]+2*pad < r {
			break
		}
		wt := param(s[1]*r*r, k, s[1], r, r)
		var bias *G.Node
		if rng.IntN(2) == 0 {
			bias = param(s[1]*r*r, k)
		}
		desc += fmt.Sprintf(" conv(k%d r%d s%d p%d bias=%v)", k, r, stride, pad, bias != nil)
		cur = G.Must(graph.Conv2D(cur, wt, bias, [2]int{stride, stride}, [2]int{pad, pad}))
		// gorgonia's BatchNorm, per-channel scale and bias. Not after a
		// bias or a filter of one tap: BatchNorm's output does not depend
		// on a per-channel shift, nor on w when each channel is w·x, so
		// their true gradient is 0 and both sides return float32 noise.
		if cs := cur.Shape(); cs[0]*cs[2]*cs[3] >= 4 && s[1]*r*r > 1 && bias == nil && rng.IntN(3) == 0 {
			desc += " batchnorm"
			gamma, beta := param(4, 1, cs[1], 1, 1), param(4, 1, cs[1], 1, 1)
			bn, _, _, _, err := G.BatchNorm(cur, gamma, beta, 0.1, 1e-5)
			if err != nil {
				panic(err)
			}
			cur = bn
		}
		cur = act(cur)
		if rng.IntN(3) == 0 { // a second consumer of cur: gradient accumulation
			desc += " +residual"
			cur = G.Must(G.Add(cur, G.Must(graph.Tanh(cur))))
		}
		if rng.IntN(3) == 0 { // gorgonia's Concat along the channels, sometimes sliced back
			desc += " concat"
			cur = G.Must(G.Concat(1, cur, G.Must(G.LeakyRelu(cur, 0.2))))
			if k := cur.Shape()[1]; k > 2 && rng.IntN(2) == 0 { // one channel would drop the axis
				desc += fmt.Sprintf(" slice[1:%d]", k)
				cur = G.Must(G.Slice(cur, nil, G.S(1, k)))
			}
		}
		s = cur.Shape()
		if s[2] >= 2 && s[3] >= 2 {
			switch rng.IntN(3) {
			case 0:
				desc += " maxpool"
				cur = G.Must(graph.MaxPool2D(cur, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}))
			case 1:
				desc += " avgpool"
				cur = G.Must(graph.AvgPool2D(cur, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}))
			}
		}
	}
	cur = G.Must(graph.Flatten(cur))
	classes := 2 + rng.IntN(5)
	for layer := rng.IntN(3); layer >= 0; layer-- {
		in := cur.Shape()[1]
		out := classes
		if layer > 0 {
			out = 1 + rng.IntN(12)
		}
		wt := param(in, out, in)
		var bias *G.Node
		if rng.IntN(3) > 0 {
			bias = param(in, out)
		}
		desc += fmt.Sprintf(" dense(%d→%d bias=%v)", in, out, bias != nil)
		cur = G.Must(graph.Dense(cur, wt, bias))
		if layer > 0 {
			cur = act(cur)
			if w := cur.Shape()[1]; w > 2 && rng.IntN(4) == 0 { // a slice of one would drop the axis
				desc += fmt.Sprintf(" slice[:%d]", w-1)
				cur = G.Must(G.Slice(cur, nil, G.S(0, w-1)))
			}
		}
	}
	m.Logits = cur
	m.Labels = G.NewVector(g, tensor.Float32, G.WithShape(b), G.WithName("labels"))
	m.Loss = G.Must(graph.SoftmaxCrossEntropy(cur, m.Labels))
	return m, desc
}

// TestRandomGraphsMatchTapeMachine is the differential test: 120 random
// graphs, each compiled and run on the cpu backend, against gorgonia's
// TapeMachine executing the same graph op by op.
func TestRandomGraphsMatchTapeMachine(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 11))
	drawn := map[string]int{}
	defer func() { // the graphs exercise gorgonia's ops, not only gabor's
		for _, op := range []string{"G.leakyrelu", "G.abs", "concat", "slice", "G.tanh", "batchnorm"} {
			if drawn[op] == 0 {
				t.Errorf("no random graph used %s", op)
			}
		}
	}()
	for i := 0; i < 120; i++ {
		m, desc := randomModel(rng)
		for _, op := range []string{"G.leakyrelu", "G.abs", "concat", "slice", "G.tanh", "batchnorm"} {
			if strings.Contains(desc, op) {
				drawn[op]++
			}
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			b := m.Batch()
			xs := m.X.Shape()
			x := make([]float32, xs.TotalSize())
			for k := range x {
				x[k] = float32(rng.NormFloat64())
			}
			classes := m.Logits.Shape()[1]
			labels := make([]float32, b)
			for k := range labels {
				labels[k] = float32(rng.IntN(classes))
			}

			// The program first (Compile adds the gradient nodes).
			opt := graph.Options{Optimizer: &graph.Optimizer{Kind: "sgd"}}
			for _, p := range m.Params {
				opt.Taps = append(opt.Taps, "grad:"+p.Name())
			}
			p, err := graph.Compile(m, opt)
			if err != nil {
				t.Fatalf("%s: %v", desc, err)
			}
			be, _ := kernels.Open("cpu")
			ex, err := be.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			defer ex.Close()
			for k, s := range p.Params {
				check(t, ex.Write(s.Value, m.Params[k].Value().Data().([]float32)))
			}
			check(t, ex.Write(p.Inputs["x"], x))
			check(t, ex.Write(p.Inputs["labels"], labels))
			if p.Ctl >= 0 { // training mode (BatchNorm's batch statistics), as the TapeMachine runs
				check(t, ex.Write(p.Ctl, []float32{1, 0}))
			}
			check(t, ex.Run(kernels.Segment{Start: 0, End: p.Backward.End}))
			loss := []float32{0}
			check(t, ex.Read(p.Loss, loss))

			// The oracle on the very same graph.
			check(t, G.Let(m.X, tensor.New(tensor.WithShape(xs...), tensor.WithBacking(x))))
			check(t, G.Let(m.Labels, tensor.New(tensor.WithShape(b), tensor.WithBacking(labels))))
			vm := G.NewTapeMachine(m.G, G.BindDualValues(m.Params...))
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatalf("%s: TapeMachine: %v", desc, err)
			}
			want := float64(m.Loss.Value().Data().(float32))
			if d := math.Abs(float64(loss[0]) - want); d > 1e-4*math.Max(1, math.Abs(want)) {
				t.Errorf("%s: loss %g, TapeMachine %g", desc, loss[0], want)
			}
			for k, s := range p.Params {
				gv, err := m.Params[k].Grad()
				check(t, err)
				wantG := gv.Data().([]float32)
				got := make([]float32, len(wantG))
				check(t, ex.Read(p.Taps["grad:"+s.Name], got))
				var scale, worst float64
				for j := range wantG {
					scale = math.Max(scale, math.Abs(float64(wantG[j])))
					worst = math.Max(worst, math.Abs(float64(got[j]-wantG[j])))
				}
				if worst > 1e-4*math.Max(scale, 1e-3) || math.IsNaN(worst) {
					t.Errorf("%s: grad %s: max error %.3g (scale %.3g)", desc, s.Name, worst, scale)
				}
			}
		})
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
