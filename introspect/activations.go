package introspect

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/data"
)

// LayerActivation is one layer's activation for one input image.
type LayerActivation struct {
	Layer Layer
	V     []float32 // LayerSize(Layer) values: [C, H, W] or [features], row-major
}

// ActivationStats summarize one layer's activation for the --json report.
type ActivationStats struct {
	Layer string  `json:"layer"`
	Kind  string  `json:"kind"`
	Shape []int   `json:"shape"`
	Mean  float64 `json:"mean"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	// Zeros is the fraction of values exactly 0: after a ReLU, the units
	// that are off for this input (and after the pooling that follows one,
	// the pooled windows that were all off).
	Zeros float64 `json:"zero_fraction"`
}

// Stats computes the summary of a layer's activation.
func Stats(a LayerActivation) ActivationStats {
	s := ActivationStats{Layer: a.Layer.Name, Kind: a.Layer.Kind, Shape: a.Layer.Out, Min: math.Inf(1), Max: math.Inf(-1)}
	if len(a.V) == 0 {
		return ActivationStats{Layer: s.Layer, Kind: s.Kind, Shape: s.Shape}
	}
	var sum float64
	zeros := 0
	for _, v := range a.V {
		f := float64(v)
		sum += f
		s.Min, s.Max = math.Min(s.Min, f), math.Max(s.Max, f)
		if v == 0 {
			zeros++
		}
	}
	s.Mean = sum / float64(len(a.V))
	s.Zeros = float64(zeros) / float64(len(a.V))
	return s
}

// ImageActivations runs one test image through f and returns every layer's
// activation in forward order, the normalized input first.
func ImageActivations(f *Forward, ds *data.Dataset, index int) ([]LayerActivation, error) {
	if index < 0 || index >= ds.Test.N {
		return nil, &IndexError{Index: index, N: ds.Test.N, Set: ds.Name + " test"}
	}
	act, err := f.Run(ds.Test, []int32{int32(index)}, nil)
	if err != nil {
		return nil, err
	}
	out := make([]LayerActivation, len(f.Layers))
	for i, l := range f.Layers {
		if !f.Computable(l.Name) {
			return nil, fmt.Errorf("introspect: the weights given lack parameters layer %s needs", l.Name)
		}
		out[i] = LayerActivation{Layer: l, V: act.By[l.Name]}
	}
	return out, nil
}
