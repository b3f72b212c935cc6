package introspect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/runs"
	"github.com/gaborlab/gabor/train"
	G "gorgonia.org/gorgonia"
)

// InputLayer is the name under which a Forward reports the network's input
// (the graph node "x", after normalization); its Kind is KindInput.
const (
	InputLayer = "x"
	KindInput  = "input"
)

// LayerSize is the number of values of one example's activation of l.
func LayerSize(l Layer) int {
	n := 1
	for _, d := range l.Out {
		n *= d
	}
	return n
}

// forwardLayers are the layers a Forward taps: the input, then every layer
// of Layers but the flatten (a view, and not a named node of the graph).
func forwardLayers(m *graph.Model) []Layer {
	ls := LayersOf(m)
	out := []Layer{{Name: InputLayer, Node: InputLayer, Kind: KindInput, Op: "input", Out: slices.Clone(m.X.Shape()[1:])}}
	for _, l := range ls {
		if l.Kind != KindFlatten {
			out = append(out, l)
		}
	}
	return out
}

// paramDeps maps every named node of m to the parameters its value depends
// on (its own and every earlier layer's), found by walking the graph.
func paramDeps(m *graph.Model) map[string][]string {
	params := map[*G.Node]bool{}
	for _, p := range m.Params {
		params[p] = true
	}
	memo := map[*G.Node][]string{}
	var deps func(n *G.Node) []string
	deps = func(n *G.Node) []string {
		if d, ok := memo[n]; ok {
			return d
		}
		var out []string
		if params[n] {
			out = []string{n.Name()}
		}
		it := n.Graph().From(n.ID())
		for it.Next() {
			for _, p := range deps(it.Node().(*G.Node)) {
				if !slices.Contains(out, p) {
					out = append(out, p)
				}
			}
		}
		memo[n] = out
		return out
	}
	byName := map[string][]string{}
	for _, n := range m.G.AllNodes() {
		byName[n.Name()] = deps(n)
	}
	return byName
}

// LayerNames lists the names of layers, comma-separated, for messages.
func LayerNames(layers []Layer) string {
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Name
	}
	return strings.Join(names, ", ")
}

// UnknownLayerError is a layer name the model does not have; its message
// lists the layers that exist.
type UnknownLayerError struct {
	Model string
	Name  string
	Known []Layer
}

func (e *UnknownLayerError) Error() string {
	return fmt.Sprintf("introspect: model %s has no layer %q (layers: %s)", e.Model, e.Name, LayerNames(e.Known))
}

// TestSet loads the test split of the dataset cfg trained on, whole (the
// run's --test-limit is not applied: an index refers to the full set).
func TestSet(cfg train.Config) (*data.Dataset, error) {
	// The synthetic set's test split does not depend on the train size, so
	// only one training image is generated.
	ds, err := data.Load(cfg.Dataset, cfg.DataDir, data.LoadOptions{SyntheticTrain: 1, Source: cfg.Source})
	if err != nil {
		return nil, err
	}
	if ds.Test == nil || ds.Test.N == 0 {
		return nil, fmt.Errorf("introspect: dataset %s has no test images", ds.Name)
	}
	return ds, nil
}

// ForwardOptions configure NewForward.
type ForwardOptions struct {
	Batch  int    // images per run of the program (0: 64)
	Device string // backend name for kernels.Open ("" : "auto")
}

// Forward is a model compiled forward-only with a tap on every layer,
// loaded on a backend, with weights written in. It computes activations by
// running the same Program that training runs, on whatever device it was
// opened on; nothing is recomputed elsewhere.
//
//	w, _ := runs.ReadWeights("runs/lenet/checkpoint.safetensors")
//	f, _ := introspect.NewForward(w, introspect.ForwardOptions{Batch: 64})
//	defer f.Close()
//	ds, _ := introspect.TestSet(w.Config)
//	act, _ := f.Run(ds.Test, []int32{0, 1, 2}, nil) // every layer
//	relu1 := act.By["relu1"]                         // 3 × 6·28·28 values
type Forward struct {
	Model   *graph.Model
	Prog    *kernels.Program
	Exe     kernels.Executable
	Backend string
	Batch   int
	// Layers are the tapped layers in forward order: the input "x" first,
	// the logits last.
	Layers []Layer
	// Norm is the run's input normalization (train.Config.Normalization).
	Norm data.Normalization

	deps map[string][]string // layer → the parameters it depends on
	have map[string]bool     // parameters written by the last SetWeights
	x, y []float32           // input staging of one batch
}

// NewForward builds the model of w's run (runs.Weights.Model: from the zoo, or
// from the run's model record),
// compiles the forward pass with every layer tapped, loads it on the device
// and writes w's tensors (see SetWeights).
func NewForward(w *runs.Weights, o ForwardOptions) (*Forward, error) {
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
	layers := forwardLayers(m)
	var taps []string
	for _, l := range layers[1:] {
		taps = append(taps, l.Node)
	}
	prog, err := graph.Compile(m, graph.Options{Taps: taps})
	if err != nil {
		return nil, fmt.Errorf("introspect: compiling %s forward with taps %v: %w", cfg.Model, taps, err)
	}
	be, err := kernels.Open(o.Device)
	if err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	exe, err := be.Load(prog)
	if err != nil {
		return nil, fmt.Errorf("introspect: loading %s on %s: %w", cfg.Model, be.Name(), err)
	}
	f := &Forward{Model: m, Prog: prog, Exe: exe, Backend: be.Name(), Batch: o.Batch, Layers: layers,
		Norm: cfg.Normalization(), deps: paramDeps(m),
		x: make([]float32, prog.Buf(prog.Inputs["x"]).Len), y: make([]float32, o.Batch)}
	if err := f.SetWeights(w); err != nil {
		exe.Close()
		return nil, err
	}
	if prog.Ctl >= 0 { // evaluation mode: dropout passes activations through
		if err := exe.Write(prog.Ctl, []float32{0, 0}); err != nil {
			exe.Close()
			return nil, err
		}
	}
	return f, nil
}

