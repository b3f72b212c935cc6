package weightspace

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A race surface is a model with two scalar parameters and a scalar loss and
// no data (graph.Model's "surface" role): points a problem needs (a fit's
// x and y) are constants of the graph. Compiled with an optimizer, one run
// of the Program's segments [Forward.Start, Update.End) is one step of
// training: the loss at the current point, its gradient, and the fused
// optimizer instruction — the kernel `gabor train` runs — moving the point.

// Problem is a two-weight surface to race on.
type Problem struct {
	Name  string
	About string
	// Params names the two weights (axis labels).
	Params [2]string
	// Start is where every optimizer starts; Box is [xmin, xmax, ymin, ymax]:
	// the plotted region, and a path that leaves it stops there.
	Start [2]float64
	Box   [4]float64
	// Min is the minimizer and MinLoss its loss, when known (HasMin).
	HasMin  bool
	Min     [2]float64
	MinLoss float64
	// LR is each optimizer's default learning rate on this surface.
	LR map[string]float64
	// LogScale draws the contours of log10(loss − MinLoss + 1e-3·scale).
	LogScale bool
	build    func(g *G.ExprGraph, x, y *G.Node) (*G.Node, error)
}

// Model builds the problem's graph with its weights at (x0, y0).
func (p *Problem) Model(x0, y0 float64) (m *graph.Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("weightspace: building %s: %v", p.Name, r)
		}
	}()
	g := G.NewGraph()
	x := G.NewScalar(g, tensor.Float32, G.WithName(p.Params[0]), G.WithValue(float32(x0)))
	y := G.NewScalar(g, tensor.Float32, G.WithName(p.Params[1]), G.WithValue(float32(y0)))
	loss, err := p.build(g, x, y)
	if err != nil {
		return nil, fmt.Errorf("weightspace: building %s: %w", p.Name, err)
	}
	return &graph.Model{Name: p.Name, G: g, Loss: loss, Params: []*G.Node{x, y}}, nil
}

// Optimizer names of the race, in the order they are drawn.
var RaceOptimizers = []string{"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}

// GraphOptimizer is the compiler's optimizer for a race name: momentum and
// Nesterov are SGD with momentum 0.9; the adaptive ones take PyTorch's
// defaults (graph.Optimizer's zero values).
func GraphOptimizer(name string) (*graph.Optimizer, error) {
	switch name {
	case "sgd":
		return &graph.Optimizer{Kind: "sgd"}, nil
	case "momentum":
		return &graph.Optimizer{Kind: "sgd", Momentum: 0.9}, nil
	case "nesterov":
		return &graph.Optimizer{Kind: "sgd", Momentum: 0.9, Nesterov: true}, nil
	case "adagrad", "rmsprop", "adam":
		return &graph.Optimizer{Kind: name}, nil
	}
	return nil, fmt.Errorf("weightspace: unknown optimizer %q (known: %s)", name, strings.Join(RaceOptimizers, ", "))
}

func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(err)
	}
	return n
}

func c32(v float64) *G.Node { return G.NewConstant(float32(v)) }

// vecConst is a constant vector node.
func vecConst(v []float64) *G.Node {
	f := make([]float32, len(v))
	for i := range v {
		f[i] = float32(v[i])
	}
	return G.NewConstant(tensor.New(tensor.WithShape(len(f)), tensor.WithBacking(f)))
}

// LineFitData are the points of the line-fit problem: 24 x evenly in
// [−1, 1], y = 5x + 1 + N(0, 0.5²) noise from a fixed seed.
func LineFitData() (xs, ys []float64) {
	rng := rand.New(rand.NewPCG(5, 1))
	for i := 0; i < 24; i++ {
		x := -1 + 2*float64(i)/23
		xs, ys = append(xs, x), append(ys, 5*x+1+0.5*rng.NormFloat64())
	}
	return xs, ys
}

// LogisticData are the points of the logistic problem: two Gaussian blobs of
// 30 points each (σ = 1), class 1 around (1, 0.5) and class 0 around
// (−1, −0.5), from a fixed seed; they overlap, so the loss has a finite
// minimizer.
func LogisticData() (pts [][2]float64, labels []float64) {
	rng := rand.New(rand.NewPCG(7, 2))
	for i := 0; i < 60; i++ { // 60 points: the graph holds them as constants of at most 64 runs
		c := float64(i % 2)
		s := 2*c - 1
		pts = append(pts, [2]float64{s + rng.NormFloat64(), 0.5*s + rng.NormFloat64()})
		labels = append(labels, c)
	}
	return pts, labels
}

