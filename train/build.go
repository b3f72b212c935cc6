package train

import (
	"fmt"

	"github.com/gaborlab/gabor/graph"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
)

// built is a model compiled to a Program, with its parameters' initial values
// by name.
type built struct {
	prog *kernels.Program
	init map[string][]float32
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
}

// buildProgram builds the zoo model and compiles it. Tests swap it for
// hand-made programs.
var buildProgram = func(s buildSpec) (*built, error) {
	m, err := models.NewWith(s.model, s.batch, s.seed, models.Options{Conv1: s.conv1})
	if err != nil {
		return nil, err
	}
	if s.initFrom != "" {
		if err := models.LoadInit(m, s.initFrom); err != nil {
			return nil, fmt.Errorf("train: --init-from: %w", err)
		}
	}
	prog, err := graph.Compile(m, graph.Options{Optimizer: s.opt, Taps: s.taps})
	if err != nil {
		return nil, err
	}
	vals, err := models.ParamValues(m)
	if err != nil {
		return nil, err
	}
	b := &built{prog: prog, init: make(map[string][]float32, len(vals))}
	for i, p := range m.Params {
		b.init[p.Name()] = vals[i]
	}
	return b, nil
}

// writeInit writes the initial parameter values into a loaded program and
// zeroes the optimizer state.
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
	return nil
}
