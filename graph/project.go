package graph

import (
	"fmt"
	"strings"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Projection graphs: a layer's signal carried back to the pixels.
//
// Given a model's forward chain x → op₁ → op₂ → … → layer, Project adds to
// the model's graph the chain that maps a signal r at the layer (a Seed
// placeholder of the layer's shape) back to an image of x's shape, one
// backward step per forward op:
//
//	Conv2D(h, w, b)   r ↦ ConvTranspose2D(r, w)     (the same filters, transposed; no bias)
//	Dense(h, w, b)    r ↦ r·w                       (wᵀ applied to each row; no bias)
//	MaxPool2D(h)      r ↦ Unpool2D(r, h)            (by the forward pass's switches)
//	AvgPool2D(h)      r ↦ its adjoint               (gradient rule only: it records no switches)
//	Flatten/Reshape   r ↦ r reshaped to h's shape
//	ReLU, y = relu(h) r ↦ depends on the rule:
//	                    gradient   r·[y > 0]              (backprop: the forward mask)
//	                    deconvnet  relu(r)                (Zeiler–Fergus: rectify the signal)
//	                    guided     relu(r)·[y > 0]        (Springenberg et al.: both)
//	Sigmoid, Tanh     r ↦ r·f′ (every rule; the rules differ only at ReLUs)
//	Dropout           r ↦ r (evaluation mode is the identity)
//
// With the gradient rule the result is exactly ∂⟨seed, layer⟩/∂x, the input
// gradient (saliency); the other two rules are the same chain with a
// different ReLU step, which is why one switch selects them. The switches
// and ReLU masks are the forward pass's: compile the projection with the
// layer as a forward output (CompileGraph), and the forward segment records
// them as sides that the backward segment reuses.

// Rule is how a projection passes a ReLU.
type Rule uint8

const (
	RuleGradient  Rule = iota // plain backprop: the input gradient (saliency)
	RuleDeconvnet             // Zeiler and Fergus's deconvnet
	RuleGuided                // guided backpropagation
)

// Rules lists the rule names in order.
func Rules() []string { return []string{"deconvnet", "guided", "gradient"} }

func (r Rule) String() string {
	switch r {
	case RuleGradient:
		return "gradient"
	case RuleDeconvnet:
		return "deconvnet"
	case RuleGuided:
		return "guided"
	}
	return fmt.Sprintf("rule(%d)", int(r))
}

// ParseRule reads a rule name.
func ParseRule(s string) (Rule, error) {
	switch strings.ToLower(s) {
	case "gradient", "saliency":
		return RuleGradient, nil
	case "deconvnet", "deconv":
		return RuleDeconvnet, nil
	case "guided":
		return RuleGuided, nil
	}
	return 0, fmt.Errorf("unknown projection rule %q (known: %s)", s, strings.Join(Rules(), ", "))
}

// Projection is the derived graph of one layer, added to the model's graph.
type Projection struct {
	Layer *G.Node // the projected layer (a node of the model)
	Seed  *G.Node // placeholder of Layer's shape: the signal to carry back
	Out   *G.Node // x's shape: the projection of Seed
	Rule  Rule
	// Steps are the forward ops from the layer down to the input, topmost
	// first (Steps[0] is Layer).
	Steps []*G.Node
	// Weights are the parameter nodes the projection reads, topmost first:
	// the weights of the convolutions and dense layers on the path.
	Weights []*G.Node
}

// Project builds the projection of layer with the given rule. The layer
// must be reached from m.X through a chain: every op on the way has one
// input computed from x, its other inputs are parameters. Names: the seed is
// "<layer>.seed.<rule>", the result "<layer>.proj.<rule>".
func Project(m *Model, layer *G.Node, rule Rule) (*Projection, error) {
	if m == nil || m.X == nil || layer == nil {
		return nil, fmt.Errorf("graph.Project: need a model with an input X and a layer")
	}
	steps, err := chainTo(m, layer)
	if err != nil {
		return nil, err
	}
	name := layer.Name()
	seed := G.NewTensor(m.G, tensor.Float32, len(layer.Shape()), G.WithShape(layer.Shape()...),
		G.WithName(fmt.Sprintf("%s.seed.%s", name, rule)))
	p := &Projection{Layer: layer, Seed: seed, Rule: rule, Steps: steps}
	r := seed
	for _, n := range steps {
		if r, err = p.step(n, r); err != nil {
			return nil, fmt.Errorf("graph.Project: layer %q (%v rule), step %s: %w", name, rule, nodeLabel(n), err)
		}
	}
	if r == seed { // the layer is the input itself: copy so Out is its own node
		return nil, fmt.Errorf("graph.Project: layer %q is the model's input; nothing to project", name)
	}
	G.WithName(fmt.Sprintf("%s.proj.%s", name, rule))(r)
	p.Out = r
	return p, nil
}

// chainTo returns the ops from layer down to m.X, topmost first.
func chainTo(m *Model, layer *G.Node) ([]*G.Node, error) {
	isParam := map[*G.Node]bool{}
	for _, q := range m.Params {
		isParam[q] = true
	}
	var steps []*G.Node
	for n := layer; n != m.X; {
		if n.Op() == nil {
			return nil, fmt.Errorf("graph.Project: layer %q is not computed from the input x (it reaches the leaf %s)", layer.Name(), nodeLabel(n))
		}
		kids := children(n)
		var data *G.Node
		for _, k := range kids {
			if isParam[k] {
				continue
			}
			if data != nil {
				return nil, fmt.Errorf("graph.Project: %s (%v) has two inputs computed from x; only chains of layers can be projected", nodeLabel(n), n.Op())
			}
			data = k
		}
		if data == nil {
			return nil, fmt.Errorf("graph.Project: layer %q is not computed from the input x (%s reads only parameters)", layer.Name(), nodeLabel(n))
		}
		steps = append(steps, n)
		n = data
	}
	return steps, nil
}

// step carries r, a signal at n's output, to n's data input.
func (p *Projection) step(n, r *G.Node) (*G.Node, error) {
	kids := children(n)
	var b gradBuilder
	var out *G.Node
	switch op := specOf(n).(type) {
	case convOp:
		x, w := kids[0].Shape(), kids[1]
		p.Weights = append(p.Weights, w)
		out = b.op(convTransposeOp{stride: op.stride, pad: op.pad, outH: x[2], outW: x[3]}, r, w)
	case denseOp:
		p.Weights = append(p.Weights, kids[1])
		out = b.op(matMulOp{}, r, kids[1]) // [B,out]·[out,in]
	case maxPoolOp:
		out = b.op(unpoolOp{poolParams: op.poolParams}, r, kids[0])
	case avgPoolOp:
		if p.Rule != RuleGradient {
			return nil, fmt.Errorf("AvgPool2D records no switches: the %v rule needs max-pool switches (use the gradient rule)", p.Rule)
		}
		x := kids[0].Shape()
		out = b.op(avgPoolGradOp{poolParams: op.poolParams, h: x[2], w: x[3]}, r)
	case reshapeOp:
		out = b.op(reshapeOp{to: kids[0].Shape().Clone()}, r)
	case dropoutOp:
		return r, nil
	case actOp:
		switch {
		case op.fn != kernels.ActReLU || p.Rule == RuleGradient:
			out = b.op(actGradOp{fn: op.fn}, n, r)
		case p.Rule == RuleDeconvnet:
			out = b.op(actOp{fn: kernels.ActReLU}, r)
		default: // guided
			out = b.op(actGradOp{fn: kernels.ActReLU}, n, b.op(actOp{fn: kernels.ActReLU}, r))
		}
	default:
		return nil, fmt.Errorf("no projection for op %v", n.Op())
	}
	return out, b.err
}

// Window is a half-open rectangle of input pixels: rows Y0..Y1−1, columns
// X0..X1−1. It may extend past the image where the model pads.
type Window struct{ Y0, Y1, X0, X1 int }

// ReceptiveField is the window of input pixels that position (i, j) of the
// layer's maps depends on: each convolution or pool of the chain widens it,
// row a..b at an op's output coming from rows a·stride − pad .. b·stride −
// pad + kernel − 1 at its input. The layer must be spatial ([N, C, H, W]).
func (p *Projection) ReceptiveField(i, j int) (Window, error) {
	if len(p.Layer.Shape()) != 4 {
		return Window{}, fmt.Errorf("graph: layer %q has shape %v, no spatial maps", p.Layer.Name(), p.Layer.Shape())
	}
	w := Window{i, i + 1, j, j + 1}
	for _, n := range p.Steps {
		var k, s, pad [2]int
		switch op := specOf(n).(type) {
		case convOp:
			ws := children(n)[1].Shape()
			k, s, pad = [2]int{ws[2], ws[3]}, op.stride, op.pad
		case maxPoolOp:
			k, s, pad = op.kernel, op.stride, op.pad
		case avgPoolOp:
			k, s, pad = op.kernel, op.stride, op.pad
		case actOp, dropoutOp:
			continue
		default:
			return Window{}, fmt.Errorf("graph: the receptive field of %q crosses %v, which is not spatial", p.Layer.Name(), n.Op())
		}
		w = Window{
			Y0: w.Y0*s[0] - pad[0], Y1: (w.Y1-1)*s[0] - pad[0] + k[0],
			X0: w.X0*s[1] - pad[1], X1: (w.X1-1)*s[1] - pad[1] + k[1],
		}
	}
	return w, nil
}
