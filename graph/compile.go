package graph

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Compile turns a model into a Program: the forward pass, and with
// opt.Optimizer the backward pass and the fused optimizer update.
//
// The passes, in order (one pipeline, shared with CompileGraph):
//  1. describe: the model's roles become roots (loss, logits, taps, and
//     with an optimizer the gradients, which gorgonia.Grad adds once per
//     model: a later Compile reuses them) and leaves the host writes;
//  2. select and order: the nodes the roots need, each after its inputs,
//     every forward node before every backward node;
//  3. lower: each node becomes kernel instructions over buffers — gabor's
//     ops through their own lowering, gorgonia's built-ins through
//     lowerBuiltin, scalar sizes and constants folded at compile time;
//     a Dense or Conv2D whose only consumer is an activation takes the
//     activation as its epilogue;
//  4. update: one multi-tensor optimizer instruction over all parameters;
//  5. plan: liveness intervals → offsets in one arena (Plan), checked by
//     an independent verifier (Verify).
//
// Compile never panics: a graph it cannot compile (an op it cannot lower,
// a float64 node, a leaf nobody writes, a malformed node) is an error
// naming the node — its name, its op and its id. GABOR_DEBUG=1 prints the
// resulting program to stderr.
func Compile(m *Model, opt Options) (p *kernels.Program, err error) {
	defer recoverAs("graph.Compile", &p, &err)
	u, err := m.unit(opt)
	if err != nil {
		return nil, err
	}
	c, err := u.compile()
	if err != nil {
		return nil, err
	}
	return c.e.prog, nil
}

// recoverAs is the last guard of an entry point: a panic below it (in
// gorgonia, or a compiler bug the node-level guard did not catch) becomes an
// error.
func recoverAs(where string, p **kernels.Program, err *error) {
	if r := recover(); r != nil {
		*p, *err = nil, fmt.Errorf("%s: internal error: %v", where, r)
	}
}

// unit is what the compile pipeline takes, whichever entry point built it:
// the roots of the forward segment and the further roots of the backward
// segment, the leaves the host writes, and the results to name.
type unit struct {
	where        string // the entry point and the model, for messages
	g            *G.ExprGraph
	opt          Options
	params       []*G.Node
	grads        []*G.Node          // one per parameter in a training program
	inputs       map[string]*G.Node // Program.Inputs name → leaf
	forward      []*G.Node          // computed by the Forward segment
	backward     []*G.Node          // computed after it (gradients, projections)
	results      map[string]*G.Node // Program.Taps name → node
	loss, logits *G.Node            // Program.Loss and Program.Logits, or nil
}

// unit checks the model's description and turns it into roots and leaves.
func (m *Model) unit(opt Options) (*unit, error) {
	if m == nil || m.G == nil {
		return nil, fmt.Errorf("graph.Compile: model has no graph")
	}
	u := &unit{where: fmt.Sprintf("graph.Compile: model %q", m.Name), g: m.G, opt: opt,
		params: m.Params, loss: m.Loss, logits: m.Logits,
		inputs: map[string]*G.Node{}, results: map[string]*G.Node{}}
	switch {
	case opt.Optimizer != nil && m.Loss == nil:
		return nil, fmt.Errorf("%s: training needs a Loss node", u.where)
	case opt.Optimizer != nil && len(m.Params) == 0:
		return nil, fmt.Errorf("%s: training needs parameters (Params is empty)", u.where)
	case m.Loss == nil && m.Logits == nil && len(m.Outputs)+len(opt.Taps) == 0:
		return nil, fmt.Errorf("%s: nothing to compute (no Loss, Logits, Outputs or taps)", u.where)
	}
	if m.Loss != nil && !m.Loss.IsScalar() {
		return nil, fmt.Errorf("%s: loss %s must be a scalar, got shape %v", u.where, describe(m.Loss), m.Loss.Shape())
	}
	if m.Target == OneHot && m.Labels != nil && m.Logits != nil && !m.Labels.Shape().Eq(m.Logits.Shape()) {
		return nil, fmt.Errorf("%s: %v labels %v must have the logits' shape %v", u.where, m.Target, m.Labels.Shape(), m.Logits.Shape())
	}
	for name, n := range map[string]*G.Node{"x": m.X, "labels": m.Labels} {
		if n != nil {
			u.inputs[name] = n
		}
	}
	for name, n := range m.Inputs {
		if _, dup := u.inputs[name]; dup {
			return nil, fmt.Errorf("%s: input %q is declared twice (Inputs repeats X or Labels)", u.where, name)
		}
		u.inputs[name] = n
	}
	for _, n := range []*G.Node{m.Loss, m.Logits} {
		if n != nil {
			u.forward = append(u.forward, n)
		}
	}
	for _, name := range sortedKeys(m.Outputs) {
		n := m.Outputs[name]
		if n == nil {
			return nil, fmt.Errorf("%s: output %q is nil", u.where, name)
		}
		u.forward = append(u.forward, n)
		u.results[name] = n
	}
	if err := u.checkLeaves(); err != nil {
		return nil, err
	}
	if opt.Optimizer != nil {
		var err error
		if u.grads, err = m.gradients(); err != nil {
			return nil, fmt.Errorf("%s: differentiating: %w", u.where, err)
		}
		// The last parameter's gradient first: in the order backprop
		// reaches them, so each layer's incoming gradient dies soon after
		// it is made (the memory plan of the zoo is that of a topological
		// sort by gorgonia, to the float).
		u.backward = append(u.backward, reversed(u.grads)...)
	}
	if err := u.addTaps(); err != nil {
		return nil, err
	}
	return u, nil
}

