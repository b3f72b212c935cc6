package graph

import (
	"fmt"

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
// Backward (the rest of what Outputs need). It is Compile's pipeline —
// order, lower, fuse, plan, verify — without a loss or an optimizer;
// opt.Optimizer must be nil. Running the Forward segment alone computes the
// Forward results (a cheap pass over a data set); running both computes
// everything.
func CompileGraph(g *G.ExprGraph, s GraphSpec, opt Options) (p *kernels.Program, err error) {
	const where = "graph.CompileGraph"
	defer recoverAs(where, &p, &err)
	switch {
	case g == nil:
		return nil, fmt.Errorf("%s: no graph", where)
	case opt.Optimizer != nil:
		return nil, fmt.Errorf("%s: an optimizer needs a model with a loss (use Compile)", where)
	case len(s.Forward)+len(s.Outputs) == 0:
		return nil, fmt.Errorf("%s: nothing to compute (no Forward or Outputs results)", where)
	}
	u := &unit{where: where, g: g, opt: opt, params: s.Params, inputs: s.Inputs, results: map[string]*G.Node{}}
	if u.inputs == nil {
		u.inputs = map[string]*G.Node{}
	}
	if err := u.checkLeaves(); err != nil {
		return nil, err
	}
	if err := u.addTaps(); err != nil {
		return nil, err
	}
	// Results keep their own buffers (a result is never fused into its
	// consumer's epilogue): the pipeline keeps every result.
	for _, name := range sortedKeys(s.Forward) {
		u.forward = append(u.forward, s.Forward[name])
		u.results[name] = s.Forward[name]
	}
	for _, name := range sortedKeys(s.Outputs) {
		if _, dup := s.Forward[name]; dup {
			return nil, fmt.Errorf("%s: result %q is both a Forward result and an Output", where, name)
		}
		u.backward = append(u.backward, s.Outputs[name])
		u.results[name] = s.Outputs[name]
	}
	for name, n := range u.results {
		if n == nil {
			return nil, fmt.Errorf("%s: result %q is nil", where, name)
		}
	}
	c, err := u.compile()
	if err != nil {
		return nil, err
	}
	return c.e.prog, nil
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
