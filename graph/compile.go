package graph

import (
	"fmt"
	"os"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Compile turns a model into a Program: the forward pass, and with
// opt.Optimizer the backward pass and the fused optimizer update.
//
// The passes, in order:
//  1. differentiate: gorgonia.Grad adds the backward graph for m.Params
//     (once per model: a later Compile reuses the gradient nodes);
//  2. select and order: the nodes the roots (loss, logits, gradients, taps)
//     need, inputs first, every forward node before every backward node;
//  3. lower: each node becomes kernel instructions over buffers — gabor's
//     ops through their own lowering, gorgonia's built-ins through
//     lowerBuiltin, scalar sizes and constants folded at compile time;
//     a Dense or Conv2D whose only consumer is an activation takes the
//     activation as its epilogue;
//  4. update: one multi-tensor optimizer instruction over all parameters;
//  5. plan: liveness intervals → offsets in one arena (Plan), checked by
//     an independent verifier (Verify).
//
// GABOR_DEBUG=1 prints the resulting program to stderr.
func Compile(m *Model, opt Options) (*kernels.Program, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	var grads []*G.Node
	if opt.Optimizer != nil {
		var err error
		if grads, err = m.gradients(); err != nil {
			return nil, err
		}
	}
	c := &compiler{
		m: m, opt: opt, e: newEmitter(),
		bufs:   map[*G.Node]kernels.BufID{},
		consts: map[*G.Node]float64{},
		done:   map[*G.Node]bool{},
	}
	if err := c.run(grads); err != nil {
		return nil, err
	}
	p := c.e.prog
	if err := Plan(p); err != nil {
		return nil, err
	}
	if err := Verify(p); err != nil {
		return nil, fmt.Errorf("graph.Compile: memory plan is wrong (a compiler bug): %w", err)
	}
	if os.Getenv("GABOR_DEBUG") != "" {
		fmt.Fprint(os.Stderr, p.Dump())
	}
	return p, nil
}

func (m *Model) check() error {
	switch {
	case m == nil || m.G == nil:
		return fmt.Errorf("graph.Compile: model has no graph")
	case m.X == nil || m.Logits == nil:
		return fmt.Errorf("graph.Compile: model %q needs an input node X and a Logits node", m.Name)
	case m.Loss == nil || m.Labels == nil:
		return fmt.Errorf("graph.Compile: model %q needs Labels and a Loss node", m.Name)
	}
	if !m.Loss.IsScalar() {
		return fmt.Errorf("graph.Compile: model %q: loss must be a scalar, got shape %v", m.Name, m.Loss.Shape())
	}
	for _, p := range m.Params {
		if p.Op() != nil {
			return fmt.Errorf("graph.Compile: model %q: parameter %s is computed by %v, not a variable", m.Name, p.Name(), p.Op())
		}
	}
	return nil
}

// gradients returns the gradient nodes of the parameters, differentiating
// the graph on first use.
func (m *Model) gradients() ([]*G.Node, error) {
	grads := make([]*G.Node, len(m.Params))
	have := 0
	for i, p := range m.Params {
		if d := p.Deriv(); d != nil {
			grads[i] = d
			have++
		}
	}
	if have == len(m.Params) {
		return grads, nil
	}
	gs, err := G.Grad(m.Loss, m.Params...)
	if err != nil {
		return nil, fmt.Errorf("graph.Compile: differentiating model %q: %w", m.Name, err)
	}
	return gs, nil
}

type compiler struct {
	m   *Model
	opt Options
	e   *emitter

	order     []*G.Node
	consumers map[*G.Node][]*G.Node
	bufs      map[*G.Node]kernels.BufID // the buffer holding each lowered node
	consts    map[*G.Node]float64       // scalar nodes known at compile time
	done      map[*G.Node]bool          // nodes already lowered (fused into a producer)
	fills     []kernels.Instr           // fills of constant buffers, run first
}

// children returns n's inputs in order.
func children(n *G.Node) []*G.Node {
	var out []*G.Node
	it := n.Graph().From(n.ID())
	for it.Next() {
		out = append(out, it.Node().(*G.Node))
	}
	return out
}

func (c *compiler) run(grads []*G.Node) error {
	m := c.m
	roots := []*G.Node{m.Loss, m.Logits}
	roots = append(roots, grads...)
	tapNodes := map[string]*G.Node{}
	for _, name := range c.opt.Taps {
		n, err := c.findTap(name, grads)
		if err != nil {
			return err
		}
		tapNodes[name] = n
		roots = append(roots, n)
	}

	// Select: everything the roots need; forward = what loss and logits need.
	forward := reach(m.Loss, m.Logits)
	needed := reach(roots...)
	sorted, err := G.Sort(m.G)
	if err != nil {
		return fmt.Errorf("graph.Compile: sorting model %q: %w", m.Name, err)
	}
	var fwd, bwd []*G.Node
	for i := len(sorted) - 1; i >= 0; i-- { // Sort returns roots first
		n := sorted[i]
		switch {
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

	// Inputs and parameters first: they own pinned buffers.
	p := c.e.prog
	slot := map[*G.Node]int{}
	for i, pn := range m.Params {
		id := c.e.Buffer(pn.Name(), pn.Shape(), kernels.Param)
		c.bufs[pn] = id
		p.Params = append(p.Params, kernels.ParamSlot{Name: pn.Name(), Value: id, Grad: -1})
		slot[pn] = i
	}

	lowerAll := func(nodes []*G.Node) error {
		for _, n := range nodes {
			if err := c.lowerNode(n); err != nil {
				return err
			}
		}
		return nil
	}
	if err := lowerAll(fwd); err != nil {
		return err
	}
	p.Forward = kernels.Segment{Start: 0, End: len(p.Instrs)}
	if err := lowerAll(bwd); err != nil {
		return err
	}
	p.Backward = kernels.Segment{Start: p.Forward.End, End: len(p.Instrs)}

	// Constants are filled at the start of the forward pass.
	if len(c.fills) > 0 {
		p.Instrs = append(append([]kernels.Instr(nil), c.fills...), p.Instrs...)
		k := len(c.fills)
		p.Forward.End += k
		p.Backward.Start += k
		p.Backward.End += k
	}

	p.Loss = c.bufs[m.Loss]
	p.Logits = c.bufs[m.Logits]
	c.pin(p.Loss, kernels.Output)
	c.pin(p.Logits, kernels.Output)
	for name, n := range tapNodes {
		id, ok := c.bufs[n]
		if !ok {
			return fmt.Errorf("graph.Compile: tap %q (node %v) has no buffer", name, n)
		}
		p.Taps[name] = id
		c.pin(id, p.Buffers[id].Class)
	}

	if c.opt.Optimizer != nil {
		for i, g := range grads {
			id, ok := c.bufs[g]
			if !ok {
				return fmt.Errorf("graph.Compile: gradient of %s was not lowered", m.Params[i].Name())
			}
			p.Params[i].Grad = id
		}
		if err := c.emitUpdate(); err != nil {
			return err
		}
	}
	p.Update = kernels.Segment{Start: p.Backward.End, End: len(p.Instrs)}
	return nil
}

// pin keeps a buffer (and whatever it views) alive for the whole program.
func (c *compiler) pin(id kernels.BufID, class kernels.BufClass) {
	b := &c.e.prog.Buffers[id]
	if b.View >= 0 {
		root := &c.e.prog.Buffers[b.View]
		root.Pinned = true
		if root.Class == kernels.Temp {
			root.Class = class
		}
		return
	}
	b.Pinned = true
	if b.Class == kernels.Temp {
		b.Class = class
	}
}

// findTap resolves a tap name: a node name, or "grad:<param name>".
func (c *compiler) findTap(name string, grads []*G.Node) (*G.Node, error) {
	const gp = "grad:"
	if len(name) > len(gp) && name[:len(gp)] == gp {
		for i, pn := range c.m.Params {
			if pn.Name() == name[len(gp):] {
				if grads == nil {
					return nil, fmt.Errorf("graph.Compile: tap %q needs a training program (an optimizer)", name)
				}
				return grads[i], nil
			}
		}
		return nil, fmt.Errorf("graph.Compile: tap %q: model %q has no parameter %q", name, c.m.Name, name[len(gp):])
	}
	found := c.m.G.ByName(name)
	if len(found) == 0 {
		return nil, fmt.Errorf("graph.Compile: tap %q: model %q has no node of that name", name, c.m.Name)
	}
	return found[0], nil
}

// reach returns the set of nodes the given roots depend on (roots included).
func reach(roots ...*G.Node) map[*G.Node]bool {
	seen := map[*G.Node]bool{}
	var visit func(n *G.Node)
	visit = func(n *G.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		for _, ch := range children(n) {
			visit(ch)
		}
	}
	for _, r := range roots {
		visit(r)
	}
	return seen
}

// lowerNode emits the instructions computing n.
func (c *compiler) lowerNode(n *G.Node) error {
	if c.done[n] {
		return nil
	}
	c.e.node = fmt.Sprintf("%s %v", nodeLabel(n), n.Op())
	if n.Op() == nil {
		return c.lowerInput(n)
	}
	kids := children(n)
	// Compile-time scalars: sizes, scalar constants, arithmetic on them.
	if v, ok := c.foldScalar(n, kids); ok {
		c.consts[n] = v
		return nil
	}
	in := make([]operand, len(kids))
	for i, k := range kids {
		id, err := c.operandOf(k)
		if err != nil {
			return err
		}
		in[i] = operand{ID: id, Shape: shapeOf(k), Node: k}
	}
	if l, ok := n.Op().(lowerer); ok {
		target, act := c.fuse(n)
		out := c.outBuffer(target)
		if err := l.lower(c.e, in, operand{ID: out, Shape: shapeOf(target), Node: target}); err != nil {
			return fmt.Errorf("graph.Compile: lowering %s: %w", nodeLabel(n), err)
		}
		if target != n {
			c.setEpilogue(out, act)
			c.done[target] = true
		}
		return nil
	}
	return c.lowerBuiltin(n, in)
}

// fuse gives a GEMM or convolution its activation as an epilogue when the
// activation is the only consumer: the activation's node then takes the
// output and the pre-activation never gets a buffer. It returns the node
// whose buffer the op writes and the activation to apply.
func (c *compiler) fuse(n *G.Node) (*G.Node, kernels.Act) {
	switch n.Op().(type) {
	case denseOp, convOp:
	default:
		return n, kernels.ActNone
	}
	cons := c.consumers[n]
	if c.opt.NoFusion || len(cons) != 1 || n == c.m.Logits || c.isTap(n) {
		return n, kernels.ActNone
	}
	a, ok := cons[0].Op().(fusableAct)
	if !ok || cons[0] == c.m.Logits {
		return n, kernels.ActNone
	}
	return cons[0], a.act()
}

// setEpilogue sets the activation of the GEMM or convolution that last
// wrote buf; if that was another kernel, it applies the activation in place.
func (c *compiler) setEpilogue(buf kernels.BufID, act kernels.Act) {
	ins := c.e.prog.Instrs
	for i := len(ins) - 1; i >= 0; i-- {
		if len(ins[i].Out) == 0 || ins[i].Out[0] != buf {
			continue
		}
		switch a := ins[i].Args.(type) {
		case kernels.GemmArgs:
			if a.Act == kernels.ActNone {
				a.Act = act
				ins[i].Args = a
				return
			}
		case kernels.ConvArgs:
			if ins[i].Op == kernels.OpConv2D && a.Act == kernels.ActNone {
				a.Act = act
				ins[i].Args = a
				return
			}
		}
		break
	}
	fn, _ := act.Unary()
	c.e.Emit(kernels.OpUnary, []kernels.BufID{buf}, []kernels.BufID{buf}, kernels.UnaryArgs{Fn: fn, N: c.e.prog.Buffers[buf].Len})
}

func (c *compiler) isTap(n *G.Node) bool {
	for _, t := range c.opt.Taps {
		if t == n.Name() {
			return true
		}
	}
	return false
}

// fusableAct is an elementwise activation op.
type fusableAct interface {
	act() kernels.Act
}

// lowerInput gives an input node its buffer: parameters (already done),
// the images, the labels, or another placeholder (an Input the host writes).
func (c *compiler) lowerInput(n *G.Node) error {
	if _, ok := c.bufs[n]; ok {
		return nil
	}
	id := c.e.Buffer(n.Name(), shapeOf(n), kernels.Input)
	c.bufs[n] = id
	name := n.Name()
	switch n {
	case c.m.X:
		name = "x"
	case c.m.Labels:
		name = "labels"
	}
	c.e.prog.Inputs[name] = id
	return nil
}

// operandOf returns the buffer holding node k, materializing a folded
// scalar constant into a buffer filled at the start of the program.
func (c *compiler) operandOf(k *G.Node) (kernels.BufID, error) {
	if id, ok := c.bufs[k]; ok {
		return id, nil
	}
	if v, ok := c.consts[k]; ok {
		id := c.e.Buffer(fmt.Sprintf("const %g", v), nil, kernels.Control)
		c.fills = append(c.fills, kernels.Instr{Op: kernels.OpFill, Out: []kernels.BufID{id},
			Args: kernels.FillArgs{N: 1, Value: float32(v)}, Node: "constant"})
		c.bufs[k] = id
		return id, nil
	}
	return -1, fmt.Errorf("graph.Compile: node %s is used before it is computed (op %v)", nodeLabel(k), k.Op())
}

// outBuffer allocates the buffer of a lowered node.
func (c *compiler) outBuffer(n *G.Node) kernels.BufID {
	if id, ok := c.bufs[n]; ok {
		return id
	}
	id := c.e.Temp(nodeLabel(n), shapeOf(n))
	c.bufs[n] = id
	return id
}

// view records that n is a reshape of src: it shares src's storage.
func (c *compiler) view(n *G.Node, src kernels.BufID) {
	c.bufs[n] = c.e.View(nodeLabel(n), src, shapeOf(n))
}

func nodeLabel(n *G.Node) string {
	if nm := n.Name(); nm != "" && len(nm) < 40 {
		return fmt.Sprintf("%%%d %s", n.ID(), nm)
	}
	return fmt.Sprintf("%%%d", n.ID())
}

// shapeOf is a node's shape, with scalars as the empty shape.
func shapeOf(n *G.Node) tensor.Shape {
	if n.IsScalar() {
		return tensor.Shape{}
	}
	return n.Shape()
}

// emitUpdate appends the fused optimizer update over all parameters.
func (c *compiler) emitUpdate() error {
	o := c.opt.Optimizer
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
	var in []kernels.BufID
	switch o.Kind {
	case "sgd", "":
		in = concatIDs(values, grads, state("momentum"), []kernels.BufID{p.Hyper})
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
		in = concatIDs(values, grads, state("m"), state("v"), []kernels.BufID{p.Hyper})
		c.e.Emit(kernels.OpAdam, in, nil, kernels.AdamArgs{
			Sizes: sizes, Beta1: b1, Beta2: b2, Eps: eps, WeightDecay: o.WeightDecay})
	default:
		return fmt.Errorf("graph.Compile: unknown optimizer %q (want sgd or adam)", o.Kind)
	}
	return nil
}

func concatIDs(lists ...[]kernels.BufID) []kernels.BufID {
	var out []kernels.BufID
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
