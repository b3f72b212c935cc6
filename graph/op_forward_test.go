package graph

import (
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Forward values against plain loops and hand-worked examples.

// eval builds op(inputs) with the constructor, runs the graph on the
// TapeMachine and returns the output's values and shape.
func eval(t *testing.T, build func(n []*G.Node) (*G.Node, error), inputs ...*tensor.Dense) ([]float32, tensor.Shape) {
	t.Helper()
	g := G.NewGraph()
	nodes := make([]*G.Node, len(inputs))
	for i, v := range inputs {
		nodes[i] = nodeOf(g, "in"+string(rune('0'+i)), v)
	}
	y, err := build(nodes)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatalf("run: %v", err)
	}
	return f32s(y.Value()), y.Shape().Clone()
}

// near reports values that differ from want beyond atol + rtol·|want|.
func near(t *testing.T, what string, got []float32, want []float64, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > atol+rtol*math.Abs(want[i]) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: at flat index %d got %.7g, want %.7g", what, i, got[i], want[i])
		}
	}
}

func f64s(t *tensor.Dense) []float64 {
	d := t.Data().([]float32)
	r := make([]float64, len(d))
	for i, v := range d {
		r[i] = float64(v)
	}
	return r
}

func TestDenseForward(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	x, w, b := randT(rng, -1, 1, 3, 5), randT(rng, -1, 1, 4, 5), randT(rng, -1, 1, 4)
	got, shape := eval(t, func(n []*G.Node) (*G.Node, error) { return Dense(n[0], n[1], n[2]) }, x, w, b)
	if !shape.Eq(tensor.Shape{3, 4}) {
		t.Fatalf("shape %v, want (3, 4)", shape)
	}
	xs, ws, bs := f64s(x), f64s(w), f64s(b)
	want := make([]float64, 12)
	for i := 0; i < 3; i++ {
		for o := 0; o < 4; o++ {
			s := bs[o]
			for k := 0; k < 5; k++ {
				s += xs[i*5+k] * ws[o*5+k]
			}
			want[i*4+o] = s
		}
	}
	near(t, "Dense", got, want, 1e-5, 1e-5)
}

func TestMatMulTransposedForward(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	a, b := randT(rng, -1, 1, 4, 3), randT(rng, -1, 1, 5, 4) // aᵀ is 3×4, bᵀ is 4×5
	got, shape := eval(t, func(n []*G.Node) (*G.Node, error) { return MatMul(n[0], n[1], true, true) }, a, b)
	if !shape.Eq(tensor.Shape{3, 5}) {
		t.Fatalf("shape %v, want (3, 5)", shape)
	}
	as, bs := f64s(a), f64s(b)
	want := make([]float64, 15)
	for i := 0; i < 3; i++ {
		for j := 0; j < 5; j++ {
			for k := 0; k < 4; k++ {
				want[i*5+j] += as[k*3+i] * bs[j*4+k]
			}
		}
	}
	near(t, "MatMul(TT)", got, want, 1e-5, 1e-5)
}

// convRef is the definition of Conv2D written as loops, in float64.
func convRef(x, w, b []float64, n, c, h, wd, k, r, s int, stride, pad [2]int) ([]float64, int, int) {
	oh := (h+2*pad[0]-r)/stride[0] + 1
	ow := (wd+2*pad[1]-s)/stride[1] + 1
	y := make([]float64, n*k*oh*ow)
	for in := 0; in < n; in++ {
		for ik := 0; ik < k; ik++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					v := 0.0
					if b != nil {
						v = b[ik]
					}
					for ic := 0; ic < c; ic++ {
						for ir := 0; ir < r; ir++ {
							for is := 0; is < s; is++ {
								hh, ww := i*stride[0]+ir-pad[0], j*stride[1]+is-pad[1]
								if hh < 0 || hh >= h || ww < 0 || ww >= wd {
									continue
								}
								v += x[((in*c+ic)*h+hh)*wd+ww] * w[((ik*c+ic)*r+ir)*s+is]
							}
						}
					}
					y[((in*k+ik)*oh+i)*ow+j] = v
				}
			}
		}
	}
	return y, oh, ow
}

