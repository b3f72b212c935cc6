package introspect

import (
	"fmt"
	"github.com/gaborlab/gabor/figure"
	"math"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/runs"
)

// Query methods.
const (
	QueryInverse  = "inverse"
	QueryOptimize = "optimize"
)

// QueryOptions configure Query.
type QueryOptions struct {
	Method string // QueryInverse or QueryOptimize
	Labels []int  // classes to query (nil: every class)
	Step   int    // weights of this step (< 0: the latest)
	Device string // backend for optimize ("" : auto)
	Optimize
}

// QueryResult is one image per queried label, in the model's input space
// seen as an H×W picture (Images[i] has H·W values).
type QueryResult struct {
	Model       string      `json:"model"`
	Dataset     string      `json:"dataset"`
	Method      string      `json:"method"`
	Step        int         `json:"step"`
	Weights     string      `json:"weights"`
	Backend     string      `json:"device,omitempty"` // optimize runs on a backend
	Approximate bool        `json:"approximate"`
	Note        string      `json:"note"`
	Labels      []int       `json:"labels"`
	ClassNames  []string    `json:"class_names"`
	H           int         `json:"h"`
	W           int         `json:"w"`
	Images      [][]float32 `json:"-"`
	// Scores are the model's softmax probability of each queried label for
	// its own image (how strongly the network "recognizes" it).
	Scores []float64 `json:"scores,omitempty"`
}

// Query answers "what input does the network associate with this label?".
//
// inverse: Rashid's backward query. The target output (0.99 for the label,
// 0.01 elsewhere) goes back through the network: the logit σ⁻¹(t) of the
// target is the output layer's pre-activation, each dense layer is undone
// by its transpose (after removing its bias), the result is rescaled into
// [0.01, 0.99] — inside the sigmoid's range — and taken back through the
// activation by its inverse, layer after layer down to the input. For a
// sigmoid MLP this is the method as published (exact: every step follows
// the network). For other MLPs the dense layers are undone by their
// pseudo-inverse (the least-norm solution) and ReLU by the identity on the
// rescaled values: an approximation, and the result says so.
//
// optimize: activation maximization. Starting from the mean intensity
// (plus a little noise), the
// input is moved by gradient ascent on the label's log-probability, with
// the gradient computed by the model's projection program (the gradient
// rule from the logits, on the backend), regularized by an L2 penalty,
// total variation and random jitter (see Optimize).
func Query(run *runs.Run, o QueryOptions) (*QueryResult, error) {
	w, ckStep, err := runWeights(run, o.Step)
	if err != nil {
		return nil, err
	}
	ds, err := TestSet(w.Config)
	if err != nil {
		return nil, err
	}
	classes := ds.Test.Classes
	labels := o.Labels
	if labels == nil {
		for c := 0; c < classes; c++ {
			labels = append(labels, c)
		}
	}
	for _, l := range labels {
		if l < 0 || l >= classes {
			return nil, &LabelError{Label: l, Classes: classes, Dataset: ds.Name, Names: ds.ClassNames}
		}
	}
	res := &QueryResult{Model: w.Config.Model, Dataset: ds.Name, Method: o.Method, Step: w.Step, Weights: w.Path,
		Labels: labels, H: ds.Test.H, W: ds.Test.W}
	for _, l := range labels {
		name := fmt.Sprint(l)
		if l < len(ds.ClassNames) {
			name = ds.ClassNames[l]
		}
		res.ClassNames = append(res.ClassNames, name)
	}
	switch o.Method {
	case QueryInverse, "":
		res.Method = QueryInverse
		err = inverseQuery(w, ckStep, res)
	case QueryOptimize:
		err = optimizeQuery(w, ckStep, o, res)
	default:
		err = fmt.Errorf("introspect: unknown query method %q (known: %s, %s)", o.Method, QueryInverse, QueryOptimize)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// LabelError is a queried label the dataset does not have.
type LabelError struct {
	Label, Classes int
	Dataset        string
	Names          []string
}

func (e *LabelError) Error() string {
	msg := fmt.Sprintf("introspect: label %d is out of range: %s has %d classes (0 to %d", e.Label, e.Dataset, e.Classes, e.Classes-1)
	if len(e.Names) == e.Classes {
		parts := make([]string, len(e.Names))
		for i, n := range e.Names {
			parts[i] = fmt.Sprintf("%d %s", i, n)
		}
		msg += ": " + strings.Join(parts, ", ")
	}
	return msg + ")"
}

// ClassMeans are the mean images of each class of a set, in pixel units
// scaled to [0, 1].
func ClassMeans(set *data.Set) [][]float32 {
	hw := set.H * set.W
	sums := make([][]float64, set.Classes)
	counts := make([]int, set.Classes)
	for c := range sums {
		sums[c] = make([]float64, hw)
	}
	for i := 0; i < set.N; i++ {
		c := int(set.Labels[i])
		counts[c]++
		for k, v := range set.Image(i) {
			sums[c][k] += float64(v) / 255
		}
	}
	out := make([][]float32, set.Classes)
	for c := range out {
		out[c] = make([]float32, hw)
		for k := range out[c] {
			out[c][k] = float32(sums[c][k] / float64(max(counts[c], 1)))
		}
	}
	return out
}

// ClassCorrelation compares each query image with the class mean images:
// own is the mean Pearson correlation of image i with its own label's mean,
// other the mean correlation with the other classes' means, and matched the
// number of images whose best-correlated mean is their own class's.
func ClassCorrelation(images [][]float32, labels []int, means [][]float32) (own, other float64, matched int) {
	var nOther int
	for i, img := range images {
		best, bestC := math.Inf(-1), -1
		for c, m := range means {
			r := pearson(f64(img), f64(m))
			if c == labels[i] {
				own += r
			} else {
				other += r
				nOther++
			}
			if r > best {
				best, bestC = r, c
			}
		}
		if bestC == labels[i] {
			matched++
		}
	}
	return own / float64(len(images)), other / float64(max(nOther, 1)), matched
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// QueryFigure draws the query images in a row (two rows past 10), each
// labelled with its class and, for optimize, the model's probability of
// that class for its image, on a gray scale from the image's minimum to its
// maximum. title "" draws none.
func QueryFigure(r *QueryResult, title string) (*figure.Figure, error) {
	panels := make([]figure.Panel, len(r.Images))
	for i, img := range r.Images {
		label := r.ClassNames[i]
		if i < len(r.Scores) {
			label += fmt.Sprintf(" p=%.2f", r.Scores[i])
		}
		panels[i] = figure.Panel{W: r.W, H: r.H, V: img, Label: label}
	}
	fig, err := figure.Grid(panels, figure.GridOptions{Cols: min(len(panels), 10), Gap: 4, Cell: 48, Cmap: figure.Gray,
		Labels: true, Title: title})
	if err != nil {
		return nil, err
	}
	fig.Meta["model"], fig.Meta["method"], fig.Meta["dataset"] = r.Model, r.Method, r.Dataset
	fig.Meta["step"], fig.Meta["weights"] = fmt.Sprint(r.Step), r.Weights
	fig.Meta["note"] = r.Note
	fig.Meta["normalization"] = "per image, min to max"
	return fig, nil
}

// QueryTitle is QueryFigure's default title.
func QueryTitle(r *QueryResult) string {
	kind := r.Method
	if r.Approximate {
		kind += " (approximate)"
	}
	return fmt.Sprintf("%s, step %d: %s query, one image per class", r.Model, r.Step, kind)
}
