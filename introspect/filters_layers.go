package introspect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gaborlab/gabor/graph"
)

// Layer kinds.
const (
	KindConv    = "conv"
	KindDense   = "dense"
	KindAct     = "activation"
	KindPool    = "pooling"
	KindFlatten = "flatten"
)

// Layer is one named layer of a model, in order from the input.
type Layer struct {
	Name string // the layer's name: conv1, relu1, pool1, fc2 (see Layers)
	// Node is the graph node's name, which taps and projections address
	// ("pool2" for lenet's first pooling, numbered by op position).
	Node   string
	Kind   string
	Op     string // the op as the graph prints it: "Conv2D(stride=1x1, pad=3x3, bias)"
	Out    []int  // output shape for one image (batch dimension dropped)
	Weight []int  // weight shape (conv [K, C, R, S], dense [out, in]); nil for others
}

// LayersOf lists the layers of a built model (a zoo model, or one rebuilt
// from a run's model record), from the graph itself. Layers with weights
// keep their parameter names (conv1, conv2, fc1…); activations and poolings
// are numbered within their kind in forward order (relu1, relu2…, pool1,
// pool2), as a paper would name them, not by the op's position in the
// graph (the node, kept in Node, may be "pool5"); a name without a number
// that a model's author chose is kept. The flatten between convolutions
// and dense layers, which the graph leaves unnamed, is listed as "flatten".
func LayersOf(m *graph.Model) []Layer {
	shapes := map[string][]int{}
	for _, p := range m.Params {
		shapes[p.Name()] = append([]int(nil), p.Shape()...)
	}
	var out []Layer
	count := map[string]int{}
	// A model written with gorgonia's own calls (Conv2d, Rectify, …) has
	// layers of several nodes each: only the node a call returns is listed.
	gorgonia := graph.GorgoniaRoles(m.G.AllNodes())
	for _, n := range m.G.AllNodes() {
		if n.IsVar() || n.Op() == nil || n == m.Loss || n.Shape().IsScalar() {
			continue
		}
		op := n.Op().String()
		l := Layer{Name: n.Name(), Node: n.Name(), Op: op, Out: append([]int(nil), n.Shape()[1:]...)}
		role, isGorgonia := gorgonia[n]
		switch {
		case isGorgonia:
			l.Kind = role // the graph's roles are the layer kinds
			if role == KindFlatten {
				l.Name = "flatten"
			}
		case len(gorgonia) > 0 && strings.HasPrefix(op, "Reshape"):
			continue // Conv2d's own reshapes; its flatten is in gorgonia
		case strings.HasPrefix(op, "Conv2D"):
			l.Kind = KindConv
		case strings.HasPrefix(op, "Dense"):
			l.Kind = KindDense
		case strings.HasPrefix(op, "Act"), strings.HasPrefix(op, "Sigmoid"), strings.HasPrefix(op, "ReLU"):
			l.Kind = KindAct
		case strings.Contains(op, "Pool"):
			l.Kind = KindPool
		case strings.HasPrefix(op, "Reshape"), strings.HasPrefix(op, "Flatten"):
			l.Kind, l.Name = KindFlatten, "flatten"
		case len(gorgonia) > 0:
			continue // a node inside a gorgonia call, or of a loss
		default:
			l.Kind = strings.ToLower(op)
		}
		l.Weight = shapes[l.Name+".weight"]
		// A node numbered by its op's position (the zoo's "pool5") is
		// renumbered within its kind; a name a model's author chose
		// without a number ("rect") is kept as it is.
		if prefix := strings.TrimRight(l.Node, "0123456789"); (l.Kind == KindAct || l.Kind == KindPool) && prefix != l.Node {
			if prefix == "" {
				prefix = l.Kind
			}
			count[prefix]++
			l.Name = prefix + strconv.Itoa(count[prefix])
		}
		out = append(out, l)
	}
	return out
}

// Describe is a short description of a layer: "conv1 (conv 6×1×7×7)".
func (l Layer) Describe() string {
	if l.Weight != nil {
		return fmt.Sprintf("%s (%s %s)", l.Name, l.Kind, dimsText(l.Weight))
	}
	return fmt.Sprintf("%s (%s)", l.Name, l.Kind)
}

func dimsText(s []int) string {
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = fmt.Sprint(d)
	}
	return strings.Join(p, "×")
}

// describeAll lists layers for error messages.
func describeAll(ls []Layer) string {
	p := make([]string, len(ls))
	for i, l := range ls {
		p[i] = l.Describe()
	}
	return strings.Join(p, ", ")
}

// ModelSource is what a model is rebuilt from: a run directory (runs.Run)
// or the weights of one of its steps (runs.Weights), whose Model rebuilds
// it at a batch size (train.BuildModel).
type ModelSource interface {
	Model(batch int) (*graph.Model, error)
}

// ModelLayers lists the layers of src's model (LayersOf it at batch 1).
func ModelLayers(src ModelSource) ([]Layer, error) {
	m, err := src.Model(1)
	if err != nil {
		return nil, err
	}
	return LayersOf(m), nil
}

// DefaultLayer is the layer deconv projects when none is named: the last
// convolution of src's model (model is its name, for the error of a model
// without one).
func DefaultLayer(src ModelSource, model string) (string, error) {
	ls, err := ModelLayers(src)
	if err != nil {
		return "", err
	}
	name := ""
	for _, l := range ls {
		if l.Kind == KindConv {
			name = l.Name
		}
	}
	if name == "" {
		return "", fmt.Errorf("introspect: model %s has no convolution, so no feature maps to project (deconv needs a convnet such as lenet)", model)
	}
	return name, nil
}