// Layer returns the tapped layer of that name, or an *UnknownLayerError
// listing the layers that exist.
func (f *Forward) Layer(name string) (Layer, error) {
	for _, l := range f.Layers {
		if l.Name == name {
			return l, nil
		}
	}
	return Layer{}, &UnknownLayerError{Model: f.Model.Name, Name: name, Known: f.Layers}
}

// SetWeights writes w's parameters into the loaded program by name
// (PyTorch layout, as checkpoints and snapshots hold them). A parameter that
// w lacks (a snapshot keeps only some) gets the model's seeded initial value,
// and the layers that depend on it are then not Computable. A tensor of the
// wrong size is an error naming it.
func (f *Forward) SetWeights(w *runs.Weights) error {
	init, err := models.ParamValues(f.Model)
	if err != nil {
		return err
	}
	f.have = map[string]bool{}
	for i, p := range f.Prog.Params {
		v := init[i]
		if t, ok := w.Tensors[p.Name]; ok {
			v = t.Data
			f.have[p.Name] = true
		}
		if b := f.Prog.Buf(p.Value); len(v) != b.Len {
			return fmt.Errorf("introspect: %s: %s has %d values, model %s wants shape %v",
				w.Path, p.Name, len(v), f.Model.Name, b.Shape)
		}
		if err := f.Exe.Write(p.Value, v); err != nil {
			return fmt.Errorf("introspect: writing %s: %w", p.Name, err)
		}
	}
	for name, id := range f.Prog.State { // BatchNorm's running averages: zero when w lacks them
		v := make([]float32, f.Prog.Buf(id).Len)
		if t, ok := w.Tensors[train.StatePrefix+name]; ok && len(t.Data) == len(v) {
			v = t.Data
		}
		if err := f.Exe.Write(id, v); err != nil {
			return fmt.Errorf("introspect: writing %s: %w", name, err)
		}
	}
	return nil
}

// Computable reports whether every parameter the layer depends on was given
// to the last SetWeights.
func (f *Forward) Computable(name string) bool {
	node := name
	if l, err := f.Layer(name); err == nil && l.Node != "" {
		node = l.Node
	}
	for _, p := range f.deps[node] {
		if !f.have[p] {
			return false
		}
	}
	return true
}

// Close releases the device memory.
func (f *Forward) Close() error { return f.Exe.Close() }

// Activations are the values of some layers for n examples: By[name] holds
// n rows of that layer's LayerSize values, example-major.
type Activations struct {
	N  int
	By map[string][]float32
}

// Run computes the named layers (nil: every layer) for images idx of set,
// normalized as in training (data.Gather with the run's normalization),
// in batches of f.Batch; the last batch is padded with its first image and
// the padding discarded.
func (f *Forward) Run(set *data.Set, idx []int32, names []string) (*Activations, error) {
	want := f.Layers
	if names != nil {
		want = nil
		for _, n := range names {
			l, err := f.Layer(n)
			if err != nil {
				return nil, err
			}
			want = append(want, l)
		}
	}
	for _, i := range idx {
		if i < 0 || int(i) >= set.N {
			return nil, &IndexError{Index: int(i), N: set.N, Set: set.Name}
		}
	}
	act := &Activations{N: len(idx), By: map[string][]float32{}}
	for _, l := range want {
		act.By[l.Name] = make([]float32, len(idx)*LayerSize(l))
	}
	batch := make([]int32, f.Batch)
	buf := map[string][]float32{}
	for lo := 0; lo < len(idx); lo += f.Batch {
		valid := min(f.Batch, len(idx)-lo)
		for k := range batch {
			batch[k] = idx[lo] // padding: the batch's first image
			if k < valid {
				batch[k] = idx[lo+k]
			}
		}
		if err := data.Gather(set, batch, f.x, f.y, f.Norm.Mean, f.Norm.Std); err != nil {
			return nil, fmt.Errorf("introspect: %w", err)
		}
		if err := f.Exe.Write(f.Prog.Inputs["x"], f.x); err != nil {
			return nil, err
		}
		if _, ok := f.Prog.Inputs["labels"]; ok {
			if err := train.WriteLabels(f.Exe, f.Prog, f.y); err != nil {
				return nil, err
			}
		}
		if err := f.Exe.Run(f.Prog.Forward); err != nil {
			return nil, fmt.Errorf("introspect: forward pass of %s: %w", f.Model.Name, err)
		}
		for _, l := range want {
			src := f.x
			if l.Name != InputLayer {
				id := f.Prog.Taps[l.Node]
				if buf[l.Name] == nil {
					buf[l.Name] = make([]float32, f.Prog.Buf(id).Len)
				}
				src = buf[l.Name]
				if err := f.Exe.Read(id, src); err != nil {
					return nil, fmt.Errorf("introspect: reading tap %s: %w", l.Name, err)
				}
			}
			s := LayerSize(l)
			copy(act.By[l.Name][lo*s:(lo+valid)*s], src[:valid*s])
		}
	}
	return act, nil
}

// IndexError is an image index outside the set.
type IndexError struct {
	Index, N int
	Set      string
}

func (e *IndexError) Error() string {
	return fmt.Sprintf("introspect: image index %d is out of range: the %s set has %d images (0 to %d)", e.Index, e.Set, e.N, e.N-1)
}
