package graph

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// runWith compiles m with the listed taps, runs forward and backward on the
// cpu backend in the given mode (ctl = [training, step]) and returns the
// tapped values and the model's Outputs.
func runWith(t *testing.T, m *Model, ctl []float32, taps ...string) map[string][]float32 {
	t.Helper()
	var opt []string
	for _, name := range taps {
		if _, isOutput := m.Outputs[name]; !isOutput {
			opt = append(opt, name)
		}
	}
	p, err := Compile(m, Options{Optimizer: &Optimizer{Kind: "sgd"}, Taps: opt})
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
	if p.Ctl >= 0 {
		mustOK(t, ex.Write(p.Ctl, ctl))
	}
	mustOK(t, ex.Run(kernels.Segment{Start: 0, End: p.Backward.End}))
	out := map[string][]float32{}
	for _, name := range taps {
		id := p.Taps[name]
		out[name] = make([]float32, p.Buffers[id].Len)
		mustOK(t, ex.Read(id, out[name]))
	}
	return out
}

// TestGorgoniaDropoutProperties: gorgonia's Dropout compiles to gabor's
// counter-based mask. In training, each output is 0 or x/(1−p), the keep
// rate is 1−p within 4σ, the gradient flows through the kept units only,
// scaled by 1/(1−p), and another step draws another mask; in evaluation it
// is the identity. The TapeMachine keeps the same rate and scaling forward,
// and its gradient shows gorgonia v0.9.18 scaling by 1/p (docs/gorgonia.md).
func TestGorgoniaDropoutProperties(t *testing.T) {
	const p, rows, cols = 0.3, 100, 100
	rng := rand.New(rand.NewSource(11))
	build := func() *Model {
		g := G.NewGraph()
		x := nodeOf(g, "x", randT(rng, 0.5, 1.5, rows, cols))
		w := param(g, rng, "w", rows, cols)
		y := G.Must(G.Dropout(x, p))
		loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, w))))
		return &Model{Name: "dropout", G: g, Loss: loss, Params: []*G.Node{x, w}, Outputs: map[string]*G.Node{"y": y}}
	}
	m := build()
	xs, ws := f32s(m.Params[0].Value()), f32s(m.Params[1].Value())
	scale := float32(1 / (1 - float32(p)))
	check := func(got map[string][]float32, label string) []bool {
		kept := make([]bool, len(xs))
		n := 0
		for i, y := range got["y"] {
			switch {
			case y == 0:
			case math.Abs(float64(y-xs[i]*scale)) <= 1e-6*float64(xs[i]*scale):
				kept[i] = true
				n++
			default:
				t.Fatalf("%s: y[%d] = %g, want 0 or x/(1−p) = %g", label, i, y, xs[i]*scale)
			}
			wantGX := float32(0)
			if kept[i] {
				wantGX = ws[i] * scale
			}
			if d := math.Abs(float64(got["grad:x"][i] - wantGX)); d > 1e-6 {
				t.Fatalf("%s: grad x[%d] = %g, want %g", label, i, got["grad:x"][i], wantGX)
			}
			if got["grad:w"][i] != y {
				t.Fatalf("%s: grad w[%d] = %g, want y = %g", label, i, got["grad:w"][i], y)
			}
		}
		rate, sigma := float64(n)/float64(len(xs)), math.Sqrt(p*(1-p)/float64(len(xs)))
		if math.Abs(rate-(1-p)) > 4*sigma {
			t.Errorf("%s: keep rate %.4f, want %.2f ± %.4f", label, rate, 1-p, 4*sigma)
		}
		return kept
	}
	taps := []string{"y", "grad:x", "grad:w"}
	k5 := check(runWith(t, m, []float32{1, 5}, taps...), "step 5")
	k6 := check(runWith(t, m, []float32{1, 6}, taps...), "step 6")
	same := 0
	for i := range k5 {
		if k5[i] == k6[i] {
			same++
		}
	}
	if same == len(k5) {
		t.Errorf("steps 5 and 6 drew the same mask")
	}
	eval := runWith(t, m, []float32{0, 5}, taps...)
	for i, y := range eval["y"] {
		if y != xs[i] || eval["grad:x"][i] != ws[i] {
			t.Fatalf("evaluation: y[%d] = %g, grad x = %g; want x = %g, w = %g", i, y, eval["grad:x"][i], xs[i], ws[i])
		}
	}

	// The TapeMachine on its own (clock-seeded) mask.
	m = build()
	xs, ws = f32s(m.Params[0].Value()), f32s(m.Params[1].Value())
	if _, err := G.Grad(m.Loss, m.Params...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(m.G, G.BindDualValues(m.Params...))
	defer vm.Close()
	mustOK(t, vm.RunAll())
	ys := f32s(m.Outputs["y"].Value())
	gx, err := m.Params[0].Grad()
	mustOK(t, err)
	kept := 0
	for i, y := range ys {
		if y == 0 {
			continue
		}
		kept++
		if math.Abs(float64(y-xs[i]*scale)) > 1e-6*float64(xs[i]*scale) {
			t.Fatalf("TapeMachine: y[%d] = %g, want x/(1−p) = %g", i, y, xs[i]*scale)
		}
		if g := f32s(gx)[i]; math.Abs(float64(g-ws[i]/p)) > 1e-5*math.Abs(float64(ws[i]/p)) {
			t.Fatalf("TapeMachine: grad x[%d] = %g; gorgonia v0.9.18 scales by 1/p: want %g", i, g, ws[i]/p)
		}
	}
	if rate := float64(kept) / float64(len(ys)); math.Abs(rate-(1-p)) > 0.02 {
		t.Errorf("TapeMachine: keep rate %.4f, want %.2f", rate, 1-p)
	}
}