// gradients returns the gradient nodes of the parameters, differentiating
// the graph on first use.
func (m *Model) gradients() (grads []*G.Node, err error) {
	defer func() {
		if r := recover(); r != nil { // gorgonia panics on some graphs it cannot differentiate
			grads, err = nil, fmt.Errorf("gorgonia.Grad panicked: %v", r)
		}
	}()
	grads = make([]*G.Node, len(m.Params))
	have := 0
	for i, p := range m.Params {
		if p == nil {
			return nil, fmt.Errorf("parameter %d is nil", i)
		}
		if d := p.Deriv(); d != nil {
			grads[i] = d
			have++
		}
	}
	if have == len(m.Params) {
		return grads, nil
	}
	return G.Grad(m.Loss, m.Params...)
}

// addTaps resolves opt.Taps — node names, or "grad:<param name>" — into
// results of the backward segment (a tapped forward node stays forward).
func (u *unit) addTaps() error {
	const gp = "grad:"
	for _, name := range u.opt.Taps {
		var n *G.Node
		if pn, ok := strings.CutPrefix(name, gp); ok {
			i := slices.IndexFunc(u.params, func(p *G.Node) bool { return p != nil && p.Name() == pn })
			switch {
			case i < 0:
				return fmt.Errorf("%s: tap %q: no parameter %q", u.where, name, pn)
			case u.grads == nil:
				return fmt.Errorf("%s: tap %q needs a training program (an optimizer)", u.where, name)
			}
			n = u.grads[i]
		} else if found := u.g.ByName(name); len(found) > 0 {
			n = found[0]
		} else {
			return fmt.Errorf("%s: tap %q: no node of that name", u.where, name)
		}
		if _, dup := u.results[name]; dup {
			return fmt.Errorf("%s: tap %q is also the name of an output", u.where, name)
		}
		u.results[name] = n
		u.backward = append(u.backward, n)
	}
	return nil
}

// compiler holds the state of one compilation.
type compiler struct {
	u *unit
	e *emitter

	order     []*G.Node
	consumers map[*G.Node][]*G.Node
	keep      map[*G.Node]bool          // results, loss, logits: never fused away
	bufs      map[*G.Node]kernels.BufID // the buffer holding each lowered node
	consts    map[*G.Node]float64       // scalar nodes known at compile time
	done      map[*G.Node]bool          // nodes already lowered (fused into a producer)
	fills     []kernels.Instr           // fills of constant buffers, run first
	cur       *G.Node                   // the node being lowered, for messages
}

// compile runs the pipeline: order, lower, fill, name the results, update,
// plan. A panic anywhere below (a gorgonia accessor on a malformed node, a
// compiler bug) becomes an error naming the node being compiled.
func (u *unit) compile() (c *compiler, err error) {
	c = &compiler{u: u, e: newEmitter(),
		keep: map[*G.Node]bool{}, bufs: map[*G.Node]kernels.BufID{},
		consts: map[*G.Node]float64{}, done: map[*G.Node]bool{}}
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, c.fail(c.cur, "internal error: %v", r)
		}
	}()
	if err := c.run(); err != nil {
		return nil, err
	}
	p := c.e.prog
	if err := Plan(p); err != nil {
		return nil, fmt.Errorf("%s: %w", u.where, err)
	}
	if err := Verify(p); err != nil {
		return nil, fmt.Errorf("%s: memory plan is wrong (a compiler bug): %w", u.where, err)
	}
	if os.Getenv("GABOR_DEBUG") != "" {
		fmt.Fprint(os.Stderr, p.Dump())
	}
	return c, nil
}

