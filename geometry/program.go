package geometry

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
)

// ProgramBatch is the number of grid points ProgramMap runs through the
// program at once.
const ProgramBatch = 4096

// ProgramMap samples a model's decision map by running its compiled
// forward program (the one training runs) in batches of the model's batch
// size on a backend ("cpu", "cuda", "auto"), the parameters written from
// values. A step layer runs as the sigmoid it trains as, so for step
// networks DecisionMap (the true step) is the map to draw; ProgramMap is
// for ReLU, sigmoid and tanh networks, whose float32 program and float64
// Net differ only by rounding.
func ProgramMap(m *graph.Model, values func(string) ([]float32, bool), g Grid, device string) (*Map, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	if s := m.X.Shape(); len(s) != 2 || s[1] != 2 {
		return nil, fmt.Errorf("%w: model %s takes input %v, want [batch, 2]", ErrNotPlanar, m.Name, []int(s))
	}
	p, err := graph.Compile(m, graph.Options{})
	if err != nil {
		return nil, fmt.Errorf("geometry: compiling %s: %w", m.Name, err)
	}
	be, err := kernels.Open(device)
	if err != nil {
		return nil, fmt.Errorf("geometry: %w", err)
	}
	ex, err := be.Load(p)
	if err != nil {
		return nil, fmt.Errorf("geometry: loading %s on %s: %w", m.Name, be.Name(), err)
	}
	defer ex.Close()
	for _, s := range p.Params {
		v, ok := values(s.Name)
		if !ok || len(v) != p.Buf(s.Value).Len {
			return nil, fmt.Errorf("geometry: model %s: no values for parameter %s (%d)", m.Name, s.Name, p.Buf(s.Value).Len)
		}
		if err := ex.Write(s.Value, v); err != nil {
			return nil, err
		}
	}
	if p.Ctl >= 0 { // evaluation mode
		if err := ex.Write(p.Ctl, []float32{0, 0}); err != nil {
			return nil, err
		}
	}
	if id, ok := p.Inputs["labels"]; ok {
		if err := ex.Write(id, make([]float32, p.Buf(id).Len)); err != nil {
			return nil, err
		}
	}
	batch := m.X.Shape()[0]
	k := p.Buf(p.Logits).Len / batch
	total := g.NX * g.NY
	mp := &Map{Grid: g, Class: make([]int, total), Prob: make([]float64, total), Classes: max(k, 2)}
	x := make([]float32, 2*batch)
	logits := make([]float32, batch*k)
	out := make([]float64, k)
	for start := 0; start < total; start += batch {
		n := min(batch, total-start)
		for i := 0; i < n; i++ {
			q := g.At((start+i)%g.NX, (start+i)/g.NX)
			x[2*i], x[2*i+1] = float32(q.X), float32(q.Y)
		}
		if err := ex.Write(p.Inputs["x"], x); err != nil {
			return nil, err
		}
		if err := ex.Run(p.Forward); err != nil {
			return nil, fmt.Errorf("geometry: running %s: %w", m.Name, err)
		}
		if err := ex.Read(p.Logits, logits); err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			bad := false
			for c := range out {
				out[c] = float64(logits[i*k+c])
				bad = bad || math.IsNaN(out[c])
			}
			if bad {
				return nil, fmt.Errorf("geometry: %s gives NaN logits at %v", m.Name, g.At((start+i)%g.NX, (start+i)/g.NX))
			}
			c := Class(out)
			mp.Class[start+i], mp.Prob[start+i] = c, topProb(out, c)
		}
	}
	return mp, nil
}