// TestGorgoniaAveragePool: AveragePool2D compiles to the average over each
// window (padding counted), forward and gradient checked against a float64
// loop; the TapeMachine divides by the input's width instead (gorgonia
// v0.9.18), which this test shows.
func TestGorgoniaAveragePool(t *testing.T) {
	const n, c, h, w, k = 2, 3, 6, 6, 2
	rng := rand.New(rand.NewSource(12))
	g := G.NewGraph()
	x := param(g, rng, "x", n, c, h, w)
	y := G.Must(G.AveragePool2D(x, tensor.Shape{k, k}, []int{0, 0}, []int{k, k}))
	oh, ow := h/k, w/k
	wt := param(g, rng, "w", n, c, oh, ow)
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, wt))))
	m := &Model{Name: "avgpool", G: g, Loss: loss, Params: []*G.Node{x, wt}, Outputs: map[string]*G.Node{"y": y}}
	got := runWith(t, m, nil, "y", "grad:x")
	xs, ws := f32s(x.Value()), f32s(wt.Value())
	wantY := make([]float64, n*c*oh*ow)
	wantGX := make([]float64, len(xs))
	for p := 0; p < n*c; p++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				var s float64
				for r := 0; r < k; r++ {
					for q := 0; q < k; q++ {
						s += float64(xs[p*h*w+(i*k+r)*w+j*k+q])
						wantGX[p*h*w+(i*k+r)*w+j*k+q] = float64(ws[(p*oh+i)*ow+j]) / (k * k)
					}
				}
				wantY[(p*oh+i)*ow+j] = s / (k * k)
			}
		}
	}
	near(t, "avgpool y", got["y"], wantY, 1e-6, 1e-5)
	near(t, "avgpool grad x", got["grad:x"], wantGX, 1e-6, 1e-5)

	vm := G.NewTapeMachine(g)
	defer vm.Close()
	mustOK(t, vm.RunAll())
	tm := f32s(y.Value())
	for i := range tm {
		if want := wantY[i] * k * k / w; math.Abs(float64(tm[i])-want) > 1e-5 {
			t.Fatalf("TapeMachine avgpool y[%d] = %g; gorgonia v0.9.18 divides by the width: want %g", i, tm[i], want)
		}
	}
}

// TestGorgoniaGlobalAveragePool: GlobalAveragePool2D compiles forward (the
// mean of each plane, against a float64 loop); a training program through
// it is an error naming the failure, since gorgonia v0.9.18's Grad cannot
// differentiate it — shown here on gorgonia's own Grad.
func TestGorgoniaGlobalAveragePool(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	build := func() (*Model, *G.Node) {
		g := G.NewGraph()
		x := param(g, rng, "x", 2, 3, 4, 5)
		y := G.Must(G.GlobalAveragePool2D(x))
		return &Model{Name: "gap", G: g, Loss: G.Must(G.Sum(y)), Params: []*G.Node{x}, Outputs: map[string]*G.Node{"y": y}}, x
	}
	m, x := build()
	p, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := loadCPU(p)
	mustOK(t, err)
	defer ex.Close()
	xs := f32s(x.Value())
	mustOK(t, ex.Write(p.Params[0].Value, xs))
	mustOK(t, ex.Run(p.Forward))
	got := make([]float32, 6)
	mustOK(t, ex.Read(p.Taps["y"], got))
	want := make([]float64, 6)
	for i := range want {
		for j := 0; j < 20; j++ {
			want[i] += float64(xs[i*20+j]) / 20
		}
	}
	near(t, "global avgpool", got, want, 1e-6, 1e-5)

	m, _ = build()
	if _, err := Compile(m, Options{Optimizer: &Optimizer{Kind: "sgd"}}); err == nil || !strings.Contains(err.Error(), "differentiat") {
		t.Errorf("training through GlobalAveragePool2D: got %v, want gorgonia's differentiation failure", err)
	}
	m, _ = build()
	func() {
		defer func() { _ = recover() }()
		if _, err := G.Grad(m.Loss, m.Params...); err == nil {
			t.Errorf("gorgonia.Grad through GlobalAveragePool2D succeeded: docs/gorgonia.md says it fails")
		}
	}()
}
