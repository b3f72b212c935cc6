package graph

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
	_ "github.com/gaborlab/gabor/kernels/cpu" // the cpu backend runs every op's Do
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// operand is a buffer as an op's lowering sees it: its id, its shape, and the
// graph node it holds (nil when lowering for Do).
type operand struct {
	ID    kernels.BufID
	Shape tensor.Shape
	Node  *G.Node
}

// sideKey names a by-product of one op that a later op reuses instead of
// recomputing: max-pool switches, softmax probabilities.
type sideKey struct {
	kind   string
	node   *G.Node // the forward op's input that the by-product belongs to
	params string  // the forward op's String (its parameters)
}

// emitter collects the instructions and buffers of a Program under construction.
type emitter struct {
	prog  *kernels.Program
	sides map[sideKey]kernels.BufID
	node  string // the node being lowered, stamped on each instruction
}

func newEmitter() *emitter {
	return &emitter{
		prog: &kernels.Program{
			Inputs: map[string]kernels.BufID{},
			Taps:   map[string]kernels.BufID{},
			Loss:   -1, Logits: -1, Hyper: -1, Ctl: -1,
		},
		sides: map[sideKey]kernels.BufID{},
	}
}

// Buffer adds a buffer that owns its storage.
func (e *emitter) Buffer(name string, shape []int, class kernels.BufClass) kernels.BufID {
	id := kernels.BufID(len(e.prog.Buffers))
	e.prog.Buffers = append(e.prog.Buffers, kernels.Buffer{
		Name: name, Shape: append([]int(nil), shape...), Len: numel(shape),
		Class: class, Pinned: class != kernels.Temp && class != kernels.Grad, View: -1,
	})
	return id
}

// Temp adds an intermediate buffer.
func (e *emitter) Temp(name string, shape []int) kernels.BufID {
	return e.Buffer(name, shape, kernels.Temp)
}

// View adds a buffer that aliases the storage of src with another shape.
func (e *emitter) View(name string, src kernels.BufID, shape []int) kernels.BufID {
	for e.prog.Buffers[src].View >= 0 {
		src = e.prog.Buffers[src].View
	}
	id := e.Buffer(name, shape, e.prog.Buffers[src].Class)
	e.prog.Buffers[id].View = src
	e.prog.Buffers[id].Pinned = false
	return id
}

// Emit appends one instruction.
func (e *emitter) Emit(op kernels.Op, in, out []kernels.BufID, args any) {
	e.prog.Instrs = append(e.prog.Instrs, kernels.Instr{Op: op, In: in, Out: out, Args: args, Node: e.node})
}

// Control returns the program's mode buffer [training (0|1), step], adding it
// on first use. Ops whose behaviour depends on the mode (dropout) read it.
func (e *emitter) Control() kernels.BufID {
	if e.prog.Ctl < 0 {
		e.prog.Ctl = e.Buffer("ctl", []int{2}, kernels.Control)
	}
	return e.prog.Ctl
}

// Side returns a by-product recorded by an earlier op, if any.
func (e *emitter) Side(kind string, input *G.Node, fwd spec) (kernels.BufID, bool) {
	if input == nil {
		return -1, false
	}
	id, ok := e.sides[sideKey{kind, input, fwd.String()}]
	return id, ok
}

// SetSide records a by-product for later ops.
func (e *emitter) SetSide(kind string, input *G.Node, fwd spec, id kernels.BufID) {
	if input != nil {
		e.sides[sideKey{kind, input, fwd.String()}] = id
	}
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// doOnCPU is the Do of every gabor op: it lowers the op over buffers holding
// the input values, runs those instructions on the cpu backend and returns
// the output as a new float32 tensor.
func doOnCPU(op spec, inputs ...G.Value) (G.Value, error) {
	e := newEmitter()
	in := make([]operand, len(inputs))
	shapes := make([]G.DimSizer, len(inputs))
	for i, v := range inputs {
		s := v.Shape().Clone()
		if s.IsScalar() {
			s = tensor.Shape{}
		}
		in[i] = operand{ID: e.Buffer(fmt.Sprintf("in%d", i), s, kernels.Input), Shape: s}
		shapes[i] = s
	}
	outShape, err := gop{op}.InferShape(shapes...)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	out := operand{ID: e.Buffer("out", outShape, kernels.Output), Shape: outShape}
	if err := op.lower(e, in, out); err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	p := e.prog
	x, err := loadUnplanned(p)
	if err != nil {
		return nil, err
	}
	defer x.Close()
	for i, v := range inputs {
		data, err := float32Data(v)
		if err != nil {
			return nil, fmt.Errorf("%v input %d: %w", op, i, err)
		}
		if err := x.Write(in[i].ID, data); err != nil {
			return nil, err
		}
	}
	if p.Ctl >= 0 { // Do computes the training-mode value at step 0
		if err := x.Write(p.Ctl, []float32{1, 0}); err != nil {
			return nil, err
		}
	}
	if err := x.Run(p.Forward); err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	res := make([]float32, numel(outShape))
	if err := x.Read(out.ID, res); err != nil {
		return nil, err
	}
	if len(outShape) == 0 {
		return G.NewF32(res[0]), nil
	}
	return tensor.New(tensor.WithShape(outShape...), tensor.WithBacking(res)), nil
}

// loadUnplanned makes every instruction of p its forward segment, lays its
// buffers out one after another (no reuse: the program runs once) and loads
// it on the cpu backend.
func loadUnplanned(p *kernels.Program) (kernels.Executable, error) {
	p.Forward = kernels.Segment{Start: 0, End: len(p.Instrs)}
	for i := range p.Buffers {
		if p.Buffers[i].View < 0 {
			p.Buffers[i].Offset = p.ArenaLen
			p.ArenaLen += p.Buffers[i].Len
		}
	}
	for i := range p.Buffers {
		if v := p.Buffers[i].View; v >= 0 {
			p.Buffers[i].Offset = p.Buffers[v].Offset
		}
	}
	return loadCPU(p)
}

// loadCPU loads a planned program on the cpu backend.
func loadCPU(p *kernels.Program) (kernels.Executable, error) {
	be, err := kernels.Open("cpu")
	if err != nil {
		return nil, err
	}
	return be.Load(p)
}

// float32Data returns the values of a float32 scalar or tensor.
func float32Data(v G.Value) ([]float32, error) {
	switch v := v.(type) {
	case *G.F32:
		return []float32{float32(*v)}, nil
	case tensor.Tensor:
		d, ok := v.Data().([]float32)
		if !ok {
			if f, ok := v.Data().(float32); ok {
				return []float32{f}, nil
			}
			return nil, fmt.Errorf("want float32 data, got %T", v.Data())
		}
		if !v.DataOrder().IsRowMajor() || v.RequiresIterator() {
			return nil, fmt.Errorf("want a dense row-major tensor")
		}
		return d, nil
	}
	return nil, fmt.Errorf("want a float32 value, got %T", v)
}
