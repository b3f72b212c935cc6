package graph

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"unsafe"

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
func Compile(m *Model, opt Options) (*kernels.Program, error) {
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
	case m.Loss == nil && m.Logits == nil && len(opt.Taps) == 0:
		return nil, fmt.Errorf("%s: nothing to compute (no Loss, Logits or taps)", u.where)
	}
	if m.Loss != nil && !m.Loss.IsScalar() {
		return nil, fmt.Errorf("%s: loss %s must be a scalar, got shape %v", u.where, describe(m.Loss), m.Loss.Shape())
	}
	if m.Target == OneHot && m.Labels != nil && m.Logits != nil && !m.Labels.Shape().Eq(m.Logits.Shape()) {
		return nil, fmt.Errorf("%s: one-hot labels %v must have the logits' shape %v", u.where, m.Labels.Shape(), m.Logits.Shape())
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
	if err := u.checkLeaves(); err != nil {
		return nil, err
	}
	if opt.Optimizer != nil {
		var err error
		if u.grads, err = m.gradients(); err != nil {
			return nil, fmt.Errorf("%s: differentiating: %w", u.where, err)
		}
		u.backward = append(u.backward, u.grads...)
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

// sortFrom returns the nodes the roots need that are not in before, each
// after its inputs (a depth-first post-order over the nodes' own inputs, so
// nodes gorgonia has removed from its graph tables never appear).
func (c *compiler) sortFrom(roots, before []*G.Node) ([]*G.Node, error) {
	const visiting, visited = 1, 2
	state := map[*G.Node]int{}
	for _, n := range before {
		state[n] = visited
	}
	var out []*G.Node
	var visit func(n *G.Node) error
	visit = func(n *G.Node) error {
		switch state[n] {
		case visited:
			return nil
		case visiting:
			return c.fail(n, "the graph has a cycle through this node")
		}
		state[n] = visiting
		for i, ch := range children(n) {
			if ch == nil {
				return c.fail(n, "input %d is nil", i)
			}
			if err := visit(ch); err != nil {
				return err
			}
		}
		state[n] = visited
		out = append(out, n)
		return nil
	}
	for _, r := range roots {
		if err := visit(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// childrenOffset locates Node's unexported children field: gorgonia v0.9.18
// exports no accessor for a node's inputs, and its graph-level lookup
// (ExprGraph.From) indexes its node table by id, which goes stale once
// gorgonia removes nodes (its stabilizing rewrites and the pruning inside
// Grad both do), handing back another node's inputs.
var childrenOffset = func() uintptr {
	f, ok := reflect.TypeOf(G.Node{}).FieldByName("children")
	if !ok || f.Type != reflect.TypeOf(G.Nodes(nil)) {
		return ^uintptr(0)
	}
	return f.Offset
}()

// children returns n's inputs in order, as the node itself holds them.
func children(n *G.Node) G.Nodes {
	if childrenOffset == ^uintptr(0) { // another gorgonia: the graph's view
		var out G.Nodes
		for it := n.Graph().From(n.ID()); it.Next(); {
			out = append(out, it.Node().(*G.Node))
		}
		return out
	}
	return *(*G.Nodes)(unsafe.Add(unsafe.Pointer(n), childrenOffset))
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
	c.cur = n
	c.e.node = fmt.Sprintf("%s %v", nodeLabel(n), n.Op())
	if n.Op() == nil {
		return c.lowerLeaf(n)
	}
	if builtinName(n.Op()) == "constantTensor" { // gorgonia says arity 1 but gives it no input
		return c.constant(n)
	}
	kids := children(n)
	if a := n.Op().Arity(); a >= 0 && a != len(kids) {
		return c.fail(n, "the op takes %d inputs, the node has %d", a, len(kids))
	}
	// Compile-time scalars: sizes, scalar constants, arithmetic on them.
	if v, ok := c.foldScalar(n, kids); ok {
		c.consts[n] = v
		return nil
	}
	if err := c.float32OK(n); err != nil {
		return err
	}
	in := make([]operand, len(kids))
	for i, k := range kids {
		id, err := c.operandOf(k)
		if err != nil {
			return err
		}
		in[i] = operand{ID: id, Shape: shapeOf(k), Node: k}
	}
	s := specOf(n)
	if s == nil {
		return c.lowerBuiltin(n, in)
	}
	target, act := c.fuse(n, s)
	out := c.outBuffer(target)
	if err := s.lower(c.e, in, operand{ID: out, Shape: shapeOf(target), Node: target}); err != nil {
		return c.fail(n, "lowering: %v", err)
	}
	if target != n {
		c.setEpilogue(out, act)
		c.done[target] = true
	}
	return nil
}

// lowerLeaf checks a leaf the roots need: a parameter or a declared input
// (buffers already given), else a constant, else an error — no leaf becomes
// an input that nobody writes.
func (c *compiler) lowerLeaf(n *G.Node) error {
	if _, ok := c.bufs[n]; ok {
		return nil
	}
	if n.Value() == nil {
		return c.fail(n, "unbound input: a placeholder that is not a parameter, X, Labels or one of Model.Inputs, so nothing would write it")
	}
	return c.constant(n)
}

// constant folds a node that holds a value of one repeated number (ones,
// zeros, a scalar) into a fill at the start of the program. Other constant
// tensors have no place in a Program: the host writes only parameters and
// inputs, so the error says to declare it as one.
func (c *compiler) constant(n *G.Node) error {
	if err := c.float32OK(n); err != nil {
		return err
	}
	data, err := float32Data(n.Value())
	if err != nil {
		return c.fail(n, "constant value: %v", err)
	}
	for _, v := range data {
		if v != data[0] && !(v != v && data[0] != data[0]) {
			return c.fail(n, "holds a constant %v value that is not one repeated number; gabor folds only uniform constants: declare it in Model.Params (trained) or Model.Inputs (written by the host)", shapeOf(n))
		}
	}
	if len(data) == 0 || len(data) != numel(shapeOf(n)) {
		return c.fail(n, "constant value holds %d numbers for shape %v", len(data), shapeOf(n))
	}
	id := c.e.Buffer(fmt.Sprintf("const %s", nodeLabel(n)), shapeOf(n), kernels.Control)
	c.fills = append(c.fills, kernels.Instr{Op: kernels.OpFill, Out: []kernels.BufID{id},
		Args: kernels.FillArgs{N: len(data), Value: data[0]}, Node: "constant " + nodeLabel(n)})
	c.bufs[n] = id
	return nil
}

// fuse gives a GEMM or convolution its activation as an epilogue when the
// activation is the only consumer: the activation's node then takes the
// output and the pre-activation never gets a buffer. It returns the node
// whose buffer the op writes and the activation to apply.
func (c *compiler) fuse(n *G.Node, s spec) (*G.Node, kernels.Act) {
	switch s.(type) {
	case denseOp, convOp:
	default:
		return n, kernels.ActNone
	}
	cons := c.consumers[n]
	if c.u.opt.NoFusion || len(cons) != 1 || c.keep[n] || cons[0] == c.u.logits {
		return n, kernels.ActNone
	}
	a, ok := specOf(cons[0]).(actOp)
	if !ok {
		return n, kernels.ActNone
	}
	return cons[0], a.fn
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

// pin keeps a buffer (and whatever it views) alive for the whole program.
func (c *compiler) pin(id kernels.BufID, class kernels.BufClass) {
	b := &c.e.prog.Buffers[id]
	if b.View >= 0 {
		b = &c.e.prog.Buffers[b.View]
	}
	b.Pinned = true
	if b.Class == kernels.Temp {
		b.Class = class
	}
}

// operandOf returns the buffer holding node k, materializing a folded
// scalar constant into a buffer filled at the start of the program.
func (c *compiler) operandOf(k *G.Node) (kernels.BufID, error) {
	if id, ok := c.bufs[k]; ok {
		return id, nil
	}
	if v, ok := c.consts[k]; ok {
		id := c.constBuf(v)
		c.bufs[k] = id
		return id, nil
	}
	return -1, c.fail(k, "used before it is computed (a compiler bug)")
}

// constBuf is a one-element buffer holding v, filled at the start of the program.
func (c *compiler) constBuf(v float64) kernels.BufID {
	id := c.e.Buffer(fmt.Sprintf("const %g", v), nil, kernels.Control)
	c.fills = append(c.fills, kernels.Instr{Op: kernels.OpFill, Out: []kernels.BufID{id},
		Args: kernels.FillArgs{N: 1, Value: float32(v)}, Node: "constant"})
	return id
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

// nodeLabel is a node's short name in programs: "%id name".
func nodeLabel(n *G.Node) string {
	if nm := n.Name(); nm != "" && len(nm) < 40 {
		return fmt.Sprintf("%%%d %s", n.ID(), nm)
	}
	return fmt.Sprintf("%%%d", n.ID())
}

// describe names a node in errors: its name, its op's type and the op as
// gorgonia prints it, and its id.
func describe(n *G.Node) string {
	name := n.Name()
	if len(name) > 60 {
		name = name[:57] + "..."
	}
	if n.Op() == nil {
		return fmt.Sprintf("%q (leaf, id %d)", name, n.ID())
	}
	return fmt.Sprintf("%q (op %s %q, id %d)", name, builtinName(n.Op()), n.Op(), n.ID())
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
	default:
		return c.fail(nil, "unknown optimizer %q (want sgd or adam)", o.Kind)
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
