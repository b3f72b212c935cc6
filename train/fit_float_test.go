package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/models"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// paramNode is a trainable float32 parameter with values U(±bound) from rng.
func paramNode(g *G.ExprGraph, rng *rand.Rand, name string, bound float64, shape ...int) *G.Node {
	v := make([]float32, tensor.Shape(shape).TotalSize())
	for i := range v {
		v[i] = float32((2*rng.Float64() - 1) * bound)
	}
	return G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))))
}

// pointsNet is a classifier of 2-D points built by hand: x [B, 2] → hidden
// (dense 2→16) → tanh → out (dense 16→2), softmax cross-entropy.
func pointsNet(batch int, seed uint64) *graph.Model {
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(seed, 2))
	m := &graph.Model{Name: "points-mlp", G: g}
	m.X = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 2), G.WithName("x"))
	m.Labels = G.NewVector(g, tensor.Float32, G.WithShape(batch), G.WithName("labels"))
	w1, b1 := paramNode(g, rng, "hidden.weight", 1/math.Sqrt(2), 16, 2), paramNode(g, rng, "hidden.bias", 1/math.Sqrt(2), 16)
	w2, b2 := paramNode(g, rng, "out.weight", 0.25, 2, 16), paramNode(g, rng, "out.bias", 0.25, 2)
	m.Params = []*G.Node{w1, b1, w2, b2}
	h := G.Must(graph.Tanh(G.Must(graph.Dense(m.X, w1, b1))))
	m.Logits = G.Must(graph.Dense(h, w2, b2))
	m.Loss = G.Must(graph.SoftmaxCrossEntropy(m.Logits, m.Labels))
	return m
}

func pointsConfig(t *testing.T, epochs int) Config {
	c := DefaultConfig("")
	c.Dataset, c.Device, c.Epochs, c.Batch, c.LR = "", "cpu", epochs, 32, 0.1
	c.Out = filepath.Join(t.TempDir(), "run")
	return c
}