// fail is every error of a compilation: where, the node, what is wrong.
func (c *compiler) fail(n *G.Node, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if n == nil {
		return fmt.Errorf("%s: %s", c.u.where, msg)
	}
	return fmt.Errorf("%s: node %s: %s", c.u.where, describe(n), msg)
}

func (c *compiler) run() error {
	u, p := c.u, c.e.prog
	if err := c.declare(); err != nil {
		return err
	}
	fwd, err := c.sortFrom(u.forward, nil)
	if err != nil {
		return err
	}
	bwd, err := c.sortFrom(u.backward, fwd)
	if err != nil {
		return err
	}
	c.order = append(slices.Clone(fwd), bwd...)
	c.consumers = map[*G.Node][]*G.Node{}
	for _, n := range c.order {
		for _, ch := range children(n) {
			c.consumers[ch] = append(c.consumers[ch], n)
		}
	}
	c.keep[u.loss], c.keep[u.logits] = true, true
	for _, n := range u.results {
		c.keep[n] = true
	}

	for _, n := range fwd {
		if err := c.lowerNode(n); err != nil {
			return err
		}
	}
	p.Forward = kernels.Segment{Start: 0, End: len(p.Instrs)}
	for _, n := range bwd {
		if err := c.lowerNode(n); err != nil {
			return err
		}
	}
	// The results: a folded constant gets its filled buffer here, and every
	// parameter's gradient a buffer of its own (two parameters of one sum
	// share gorgonia's gradient node, and the gradient of a·b with respect
	// to a is b's value: the optimizer's operands must not alias).
	c.cur = nil
	if u.loss != nil {
		if p.Loss, err = c.result(u.loss); err != nil {
			return err
		}
	}
	if u.logits != nil {
		if p.Logits, err = c.result(u.logits); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(u.results) {
		if p.Taps[name], err = c.result(u.results[name]); err != nil {
			return err
		}
	}
	if u.opt.Optimizer != nil {
		owned := map[kernels.BufID]bool{}
		for i, g := range u.grads {
			id, err := c.operandOf(g)
			if err != nil {
				return c.fail(u.params[i], "its gradient: %v", err)
			}
			root := c.root(id)
			if owned[root] || p.Buffers[root].Class == kernels.Param { // the update must not alias its operands
				c.e.node = "gradient of " + nodeLabel(u.params[i])
				cp := c.e.Buffer("grad "+u.params[i].Name(), p.Buffers[id].Shape, kernels.Grad)
				c.e.Emit(kernels.OpCopy, ids1(id), ids1(cp), kernels.CopyArgs{N: p.Buffers[id].Len})
				id, root = cp, cp
			}
			owned[root] = true
			p.Params[i].Grad = id
		}
	}
	p.Backward = kernels.Segment{Start: p.Forward.End, End: len(p.Instrs)}
	if k := len(c.fills); k > 0 { // constants are filled at the start of the forward pass
		p.Instrs = append(slices.Clone(c.fills), p.Instrs...)
		p.Forward.End += k
		p.Backward.Start += k
		p.Backward.End += k
	}
	if u.opt.Optimizer != nil {
		if err := c.emitUpdate(); err != nil {
			return err
		}
	}
	p.Update = kernels.Segment{Start: p.Backward.End, End: len(p.Instrs)}
	return nil
}

// result pins the buffer of a program output.
func (c *compiler) result(n *G.Node) (kernels.BufID, error) {
	id, err := c.operandOf(n)
	if err != nil {
		return -1, err
	}
	c.pin(id, kernels.Output)
	return id, nil
}

// root is the buffer that owns id's storage.
func (c *compiler) root(id kernels.BufID) kernels.BufID {
	if v := c.e.prog.Buffers[id].View; v >= 0 {
		return v
	}
	return id
}

// checkLeaves checks that every parameter and declared input is a float32
// leaf, before anything differentiates or lowers the graph.
func (u *unit) checkLeaves() error {
	check := func(n *G.Node, role string) error {
		switch {
		case n == nil:
			return fmt.Errorf("%s: %s is nil", u.where, role)
		case n.Op() != nil:
			return fmt.Errorf("%s: node %s: %s is computed by %v, not a leaf (a variable or placeholder)", u.where, describe(n), role, n.Op())
		}
		if dt, ok := dtypeOf(n); !ok || dt != tensor.Float32 {
			return fmt.Errorf("%s: node %s: %s has dtype %v: gabor compiles float32 graphs only", u.where, describe(n), role, dt)
		}
		return nil
	}
	for i, pn := range u.params {
		if err := check(pn, fmt.Sprintf("parameter %d", i)); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(u.inputs) {
		if err := check(u.inputs[name], fmt.Sprintf("input %q", name)); err != nil {
			return err
		}
	}
	return nil
}

// declare gives the parameters and the declared inputs their pinned buffers.
func (c *compiler) declare() error {
	u, p := c.u, c.e.prog
	for _, pn := range u.params {
		if _, dup := c.bufs[pn]; dup {
			return c.fail(pn, "listed twice in Params")
		}
		id := c.e.Buffer(pn.Name(), shapeOf(pn), kernels.Param)
		c.bufs[pn] = id
		p.Params = append(p.Params, kernels.ParamSlot{Name: pn.Name(), Value: id, Grad: -1})
	}
	for _, name := range sortedKeys(u.inputs) {
		n := u.inputs[name]
		if _, dup := c.bufs[n]; dup {
			return c.fail(n, "input %q is also a parameter or another input", name)
		}
		id := c.e.Buffer(name, shapeOf(n), kernels.Input)
		c.bufs[n] = id
		p.Inputs[name] = id
	}
	return nil
}

// float32OK refuses any dtype but float32: every kernel computes in float32,
// and running a float64 graph in float32 would be a silent change of meaning.
func (c *compiler) float32OK(n *G.Node) error {
	if dt, ok := dtypeOf(n); !ok || dt != tensor.Float32 {
		return c.fail(n, "dtype %v: gabor compiles float32 graphs only", dt)
	}
	return nil
}

// dtypeOf is n.Dtype() without gorgonia's panic on a node with no dtype.
func dtypeOf(n *G.Node) (dt tensor.Dtype, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return n.Dtype(), true
}

// emitUpdate appends the fused optimizer update over all parameters.
func (c *compiler) emitUpdate() error {
	o := c.u.opt.Optimizer
	p := c.e.prog
	c.e.node = "optimizer " + o.Kind
	p.Hyper = c.e.Buffer("hyper", []int{2}, kernels.Control)
	sizes := make([]int, len(p.Params))
	var values, grads []kernels.BufID
	for i, s := range p.Params {
		sizes[i] = p.Buffers[s.Value].Len
		values = append(values, s.Value)
		grads = append(grads, s.Grad)
	}
	state := func(kind string) []kernels.BufID {
		ids := make([]kernels.BufID, len(p.Params))
		for i, s := range p.Params {
			ids[i] = c.e.Buffer("optim."+kind+"."+s.Name, p.Buffers[s.Value].Shape, kernels.OptState)
			p.Params[i].State = append(p.Params[i].State, ids[i])
		}
		return ids
	}
	switch o.Kind {
	case "sgd", "":
		in := slices.Concat(values, grads, state("momentum"), []kernels.BufID{p.Hyper})
		c.e.Emit(kernels.OpSGD, in, nil, kernels.SGDArgs{
			Sizes: sizes, Momentum: o.Momentum, WeightDecay: o.WeightDecay, Nesterov: o.Nesterov})
	case "adam":
		b1, b2, eps := o.Beta1, o.Beta2, o.Eps
		if b1 == 0 {
			b1 = 0.9
		}
		if b2 == 0 {
			b2 = 0.999
		}
		if eps == 0 {
			eps = 1e-8
		}
		in := slices.Concat(values, grads, state("m"), state("v"), []kernels.BufID{p.Hyper})
		c.e.Emit(kernels.OpAdam, in, nil, kernels.AdamArgs{
			Sizes: sizes, Beta1: b1, Beta2: b2, Eps: eps, WeightDecay: o.WeightDecay})
	case "adagrad", "rmsprop":
		return c.emitAdaptive(o, sizes, values, grads, state)
	default:
		return c.fail(nil, "unknown optimizer %q (want sgd, adam, adagrad or rmsprop)", o.Kind)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for name := range m {
		k = append(k, name)
	}
	slices.Sort(k)
	return k
}
