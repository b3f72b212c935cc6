package weightspace

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/train"
)

// Param describes one parameter of a model: its name and shape, as in the
// Program's buffers and the run's checkpoints.
type Param struct {
	Name  string
	Shape []int
}

// Len is the parameter's number of values.
func (p Param) Len() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Point is a point of weight space: one slice per parameter, in the order of
// the model's Params.
type Point [][]float32

// Clone returns a deep copy of p.
func (p Point) Clone() Point {
	q := make(Point, len(p))
	for i, v := range p {
		q[i] = slices.Clone(v)
	}
	return q
}

// Score is the mean cross-entropy and the accuracy of a model on a set.
type Score struct {
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	Correct  int     `json:"correct"`
	N        int     `json:"n"`
}

// Evaluator is a classifier compiled forward-only, loaded on a backend, with
// a fixed set of test images gathered into batches once.
type Evaluator struct {
	Model   *graph.Model
	Prog    *kernels.Program
	Backend string
	Batch   int
	Params  []Param
	Set     *data.Set // the images scored, in order

	exe     kernels.Executable
	xs, ys  [][]float32 // per batch: normalized images, labels (padded with the batch's first image)
	valid   []int       // per batch: rows that count
	logits  []float32
	classes int
}

// EvaluatorOptions configure NewEvaluator.
type EvaluatorOptions struct {
	Batch  int    // images per run of the forward pass (0: 500, at most the set's size)
	Device string // backend name ("" : "auto")
}

