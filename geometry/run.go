package geometry

import (
	"fmt"
	"strings"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/introspect"
	"github.com/gaborlab/gabor/runs"
)

// NetFromModel reads a built model as a Net: its layers in forward order
// (introspect.LayersOf) must be dense layers, each optionally followed by
// one activation, on an input of 2 values; values gives each parameter's
// values by name (fc1.weight [out, in], fc1.bias). An activation node whose
// name starts with "step" is a step (models.MLP2D trains steps as
// sigmoids); otherwise the op says ReLU, sigmoid or tanh. A model of any
// other shape is an error wrapping ErrNotPlanar.
func NetFromModel(m *graph.Model, values func(name string) ([]float32, bool)) (*Net, error) {
	if s := m.X.Shape(); len(s) != 2 || s[1] != 2 {
		return nil, fmt.Errorf("%w: model %s takes input %v, want [batch, 2]", ErrNotPlanar, m.Name, []int(s))
	}
	n := &Net{}
	for _, l := range introspect.LayersOf(m) {
		switch l.Kind {
		case introspect.KindDense:
			w, okw := values(l.Name + ".weight")
			b, okb := values(l.Name + ".bias")
			if !okw || !okb || len(l.Weight) != 2 {
				return nil, fmt.Errorf("geometry: model %s: dense layer %s has no weight and bias (%s.weight, %s.bias)", m.Name, l.Name, l.Name, l.Name)
			}
			out, in := l.Weight[0], l.Weight[1]
			if len(w) != out*in || len(b) != out {
				return nil, fmt.Errorf("geometry: model %s: layer %s has %d weights and %d biases for shape %v", m.Name, l.Name, len(w), len(b), l.Weight)
			}
			layer := Layer{Name: l.Name, W: make([][]float64, out), B: make([]float64, out)}
			for j := 0; j < out; j++ {
				layer.W[j] = make([]float64, in)
				for k := 0; k < in; k++ {
					layer.W[j][k] = float64(w[j*in+k])
				}
				layer.B[j] = float64(b[j])
			}
			n.Layers = append(n.Layers, layer)
		case introspect.KindAct:
			if len(n.Layers) == 0 || n.Layers[len(n.Layers)-1].Act != Linear {
				return nil, fmt.Errorf("%w: model %s: activation %s does not follow a dense layer", ErrNotPlanar, m.Name, l.Name)
			}
			a, err := actOf(l)
			if err != nil {
				return nil, fmt.Errorf("%w: model %s: %v", ErrNotPlanar, m.Name, err)
			}
			n.Layers[len(n.Layers)-1].Act = a
		default:
			return nil, fmt.Errorf("%w: model %s has a %s layer (%s); the plane's geometry is for dense layers and their activations", ErrNotPlanar, m.Name, l.Kind, l.Name)
		}
	}
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("geometry: model %s: %w", m.Name, err)
	}
	return n, nil
}

func actOf(l introspect.Layer) (Act, error) {
	if strings.HasPrefix(strings.ToLower(l.Node), "step") {
		return Step, nil
	}
	op := strings.ToLower(l.Op)
	switch {
	case strings.Contains(op, "relu"), strings.Contains(op, "rectify"):
		return ReLU, nil
	case strings.Contains(op, "sigmoid"):
		return Sigmoid, nil
	case strings.Contains(op, "tanh"):
		return Tanh, nil
	}
	return 0, fmt.Errorf("activation %s (%s) is not step, relu, sigmoid or tanh", l.Name, l.Op)
}

// NetOf reads the network of a run's weights (a checkpoint or a snapshot).
func NetOf(w *runs.Weights) (*Net, error) {
	m, err := w.Model(1)
	if err != nil {
		return nil, err
	}
	return NetFromModel(m, func(name string) ([]float32, bool) {
		t, ok := w.Tensors[name]
		return t.Data, ok
	})
}