// Problems lists the race's surfaces.
func Problems() []*Problem {
	xs, ys := LineFitData()
	lw, lb, lmin := leastSquares(xs, ys)
	pts, labels := LogisticData()
	gw, gmin := logisticMin(pts, labels)
	return []*Problem{
		{
			Name: "linefit", About: "fit y = w·x + b to 24 noisy points of 5x + 1: mean squared error",
			Params: [2]string{"w", "b"}, Start: [2]float64{-2, -3}, Box: [4]float64{-4, 9, -5, 5},
			HasMin: true, Min: [2]float64{lw, lb}, MinLoss: lmin,
			LR: map[string]float64{"sgd": 0.1, "momentum": 0.02, "nesterov": 0.02, "adagrad": 1, "rmsprop": 0.05, "adam": 0.2},
			build: func(g *G.ExprGraph, w, b *G.Node) (*G.Node, error) {
				pred := must(G.Add(must(G.Mul(w, vecConst(xs))), b))
				return G.Mean(must(G.Square(must(G.Sub(pred, vecConst(ys))))))
			},
		},
		{
			Name: "logistic", About: "a logistic neuron σ(w1·x1 + w2·x2) on two overlapping blobs: mean cross-entropy",
			Params: [2]string{"w1", "w2"}, Start: [2]float64{-3, 3.5}, Box: [4]float64{-4, 4, -4, 4},
			HasMin: true, Min: gw, MinLoss: gmin,
			LR: map[string]float64{"sgd": 1, "momentum": 0.1, "nesterov": 0.1, "adagrad": 0.5, "rmsprop": 0.02, "adam": 0.05},
			build: func(g *G.ExprGraph, w1, w2 *G.Node) (*G.Node, error) {
				x1, x2 := make([]float64, len(pts)), make([]float64, len(pts))
				for i, p := range pts {
					x1[i], x2[i] = p[0], p[1]
				}
				z := must(G.Add(must(G.Mul(w1, vecConst(x1))), must(G.Mul(w2, vecConst(x2)))))
				// BCE with logits: log(1 + e^z) − y·z.
				softplus := must(G.Log(must(G.Add(c32(1), must(G.Exp(z))))))
				return G.Mean(must(G.Sub(softplus, must(G.HadamardProd(vecConst(labels), z)))))
			},
		},
		{
			Name: "beale", About: "Beale's function (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²",
			Params: [2]string{"x", "y"}, Start: [2]float64{1, 1.5}, Box: [4]float64{-4.5, 4.5, -4.5, 4.5},
			HasMin: true, Min: [2]float64{3, 0.5}, MinLoss: 0, LogScale: true,
			LR: map[string]float64{"sgd": 0.01, "momentum": 0.002, "nesterov": 0.002, "adagrad": 0.5, "rmsprop": 0.003, "adam": 0.05},
			build: func(g *G.ExprGraph, x, y *G.Node) (*G.Node, error) {
				term := func(c float64, yp *G.Node) *G.Node {
					return must(G.Square(must(G.Add(must(G.Sub(c32(c), x)), must(G.Mul(x, yp))))))
				}
				y2 := must(G.Mul(y, y))
				y3 := must(G.Mul(y2, y))
				return G.Add(must(G.Add(term(1.5, y), term(2.25, y2))), term(2.625, y3))
			},
		},
		{
			Name: "rosenbrock", About: "Rosenbrock's valley (1 − x)² + 100·(y − x²)²",
			Params: [2]string{"x", "y"}, Start: [2]float64{-1.5, 2}, Box: [4]float64{-2, 2, -1, 3},
			HasMin: true, Min: [2]float64{1, 1}, MinLoss: 0, LogScale: true,
			LR: map[string]float64{"sgd": 0.001, "momentum": 0.0005, "nesterov": 0.0005, "adagrad": 0.5, "rmsprop": 0.003, "adam": 0.05},
			build: func(g *G.ExprGraph, x, y *G.Node) (*G.Node, error) {
				t1 := must(G.Square(must(G.Sub(c32(1), x))))
				t2 := must(G.Mul(c32(100), must(G.Square(must(G.Sub(y, must(G.Mul(x, x))))))))
				return G.Add(t1, t2)
			},
		},
		{
			Name: "saddle", About: "the saddle x² − y², unbounded below: a path stops when it leaves the box",
			Params: [2]string{"x", "y"}, Start: [2]float64{-1, 0.01}, Box: [4]float64{-1.5, 1.5, -1.5, 1.5},
			LR: map[string]float64{"sgd": 0.05, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.02},
			build: func(g *G.ExprGraph, x, y *G.Node) (*G.Node, error) {
				return G.Sub(must(G.Square(x)), must(G.Square(y)))
			},
		},
	}
}