func TestConv2DForward(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	x, w, b := randT(rng, -1, 1, 2, 3, 7, 6), randT(rng, -1, 1, 4, 3, 3, 3), randT(rng, -1, 1, 4)
	stride, pad := [2]int{2, 2}, [2]int{1, 1}
	got, shape := eval(t, func(n []*G.Node) (*G.Node, error) { return Conv2D(n[0], n[1], n[2], stride, pad) }, x, w, b)
	want, oh, ow := convRef(f64s(x), f64s(w), f64s(b), 2, 3, 7, 6, 4, 3, 3, stride, pad)
	if !shape.Eq(tensor.Shape{2, 4, oh, ow}) || oh != 4 || ow != 3 {
		t.Fatalf("shape %v, want (2, 4, 4, 3)", shape)
	}
	near(t, "Conv2D", got, want, 1e-5, 1e-5)
}

// TestConvTransposeIsAdjoint checks ⟨Conv2D(x, w), y⟩ = ⟨x, ConvTranspose2D(y, w)⟩.
func TestConvTransposeIsAdjoint(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	for _, c := range []struct {
		stride, pad [2]int
		h, w        int
	}{{[2]int{2, 2}, [2]int{1, 1}, 7, 6}, {[2]int{1, 2}, [2]int{0, 1}, 5, 8}, {[2]int{3, 1}, [2]int{2, 0}, 9, 4}} {
		x, w := randT(rng, -1, 1, 2, 3, c.h, c.w), randT(rng, -1, 1, 4, 3, 3, 3)
		cx, cs := eval(t, func(n []*G.Node) (*G.Node, error) { return Conv2D(n[0], n[1], nil, c.stride, c.pad) }, x, w)
		y := randT(rng, -1, 1, cs...)
		ty, ts := eval(t, func(n []*G.Node) (*G.Node, error) {
			return ConvTranspose2D(n[0], n[1], c.stride, c.pad, c.h, c.w)
		}, y, w)
		if !ts.Eq(x.Shape()) {
			t.Fatalf("stride %v pad %v: ConvTranspose2D shape %v, want %v", c.stride, c.pad, ts, x.Shape())
		}
		lhs, rhs, mag := 0.0, 0.0, 0.0
		for i, v := range f64s(y) {
			lhs += float64(cx[i]) * v
			mag += math.Abs(float64(cx[i]) * v)
		}
		for i, v := range f64s(x) {
			rhs += float64(ty[i]) * v
		}
		if math.Abs(lhs-rhs) > 1e-5*mag {
			t.Errorf("stride %v pad %v: <conv(x), y> = %.8g but <x, convT(y)> = %.8g", c.stride, c.pad, lhs, rhs)
		}
	}
}

// A hand-made plane whose window maxima are known: 2×2 windows, stride 2.
var (
	poolPlane = []float32{
		1, 5, 2, 0,
		3, 4, 8, 6,
		0, -1, 7, 9,
		2, -3, -5, 1,
	}
	poolMax      = []float64{5, 8, 2, 9}
	poolSwitches = []int{1, 6, 12, 11} // flat positions h·4 + w of 5, 8, 2, 9
)