// A classifier of float inputs (two moons as data.Set's X) trains with Fit:
// its test accuracy rises to near-perfect, and the run directory holds the
// model and its initial weights, which BuildModel returns.
func TestFitFloatInputClassifier(t *testing.T) {
	ds := data.PointsDataset(data.TwoMoons(1, 1024, 0.1), data.TwoMoons(2, 512, 0.1))
	cfg := pointsConfig(t, 6)
	m := pointsNet(cfg.Batch, 5)
	init0, err := models.ParamValues(m)
	if err != nil {
		t.Fatal(err)
	}
	init0 = cloneValues(init0)
	if _, err := Fit(context.Background(), cfg, m, ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, err := readRecords(cfg.Out)
	if err != nil || len(recs) != 6 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	first, last := *recs[0].TestAcc, *recs[5].TestAcc
	if !(last > first) || last < 0.97 {
		t.Errorf("test accuracy %.3f after epoch 1, %.3f after epoch 6: want it to rise above 0.97", first, last)
	}
	if recs[0].Images != 1024 || recs[0].Step != 32 {
		t.Errorf("epoch 1: %d images, step %d; want 1024 and 32", recs[0].Images, recs[0].Step)
	}
	saved, err := ReadConfig(filepath.Join(cfg.Out, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	rebuilt, err := BuildModel(cfg.Out, saved, 7)
	if err != nil {
		t.Fatal(err)
	}
	got, err := models.ParamValues(rebuilt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range init0 {
		for j := range init0[i] {
			if got[i][j] != init0[i][j] {
				t.Fatalf("rebuilt %s[%d] = %v, the initial weight was %v", rebuilt.Params[i].Name(), j, got[i][j], init0[i][j])
			}
		}
	}
	ev, err := Evaluate(context.Background(), filepath.Join(cfg.Out, CheckpointFile), "cpu", ds)
	if err != nil || ev.Accuracy != last {
		t.Errorf("Evaluate: accuracy %v (training scored %v), %v", ev.Accuracy, last, err)
	}
	if _, err := Evaluate(context.Background(), filepath.Join(cfg.Out, CheckpointFile), "cpu", nil); err == nil {
		t.Error("Evaluate of a run on the caller's data, with no dataset: no error")
	}
}

// Interrupted in its second epoch and resumed (with the caller's points),
// the run ends with the weights and metrics of the run never interrupted.
func TestFitFloatInputResumeBitIdentical(t *testing.T) {
	ds := data.PointsDataset(data.TwoMoons(3, 640, 0.1), data.TwoMoons(4, 200, 0.1))
	full := pointsConfig(t, 3)
	if _, err := Fit(context.Background(), full, pointsNet(full.Batch, 9), ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	part := pointsConfig(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Fit(ctx, part, pointsNet(part.Batch, 9), ds, RunOptions{ProgressEvery: 2, Progress: func(e Event) {
		if p, ok := e.(*ProgressEvent); ok && p.Epoch == 2 && p.EpochStep == 6 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := Resume(context.Background(), part.Out, RunOptions{}); err == nil {
		t.Fatal("Resume of a run on the caller's data without RunOptions.Dataset: no error")
	}
	if _, err := Resume(context.Background(), part.Out, RunOptions{Dataset: ds}); err != nil {
		t.Fatal(err)
	}
	sameTensors(t, filepath.Join(full.Out, CheckpointFile), filepath.Join(part.Out, CheckpointFile))
	sameMetrics(t, full.Out, part.Out)
}

// regression is a linear model pred = x·Wᵀ + b, x [B, 3], targets [B, 2],
// with the mean squared error as its loss.
func regression(batch int, w0, b0 []float32) *graph.Model {
	g := G.NewGraph()
	m := &graph.Model{Name: "linear-regression", G: g, Target: graph.FloatTargets}
	m.X = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 3), G.WithName("x"))
	m.Labels = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 2), G.WithName("labels"))
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 3), G.WithName("out.weight"),
		G.WithValue(tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(append([]float32(nil), w0...)))))
	b := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithName("out.bias"),
		G.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking(append([]float32(nil), b0...)))))
	m.Params = []*G.Node{w, b}
	m.Logits = G.Must(graph.Dense(m.X, w, b))
	m.Loss = G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(m.Logits, m.Labels))))))
	return m
}

// regressionSet draws n rows x ∈ U(−1, 1)³ with targets y = A·x + c + noise.
func regressionSet(name string, seed uint64, n int) *data.Set {
	rng := rand.New(rand.NewPCG(seed, 7))
	s := &data.Set{Name: name, N: n, D: 3, T: 2, X: make([]float32, 3*n), Targets: make([]float32, 2*n)}
	a := [2][3]float64{{1.5, -2, 0.5}, {0.25, 1, -1}}
	c := [2]float64{0.3, -0.7}
	for i := range n {
		for k := range 3 {
			s.X[3*i+k] = float32(2*rng.Float64() - 1)
		}
		for o := range 2 {
			v := c[o] + 0.05*rng.NormFloat64()
			for k := range 3 {
				v += a[o][k] * float64(s.X[3*i+k])
			}
			s.Targets[2*i+o] = float32(v)
		}
	}
	return s
}

// mse64 is the mean squared error of the linear model (w, b) on s, in float64.
func mse64(s *data.Set, w, b []float64) float64 {
	var sum float64
	for i := 0; i < s.N; i++ {
		for o := range 2 {
			p := b[o]
			for k := range 3 {
				p += w[3*o+k] * float64(s.X[3*i+k])
			}
			d := p - float64(s.Targets[2*i+o])
			sum += d * d
		}
	}
	return sum / float64(2*s.N)
}

