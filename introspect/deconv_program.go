package introspect

import (
	"fmt"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
)

// Projector is one layer's projection program (graph.Project compiled with
// graph.CompileGraph), loaded on a backend with a run's weights. Its
// Forward segment computes the layer; Forward then Backward carries a seed
// at the layer back to the pixels with the chosen rule. Both run on the
// device the program was loaded on: the projection is a Program like the
// training step.
type Projector struct {
	Model   *graph.Model
	Proj    *graph.Projection
	Prog    *kernels.Program
	Exe     kernels.Executable
	Backend string
	Batch   int
	Layer   Layer
	// Weights are the parameter names the projection reads, topmost layer
	// first (a weight, then its bias when the model has one).
	Weights []string

	init map[string][]float32 // seeded initial values, by name
}

// NewProjector builds the model of w's config at the given batch size,
// derives the projection of layer with rule, compiles it, loads it on the
// device and writes w's tensors. A layer without spatial maps is refused
// unless flat is set (activation maximization projects from the logits).
func NewProjector(w *Weights, layer string, rule graph.Rule, flat bool, o ForwardOptions) (*Projector, error) {
	cfg := w.Config
	if o.Batch <= 0 {
		o.Batch = 64
	}
	if o.Device == "" {
		o.Device = "auto"
	}
	m, err := models.NewWith(cfg.Model, o.Batch, cfg.Seed, models.Options{Conv1: cfg.Conv1})
	if err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	ls, err := Layers(cfg.Model, cfg.Conv1)
	if err != nil {
		return nil, err
	}
	var l Layer
	found := false
	for _, x := range ls {
		if x.Name == layer && x.Kind != KindFlatten {
			l, found = x, true
		}
	}
	if !found {
		return nil, &UnknownLayerError{Model: cfg.Model, Name: layer, Known: ls}
	}
	if !flat && len(l.Out) != 3 {
		return nil, fmt.Errorf("introspect: layer %s of %s has no spatial maps (its output is %v per image); projections need a layer with [C, H, W] maps: %s",
			layer, cfg.Model, l.Out, spatialNames(ls))
	}
	nodes := m.G.ByName(layer)
	if len(nodes) == 0 {
		return nil, &UnknownLayerError{Model: cfg.Model, Name: layer, Known: ls}
	}
	proj, err := graph.Project(m, nodes[0], rule)
	if err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	prog, err := proj.Compile(m, graph.Options{})
	if err != nil {
		return nil, fmt.Errorf("introspect: compiling the %v projection of %s: %w", rule, layer, err)
	}
	be, err := kernels.Open(o.Device)
	if err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	exe, err := be.Load(prog)
	if err != nil {
		return nil, fmt.Errorf("introspect: loading the projection of %s on %s: %w", layer, be.Name(), err)
	}
	p := &Projector{Model: m, Proj: proj, Prog: prog, Exe: exe, Backend: be.Name(), Batch: o.Batch, Layer: l,
		init: map[string][]float32{}}
	vals, err := models.ParamValues(m)
	if err != nil {
		exe.Close()
		return nil, err
	}
	for i, q := range m.Params {
		p.init[q.Name()] = vals[i]
	}
	for _, wn := range proj.Weights {
		p.Weights = append(p.Weights, wn.Name())
		if b, ok := strings.CutSuffix(wn.Name(), ".weight"); ok {
			if _, has := p.init[b+".bias"]; has {
				p.Weights = append(p.Weights, b+".bias")
			}
		}
	}
	if err := p.SetWeights(w); err != nil {
		exe.Close()
		return nil, err
	}
	if prog.Ctl >= 0 {
		if err := exe.Write(prog.Ctl, []float32{0, 0}); err != nil {
			exe.Close()
			return nil, err
		}
	}
	return p, nil
}

// spatialNames lists the layers with [C, H, W] maps, for messages.
func spatialNames(ls []Layer) string {
	var n []string
	for _, l := range ls {
		if len(l.Out) == 3 {
			n = append(n, l.Name)
		}
	}
	if len(n) == 0 {
		return "this model has none (an MLP); use a convnet such as lenet"
	}
	return strings.Join(n, ", ")
}