// ProblemByName finds a problem, or says which exist.
func ProblemByName(name string) (*Problem, error) {
	var names []string
	for _, p := range Problems() {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return nil, fmt.Errorf("weightspace: unknown problem %q (problems: %s)", name, strings.Join(names, ", "))
}

// leastSquares is the minimizer (w, b) of mean((w·x + b − y)²) and its
// loss, in closed form (the normal equations), float64.
func leastSquares(xs, ys []float64) (w, b, loss float64) {
	n := float64(len(xs))
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy, sxx, sxy = sx+xs[i], sy+ys[i], sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	w = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	b = (sy - w*sx) / n
	for i := range xs {
		r := w*xs[i] + b - ys[i]
		loss += r * r
	}
	return w, b, loss / n
}

// logisticMin is the minimizer of the logistic problem's mean cross-entropy
// and its loss, by Newton's method in float64 (the loss is strictly convex
// on overlapping classes).
func logisticMin(pts [][2]float64, labels []float64) ([2]float64, float64) {
	w := [2]float64{}
	n := float64(len(pts))
	for it := 0; it < 50; it++ {
		var g [2]float64
		var h [3]float64
		for i, p := range pts {
			z := w[0]*p[0] + w[1]*p[1]
			s := 1 / (1 + math.Exp(-z))
			for k := 0; k < 2; k++ {
				g[k] += (s - labels[i]) * p[k] / n
			}
			d := s * (1 - s) / n
			h[0], h[1], h[2] = h[0]+d*p[0]*p[0], h[1]+d*p[0]*p[1], h[2]+d*p[1]*p[1]
		}
		det := h[0]*h[2] - h[1]*h[1]
		w[0] -= (h[2]*g[0] - h[1]*g[1]) / det
		w[1] -= (-h[1]*g[0] + h[0]*g[1]) / det
	}
	var loss float64
	for i, p := range pts {
		z := w[0]*p[0] + w[1]*p[1]
		loss += math.Log1p(math.Exp(z)) - labels[i]*z
	}
	return w, loss / n
}

// Racer is one optimizer compiled on one problem and loaded on a backend.
type Racer struct {
	Problem   *Problem
	Optimizer string
	LR        float64
	Prog      *kernels.Program
	exe       kernels.Executable
	step      int
}

// NewRacer compiles the problem with the optimizer's fused update and
// loads it, the weights at the problem's start.
func NewRacer(p *Problem, optimizer string, lr float64, device string) (*Racer, error) {
	o, err := GraphOptimizer(optimizer)
	if err != nil {
		return nil, err
	}
	if !(lr > 0) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("weightspace: %s on %s: learning rate %g must be positive", optimizer, p.Name, lr)
	}
	m, err := p.Model(p.Start[0], p.Start[1])
	if err != nil {
		return nil, err
	}
	prog, err := graph.Compile(m, graph.Options{Optimizer: o})
	if err != nil {
		return nil, fmt.Errorf("weightspace: compiling %s with %s: %w", p.Name, optimizer, err)
	}
	if device == "" {
		device = "auto"
	}
	be, err := kernels.Open(device)
	if err != nil {
		return nil, fmt.Errorf("weightspace: %w", err)
	}
	exe, err := be.Load(prog)
	if err != nil {
		return nil, fmt.Errorf("weightspace: loading %s on %s: %w", p.Name, be.Name(), err)
	}
	r := &Racer{Problem: p, Optimizer: optimizer, LR: lr, Prog: prog, exe: exe}
	if err := r.Reset(p.Start); err != nil {
		exe.Close()
		return nil, err
	}
	return r, nil
}

// Reset puts the weights at xy and zeroes the optimizer state and the step count.
func (r *Racer) Reset(xy [2]float64) error {
	for i, s := range r.Prog.Params {
		if err := r.exe.Write(s.Value, []float32{float32(xy[i])}); err != nil {
			return err
		}
		for _, st := range s.State {
			if err := r.exe.Write(st, make([]float32, r.Prog.Buf(st).Len)); err != nil {
				return err
			}
		}
	}
	r.step = 0
	return nil
}

// Step runs one training step: the loss at the current point (returned),
// its gradient, and the optimizer's update.
func (r *Racer) Step() (float64, error) {
	r.step++
	if err := r.exe.Write(r.Prog.Hyper, []float32{float32(r.LR), float32(r.step)}); err != nil {
		return 0, err
	}
	if err := r.exe.Run(kernels.Segment{Start: r.Prog.Forward.Start, End: r.Prog.Update.End}); err != nil {
		return 0, fmt.Errorf("weightspace: %s on %s, step %d: %w", r.Optimizer, r.Problem.Name, r.step, err)
	}
	l := []float32{0}
	if err := r.exe.Read(r.Prog.Loss, l); err != nil {
		return 0, err
	}
	return float64(l[0]), nil
}

// Point reads the current weights.
func (r *Racer) Point() ([2]float64, error) {
	var xy [2]float64
	v := []float32{0}
	for i, s := range r.Prog.Params {
		if err := r.exe.Read(s.Value, v); err != nil {
			return xy, err
		}
		xy[i] = float64(v[0])
	}
	return xy, nil
}

// Loss evaluates the surface at xy with the forward segment alone (the
// optimizer state is untouched; the weights are left at xy).
func (r *Racer) Loss(xy [2]float64) (float64, error) {
	for i, s := range r.Prog.Params {
		if err := r.exe.Write(s.Value, []float32{float32(xy[i])}); err != nil {
			return 0, err
		}
	}
	if err := r.exe.Run(r.Prog.Forward); err != nil {
		return 0, err
	}
	l := []float32{0}
	if err := r.exe.Read(r.Prog.Loss, l); err != nil {
		return 0, err
	}
	return float64(l[0]), nil
}

// Close releases the device memory.
func (r *Racer) Close() error { return r.exe.Close() }