// An MSE regression on float inputs and float targets, one full batch per
// epoch, trained by plain SGD: every epoch's loss and the final weights are
// those of gradient descent written as a float64 loop, and the loss falls.
func TestFitMSERegressionMatchesFloat64Loop(t *testing.T) {
	const n, epochs, lr = 64, 25, 0.2
	train, test := regressionSet("train", 1, n), regressionSet("test", 2, 40)
	ds := &data.Dataset{Name: "linear", Train: train, Test: test}
	w0 := []float32{0.1, -0.2, 0.3, -0.1, 0.2, 0.05}
	b0 := []float32{0, 0.1}
	cfg := DefaultConfig("")
	cfg.Dataset, cfg.Device, cfg.Epochs, cfg.Batch, cfg.LR, cfg.Momentum = "", "cpu", epochs, n, lr, 0
	cfg.Out = filepath.Join(t.TempDir(), "run")
	if _, err := Fit(context.Background(), cfg, regression(n, w0, b0), ds, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, err := readRecords(cfg.Out)
	if err != nil || len(recs) != epochs {
		t.Fatalf("%d records, %v", len(recs), err)
	}

	// Gradient descent on the whole set in float64: loss = mean((Wx+b−y)²)
	// over the n·2 values, ∂/∂W = 2/(2n)·Σ (Wx+b−y)·xᵀ, ∂/∂b = 2/(2n)·Σ (Wx+b−y).
	w, b := make([]float64, 6), make([]float64, 2)
	for i := range w0 {
		w[i] = float64(w0[i])
	}
	for i := range b0 {
		b[i] = float64(b0[i])
	}
	for e := range epochs {
		loss := mse64(train, w, b)
		if got := recs[e].TrainLoss; math.Abs(got-loss) > 1e-5*math.Max(1, loss) {
			t.Errorf("epoch %d: train loss %.7g, float64 loop %.7g", e+1, got, loss)
		}
		gw, gb := make([]float64, 6), make([]float64, 2)
		for i := 0; i < n; i++ {
			for o := range 2 {
				r := b[o] - float64(train.Targets[2*i+o])
				for k := range 3 {
					r += w[3*o+k] * float64(train.X[3*i+k])
				}
				r *= 2 / float64(2*n)
				gb[o] += r
				for k := range 3 {
					gw[3*o+k] += r * float64(train.X[3*i+k])
				}
			}
		}
		for i := range w {
			w[i] -= lr * gw[i]
		}
		for i := range b {
			b[i] -= lr * gb[i]
		}
	}
	if first, last := recs[0].TrainLoss, recs[epochs-1].TrainLoss; !(last < first/10) {
		t.Errorf("train loss %.4g after epoch 1, %.4g after epoch %d: want it to fall tenfold", first, last, epochs)
	}
	ts := tensorsOf(t, filepath.Join(cfg.Out, CheckpointFile))
	for name, want := range map[string][]float64{"out.weight": w, "out.bias": b} {
		for i := range want {
			if got := math.Float32frombits(ts[name][i]); math.Abs(float64(got)-want[i]) > 1e-5 {
				t.Errorf("%s[%d] = %.7g, float64 loop %.7g", name, i, got, want[i])
			}
		}
	}
	last := recs[epochs-1]
	if last.TestAcc != nil || last.TestLoss == nil {
		t.Fatalf("a regression's record: test_acc %v, test_loss %v; want none and the MSE", last.TestAcc, last.TestLoss)
	}
	if want := mse64(test, w, b); math.Abs(*last.TestLoss-want) > 1e-5*math.Max(1, want) {
		t.Errorf("test MSE %.7g, float64 loop %.7g", *last.TestLoss, want)
	}
}

// quadratic is f(a, b) = (a − 3)² + 2·(b + 1)²: two weights, no data, its
// minimum 0 at (3, −1).
func quadratic() *graph.Model {
	g := G.NewGraph()
	a := G.NewScalar(g, tensor.Float32, G.WithName("a"), G.WithValue(float32(0)))
	b := G.NewScalar(g, tensor.Float32, G.WithName("b"), G.WithValue(float32(0)))
	ta := G.Must(G.Square(G.Must(G.Sub(a, G.NewConstant(float32(3))))))
	tb := G.Must(G.Mul(G.NewConstant(float32(2)), G.Must(G.Square(G.Must(G.Add(b, G.NewConstant(float32(1))))))))
	return &graph.Model{Name: "quadratic", G: g, Loss: G.Must(G.Add(ta, tb)), Params: []*G.Node{a, b}}
}

func quadraticConfig(t *testing.T) Config {
	c := DefaultConfig("")
	c.Dataset, c.Device, c.Epochs, c.StepsPerEpoch, c.LR, c.Momentum = "", "cpu", 2, 50, 0.1, 0
	c.Out = filepath.Join(t.TempDir(), "run")
	return c
}

// A model with no data, only two weights and a scalar loss, is minimized to
// its known minimum; each epoch's mean loss is that of gradient descent by
// hand (a − 3 shrinks by 1 − 2·lr = 0.8 a step, b + 1 by 1 − 4·lr = 0.6).
// Interrupted and resumed, it reaches the same bits.
func TestFitNoDataMinimizesQuadratic(t *testing.T) {
	cfg := quadraticConfig(t)
	if _, err := Fit(context.Background(), cfg, quadratic(), nil, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, err := readRecords(cfg.Out)
	if err != nil || len(recs) != 2 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	for e, rec := range recs {
		var want float64
		for k := e * 50; k < (e+1)*50; k++ {
			want += 9*math.Pow(0.64, float64(k)) + 2*math.Pow(0.36, float64(k))
		}
		want /= 50
		if math.Abs(rec.TrainLoss-want) > 1e-5*want+1e-9 {
			t.Errorf("epoch %d: mean loss %.7g, by hand %.7g", e+1, rec.TrainLoss, want)
		}
		if rec.TestAcc != nil || rec.TestLoss != nil || rec.Images != 0 || rec.Step != 50*(e+1) {
			t.Errorf("epoch %d record %+v: want no test scores, no images, step %d", e+1, rec, 50*(e+1))
		}
	}
	ts := tensorsOf(t, filepath.Join(cfg.Out, CheckpointFile))
	if a, b := math.Float32frombits(ts["a"][0]), math.Float32frombits(ts["b"][0]); math.Abs(float64(a)-3) > 1e-5 || math.Abs(float64(b)+1) > 1e-5 {
		t.Errorf("minimum at (%v, %v), want (3, −1)", a, b)
	}

	part := quadraticConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = Fit(ctx, part, quadratic(), nil, RunOptions{ProgressEvery: 5, Progress: func(e Event) {
		if p, ok := e.(*ProgressEvent); ok && p.Epoch == 2 && p.EpochStep == 10 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := Resume(context.Background(), part.Out, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	sameTensors(t, filepath.Join(cfg.Out, CheckpointFile), filepath.Join(part.Out, CheckpointFile))
	sameMetrics(t, cfg.Out, part.Out)
	if _, err := os.Stat(filepath.Join(part.Out, InitFile)); err != nil {
		t.Errorf("no initial weights in the run directory: %v", err)
	}

	// What a model with no data refuses: a dataset it cannot read, an epoch
	// of no steps, steps per epoch given with data.
	for _, c := range []struct {
		edit func(*Config)
		ds   *data.Dataset
	}{
		{func(c *Config) { c.StepsPerEpoch = 0 }, nil},
		{func(*Config) {}, data.PointsDataset(data.XOR(1, 64, 0.1), data.XOR(2, 64, 0.1))},
	} {
		c2 := quadraticConfig(t)
		c.edit(&c2)
		if _, err := Fit(context.Background(), c2, quadratic(), c.ds, RunOptions{}); err == nil {
			t.Errorf("Fit(%+v): no error", c2)
		}
	}
}

func cloneValues(v [][]float32) [][]float32 {
	out := make([][]float32, len(v))
	for i := range v {
		out[i] = append([]float32(nil), v[i]...)
	}
	return out
}
