// Package models is gabor's model zoo: the canonical workloads of DESIGN.md
// built from gabor's op set, with PyTorch-style initialization, and the
// ANCHORW1 initial-weights format shared with the reference programs.
//
// A model is a Builder registered by name (Register); the zoo's builders
// turn a list of layers (a table per model below) into a graph.Model, the
// same graph.Model a caller may build by hand and train with train.Fit. Parameters are named as layers ("conv1.weight",
// "fc2.bias") and kept in PyTorch's layout and order (Linear weight
// [out, in], Conv2d weight [K, C, R, S]), so ANCHORW1 files and checkpoints
// map onto them one to one.
package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"

	"github.com/gaborlab/gabor/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// layerKind is one step of a sequential model.
type layerKind int

const (
	conv    layerKind = iota // Conv2D with bias: out channels, kernel, padding
	dense                    // Dense with bias: out features
	relu                     // ReLU
	sigmoid                  // Sigmoid
	maxpool                  // MaxPool2D: kernel = stride
	flatten                  // [N, C, H, W] → [N, C·H·W]
)

type layer struct {
	kind   layerKind
	name   string // parameter prefix for conv and dense
	out    int    // channels or features
	kernel int    // conv and pool
	pad    int    // conv
}

// spec is a model: its input layout and its layers.
type spec struct {
	image  bool // input [B, 1, 28, 28]; else [B, 784]
	layers []layer
	doc    string
}

var zoo = map[string]spec{
	"mlp": {doc: "784→512→ReLU→512→ReLU→10", layers: []layer{
		{kind: dense, name: "fc1", out: 512}, {kind: relu},
		{kind: dense, name: "fc2", out: 512}, {kind: relu},
		{kind: dense, name: "fc3", out: 10},
	}},
	"mlp-sigmoid": {doc: "784→200→sigmoid→10 (a classic for backward queries, which take the logits as the output sigmoid's pre-activation)", layers: []layer{
		{kind: dense, name: "fc1", out: 200}, {kind: sigmoid},
		{kind: dense, name: "fc2", out: 10},
	}},
	"lenet": {image: true, doc: "conv5×5 1→6 pad 2, ReLU, pool 2, conv5×5 6→16, ReLU, pool 2, fc 400→120→84→10", layers: []layer{
		{kind: conv, name: "conv1", out: 6, kernel: 5, pad: 2}, {kind: relu}, {kind: maxpool, kernel: 2},
		{kind: conv, name: "conv2", out: 16, kernel: 5}, {kind: relu}, {kind: maxpool, kernel: 2},
		{kind: flatten},
		{kind: dense, name: "fc1", out: 120}, {kind: relu},
		{kind: dense, name: "fc2", out: 84}, {kind: relu},
		{kind: dense, name: "fc3", out: 10},
	}},
	"convnet": {image: true, doc: "conv3×3 1→32, 32→32, pool, 32→64, 64→64, pool, fc 3136→128→10 (ReLU between)", layers: []layer{
		{kind: conv, name: "conv1", out: 32, kernel: 3, pad: 1}, {kind: relu},
		{kind: conv, name: "conv2", out: 32, kernel: 3, pad: 1}, {kind: relu},
		{kind: maxpool, kernel: 2},
		{kind: conv, name: "conv3", out: 64, kernel: 3, pad: 1}, {kind: relu},
		{kind: conv, name: "conv4", out: 64, kernel: 3, pad: 1}, {kind: relu},
		{kind: maxpool, kernel: 2},
		{kind: flatten},
		{kind: dense, name: "fc1", out: 128}, {kind: relu},
		{kind: dense, name: "fc2", out: 10},
	}},
}

// Builder builds a model for a static batch size, its parameters drawn from
// a generator seeded by seed. The zoo's models are builders, and a caller's
// own model becomes a name of the zoo (for `gabor train --model`, the
// benchmarks, the sweeps) by registering its builder.
type Builder func(batch int, seed uint64, opt Options) (*graph.Model, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Builder{}
)

// Register adds a builder under a name. A name already taken, an empty name
// or a nil builder is an error.
func Register(name string, b Builder) error {
	registryMu.Lock()
	defer registryMu.Unlock()
	switch {
	case name == "" || strings.TrimSpace(name) != name:
		return fmt.Errorf("models: cannot register a model named %q", name)
	case b == nil:
		return fmt.Errorf("models: model %q has no builder", name)
	case registry[name] != nil:
		return fmt.Errorf("models: model %q is already registered", name)
	}
	registry[name] = b
	return nil
}

func init() {
	for name, sp := range zoo {
		if err := Register(name, sp.builder(name)); err != nil {
			panic(err) // the zoo's own names are distinct constants
		}
	}
}

// Names lists the registered models (the zoo and any registered since), sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var n []string
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Options adjust a zoo model.
type Options struct {
	// Conv1 overrides the first convolution's kernel size (odd; padding keeps
	// the 28×28 size), e.g. 7 or 9 to make Gabor-like filters visible.
	Conv1 int
}

// New builds the named model for a static batch size; its parameters are
// drawn from U(±1/√fan_in) (PyTorch's default for Linear and Conv2d) with a
// generator seeded by seed.
func New(name string, batch int, seed uint64) (*graph.Model, error) {
	return NewWith(name, batch, seed, Options{})
}

