package train

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
	"github.com/gaborlab/gabor/train/safetensors"
	G "gorgonia.org/gorgonia"
)

// ModelFile is the run directory's record of the model it trains
// (graph.MarshalModel: the graph's nodes, ops, shapes, parameter names and
// layer roles). A run of a model built by the caller (Fit) names it in
// Config.ModelFile and every verb rebuilds the model from it. A zoo run has
// no such file (its config.json's model name, seed and conv1 rebuild it,
// initial weights included), so its directory is as it always was.
const ModelFile = "model.json"

// InitFile holds the initial parameter values of a run of a model built by
// the caller (a safetensors file, one tensor per parameter by name): the
// record holds the model's structure, this its starting point, so
// BuildModel returns the model as it was before training, as a zoo run's
// seed does.
const InitFile = "init.safetensors"

// built is a model compiled to a Program, with its parameters' initial values
// by name and its record (nil when the model cannot be recorded).
type built struct {
	prog   *kernels.Program
	init   map[string][]float32
	record []byte
}

// buildSpec says what to compile.
type buildSpec struct {
	model    string
	batch    int
	seed     uint64
	initFrom string           // ANCHORW1 file, or ""
	opt      *graph.Optimizer // nil: forward only
	taps     []string
	conv1    int // first convolution's kernel size (0: the model's own)

	graph *graph.Model // the caller's model (Fit), trained as built; nil: rebuild
	dir   string       // run directory holding the model record (recorded runs)
	file  string       // Config.ModelFile: "" for a zoo model
}

// specOf is the build of a config's model for a run directory.
func specOf(cfg Config, dir string, batch int) buildSpec {
	return buildSpec{model: cfg.Model, batch: batch, seed: cfg.Seed, conv1: cfg.Conv1, dir: dir, file: cfg.ModelFile}
}

// BuildModel rebuilds the model of a run at a batch size. A run of a model
// built by the caller (cfg.ModelFile set) is rebuilt from runDir's model
// record, its parameters zero until a checkpoint's values are written; a zoo
// run from the zoo by name, with the run's seed (its initial weights) and
// conv1. Every verb that needs the model (eval, filters, activations,
// deconv, snapshots) calls this, so none depends on the zoo's names.
func BuildModel(runDir string, cfg Config, batch int) (*graph.Model, error) {
	return specOf(cfg, runDir, batch).buildModel()
}

// RunDirOf is the run directory of a weights file: the checkpoint's folder,
// or for a snapshot (in the run's snapshots/ folder) the folder above.
func RunDirOf(weightsPath string) string {
	dir := filepath.Dir(weightsPath)
	if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err != nil {
		if _, err := os.Stat(filepath.Join(dir, ModelFile)); err != nil {
			return filepath.Dir(dir)
		}
	}
	return dir
}

func (s buildSpec) buildModel() (*graph.Model, error) {
	switch {
	case s.graph != nil:
		return s.graph, nil
	case s.file != "":
		path := filepath.Join(s.dir, s.file)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("train: model %s was built by its caller and is rebuilt from its record: %w", s.model, err)
		}
		m, err := graph.UnmarshalModel(b, s.batch)
		if err != nil {
			return nil, fmt.Errorf("train: %s: %w", path, err)
		}
		if err := readInit(m, filepath.Join(s.dir, InitFile)); err != nil {
			return nil, err
		}
		return m, nil
	}
	return models.NewWith(s.model, s.batch, s.seed, models.Options{Conv1: s.conv1})
}

// buildProgram builds the model and compiles it. Tests swap it for
// hand-made programs.
var buildProgram = func(s buildSpec) (*built, error) {
	m, err := s.buildModel()
	if err != nil {
		return nil, err
	}
	if s.initFrom != "" {
		if err := models.LoadInit(m, s.initFrom); err != nil {
			return nil, fmt.Errorf("train: --init-from: %w", err)
		}
	}
	// A caller's model is recorded before compiling: the record holds the
	// model, not the gradient nodes the compiler adds to its graph.
	var rec []byte
	if s.graph != nil {
		if rec, err = graph.MarshalModel(m); err != nil {
			return nil, fmt.Errorf("train: recording model %s: %w", s.model, err)
		}
	}
	prog, err := graph.Compile(m, graph.Options{Optimizer: s.opt, Taps: s.taps})
	if err != nil {
		return nil, err
	}
	vals, err := paramValues(m)
	if err != nil {
		return nil, err
	}
	b := &built{prog: prog, init: make(map[string][]float32, len(vals)), record: rec}
	for i, p := range m.Params {
		b.init[p.Name()] = vals[i]
	}
	return b, nil
}

// writeRecord writes the model record and the initial weights (InitFile)
// into the directory of a new run of a model built by the caller.
func (b *built) writeRecord(dir string, cfg Config) error {
	if cfg.ModelFile == "" {
		return nil
	}
	if b.record == nil {
		return fmt.Errorf("train: model %s cannot be recorded", cfg.Model)
	}
	ts := make([]safetensors.Tensor, len(b.prog.Params))
	for i, p := range b.prog.Params {
		ts[i] = safetensors.Tensor{Name: p.Name, Shape: append([]int(nil), b.prog.Buf(p.Value).Shape...), Data: b.init[p.Name]}
	}
	init, err := safetensors.Encode(ts, map[string]string{"format": "gabor-init-1", "model": cfg.Model})
	if err != nil {
		return fmt.Errorf("train: encoding the initial weights of %s: %w", cfg.Model, err)
	}
	if err := writeFileAtomic(filepath.Join(dir, InitFile), init); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, ModelFile), append(b.record, '\n'))
}

