package graph

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds what every op of gabor's set shares: the float32 types,
// hashing, and the shape checks whose messages the constructors show.

// pureOp supplies the G.Op methods that are the same for every gabor op: the
// result is a fresh value (Do never returns or overwrites an input) and no op
// calls out of Go from Do.
type pureOp struct{}

func (pureOp) ReturnsPtr() bool     { return false }
func (pureOp) CallsExtern() bool    { return false }
func (pureOp) OverwritesInput() int { return -1 }

// opHash is the Hashcode of every gabor op: FNV-1a over its String, which
// names the op and all of its parameters. gorgonia merges nodes whose op
// hash and children agree, so two ops that compute different things must
// print differently; each op's String is written with that in mind.
func opHash(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	writeHash(h, op)
	return h.Sum32()
}

func writeHash(h hash.Hash, op fmt.Stringer) { fmt.Fprint(h, op.String()) }

// tensorT is the hm type of a float32 tensor of the given rank; rank 0 is a
// scalar, whose type is the dtype itself (as gorgonia types scalar nodes).
func tensorT(rank int) hm.Type {
	if rank == 0 {
		return tensor.Float32
	}
	return G.TensorType{Dims: rank, Of: tensor.Float32}
}

// fnT builds a fresh function type: gorgonia hands the result of Type back
// to hm's pool after inference, so Type must never return a shared value.
func fnT(ts ...hm.Type) hm.Type { return hm.NewFnType(ts...) }

// shapesOf converts InferShape's arguments, treating () and nil as scalars.
func shapesOf(op G.Op, ds []G.DimSizer) ([]tensor.Shape, error) {
	if a := op.Arity(); a >= 0 && len(ds) != a {
		return nil, fmt.Errorf("%v takes %d inputs, got %d", op, a, len(ds))
	}
	ss, err := G.DimSizersToShapes(ds)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	for i, s := range ss {
		if s.IsScalar() {
			ss[i] = tensor.Shape{}
		}
	}
	return ss, nil
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

// nodeShapes validates the nodes given to a constructor: present, float32.
// It returns their shapes (scalars as []).
func nodeShapes(fn string, names []string, nodes ...*G.Node) ([]tensor.Shape, error) {
	ss := make([]tensor.Shape, len(nodes))
	for i, n := range nodes {
		if n == nil {
			return nil, fmt.Errorf("graph.%s: input %s is nil", fn, names[i])
		}
		if dt := n.Dtype(); dt != tensor.Float32 {
			return nil, fmt.Errorf("graph.%s: input %s must be float32, got %v", fn, names[i], dt)
		}
		s := n.Shape().Clone()
		if s.IsScalar() {
			s = tensor.Shape{}
		}
		ss[i] = s
	}
	return ss, nil
}

// apply checks the shapes with the op's own rule, so the constructor's error
// reads "graph.Fn: <what is wrong>", then adds the node to the graph.
func apply(fn string, op G.Op, check func([]tensor.Shape) (tensor.Shape, error), ss []tensor.Shape, nodes ...*G.Node) (*G.Node, error) {
	if _, err := check(ss); err != nil {
		return nil, fmt.Errorf("graph.%s: %w", fn, err)
	}
	n, err := G.ApplyOp(op, nodes...)
	if err != nil {
		return nil, fmt.Errorf("graph.%s: %w", fn, err)
	}
	return n, nil
}

// notTwice is the SymDiff of the gradient ops: gabor differentiates once.
// Their DiffWRT says false for every input, so gorgonia's analysis never
// asks; the error guards a direct call.
func notTwice(op G.Op) error {
	return fmt.Errorf("%v: second derivatives are not supported", op)
}

// noDiff is the DiffWRT of ops that are not differentiated: every input false
// (an empty answer would make gorgonia's analysis reject the graph).
func noDiff(n int) []bool { return make([]bool, n) }

// pairStr prints a pair of spatial parameters as "2x1".
func pairStr(p [2]int) string { return fmt.Sprintf("%dx%d", p[0], p[1]) }

// Every op of the set lowers and differentiates symbolically.
var (
	_ lowerer = denseOp{}
	_ lowerer = matMulOp{}
	_ lowerer = biasGradOp{}
	_ lowerer = actOp{}
	_ lowerer = actGradOp{}
	_ lowerer = convOp{}
	_ lowerer = convTransposeOp{}
	_ lowerer = convFilterGradOp{}
	_ lowerer = maxPoolOp{}
	_ lowerer = unpoolOp{}
	_ lowerer = avgPoolOp{}
	_ lowerer = avgPoolGradOp{}
	_ lowerer = reshapeOp{}
	_ lowerer = dropoutOp{}
	_ lowerer = dropoutGradOp{}
	_ lowerer = softmaxOp{}
	_ lowerer = softmaxGradOp{}
	_ lowerer = xentOp{}
	_ lowerer = xentGradOp{}

	_ G.SDOp = denseOp{}
	_ G.SDOp = matMulOp{}
	_ G.SDOp = biasGradOp{}
	_ G.SDOp = actOp{}
	_ G.SDOp = actGradOp{}
	_ G.SDOp = convOp{}
	_ G.SDOp = convTransposeOp{}
	_ G.SDOp = convFilterGradOp{}
	_ G.SDOp = maxPoolOp{}
	_ G.SDOp = unpoolOp{}
	_ G.SDOp = avgPoolOp{}
	_ G.SDOp = avgPoolGradOp{}
	_ G.SDOp = reshapeOp{}
	_ G.SDOp = dropoutOp{}
	_ G.SDOp = dropoutGradOp{}
	_ G.SDOp = softmaxOp{}
	_ G.SDOp = softmaxGradOp{}
	_ G.SDOp = xentOp{}
	_ G.SDOp = xentGradOp{}
)