// NewWith is New with options: it calls the model's registered builder.
func NewWith(name string, batch int, seed uint64, opt Options) (*graph.Model, error) {
	registryMu.RLock()
	b := registry[name]
	registryMu.RUnlock()
	if b == nil {
		return nil, fmt.Errorf("models: unknown model %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	if batch < 1 {
		return nil, fmt.Errorf("models: batch must be at least 1, got %d", batch)
	}
	m, err := b(batch, seed, opt)
	if err != nil {
		return nil, err
	}
	if m == nil || m.G == nil || m.Loss == nil {
		return nil, fmt.Errorf("models: the builder of %q returned no graph or no loss", name)
	}
	m.Name = name
	return m, nil
}

// builder is a layer table's Builder.
func (sp spec) builder(name string) Builder {
	return func(batch int, seed uint64, opt Options) (*graph.Model, error) {
		return sp.build(name, batch, seed, opt)
	}
}

// build turns a layer table into a model.
func (sp spec) build(name string, batch int, seed uint64, opt Options) (*graph.Model, error) {
	layers := append([]layer(nil), sp.layers...)
	if opt.Conv1 != 0 {
		if !sp.image || opt.Conv1 < 1 || opt.Conv1%2 == 0 {
			return nil, fmt.Errorf("models: --conv1 %d: needs a convnet and an odd kernel size", opt.Conv1)
		}
		layers[0].kernel, layers[0].pad = opt.Conv1, opt.Conv1/2
	}
	g := G.NewGraph()
	rng := rand.New(rand.NewPCG(seed, 0x9E3779B97F4A7C15))
	m := &graph.Model{Name: name, G: g}
	var h *G.Node
	if sp.image {
		h = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 1, 28, 28), G.WithName("x"))
	} else {
		h = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, 784), G.WithName("x"))
	}
	m.X = h
	param := func(name string, fanIn int, shape ...int) *G.Node {
		bound := 1 / math.Sqrt(float64(fanIn))
		data := make([]float32, numel(shape))
		for i := range data {
			data[i] = float32((2*rng.Float64() - 1) * bound)
		}
		v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
		n := G.NewTensor(g, tensor.Float32, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(v))
		m.Params = append(m.Params, n)
		return n
	}
	var err error
	for i, l := range layers {
		s := h.Shape()
		switch l.kind {
		case conv:
			c, k := s[1], l.kernel
			w := param(l.name+".weight", c*k*k, l.out, c, k, k)
			b := param(l.name+".bias", c*k*k, l.out)
			h, err = graph.Conv2D(h, w, b, [2]int{1, 1}, [2]int{l.pad, l.pad})
		case dense:
			in := s[1]
			w := param(l.name+".weight", in, l.out, in)
			b := param(l.name+".bias", in, l.out)
			h, err = graph.Dense(h, w, b)
		case relu:
			h, err = graph.ReLU(h)
		case sigmoid:
			h, err = graph.Sigmoid(h)
		case maxpool:
			k := [2]int{l.kernel, l.kernel}
			h, err = graph.MaxPool2D(h, k, k, [2]int{0, 0})
		case flatten:
			h, err = graph.Flatten(h)
		}
		if err != nil {
			return nil, fmt.Errorf("models: %s layer %d: %w", name, i, err)
		}
		if l.name != "" {
			G.WithName(l.name)(h)
		} else if l.kind == relu || l.kind == maxpool || l.kind == sigmoid {
			G.WithName(fmt.Sprintf("%s%d", kindName[l.kind], i))(h)
		}
	}
	m.Logits = h
	m.Labels = G.NewVector(g, tensor.Float32, G.WithShape(batch), G.WithName("labels"))
	if m.Loss, err = graph.SoftmaxCrossEntropy(m.Logits, m.Labels); err != nil {
		return nil, fmt.Errorf("models: %s loss: %w", name, err)
	}
	G.WithName("loss")(m.Loss)
	return m, nil
}

var kindName = map[layerKind]string{relu: "relu", sigmoid: "sigmoid", maxpool: "pool"}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// ParamValues returns the current values of a model's parameters, in order.
func ParamValues(m *graph.Model) ([][]float32, error) {
	out := make([][]float32, len(m.Params))
	for i, p := range m.Params {
		t, ok := p.Value().(tensor.Tensor)
		if !ok {
			return nil, fmt.Errorf("models: parameter %s has no value", p.Name())
		}
		d, ok := t.Data().([]float32)
		if !ok {
			return nil, fmt.Errorf("models: parameter %s holds %T, want []float32", p.Name(), t.Data())
		}
		out[i] = d
	}
	return out, nil
}

// SetParams replaces the values of a model's parameters (shapes must match).
func SetParams(m *graph.Model, values [][]float32) error {
	if len(values) != len(m.Params) {
		return fmt.Errorf("models: %d tensors for %d parameters of %s", len(values), len(m.Params), m.Name)
	}
	for i, p := range m.Params {
		if len(values[i]) != numel(p.Shape()) {
			return fmt.Errorf("models: %s: %d values for shape %v", p.Name(), len(values[i]), p.Shape())
		}
		v := tensor.New(tensor.WithShape(p.Shape()...), tensor.WithBacking(append([]float32(nil), values[i]...)))
		if err := G.Let(p, v); err != nil {
			return fmt.Errorf("models: %s: %w", p.Name(), err)
		}
	}
	return nil
}
