package introspect

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/gaborlab/gabor/runs"
)

// Rashid's backward query keeps every signal inside the sigmoid's open
// range: targets and rescaled activations lie in [queryLo, queryHi].
const queryLo, queryHi = 0.01, 0.99

// inverseQuery fills res.Images by the backward query (see Query).
func inverseQuery(w *runs.Weights, ckStep int, res *QueryResult) error {
	ls, err := ModelLayers(w)
	if err != nil {
		return err
	}
	exact := true
	for _, l := range ls {
		switch l.Kind {
		case KindDense:
		case KindAct:
			if !strings.Contains(l.Op, "sigmoid") {
				exact = false
				if !strings.Contains(l.Op, "relu") && !strings.Contains(l.Op, "tanh") {
					return fmt.Errorf("introspect: --method inverse cannot invert layer %s (%s)", l.Name, l.Op)
				}
			}
		default:
			return fmt.Errorf("introspect: --method inverse inverts MLPs (dense layers and activations); model %s has %s, a %s layer: use --method optimize",
				w.Config.Model, l.Name, l.Kind)
		}
	}
	res.Approximate = !exact
	if exact {
		res.Note = "Rashid's backward query: logit of the target, transposed weights, rescaled to [0.01, 0.99] per layer"
	} else {
		res.Note = "approximate: dense layers undone by their pseudo-inverse, ReLU/tanh by the identity/atanh of rescaled values"
	}
	classes := ls[len(ls)-1].Out[0]
	for _, label := range res.Labels {
		// The output layer's pre-activation that a sigmoid output would
		// turn into the target vector.
		sig := make([]float64, classes)
		for c := range sig {
			t := queryLo
			if c == label {
				t = queryHi
			}
			sig[c] = logit(t)
		}
		for i := len(ls) - 1; i >= 0; i-- {
			l := ls[i]
			switch l.Kind {
			case KindDense:
				wt, ok := w.Tensors[l.Name+".weight"]
				if !ok {
					return &MissingTensorError{Path: w.Path, Kind: w.Kind, Tensor: l.Name + ".weight", Layer: "the backward query", CheckpointStep: ckStep}
				}
				if b, ok := w.Tensors[l.Name+".bias"]; ok {
					for k := range sig {
						sig[k] -= float64(b.Data[k])
					}
				}
				if sig, err = undoDense(wt.Data, wt.Shape, sig, exact); err != nil {
					return fmt.Errorf("introspect: inverting %s: %w", l.Name, err)
				}
				rescale(sig)
			case KindAct:
				for k, v := range sig {
					switch {
					case strings.Contains(l.Op, "sigmoid"):
						sig[k] = logit(v)
					case strings.Contains(l.Op, "tanh"):
						sig[k] = math.Atanh(2*v - 1)
					}
					// ReLU: the identity on the (positive) rescaled values.
				}
			}
		}
		img := make([]float32, len(sig))
		for k, v := range sig {
			img[k] = float32(v)
		}
		res.Images = append(res.Images, img)
	}
	return nil
}

// undoDense takes z at a dense layer's output (bias removed) to its input:
// wᵀz (exact) or the least-norm solution of w·h = z (pseudo-inverse).
// w is [out, in] row-major.
func undoDense(w []float32, shape []int, z []float64, transpose bool) ([]float64, error) {
	out, in := shape[0], shape[1]
	if len(z) != out {
		return nil, fmt.Errorf("signal has %d values, the weight %v has %d outputs", len(z), shape, out)
	}
	h := make([]float64, in)
	if transpose {
		for o := 0; o < out; o++ {
			row := w[o*in : (o+1)*in]
			for i, v := range row {
				h[i] += float64(v) * z[o]
			}
		}
		return h, nil
	}
	wd := mat.NewDense(out, in, f64(w))
	var x mat.Dense
	if err := x.Solve(wd, mat.NewVecDense(out, z)); err != nil {
		return nil, err
	}
	for i := range h {
		h[i] = x.At(i, 0)
	}
	return h, nil
}

// rescale maps v linearly onto [queryLo, queryHi] (a constant vector to the middle).
func rescale(v []float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	for i, x := range v {
		if hi > lo {
			v[i] = queryLo + (queryHi-queryLo)*(x-lo)/(hi-lo)
		} else {
			v[i] = (queryLo + queryHi) / 2
		}
	}
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }
