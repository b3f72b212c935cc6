package graph

import (
	"fmt"
	"hash"
	"strings"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Flatten keeps the batch axis and joins the rest: [N, d1, d2, ...] →
// [N, d1·d2·...]. Like Reshape it moves no data.
func Flatten(x *G.Node) (*G.Node, error) {
	ss, err := nodeShapes("Flatten", []string{"x"}, x)
	if err != nil {
		return nil, err
	}
	if len(ss[0]) < 1 {
		return nil, fmt.Errorf("graph.Flatten: input x must have rank ≥ 1 (N,...), got rank 0")
	}
	op := reshapeOp{to: tensor.Shape{ss[0][0], numel(ss[0][1:])}}
	return apply("Flatten", op, op.shape, ss, x)
}

// Reshape gives x another shape with the same number of elements, in the
// same row-major order. It lowers to a view of x's buffer (no copy) when the
// result is an ordinary intermediate.
func Reshape(x *G.Node, shape ...int) (*G.Node, error) {
	ss, err := nodeShapes("Reshape", []string{"x"}, x)
	if err != nil {
		return nil, err
	}
	op := reshapeOp{to: tensor.Shape(append([]int(nil), shape...))}
	return apply("Reshape", op, op.shape, ss, x)
}

type reshapeOp struct {
	pureOp
	to tensor.Shape
}

func (op reshapeOp) Arity() int    { return 1 }
func (op reshapeOp) Type() hm.Type { return fnT(hm.TypeVariable('a'), tensorT(len(op.to))) }

func (op reshapeOp) shape(ss []tensor.Shape) (tensor.Shape, error) {
	for _, d := range op.to {
		if d <= 0 {
			return nil, fmt.Errorf("target shape %v: every dimension must be positive", op.to)
		}
	}
	if numel(ss[0]) != numel(op.to) {
		return nil, fmt.Errorf("x %v has %d elements, target shape %v has %d", ss[0], numel(ss[0]), op.to, numel(op.to))
	}
	if len(op.to) == 0 { // a scalar: gorgonia's shape ()
		return tensor.ScalarShape(), nil
	}
	return op.to.Clone(), nil
}

func (op reshapeOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapesOf(op, ds)
	if err != nil {
		return nil, err
	}
	return op.shape(ss)
}

func (op reshapeOp) Do(vs ...G.Value) (G.Value, error) { return doOnCPU(op, vs...) }
func (op reshapeOp) WriteHash(h hash.Hash)             { writeHash(h, op) }
func (op reshapeOp) Hashcode() uint32                  { return opHash(op) }

func (op reshapeOp) String() string {
	d := make([]string, len(op.to))
	for i, v := range op.to {
		d[i] = fmt.Sprint(v)
	}
	return "Reshape(" + strings.Join(d, ",") + ")"
}

func (op reshapeOp) DiffWRT(n int) []bool { return trues(n) }

func (op reshapeOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	to := in[0].Shape().Clone()
	if to.IsScalar() {
		to = tensor.Shape{}
	}
	dx, err := G.ApplyOp(reshapeOp{to: to}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

func (op reshapeOp) lower(e *emitter, in []operand, out operand) error {
	e.aliasOut(out.ID, in[0].ID)
	return nil
}
