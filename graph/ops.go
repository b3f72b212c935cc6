package graph

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// An op of gabor's set is written as a spec: its parameters, its type and
// shape rules, its lowering. One adapter, gop, makes any spec a gorgonia op
// (gorgonia.Op and gorgonia.SDOp); the gradient rules are in grad.go.
type spec interface {
	// String names the op and every parameter. It is also the op's hash:
	// gorgonia merges nodes whose op hash and children agree, so two ops that
	// compute different things must print differently.
	String() string
	arity() int
	// typ is the op's hm type. gorgonia hands it back to hm's pool after
	// inference, so typ must build a fresh value each time (fnT does).
	typ() hm.Type
	// shape checks the input shapes (scalars as []) and returns the output's.
	shape(in []tensor.Shape) (tensor.Shape, error)
	// lower emits the kernel instructions computing out from in. It writes
	// its output and its own temporaries, never an input.
	lower(e *emitter, in []operand, out operand) error
}

// gop adapts a spec to gorgonia. Its Do runs the spec's own lowering on the
// cpu backend, so the TapeMachine and a compiled Program share one
// implementation of every op.
type gop struct{ spec }

// specOf returns the spec of a node's op, or nil for a gorgonia built-in or a leaf.
func specOf(n *G.Node) spec {
	if o, ok := n.Op().(gop); ok {
		return o.spec
	}
	return nil
}

func (o gop) Arity() int    { return o.arity() }
func (o gop) Type() hm.Type { return o.typ() }

func (o gop) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if a := o.arity(); a >= 0 && len(ds) != a {
		return nil, fmt.Errorf("%v takes %d inputs, got %d", o, a, len(ds))
	}
	ss, err := G.DimSizersToShapes(ds)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", o, err)
	}
	for i, s := range ss {
		if s.IsScalar() {
			ss[i] = tensor.Shape{}
		}
	}
	return o.shape(ss)
}

func (o gop) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(o.spec, vs...) }

// The result is a fresh value (Do never returns or overwrites an input) and
// no op calls out of Go from Do.
func (o gop) ReturnsPtr() bool     { return false }
func (o gop) CallsExtern() bool    { return false }
func (o gop) OverwritesInput() int { return -1 }

func (o gop) WriteHash(h hash.Hash) { fmt.Fprint(h, o.String()) }

func (o gop) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

func (o gop) DiffWRT(n int) []bool { return diffWRT(o.spec, n) }

func (o gop) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	return symDiff(o.spec, in, out, grad)
}

// tensorT is the hm type of a float32 tensor of the given rank; rank 0 is a
// scalar, whose type is the dtype itself (as gorgonia types scalar nodes).
func tensorT(rank int) hm.Type {
	if rank == 0 {
		return tensor.Float32
	}
	return G.TensorType{Dims: rank, Of: tensor.Float32}
}

// fnT builds a fresh function type.
func fnT(ts ...hm.Type) hm.Type { return hm.NewFnType(ts...) }

// sameT is the type a → a (n inputs of one type, the output of that type).
func sameT(n int) hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, n+1)
	for i := range ts {
		ts[i] = a
	}
	return fnT(ts...)
}

// rankIs checks the rank of one input; layout names the axes ("N,C,H,W").
func rankIs(name string, s tensor.Shape, rank int, layout string) error {
	if len(s) != rank {
		if layout != "" {
			return fmt.Errorf("input %s must have rank %d (%s), got rank %d", name, rank, layout, len(s))
		}
		return fmt.Errorf("input %s must have rank %d, got rank %d", name, rank, len(s))
	}
	for _, d := range s {
		if d <= 0 {
			return fmt.Errorf("input %s has shape %v: every dimension must be positive", name, s)
		}
	}
	return nil
}

// apply is every public constructor's body: it checks that the named nodes
// are present and float32, checks their shapes with the op's own rule (so
// the error reads "graph.Fn: <what is wrong>"), and adds the node.
func apply(fn string, s spec, names []string, nodes ...*G.Node) (*G.Node, error) {
	ss := make([]tensor.Shape, len(nodes))
	for i, n := range nodes {
		if n == nil {
			return nil, fmt.Errorf("graph.%s: input %s is nil", fn, names[i])
		}
		if dt := n.Dtype(); dt != tensor.Float32 {
			return nil, fmt.Errorf("graph.%s: input %s must be float32, got %v", fn, names[i], dt)
		}
		ss[i] = n.Shape().Clone()
		if ss[i].IsScalar() {
			ss[i] = tensor.Shape{}
		}
	}
	if _, err := s.shape(ss); err != nil {
		return nil, fmt.Errorf("graph.%s: %w", fn, err)
	}
	n, err := G.ApplyOp(gop{s}, nodes...)
	if err != nil {
		return nil, fmt.Errorf("graph.%s: %w", fn, err)
	}
	return n, nil
}

// withBias appends the optional bias to a layer's inputs.
func withBias(nodes []*G.Node, b *G.Node) ([]*G.Node, []string) {
	names := []string{"x", "w"}
	if b != nil {
		nodes, names = append(nodes, b), append(names, "b")
	}
	return nodes, names
}

// pairStr prints a pair of spatial parameters as "2x1".
func pairStr(p [2]int) string { return fmt.Sprintf("%dx%d", p[0], p[1]) }

// Every op of the set is a spec.
var (
	_ spec = denseOp{}
	_ spec = matMulOp{}
	_ spec = biasGradOp{}
	_ spec = actOp{}
	_ spec = actGradOp{}
	_ spec = convOp{}
	_ spec = convTransposeOp{}
	_ spec = convFilterGradOp{}
	_ spec = maxPoolOp{}
	_ spec = unpoolOp{}
	_ spec = avgPoolOp{}
	_ spec = avgPoolGradOp{}
	_ spec = reshapeOp{}
	_ spec = dropoutOp{}
	_ spec = dropoutGradOp{}
	_ spec = softmaxOp{}
	_ spec = softmaxGradOp{}
	_ spec = xentOp{}
	_ spec = xentGradOp{}

	_ G.SDOp = gop{}
)
