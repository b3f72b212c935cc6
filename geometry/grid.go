package geometry

import (
	"fmt"
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
			m.Prob[j*g.NX+i] = Probs(out)[c]
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

// evaluator is Net.Forward without allocation per point.
type evaluator struct {
	n    *Net
	pre  [][]float64
	post [][]float64
}

func newEvaluator(n *Net) *evaluator {
	e := &evaluator{n: n, pre: make([][]float64, len(n.Layers)), post: make([][]float64, len(n.Layers))}
	for i, l := range n.Layers {
		e.pre[i], e.post[i] = make([]float64, l.Units()), make([]float64, l.Units())
	}
	return e
}

func (e *evaluator) forward(p Point) []float64 {
	in := []float64{p.X, p.Y}
	for i := range e.n.Layers {
		l := &e.n.Layers[i]
		for j, row := range l.W {
			s := l.B[j]
			for k, w := range row {
				s += w * in[k]
			}
			e.pre[i][j] = s
			e.post[i][j] = l.Act.apply(s)
		}
		in = e.post[i]
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