func TestMaxPoolAndUnpoolByHand(t *testing.T) {
	x := tensor.New(tensor.WithShape(1, 1, 4, 4), tensor.WithBacking(append([]float32(nil), poolPlane...)))
	k := [2]int{2, 2}
	got, shape := eval(t, func(n []*G.Node) (*G.Node, error) { return MaxPool2D(n[0], k, k, [2]int{}) }, x)
	if !shape.Eq(tensor.Shape{1, 1, 2, 2}) {
		t.Fatalf("shape %v, want (1, 1, 2, 2)", shape)
	}
	near(t, "MaxPool2D", got, poolMax, 0, 0)

	// Unpool2D of other values lands them exactly at the switches.
	y := tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float32{10, 20, 30, 40}))
	up, ushape := eval(t, func(n []*G.Node) (*G.Node, error) { return Unpool2D(n[0], n[1], k, k, [2]int{}) }, y, x)
	if !ushape.Eq(tensor.Shape{1, 1, 4, 4}) {
		t.Fatalf("Unpool2D shape %v, want (1, 1, 4, 4)", ushape)
	}
	want := make([]float64, 16)
	for i, p := range poolSwitches {
		want[p] = float64(10 * (i + 1))
	}
	near(t, "Unpool2D", up, want, 0, 0)

	// Unpool∘MaxPool puts the maxima back where they were and zeros elsewhere.
	back, _ := eval(t, func(n []*G.Node) (*G.Node, error) {
		p, err := MaxPool2D(n[0], k, k, [2]int{})
		if err != nil {
			return nil, err
		}
		return Unpool2D(p, n[0], k, k, [2]int{})
	}, x)
	for i := range want {
		want[i] = 0
	}
	for _, p := range poolSwitches {
		want[p] = float64(poolPlane[p])
	}
	near(t, "Unpool2D(MaxPool2D(x), x)", back, want, 0, 0)
}

// poolRef is max or average pooling written as loops; padding never wins a
// max and counts as zero in an average over kh·kw.
func poolRef(x []float64, n, c, h, w, kh, kw int, stride, pad [2]int, avg bool) []float64 {
	oh := (h+2*pad[0]-kh)/stride[0] + 1
	ow := (w+2*pad[1]-kw)/stride[1] + 1
	y := make([]float64, 0, n*c*oh*ow)
	for p := 0; p < n*c; p++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				m, s := math.Inf(-1), 0.0
				for a := 0; a < kh; a++ {
					for b := 0; b < kw; b++ {
						hh, ww := i*stride[0]+a-pad[0], j*stride[1]+b-pad[1]
						if hh < 0 || hh >= h || ww < 0 || ww >= w {
							continue
						}
						v := x[(p*h+hh)*w+ww]
						m = math.Max(m, v)
						s += v
					}
				}
				if avg {
					y = append(y, s/float64(kh*kw))
				} else {
					y = append(y, m)
				}
			}
		}
	}
	return y
}

func TestPoolsAgainstLoops(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	// All inputs negative: a padded position that won a max would show as 0.
	x := randT(rng, -2, -0.5, 2, 3, 7, 5)
	k, s, p := [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}
	mx, _ := eval(t, func(n []*G.Node) (*G.Node, error) { return MaxPool2D(n[0], k, s, p) }, x)
	near(t, "MaxPool2D padded", mx, poolRef(f64s(x), 2, 3, 7, 5, 3, 3, s, p, false), 0, 0)
	av, _ := eval(t, func(n []*G.Node) (*G.Node, error) { return AvgPool2D(n[0], k, s, p) }, x)
	near(t, "AvgPool2D padded", av, poolRef(f64s(x), 2, 3, 7, 5, 3, 3, s, p, true), 1e-6, 1e-6)

	// By hand: 2×2 plane, 2×2 windows, stride 1, pad 1: corners see one
	// value over 4 cells, the centre sees all four.
	sq := tensor.New(tensor.WithShape(1, 1, 2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
	one := [2]int{1, 1}
	got, _ := eval(t, func(n []*G.Node) (*G.Node, error) { return AvgPool2D(n[0], [2]int{2, 2}, one, one) }, sq)
	near(t, "AvgPool2D by hand", got, []float64{0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1}, 1e-7, 0)
}

func TestSoftmaxCrossEntropyByHand(t *testing.T) {
	logits := tensor.New(tensor.WithShape(3, 3), tensor.WithBacking([]float32{1, 2, 3, 0, 0, 0, 100, -100, 50}))
	labels := tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{2, 1, 0}))
	got, shape := eval(t, func(n []*G.Node) (*G.Node, error) { return SoftmaxCrossEntropy(n[0], n[1]) }, logits, labels)
	if len(shape) != 0 {
		t.Fatalf("loss shape %v, want a scalar", shape)
	}
	// −log softmax(z)[y] = log Σ e^z − z[y], with the log-sum-exp shifted by max z.
	lse := func(z ...float64) float64 {
		m := math.Inf(-1)
		for _, v := range z {
			m = math.Max(m, v)
		}
		s := 0.0
		for _, v := range z {
			s += math.Exp(v - m)
		}
		return m + math.Log(s)
	}
	want := ((lse(1, 2, 3) - 3) + (lse(0, 0, 0) - 0) + (lse(100, -100, 50) - 100)) / 3
	near(t, "SoftmaxCrossEntropy", got, []float64{want}, 1e-6, 1e-6)
}