// SetWeights writes w's tensors for every parameter the program reads. A
// parameter w lacks is an error that says which snapshots would hold it.
func (p *Projector) SetWeights(w *Weights) error {
	for _, slot := range p.Prog.Params {
		t, ok := w.Tensors[slot.Name]
		if !ok {
			return &MissingTensorError{Path: w.Path, Kind: w.Kind, Tensor: slot.Name, Layer: p.Layer.Name}
		}
		if err := p.SetParam(slot.Name, t.Data); err != nil {
			return fmt.Errorf("introspect: %s: %w", w.Path, err)
		}
	}
	return nil
}

// SetParam overwrites one parameter of the loaded program.
func (p *Projector) SetParam(name string, v []float32) error {
	for _, slot := range p.Prog.Params {
		if slot.Name == name {
			if b := p.Prog.Buf(slot.Value); len(v) != b.Len {
				return fmt.Errorf("%s has %d values, model %s wants shape %v", name, len(v), p.Model.Name, b.Shape)
			}
			return p.Exe.Write(slot.Value, v)
		}
	}
	return fmt.Errorf("the projection of %s reads no parameter %s", p.Layer.Name, name)
}

// ParamShape is a parameter's shape.
func (p *Projector) ParamShape(name string) []int {
	for _, q := range p.Model.Params {
		if q.Name() == name {
			return q.Shape()
		}
	}
	return nil
}

// MissingTensorError is a weights file without a parameter a projection
// needs; for a snapshot it names the --snapshot setting that records it.
type MissingTensorError struct {
	Path, Kind, Tensor, Layer string
}

func (e *MissingTensorError) Error() string {
	msg := fmt.Sprintf("introspect: %s %s has no tensor %s, which projecting %s needs", e.Kind, e.Path, e.Tensor, e.Layer)
	if e.Kind == "snapshot" {
		msg += "; snapshots record the convolution weights only (gabor train --snapshot every=1epochs), " +
			"so choose a convolutional layer or drop --step to use the run's checkpoint, which holds every parameter"
	}
	return msg
}

// Close releases the device memory.
func (p *Projector) Close() error { return p.Exe.Close() }

// InputLen is the number of input values of one image.
func (p *Projector) InputLen() int { return p.Prog.Buf(p.Prog.Inputs["x"]).Len / p.Batch }

// LayerLen is the number of values of the layer for one image.
func (p *Projector) LayerLen() int { return p.Prog.Buf(p.Prog.Inputs["seed"]).Len / p.Batch }

// Gather stages images idx of set (normalized as in training) as a batch
// in x (len Batch·InputLen); rows past len(idx) repeat the first image.
func (p *Projector) Gather(set *data.Set, idx []int32, x []float32) error {
	batch := make([]int32, p.Batch)
	for k := range batch {
		batch[k] = idx[0]
		if k < len(idx) {
			batch[k] = idx[k]
		}
	}
	y := make([]float32, p.Batch)
	if err := data.Gather(set, batch, x, y, data.FashionMean, data.FashionStd); err != nil {
		return fmt.Errorf("introspect: %w", err)
	}
	return nil
}

// Forward runs the forward segment on a batch x and reads the layer into
// layer (len Batch·LayerLen).
func (p *Projector) Forward(x, layer []float32) error {
	if err := p.Exe.Write(p.Prog.Inputs["x"], x); err != nil {
		return err
	}
	if err := p.Exe.Run(p.Prog.Forward); err != nil {
		return fmt.Errorf("introspect: forward pass to %s: %w", p.Layer.Name, err)
	}
	return p.Exe.Read(p.Prog.Taps["layer"], layer)
}

// Back runs the backward segment after Forward: it carries seed (the
// layer's shape) to the input and reads the result into proj.
func (p *Projector) Back(seed, proj []float32) error {
	if err := p.Exe.Write(p.Prog.Inputs["seed"], seed); err != nil {
		return err
	}
	if err := p.Exe.Run(p.Prog.Backward); err != nil {
		return fmt.Errorf("introspect: %v projection of %s: %w", p.Proj.Rule, p.Layer.Name, err)
	}
	return p.Exe.Read(p.Prog.Taps["proj"], proj)
}
