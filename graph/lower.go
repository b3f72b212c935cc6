package graph

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Lowering one node: leaves, constants, gabor's ops (with activation
// fusion) and, through lowerBuiltin, gorgonia's; the buffers nodes live in.
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
	if len(data) == 0 || len(data) != numel(shapeOf(n)) {
		return c.fail(n, "constant value holds %d numbers for shape %v", len(data), shapeOf(n))
	}
	for _, v := range data {
		if v != data[0] && !(v != v && data[0] != data[0]) {
			return c.constantRuns(n, data) // built on the device (lower_const.go)
		}
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
