package geometry

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Act is a layer's activation.
type Act int

// Activations. Step is the Heaviside step 1[z > 0]; Linear passes the
// pre-activation through (the output layer's logits).
const (
	Linear Act = iota
	Step
	ReLU
	Sigmoid
	Tanh
)

var actNames = [...]string{Linear: "linear", Step: "step", ReLU: "relu", Sigmoid: "sigmoid", Tanh: "tanh"}

func (a Act) String() string {
	if a >= 0 && int(a) < len(actNames) {
		return actNames[a]
	}
	return fmt.Sprintf("Act(%d)", int(a))
}

// ParseAct reads an activation name ("step", "relu", "sigmoid", "tanh",
// "linear").
func ParseAct(s string) (Act, error) {
	for i, n := range actNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Act(i), nil
		}
	}
	return 0, fmt.Errorf("geometry: unknown activation %q (known: %s)", s, strings.Join(actNames[:], ", "))
}

// MarshalText writes the activation's name (JSON).
func (a Act) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads an activation's name (JSON).
func (a *Act) UnmarshalText(b []byte) error {
	v, err := ParseAct(string(b))
	*a = v
	return err
}

// apply is the activation of one pre-activation.
func (a Act) apply(z float64) float64 {
	switch a {
	case Step:
		if z > 0 {
			return 1
		}
		return 0
	case ReLU:
		if z > 0 {
			return z
		}
		return 0
	case Sigmoid:
		return 1 / (1 + math.Exp(-z))
	case Tanh:
		return math.Tanh(z)
	}
	return z
}

// piecewiseLinear says whether the activation is affine on each side of 0.
func (a Act) piecewiseLinear() bool { return a == Linear || a == Step || a == ReLU }

// Layer is a dense layer: out = act(W·in + B), W out×in (PyTorch's Linear
// layout).
type Layer struct {
	Name string      `json:"name,omitempty"`
	W    [][]float64 `json:"weight"`
	B    []float64   `json:"bias"`
	Act  Act         `json:"act"`
}

// Units is the layer's number of outputs.
func (l *Layer) Units() int { return len(l.W) }

// Net is a network on the plane: layers from the input (2 values) to the
// output (logits; the last layer's activation is usually Linear).
type Net struct {
	Layers []Layer `json:"layers"`
}

// Hidden is the number of hidden layers (all but the last).
func (n *Net) Hidden() int { return len(n.Layers) - 1 }

// Outputs is the width of the last layer.
func (n *Net) Outputs() int { return n.Layers[len(n.Layers)-1].Units() }

// ErrNotPlanar is a network whose input is not 2-D.
var ErrNotPlanar = errors.New("geometry: the network's input is not 2-D")

// Validate checks shapes (2 inputs, each layer's width the next one's
// fan-in) and that every weight is finite.
func (n *Net) Validate() error {
	if len(n.Layers) == 0 {
		return errors.New("geometry: the network has no layers")
	}
	in := 2
	for i, l := range n.Layers {
		if len(l.W) == 0 {
			return fmt.Errorf("geometry: layer %d (%s) has no units", i, l.Name)
		}
		if len(l.B) != len(l.W) {
			return fmt.Errorf("geometry: layer %d (%s): %d biases for %d units", i, l.Name, len(l.B), len(l.W))
		}
		if l.Act < Linear || l.Act > Tanh {
			return fmt.Errorf("geometry: layer %d (%s): unknown activation %d", i, l.Name, int(l.Act))
		}
		for j, row := range l.W {
			if len(row) != in {
				if i == 0 {
					return fmt.Errorf("%w: layer %d (%s) unit %d has %d inputs", ErrNotPlanar, i, l.Name, j, len(row))
				}
				return fmt.Errorf("geometry: layer %d (%s) unit %d has %d inputs, the layer before has %d units", i, l.Name, j, len(row), in)
			}
			for _, v := range row {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("geometry: layer %d (%s) unit %d has a non-finite weight %v", i, l.Name, j, v)
				}
			}
			if math.IsNaN(l.B[j]) || math.IsInf(l.B[j], 0) {
				return fmt.Errorf("geometry: layer %d (%s) unit %d has a non-finite bias %v", i, l.Name, j, l.B[j])
			}
		}
		in = len(l.W)
	}
	return nil
}

// PiecewiseLinear says whether every hidden layer is step, ReLU or linear,
// so that Regions is exact.
func (n *Net) PiecewiseLinear() bool {
	for _, l := range n.Layers[:n.Hidden()] {
		if !l.Act.piecewiseLinear() {
			return false
		}
	}
	return true
}

// hasStep says whether any layer is a step.
func (n *Net) hasStep() bool {
	for _, l := range n.Layers {
		if l.Act == Step {
			return true
		}
	}
	return false
}

// Forward runs the network at p and returns every layer's pre-activations
// (pre[l][j]) and the output (the last layer after its activation).
func (n *Net) Forward(p Point) (pre [][]float64, out []float64) {
	h := []float64{p.X, p.Y}
	pre = make([][]float64, len(n.Layers))
	for i, l := range n.Layers {
		z := make([]float64, len(l.W))
		next := make([]float64, len(l.W))
		for j, row := range l.W {
			s := l.B[j]
			for k, w := range row {
				s += w * h[k]
			}
			z[j] = s
			next[j] = l.Act.apply(s)
		}
		pre[i], h = z, next
	}
	return pre, h
}

// Pattern is the activation pattern of the hidden layers at p: bit j of
// layer l is set where unit j's pre-activation is > 0.
func (n *Net) Pattern(p Point) Pattern {
	pre, _ := n.Forward(p)
	pat := make(Pattern, n.Hidden())
	for l := range pat {
		pat[l] = make([]bool, len(pre[l]))
		for j, z := range pre[l] {
			pat[l][j] = z > 0
		}
	}
	return pat
}

// Class is the index of the largest output (one output: 1 where it is > 0).
func Class(out []float64) int {
	if len(out) == 1 {
		if out[0] > 0 {
			return 1
		}
		return 0
	}
	best := 0
	for i, v := range out {
		if v > out[best] {
			best = i
		}
	}
	return best
}

// Pattern is an activation pattern: per hidden layer, per unit, whether its
// pre-activation is > 0.
type Pattern [][]bool

// String writes the pattern as bits, layers separated by "|": "101|01".
func (p Pattern) String() string {
	var b strings.Builder
	for l, layer := range p {
		if l > 0 {
			b.WriteByte('|')
		}
		for _, on := range layer {
			if on {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
	}
	return b.String()
}

// HalfPlane is a first-layer unit: the line W·x + B = 0, positive (active)
// on the side W points to.
type HalfPlane struct {
	Unit int
	Line Line
}

// HalfPlanes lists the first layer's units as lines.
func (n *Net) HalfPlanes() []HalfPlane {
	l := n.Layers[0]
	out := make([]HalfPlane, len(l.W))
	for j, row := range l.W {
		out[j] = HalfPlane{Unit: j, Line: Line{A: row[0], B: row[1], C: l.B[j]}}
	}
	return out
}

// Weights counts the network's weights and biases.
func (n *Net) Weights() (weights, biases int) {
	for _, l := range n.Layers {
		for _, row := range l.W {
			weights += len(row)
		}
		biases += len(l.B)
	}
	return weights, biases
}

// Widths is the network's shape: 2, then each layer's width ("2-10-3-8").
func (n *Net) Widths() string {
	s := []string{"2"}
	for _, l := range n.Layers {
		s = append(s, fmt.Sprint(l.Units()))
	}
	return strings.Join(s, "-")
}
