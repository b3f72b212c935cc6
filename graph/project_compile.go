package graph

import (
	"fmt"
	"os"
	"slices"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
)

// GraphSpec says what CompileGraph compiles from a graph that need not be a
// trainable model (no labels, no loss): a projection, a feature extractor.
type GraphSpec struct {
	// Inputs are placeholders the host writes, under their Program.Inputs name.
	Inputs map[string]*G.Node
	// Params are variables with Param buffers (Program.Params, by node name),
	// written by the host like a model's parameters.
	Params []*G.Node
	// Forward are the results of the forward segment, readable after a run
	// as Program.Taps[name]. Everything they need is computed there first.
	Forward map[string]*G.Node
	// Outputs are results computed after the forward segment (the Backward
	// segment), readable as Program.Taps[name]. A projection's output goes
	// here, its layer in Forward: the backward steps then reuse the
	// forward pass's max-pool switches.
	Outputs map[string]*G.Node
}

// CompileGraph compiles the part of g that the spec's results need into a
// Program with two segments: Forward (what the Forward results need) and
// Backward (the rest of what Outputs need). It runs the same passes as
// Compile — order, lower, fuse, plan, verify — without a loss or an
// optimizer; opt.Optimizer must be nil. Running the Forward segment alone
// computes the Forward results (a cheap pass over a data set); running both
// computes everything.
func CompileGraph(g *G.ExprGraph, s GraphSpec, opt Options) (*kernels.Program, error) {
	if g == nil {
		return nil, fmt.Errorf("graph.CompileGraph: no graph")
	}
	if opt.Optimizer != nil {
		return nil, fmt.Errorf("graph.CompileGraph: an optimizer needs a model with a loss (use Compile)")
	}
	if len(s.Forward)+len(s.Outputs) == 0 {
		return nil, fmt.Errorf("graph.CompileGraph: nothing to compute (no Forward or Outputs results)")
	}
	for _, q := range s.Params {
		if q.Op() != nil {
			return nil, fmt.Errorf("graph.CompileGraph: parameter %s is computed by %v, not a variable", q.Name(), q.Op())
		}
	}
	// Results keep their own buffers: naming them as taps keeps the
	// compiler from fusing them into a consumer's epilogue.
	opt.Taps = slices.Clone(opt.Taps)
	var fwdRoots, allRoots []*G.Node
	for _, name := range sortedKeys(s.Forward) {
		n := s.Forward[name]
		fwdRoots, allRoots = append(fwdRoots, n), append(allRoots, n)
		opt.Taps = append(opt.Taps, n.Name())
	}
	for _, name := range sortedKeys(s.Outputs) {
		n := s.Outputs[name]
		if _, dup := s.Forward[name]; dup {
			return nil, fmt.Errorf("graph.CompileGraph: result %q is both a Forward result and an Output", name)
		}
		allRoots = append(allRoots, n)
		opt.Taps = append(opt.Taps, n.Name())
	}

	c := &compiler{
		m:   &Model{Name: "graph", G: g, Params: s.Params},
		opt: opt, e: newEmitter(),
		bufs:   map[*G.Node]kernels.BufID{},
		consts: map[*G.Node]float64{},
		done:   map[*G.Node]bool{},
	}
	forward, needed := reach(fwdRoots...), reach(allRoots...)
	sorted, err := G.Sort(g)
	if err != nil {
		return nil, fmt.Errorf("graph.CompileGraph: sorting the graph: %w", err)
	}
	var fwd, bwd []*G.Node
	for i := len(sorted) - 1; i >= 0; i-- { // Sort returns roots first
		switch n := sorted[i]; {
		case forward[n]:
			fwd = append(fwd, n)
		case needed[n]:
			bwd = append(bwd, n)
		}
	}
	c.order = append(fwd, bwd...)
	c.consumers = map[*G.Node][]*G.Node{}
	for _, n := range c.order {
		for _, ch := range children(n) {
			c.consumers[ch] = append(c.consumers[ch], n)
		}
	}

	p := c.e.prog
	for _, q := range s.Params {
		id := c.e.Buffer(q.Name(), q.Shape(), kernels.Param)
		c.bufs[q] = id
		p.Params = append(p.Params, kernels.ParamSlot{Name: q.Name(), Value: id, Grad: -1})
	}
	for _, name := range sortedKeys(s.Inputs) {
		n := s.Inputs[name]
		if n.Op() != nil {
			return nil, fmt.Errorf("graph.CompileGraph: input %q is computed by %v, not a placeholder", name, n.Op())
		}
		if _, ok := c.bufs[n]; ok {
			return nil, fmt.Errorf("graph.CompileGraph: input %q is also a parameter", name)
		}
		id := c.e.Buffer(name, shapeOf(n), kernels.Input)
		c.bufs[n] = id
		p.Inputs[name] = id
	}

	for _, n := range fwd {
		if err := c.lowerNode(n); err != nil {
			return nil, err
		}
	}
	p.Forward = kernels.Segment{Start: 0, End: len(p.Instrs)}
	for _, n := range bwd {
		if err := c.lowerNode(n); err != nil {
			return nil, err
		}
	}
	p.Backward = kernels.Segment{Start: p.Forward.End, End: len(p.Instrs)}
	if k := len(c.fills); k > 0 { // constants are filled first
		p.Instrs = append(slices.Clone(c.fills), p.Instrs...)
		p.Forward.End += k
		p.Backward.Start += k
		p.Backward.End += k
	}
	p.Update = kernels.Segment{Start: p.Backward.End, End: p.Backward.End}

	for _, results := range []map[string]*G.Node{s.Forward, s.Outputs} {
		for _, name := range sortedKeys(results) {
			id, ok := c.bufs[results[name]]
			if !ok {
				return nil, fmt.Errorf("graph.CompileGraph: result %q (node %s) has no buffer", name, nodeLabel(results[name]))
			}
			p.Taps[name] = id
			c.pin(id, kernels.Output)
		}
	}
	if err := Plan(p); err != nil {
		return nil, err
	}
	if err := Verify(p); err != nil {
		return nil, fmt.Errorf("graph.CompileGraph: memory plan is wrong (a compiler bug): %w", err)
	}
	if os.Getenv("GABOR_DEBUG") != "" {
		fmt.Fprint(os.Stderr, p.Dump())
	}
	return p, nil
}

// Compile compiles the projection with its layer as a forward result
// ("layer"), the seed as the input "seed" beside x ("x"), the model
// parameters it reads as Params (those below the layer only), and the
// projection as the output "proj".
func (p *Projection) Compile(m *Model, opt Options) (*kernels.Program, error) {
	used := reach(p.Layer, p.Out)
	var params []*G.Node
	for _, q := range m.Params {
		if used[q] {
			params = append(params, q)
		}
	}
	return CompileGraph(m.G, GraphSpec{
		Inputs:  map[string]*G.Node{"x": m.X, "seed": p.Seed},
		Params:  params,
		Forward: map[string]*G.Node{"layer": p.Layer},
		Outputs: map[string]*G.Node{"proj": p.Out},
	}, opt)
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for name := range m {
		k = append(k, name)
	}
	slices.Sort(k)
	return k
}