func TestSoftmaxRows(t *testing.T) {
	x := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{0, 0, 0, 1, 2, 3}))
	got, _ := eval(t, func(n []*G.Node) (*G.Node, error) { return Softmax(n[0]) }, x)
	e := []float64{math.Exp(1), math.Exp(2), math.Exp(3)}
	z := e[0] + e[1] + e[2]
	near(t, "Softmax", got, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3, e[0] / z, e[1] / z, e[2] / z}, 1e-6, 1e-6)
}

func TestFlattenAndReshapeKeepValues(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	x := randT(rng, -1, 1, 2, 3, 2, 2)
	got, shape := eval(t, func(n []*G.Node) (*G.Node, error) { return Flatten(n[0]) }, x)
	if !shape.Eq(tensor.Shape{2, 12}) {
		t.Fatalf("Flatten shape %v, want (2, 12)", shape)
	}
	near(t, "Flatten", got, f64s(x), 0, 0)
	got, shape = eval(t, func(n []*G.Node) (*G.Node, error) { return Reshape(n[0], 4, 6) }, x)
	if !shape.Eq(tensor.Shape{4, 6}) {
		t.Fatalf("Reshape shape %v, want (4, 6)", shape)
	}
	near(t, "Reshape", got, f64s(x), 0, 0)
}

func TestDropoutForward(t *testing.T) {
	const n, p = 20000, 0.3
	x := tensor.New(tensor.WithShape(n), tensor.WithBacking(make([]float32, n)))
	for i, d := 0, x.Data().([]float32); i < n; i++ {
		d[i] = float32(1 + i%7)
	}
	drop := func(seed uint64) []float32 {
		got, _ := eval(t, func(nd []*G.Node) (*G.Node, error) { return Dropout(nd[0], p, seed) }, x)
		return got
	}
	a := drop(11)
	zeros := 0
	for i, v := range a {
		switch want := float32(1+i%7) / (1 - p); {
		case v == 0:
			zeros++
		case math.Abs(float64(v-want)) > 1e-5*float64(want):
			t.Fatalf("survivor %d is %g, want x/(1−p) = %g", i, v, want)
		}
	}
	// Zeros are Binomial(n, p): standard deviation √(n·p·(1−p)) ≈ 65.
	if frac := float64(zeros) / n; math.Abs(frac-p) > 0.02 {
		t.Errorf("dropped fraction %.4f, want %.2f", frac, p)
	}
	same, other := drop(11), drop(12)
	differ := 0
	for i := range a {
		if a[i] != same[i] {
			t.Fatalf("seed 11 gave different masks at %d", i)
		}
		if (a[i] == 0) != (other[i] == 0) {
			differ++
		}
	}
	if differ == 0 {
		t.Errorf("seeds 11 and 12 drew the same mask")
	}
}