// readInit sets a recorded model's parameters to the run's initial weights
// (InitFile). A run directory without the file (written before it was
// recorded) leaves them as the record has them.
func readInit(m *graph.Model, path string) error {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	f, err := safetensors.Decode(raw)
	if err != nil {
		return &InputError{path, err}
	}
	vals := make([][]float32, len(m.Params))
	for i, p := range m.Params {
		t, ok := f.Get(p.Name())
		if !ok {
			return &InputError{path, fmt.Errorf("no initial value for parameter %s", p.Name())}
		}
		vals[i] = t.Data
	}
	if err := setParamValues(m, vals); err != nil {
		return &InputError{path, err}
	}
	return nil
}

// paramValues is models.ParamValues for any model: a scalar parameter (a
// surface's weight, gorgonia.NewScalar) holds a *gorgonia.F32, not a tensor.
func paramValues(m *graph.Model) ([][]float32, error) {
	out := make([][]float32, len(m.Params))
	for i, p := range m.Params {
		if v, ok := p.Value().(*G.F32); ok {
			out[i] = []float32{float32(*v)}
			continue
		}
		one := &graph.Model{Name: m.Name, Params: []*G.Node{p}}
		v, err := models.ParamValues(one)
		if err != nil {
			return nil, err
		}
		out[i] = v[0]
	}
	return out, nil
}

// setParamValues is models.SetParams for any model (see paramValues).
func setParamValues(m *graph.Model, values [][]float32) error {
	if len(values) != len(m.Params) {
		return fmt.Errorf("%d tensors for %d parameters of %s", len(values), len(m.Params), m.Name)
	}
	for i, p := range m.Params {
		if p.IsScalar() {
			if len(values[i]) != 1 {
				return fmt.Errorf("scalar %s: %d values", p.Name(), len(values[i]))
			}
			if err := G.Let(p, G.NewF32(values[i][0])); err != nil {
				return fmt.Errorf("%s: %w", p.Name(), err)
			}
			continue
		}
		one := &graph.Model{Name: m.Name, Params: []*G.Node{p}}
		if err := models.SetParams(one, values[i:i+1]); err != nil {
			return err
		}
	}
	return nil
}

// Fit trains a model the caller built: a gorgonia graph of gabor's ops (or of
// the gorgonia built-ins graph.Compile accepts) with its roles described by
// a graph.Model, built at the static batch size cfg.Batch. It is Run for a
// model outside the zoo: the initial weights are the parameters' values
// (gorgonia.WithValue), cfg.Model names the run (m.Name when empty), and the
// run directory records the model (ModelFile, named by Config.ModelFile) so
// that Resume, Evaluate and every introspection verb rebuild it without the
// caller's code.
//
// The training loop feeds the dataset's examples: for images m.X is
// [B, 1, H, W] or [B, H·W]; for a set of float inputs (data.Set's X, D) it
// is [B, D]. m.Labels are [B] class indices (or, with m.Target
// graph.OneHot, [B, classes] one-hot rows, which the loop builds from the
// class indices) with m.Logits [B, classes]; or, for a set of float targets
// (data.Set's Targets, T; m.Target graph.FloatTargets), [B, T] targets
// with m.Logits the prediction [B, T], which evaluation scores by its mean
// squared error. A model with no data (m.X and m.Labels nil: parameters and
// a scalar loss) is trained with ds nil for cfg.Epochs epochs of
// cfg.StepsPerEpoch steps. Set cfg.Dataset to "" for data the caller
// passes (Resume then needs RunOptions.Dataset). A model whose graph cannot
// be recorded (an op outside graph.Record's set) is an error before
// training starts.
func Fit(ctx context.Context, cfg Config, m *graph.Model, ds *data.Dataset, opts RunOptions) (*Result, error) {
	if m == nil {
		return nil, errors.New("train: Fit needs a model")
	}
	if cfg.Model == "" {
		cfg.Model = m.Name
	}
	if cfg.Model == "" {
		return nil, errors.New("train: Fit: the model has no name (set Config.Model or Model.Name)")
	}
	if cfg.Conv1 != 0 {
		return nil, errors.New("train: Fit: conv1 resizes a zoo model; a model built by the caller has its own sizes")
	}
	if got := m.Batch(); m.X != nil && got != cfg.Batch {
		return nil, fmt.Errorf("train: Fit: model %s is built for batch %d, the config trains with batch %d", cfg.Model, got, cfg.Batch)
	}
	if _, err := graph.Record(m); err != nil {
		return nil, fmt.Errorf("train: Fit: model %s: %w", cfg.Model, err)
	}
	cfg.ModelFile = ModelFile
	opts.model = m
	return Run(ctx, cfg, ds, opts)
}

// writeInit writes the initial parameter values into a loaded program and
// zeroes the optimizer state and the persistent state (Program.State).
func (b *built) writeInit(exe kernels.Executable) error {
	for _, p := range b.prog.Params {
		v, ok := b.init[p.Name]
		if !ok {
			return fmt.Errorf("train: compiled parameter %q has no initial value", p.Name)
		}
		if err := exe.Write(p.Value, v); err != nil {
			return fmt.Errorf("train: writing parameter %s: %w", p.Name, err)
		}
		for _, id := range p.State {
			if err := exe.Write(id, make([]float32, b.prog.Buf(id).Len)); err != nil {
				return fmt.Errorf("train: zeroing optimizer state of %s: %w", p.Name, err)
			}
		}
	}
	for name, id := range b.prog.State {
		if err := exe.Write(id, make([]float32, b.prog.Buf(id).Len)); err != nil {
			return fmt.Errorf("train: zeroing %s: %w", name, err)
		}
	}
	return nil
}
