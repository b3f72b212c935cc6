package introspect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gaborlab/gabor/figure"
	"github.com/gaborlab/gabor/runs"
)

// Channel modes of a convolution's filters.
const (
	ChannelsMean = "mean" // one panel per filter: the mean over its input channels
	ChannelsEach = "each" // one panel per filter and input channel (a row per filter)
)

// FilterSet is a layer's filters as 2-D panels.
type FilterSet struct {
	Layer    string
	Kind     string // KindConv or KindDense
	Filters  int    // output channels (conv) or hidden units (dense)
	Channels int    // input channels of a conv layer (1 for dense)
	Mode     string // ChannelsMean or ChannelsEach (conv)
	W, H     int    // panel size
	Panels   []figure.Panel
	// Cols is the natural number of grid columns: the channel count in
	// ChannelsEach mode (one row per filter), else 0 (about square).
	Cols int
}

// FilterLayers are the layers whose filters can be drawn: every convolution,
// and the first dense layer when it reads the 28×28 image (an MLP's).
func FilterLayers(ls []Layer) []string {
	var out []string
	for i, l := range ls {
		if filterable(ls, i) {
			out = append(out, l.Name)
		}
	}
	return out
}

func filterable(ls []Layer, i int) bool {
	l := ls[i]
	switch l.Kind {
	case KindConv:
		return true
	case KindDense:
		for _, p := range ls[:i] {
			if p.Kind == KindConv || p.Kind == KindDense {
				return false
			}
		}
		return len(l.Weight) == 2 && l.Weight[1] == 28*28
	}
	return false
}

// Filters extracts a layer's filters from weights. layer "" means the first
// drawable layer. A convolution's weight [K, C, R, S] gives K panels of S×R
// (mean over the C input channels) or K·C panels (mode ChannelsEach); the
// first dense layer of an MLP, weight [units, 784], gives one 28×28 panel per
// hidden unit: the incoming weights it multiplies the image by.
//
// Errors name what exists: an unknown layer lists the model's layers, a layer
// of the wrong kind (pooling, activation, a dense layer that does not read the
// image) lists the layers that have filters.
func Filters(w *runs.Weights, layer, mode string) (*FilterSet, error) {
	ls, err := ModelLayers(w)
	if err != nil {
		return nil, err
	}
	can := FilterLayers(ls)
	if layer == "" && len(can) > 0 {
		layer = can[0]
	}
	idx := -1
	for i, l := range ls {
		if l.Name == layer {
			idx = i
		}
	}
	if idx < 0 {
		return nil, &LayerError{Layer: layer, Model: w.Config.Model, Layers: ls, WithFilters: can,
			Why: fmt.Sprintf("model %s has no layer %q (layers: %s)", w.Config.Model, layer, describeAll(ls))}
	}
	l := ls[idx]
	if !filterable(ls, idx) {
		why := fmt.Sprintf("a %s layer, without weights", l.Kind)
		if l.Kind == KindDense {
			why = fmt.Sprintf("a dense layer with %d inputs, not the 28×28 image", l.Weight[1])
		}
		return nil, &LayerError{Layer: layer, Model: w.Config.Model, Layers: ls, WithFilters: can, WrongKind: true,
			Why: fmt.Sprintf("layer %s of %s is %s; filters are drawn for convolutions and an MLP's first dense layer", layer, w.Config.Model, why)}
	}
	name := layer + ".weight"
	t, ok := w.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("introspect: %s (%s at step %d) does not hold %s (it holds: %s)",
			w.Path, w.Kind, w.Step, name, strings.Join(w.Names(), ", "))
	}
	if !slices.Equal(t.Shape, l.Weight) {
		return nil, fmt.Errorf("introspect: %s: %s has shape %v, model %s (conv1 %d) wants %v",
			w.Path, name, t.Shape, w.Config.Model, w.Config.Conv1, l.Weight)
	}
	fs := &FilterSet{Layer: layer, Kind: l.Kind, Channels: 1, Mode: mode}
	switch l.Kind {
	case KindDense:
		units := t.Shape[0]
		fs.Filters, fs.W, fs.H = units, 28, 28
		for u := 0; u < units; u++ {
			fs.Panels = append(fs.Panels, figure.Panel{W: 28, H: 28, V: t.Data[u*784 : (u+1)*784], Label: fmt.Sprint(u)})
		}
	case KindConv:
		k, c, r, s := t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
		fs.Filters, fs.Channels, fs.W, fs.H = k, c, s, r
		switch mode {
		case "", ChannelsMean:
			fs.Mode = ChannelsMean
			for f := 0; f < k; f++ {
				v := make([]float32, r*s)
				for ch := 0; ch < c; ch++ {
					for p := range v {
						v[p] += t.Data[(f*c+ch)*r*s+p]
					}
				}
				for p := range v {
					v[p] /= float32(c)
				}
				fs.Panels = append(fs.Panels, figure.Panel{W: s, H: r, V: v, Label: fmt.Sprint(f)})
			}
		case ChannelsEach:
			fs.Cols = c
			for f := 0; f < k; f++ {
				for ch := 0; ch < c; ch++ {
					off := (f*c + ch) * r * s
					fs.Panels = append(fs.Panels, figure.Panel{W: s, H: r, V: t.Data[off : off+r*s], Label: fmt.Sprintf("%d.%d", f, ch)})
				}
			}
		default:
			return nil, fmt.Errorf("introspect: unknown channel mode %q (known: %s, %s)", mode, ChannelsMean, ChannelsEach)
		}
	}
	return fs, nil
}

// LayerError is a layer that does not exist or has no filters. Its message
// lists what exists: the model's layers, or the layers that have filters.
type LayerError struct {
	Layer, Model string
	WrongKind    bool     // the layer exists but has no filters to draw
	Layers       []Layer  // the model's layers
	WithFilters  []string // the layers that have filters
	Why          string
}

func (e *LayerError) Error() string {
	return fmt.Sprintf("introspect: %s; layers with filters: %s", e.Why, strings.Join(e.WithFilters, ", "))
}

// Provenance is the metadata every figure of weights carries.
func Provenance(w *runs.Weights, layer, norm string) map[string]string {
	return map[string]string{
		"model":         w.Config.Model,
		"dataset":       w.Config.Dataset,
		"seed":          fmt.Sprint(w.Config.Seed),
		"conv1":         fmt.Sprint(w.Config.Conv1),
		"step":          fmt.Sprint(w.Step),
		"epoch":         fmt.Sprint(w.Epoch),
		"layer":         layer,
		"normalization": norm,
		"source":        w.Path,
	}
}
