package introspect

import (
	"fmt"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/runs"
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
	// CheckpointStep is the step of the run's checkpoint (-1: none), for messages.
	CheckpointStep int
	// Weights are the parameter names the projection reads, topmost layer
	// first (a weight, then its bias when the model has one).
	Weights []string
	// Norm is the run's input normalization (train.Config.Normalization).
	Norm data.Normalization

	init map[string][]float32 // seeded initial values, by name
}

// ProjectorOptions configure NewProjector.
type ProjectorOptions struct {
	ForwardOptions
	Flat           bool // allow a layer without spatial maps (the logits)
	CheckpointStep int  // the run's checkpoint step for messages (-1: none)
}

// NewProjector builds the model of w's run (runs.Weights.Model) at the given batch size,
// derives the projection of layer with rule, compiles it, loads it on the
// device and writes w's tensors. A layer without spatial maps is refused
// unless o.Flat is set (activation maximization projects from the logits).
func NewProjector(w *runs.Weights, layer string, rule graph.Rule, o ProjectorOptions) (*Projector, error) {
	cfg := w.Config
	if o.Batch <= 0 {
		o.Batch = 64
	}
	if o.Device == "" {
		o.Device = "auto"
	}
	m, err := w.Model(o.Batch)
	if err != nil {
		return nil, err
	}
	ls := LayersOf(m)
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
	if !o.Flat && len(l.Out) != 3 {
		return nil, fmt.Errorf("introspect: layer %s of %s has no spatial maps (its output is %v per image); projections need a layer with [C, H, W] maps: %s",
			layer, cfg.Model, l.Out, spatialNames(ls))
	}
	nodes := m.G.ByName(l.Node)
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
		CheckpointStep: o.CheckpointStep, Norm: cfg.Normalization(), init: map[string][]float32{}}
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
func (p *Projector) SetWeights(w *runs.Weights) error {
	for _, slot := range p.Prog.Params {
		t, ok := w.Tensors[slot.Name]
		if !ok {
			return &MissingTensorError{Path: w.Path, Kind: w.Kind, Tensor: slot.Name, Layer: "projecting " + p.Layer.Name, CheckpointStep: p.CheckpointStep}
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
// or query needs; for a snapshot it says what snapshots record and where
// every parameter is.
type MissingTensorError struct {
	Path, Kind, Tensor, Layer string
	CheckpointStep            int // the run's checkpoint step, -1 when there is none
}

func (e *MissingTensorError) Error() string {
	msg := fmt.Sprintf("introspect: %s %s has no tensor %s, which %s needs", e.Kind, e.Path, e.Tensor, e.Layer)
	if e.Kind == "snapshot" {
		msg += "; snapshots (gabor train --snapshot every=N[steps|epochs]) record only every convolution's weights, " +
			"or an MLP's first layer, so choose a convolutional layer"
		if e.CheckpointStep >= 0 {
			msg += fmt.Sprintf(", or use the run's checkpoint, which holds every parameter (--step %d or no --step)", e.CheckpointStep)
		}
	}
	return msg
}

// runWeights reads the weights of a step (< 0: the latest), preferring the
// checkpoint, which holds every parameter, over a snapshot of the same step.
// A snapshot is returned for the other steps; its lack of a tensor is
// reported (MissingTensorError) when a parameter is needed.
func runWeights(run *runs.Run, step int) (*runs.Weights, int, error) {
	ckStep := -1
	var ck *runs.Weights
	if run.Checkpoint != "" {
		var err error
		if ck, err = runs.ReadWeights(run.Checkpoint); err != nil {
			return nil, -1, err
		}
		ckStep = ck.Step
	}
	if ck != nil && (step < 0 || step == ck.Step) {
		if step < 0 {
			if steps, err := run.Steps(); err == nil && steps[len(steps)-1].Step > ck.Step {
				w, err := run.At(step)
				return w, ckStep, err
			}
		}
		return ck, ckStep, nil
	}
	w, err := run.At(step)
	return w, ckStep, err
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
	if err := data.Gather(set, batch, x, y, p.Norm.Mean, p.Norm.Std); err != nil {
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