// NewEvaluator compiles the model of a run (built by build at a batch size:
// runs.Weights.Model, train.BuildModel) forward-only and loads it.
// The model must be a classifier: an "x" input, class-index or one-hot
// labels, and logits of one row per image.
func NewEvaluator(build func(batch int) (*graph.Model, error), set *data.Set, norm data.Normalization, o EvaluatorOptions) (*Evaluator, error) {
	if set == nil || set.N == 0 {
		return nil, fmt.Errorf("weightspace: no images to evaluate on")
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	o.Batch = min(o.Batch, set.N)
	if o.Device == "" {
		o.Device = "auto"
	}
	m, err := build(o.Batch)
	if err != nil {
		return nil, err
	}
	if m.X == nil || m.Logits == nil {
		return nil, fmt.Errorf("weightspace: model %s is not a classifier of images (it needs an input x and logits)", m.Name)
	}
	if m.Target == graph.FloatTargets {
		return nil, fmt.Errorf("weightspace: model %s has float targets; the landscape and ablation score classifiers", m.Name)
	}
	prog, err := graph.Compile(m, graph.Options{})
	if err != nil {
		return nil, fmt.Errorf("weightspace: compiling %s: %w", m.Name, err)
	}
	xl := prog.Buf(prog.Inputs["x"]).Len
	if xl != o.Batch*set.H*set.W {
		return nil, fmt.Errorf("weightspace: model %s takes %d input values per batch of %d, the images are %d×%d", m.Name, xl, o.Batch, set.H, set.W)
	}
	ll := prog.Buf(prog.Logits).Len
	if ll%o.Batch != 0 || ll/o.Batch < 2 {
		return nil, fmt.Errorf("weightspace: model %s has %d logits for a batch of %d: not one row of classes per image", m.Name, ll, o.Batch)
	}
	be, err := kernels.Open(o.Device)
	if err != nil {
		return nil, fmt.Errorf("weightspace: %w", err)
	}
	exe, err := be.Load(prog)
	if err != nil {
		return nil, fmt.Errorf("weightspace: loading %s on %s: %w", m.Name, be.Name(), err)
	}
	e := &Evaluator{Model: m, Prog: prog, Backend: be.Name(), Batch: o.Batch, Set: set, exe: exe,
		logits: make([]float32, ll), classes: ll / o.Batch}
	for _, p := range prog.Params {
		e.Params = append(e.Params, Param{Name: p.Name, Shape: slices.Clone(prog.Buf(p.Value).Shape)})
	}
	if err := e.gather(norm); err != nil {
		exe.Close()
		return nil, err
	}
	if prog.Ctl >= 0 { // evaluation mode: dropout passes activations through
		if err := exe.Write(prog.Ctl, []float32{0, 0}); err != nil {
			exe.Close()
			return nil, err
		}
	}
	for _, id := range prog.State { // BatchNorm's running averages start at zero (SetState)
		if err := exe.Write(id, make([]float32, prog.Buf(id).Len)); err != nil {
			exe.Close()
			return nil, err
		}
	}
	return e, nil
}

// gather normalizes every batch of the set once, the last padded with
// copies of its first image (the rows past valid are not scored).
func (e *Evaluator) gather(norm data.Normalization) error {
	idx := make([]int32, e.Batch)
	for lo := 0; lo < e.Set.N; lo += e.Batch {
		valid := min(e.Batch, e.Set.N-lo)
		for i := range idx {
			idx[i] = int32(lo)
			if i < valid {
				idx[i] = int32(lo + i)
			}
		}
		x := make([]float32, e.Batch*e.Set.H*e.Set.W)
		y := make([]float32, e.Batch)
		if err := data.Gather(e.Set, idx, x, y, norm.Mean, norm.Std); err != nil {
			return fmt.Errorf("weightspace: %w", err)
		}
		e.xs, e.ys, e.valid = append(e.xs, x), append(e.ys, y), append(e.valid, valid)
	}
	return nil
}

// Close releases the device memory.
func (e *Evaluator) Close() error { return e.exe.Close() }

// SetState writes persistent non-parameter state (BatchNorm's running
// averages) by the Program's State names; a name w lacks keeps its value.
func (e *Evaluator) SetState(state map[string][]float32) error {
	for name, id := range e.Prog.State {
		v, ok := state[name]
		if !ok {
			continue
		}
		if len(v) != e.Prog.Buf(id).Len {
			return fmt.Errorf("weightspace: state %s has %d values, the model wants %d", name, len(v), e.Prog.Buf(id).Len)
		}
		if err := e.exe.Write(id, v); err != nil {
			return err
		}
	}
	return nil
}

// Eval writes p into the parameters and scores the model on the set.
func (e *Evaluator) Eval(ctx context.Context, p Point) (Score, error) {
	if len(p) != len(e.Params) {
		return Score{}, fmt.Errorf("weightspace: a point of %d tensors for the %d parameters of %s", len(p), len(e.Params), e.Model.Name)
	}
	for i, s := range e.Prog.Params {
		if len(p[i]) != e.Params[i].Len() {
			return Score{}, fmt.Errorf("weightspace: %s has %d values, the model wants shape %v", s.Name, len(p[i]), e.Params[i].Shape)
		}
		if err := e.exe.Write(s.Value, p[i]); err != nil {
			return Score{}, fmt.Errorf("weightspace: writing %s: %w", s.Name, err)
		}
	}
	return e.score(ctx, nil)
}

// score runs the forward pass over every batch. perClass, when not nil
// (length classes), receives the number of correct images of each class.
func (e *Evaluator) score(ctx context.Context, perClass []int) (Score, error) {
	var s Score
	var lossSum float64
	for b := range e.xs {
		if err := ctx.Err(); err != nil {
			return Score{}, err
		}
		if err := e.exe.Write(e.Prog.Inputs["x"], e.xs[b]); err != nil {
			return Score{}, err
		}
		if _, ok := e.Prog.Inputs["labels"]; ok {
			if err := train.WriteLabels(e.exe, e.Prog, e.ys[b]); err != nil {
				return Score{}, err
			}
		}
		if err := e.exe.Run(e.Prog.Forward); err != nil {
			return Score{}, fmt.Errorf("weightspace: forward pass of %s: %w", e.Model.Name, err)
		}
		if err := e.exe.Read(e.Prog.Logits, e.logits); err != nil {
			return Score{}, err
		}
		for i := 0; i < e.valid[b]; i++ {
			row := e.logits[i*e.classes : (i+1)*e.classes]
			label := int(e.ys[b][i])
			if kernels.Argmax(row) == label {
				s.Correct++
				if perClass != nil && label < len(perClass) {
					perClass[label]++
				}
			}
			lossSum += xent(row, label)
		}
	}
	s.N = e.Set.N
	s.Accuracy = float64(s.Correct) / float64(s.N)
	s.Loss = lossSum / float64(s.N)
	return s, nil
}

// xent is kernels.Xent (the formula of `gabor eval`), except that a row
// that holds NaN or ±Inf gives +Inf: a diverged point of a landscape is
// drawn as off the scale, never as a low loss.
func xent(row []float32, label int) float64 {
	l := kernels.Xent(row, label)
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return math.Inf(1)
	}
	return l
}

// Subset is a fixed, seeded choice of n images of set (all of them, in order,
// when n ≤ 0 or n ≥ set.N), copied into a new set in increasing index order,
// so that the same n and seed always score the same images.
func Subset(set *data.Set, n int, seed uint64) *data.Set {
	if n <= 0 || n >= set.N {
		return set
	}
	idx := data.Permutation(set.N, seed)[:n]
	slices.Sort(idx)
	px := set.H * set.W
	out := &data.Set{Name: set.Name, N: n, H: set.H, W: set.W, Classes: set.Classes,
		Images: make([]uint8, n*px), Labels: make([]uint8, n)}
	for k, i := range idx {
		copy(out.Images[k*px:(k+1)*px], set.Image(int(i)))
		out.Labels[k] = set.Labels[i]
	}
	return out
}
