package geometry

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Grid is an nx×ny sampling of a box at the pixel centres, row 0 at the top
// (largest y), as an image is stored.
type Grid struct {
	Box    Box
	NX, NY int
}

// At is the centre of pixel (i, j): column i, row j.
func (g Grid) At(i, j int) Point {
	return Point{
		X: g.Box.X0 + (float64(i)+0.5)*(g.Box.X1-g.Box.X0)/float64(g.NX),
		Y: g.Box.Y1 - (float64(j)+0.5)*(g.Box.Y1-g.Box.Y0)/float64(g.NY),
	}
}

func (g Grid) check() error {
	if err := g.Box.Validate(); err != nil {
		return err
	}
	if g.NX < 1 || g.NY < 1 || g.NX > 1<<14 || g.NY > 1<<14 {
		return fmt.Errorf("geometry: a grid of %d×%d points (each side must be from 1 to 16384)", g.NX, g.NY)
	}
	return nil
}

// Map is a network sampled on a grid: per pixel (row-major from the top)
// the predicted class and its probability.
type Map struct {
	Grid    Grid
	Class   []int
	Prob    []float64
	Classes int // the number of classes the outputs stand for
}

// DecisionMap evaluates the network at every pixel of the grid (in
// parallel over rows), with step units as true steps.
func DecisionMap(n *Net, g Grid) (*Map, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if err := g.check(); err != nil {
		return nil, err
	}
	k := n.Outputs()
	m := &Map{Grid: g, Class: make([]int, g.NX*g.NY), Prob: make([]float64, g.NX*g.NY), Classes: max(k, 2)}
	rows(g.NY, func(j int, e *evaluator) {
		for i := 0; i < g.NX; i++ {
			out := e.forward(g.At(i, j))
			c := Class(out)
			m.Class[j*g.NX+i] = c
			m.Prob[j*g.NX+i] = topProb(out, c)
		}
	}, n)
	return m, nil
}

// UnitMap samples one hidden unit's pre-activation on the grid: where it is
// > 0 it is active.
func UnitMap(n *Net, g Grid, layer, unit int) ([]float64, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if err := g.check(); err != nil {
		return nil, err
	}
	if layer < 0 || layer >= len(n.Layers) || unit < 0 || unit >= n.Layers[layer].Units() {
		return nil, fmt.Errorf("geometry: no unit %d in layer %d", unit, layer)
	}
	out := make([]float64, g.NX*g.NY)
	rows(g.NY, func(j int, e *evaluator) {
		for i := 0; i < g.NX; i++ {
			e.forward(g.At(i, j))
			out[j*g.NX+i] = e.pre[layer][unit]
		}
	}, n)
	return out, nil
}

// topProb is the softmax probability of the class c of the largest output
// (one output: the sigmoid as class 1's), without allocating:
// 1/Σ exp(out_i − out_c).
func topProb(out []float64, c int) float64 {
	if len(out) == 1 {
		p := 1 / (1 + math.Exp(-out[0]))
		if c == 0 {
			return 1 - p
		}
		return p
	}
	s := 0.0
	for _, v := range out {
		s += math.Exp(v - out[c])
	}
	return 1 / s
}

// evaluator is Net.Forward without allocation per point, over weights
// copied into one contiguous row-major slice per layer.
type evaluator struct {
	n    *Net
	in   [2]float64
	w    [][]float64 // per layer, units × fan-in
	pre  [][]float64
	post [][]float64
}

func newEvaluator(n *Net) *evaluator {
	e := &evaluator{n: n, w: make([][]float64, len(n.Layers)), pre: make([][]float64, len(n.Layers)), post: make([][]float64, len(n.Layers))}
	for i, l := range n.Layers {
		e.pre[i], e.post[i] = make([]float64, l.Units()), make([]float64, l.Units())
		for _, row := range l.W {
			e.w[i] = append(e.w[i], row...)
		}
	}
	return e
}

func (e *evaluator) forward(p Point) []float64 {
	e.in = [2]float64{p.X, p.Y}
	in := e.in[:]
	for i := range e.n.Layers {
		l := &e.n.Layers[i]
		w, pre, post := e.w[i], e.pre[i], e.post[i]
		fan := len(in)
		for j := range pre {
			row := w[j*fan : (j+1)*fan : (j+1)*fan]
			s := l.B[j]
			for k, x := range in {
				s += row[k] * x
			}
			pre[j] = s
		}
		switch l.Act {
		case ReLU:
			for j, z := range pre {
				post[j] = max(z, 0)
			}
		case Linear:
			copy(post, pre)
		default:
			for j, z := range pre {
				post[j] = l.Act.apply(z)
			}
		}
		in = post
	}
	return in
}

// rows runs fn for rows 0..ny−1 over GOMAXPROCS goroutines, each with its
// own evaluator.
func rows(ny int, fn func(j int, e *evaluator), n *Net) {
	workers := min(runtime.GOMAXPROCS(0), ny)
	var wg sync.WaitGroup
	next := make(chan int, ny)
	for j := 0; j < ny; j++ {
		next <- j
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := newEvaluator(n)
			for j := range next {
				fn(j, e)
			}
		}()
	}
	wg.Wait()
}
