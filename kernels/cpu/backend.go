package cpu

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/gaborlab/gabor/kernels"
)

func init() {
	kernels.Register("cpu", func() (kernels.Backend, error) { return Backend{}, pathErr })
}

// Backend is the CPU backend, registered as "cpu". It has no state: each
// Load makes an independent Executable.
type Backend struct{}

// Name is "cpu".
func (Backend) Name() string { return "cpu" }

// Caps describes this machine; Threads is the size of the worker pool.
func (Backend) Caps() kernels.Caps {
	return kernels.Caps{Device: deviceName(), Threads: Workers()}
}

// step runs one prepared instruction. It reads and writes only the arena
// slices it captured at Load, and allocates nothing.
type step func() error

// Executable is a Program loaded on the CPU: one arena and one prepared step
// per instruction.
type Executable struct {
	prog  *kernels.Program
	arena []float32
	steps []step
	pairs []*stepPair // pairs[i]: instructions i and i+1 run side by side (pair.go)
}

// arenaAlign is the alignment of the arena's first element, in bytes: a cache
// line, which is also the width of an AVX-512 register.
const arenaAlign = 64

// Load allocates the arena and prepares every instruction: operand slices
// are cut once, argument checks are done once, so Run only calls kernels.
func (Backend) Load(p *kernels.Program) (kernels.Executable, error) {
	if p.ArenaLen < 0 {
		return nil, fmt.Errorf("cpu: program arena length %d is negative", p.ArenaLen)
	}
	for i, b := range p.Buffers {
		if b.Offset < 0 || b.Len < 0 || b.Offset+b.Floats() > p.ArenaLen {
			return nil, fmt.Errorf("cpu: buffer b%d %q (shape %v) spans [%d, %d), outside the arena of %d floats",
				i, b.Name, b.Shape, b.Offset, b.Offset+b.Floats(), p.ArenaLen)
		}
		if b.DType == kernels.F64 && b.Offset%2 != 0 {
			return nil, fmt.Errorf("cpu: f64 buffer b%d %q at odd offset %d: it must start 8-byte aligned", i, b.Name, b.Offset)
		}
	}
	x := &Executable{prog: p, arena: alignedFloats(p.ArenaLen)}
	x.steps = make([]step, len(p.Instrs))
	for i, in := range p.Instrs {
		s, err := bind(x, in)
		if err != nil {
			return nil, x.instrErr(i, err)
		}
		x.steps[i] = s
	}
	x.pairs = pairSteps(p, x.steps)
	return x, nil
}

// alignedFloats returns n zeroed floats whose first element is arenaAlign-aligned.
func alignedFloats(n int) []float32 {
	const pad = arenaAlign / 4
	buf := make([]float32, n+pad)
	shift := 0
	if addr := uintptr(unsafe.Pointer(unsafe.SliceData(buf))); addr%arenaAlign != 0 {
		shift = int(arenaAlign-addr%arenaAlign) / 4
	}
	return buf[shift : shift+n : shift+n]
}

// instrErr gives an error the context of instruction i: index, op, node and
// the shapes of its operands.
func (x *Executable) instrErr(i int, err error) error {
	in := x.prog.Instrs[i]
	return fmt.Errorf("cpu: instr %d %s (node %q, in %s, out %s): %w",
		i, in.Op, in.Node, x.shapes(in.In), x.shapes(in.Out), err)
}

func (x *Executable) shapes(ids []kernels.BufID) string {
	s := "["
	for k, id := range ids {
		if k > 0 {
			s += " "
		}
		if id >= 0 && int(id) < len(x.prog.Buffers) {
			s += fmt.Sprintf("b%d%v", id, x.prog.Buffers[id].Shape)
		} else {
			s += fmt.Sprintf("b%d?", id)
		}
	}
	return s + "]"
}

var errClosed = errors.New("cpu: executable is closed")

// Write copies src into buffer id.
func (x *Executable) Write(id kernels.BufID, src []float32) error {
	if x.arena == nil && x.prog.ArenaLen > 0 {
		return errClosed
	}
	if err := kernels.CheckLen(x.prog, id, len(src)); err != nil {
		return fmt.Errorf("cpu: write: %w", err)
	}
	copy(x.buf(id), src)
	return nil
}

// Read copies buffer id into dst.
func (x *Executable) Read(id kernels.BufID, dst []float32) error {
	if x.arena == nil && x.prog.ArenaLen > 0 {
		return errClosed
	}
	if err := kernels.CheckLen(x.prog, id, len(dst)); err != nil {
		return fmt.Errorf("cpu: read: %w", err)
	}
	copy(dst, x.buf(id))
	return nil
}

// WriteBytes copies the raw bytes of a buffer of any dtype.
func (x *Executable) WriteBytes(id kernels.BufID, src []byte) error {
	if x.arena == nil && x.prog.ArenaLen > 0 {
		return errClosed
	}
	if err := kernels.CheckBytes(x.prog, id, len(src)); err != nil {
		return fmt.Errorf("cpu: write: %w", err)
	}
	copy(x.bytesOf(id), src)
	return nil
}

// ReadBytes copies a buffer of any dtype out as raw bytes.
func (x *Executable) ReadBytes(id kernels.BufID, dst []byte) error {
	if x.arena == nil && x.prog.ArenaLen > 0 {
		return errClosed
	}
	if err := kernels.CheckBytes(x.prog, id, len(dst)); err != nil {
		return fmt.Errorf("cpu: read: %w", err)
	}
	copy(dst, x.bytesOf(id))
	return nil
}

// Run executes the instructions of seg in order. It returns when they are
// done (the CPU backend is synchronous).
func (x *Executable) Run(seg kernels.Segment) error {
	if x.steps == nil && len(x.prog.Instrs) > 0 {
		return errClosed
	}
	if seg.Start < 0 || seg.End > len(x.steps) || seg.Start > seg.End {
		return fmt.Errorf("cpu: segment [%d, %d) outside the program's %d instructions", seg.Start, seg.End, len(x.steps))
	}
	for i := seg.Start; i < seg.End; i++ {
		if p := x.pairs[i]; p != nil && i+1 < seg.End && Workers() > 1 {
			parallelFor(2, 1, p.body)
			if p.ea != nil {
				return x.instrErr(i, p.ea)
			}
			if p.eb != nil {
				return x.instrErr(i+1, p.eb)
			}
			i++
			continue
		}
		if err := x.steps[i](); err != nil {
			return x.instrErr(i, err)
		}
	}
	return nil
}

// Sync returns at once: Run is synchronous.
func (x *Executable) Sync() error { return nil }

// ArenaBytes is the size of the arena.
func (x *Executable) ArenaBytes() int64 { return 4 * int64(x.prog.ArenaLen) }

// Close drops the arena; later calls fail.
func (x *Executable) Close() error {
	x.arena, x.steps, x.pairs = nil, nil, nil
	return nil
}

// Arena exposes the whole arena, for tests and tools that inspect memory
// (the layout is the Program's Buffer offsets).
func (x *Executable) Arena() []float32 { return x.arena }

// buf is the storage of buffer id.
func (x *Executable) buf(id kernels.BufID) []float32 {
	b := &x.prog.Buffers[id]
	return x.arena[b.Offset : b.Offset+b.Len : b.Offset+b.Len]
}
