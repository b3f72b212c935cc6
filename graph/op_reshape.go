package graph

import (
	"fmt"
	"strings"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Flatten keeps the batch axis and joins the rest: [N, d1, d2, ...] →
// [N, d1·d2·...]. Like Reshape it moves no data.
func Flatten(x *G.Node) (*G.Node, error) {
	var op reshapeOp
	if x != nil {
		s := x.Shape()
		if s.IsScalar() {
			return nil, fmt.Errorf("graph.Flatten: input x must have rank ≥ 1 (N,...), got rank 0")
		}
		op.to = tensor.Shape{s[0], numel(s[1:])}
	}
	return apply("Flatten", op, []string{"x"}, x)
}

// Reshape gives x another shape with the same number of elements, in the
// same row-major order. It lowers to a view of x's buffer (no copy) when the
// result is an ordinary intermediate.
func Reshape(x *G.Node, shape ...int) (*G.Node, error) {
	return apply("Reshape", reshapeOp{to: tensor.Shape(append([]int(nil), shape...))}, []string{"x"}, x)
}

type reshapeOp struct{ to tensor.Shape }

func (op reshapeOp) arity() int   { return 1 }
func (op reshapeOp) typ() hm.Type { return fnT(hm.TypeVariable('a'), tensorT(len(op.to))) }

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

func (op reshapeOp) String() string {
	d := make([]string, len(op.to))
	for i, v := range op.to {
		d[i] = fmt.Sprint(v)
	}
	return "Reshape(" + strings.Join(d, ",") + ")"
}

func (op reshapeOp) lower(e *emitter, in []operand, out operand) error {
	e.aliasOut(out.ID, in[0].ID)
	return nil
}
