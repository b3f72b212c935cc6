//go:build gpu

package cuda

import (
	"fmt"
	"io"
	"unsafe"

	"github.com/gaborlab/gabor/kernels"
	"gorgonia.org/cu"
)

// Executable is a Program loaded on the GPU.
type Executable struct {
	b      *Backend
	dev    *device
	prog   *kernels.Program
	mem    cu.DevicePtr // the one allocation: arena, then tables, then scratch
	bytes  int64
	stream cu.Stream
	steps  [][]launch  // per instruction
	owned  []io.Closer // device sets and loops made from it, closed with it
	closed bool
}

// Load allocates the program's arena on the GPU and binds every instruction.
func (b *Backend) Load(p *kernels.Program) (kernels.Executable, error) {
	if p.ArenaLen < 0 || int64(p.ArenaLen) > 1<<40 {
		return nil, fmt.Errorf("cuda: arena of %d floats", p.ArenaLen)
	}
	for i, buf := range p.Buffers {
		if buf.Len < 0 || buf.Offset < 0 || buf.Offset+buf.Floats() > p.ArenaLen {
			return nil, fmt.Errorf("cuda: buffer b%d %q (offset %d, %d floats) lies outside the %d-float arena", i, buf.Name, buf.Offset, buf.Floats(), p.ArenaLen)
		}
		if buf.DType == kernels.F64 && buf.Offset%2 != 0 {
			return nil, fmt.Errorf("cuda: f64 buffer b%d %q at odd offset %d: it must start 8-byte aligned", i, buf.Name, buf.Offset)
		}
	}
	x := &Executable{b: b, dev: b.dev, prog: p}

	// Bind twice: first to learn how much room the tables and workspaces
	// need, then, with the allocation's address, for real. Both passes lay
	// out the same extras in the same order.
	plan := newBinder(x, 0)
	if _, err := plan.bindAll(); err != nil {
		return nil, err
	}
	x.bytes = plan.total()
	err := x.dev.w.do(func() error {
		var err error
		if x.mem, err = cu.MemAlloc(max(x.bytes, 4)); err != nil {
			free, total, _ := cu.MemInfo()
			return fmt.Errorf("cuda: allocating %d bytes (arena %d floats + %d bytes of tables and workspace): %w: %s",
				x.bytes, p.ArenaLen, x.bytes-4*int64(p.ArenaLen), err, memoryAdvice(0, x.bytes, free, total))
		}
		if x.stream, err = cu.MakeStream(cu.NonBlocking); err != nil {
			return fmt.Errorf("cuda: creating a stream: %w", err)
		}
		// A fresh arena reads as zeros, as the cpu backend's does.
		if err := cu.MemsetD32Async(x.mem, 0, max(x.bytes, 4)/4, x.stream); err != nil {
			return fmt.Errorf("cuda: clearing the arena: %w", err)
		}
		return nil
	})
	if err != nil {
		x.Close() // frees what was allocated
		return nil, err
	}
	bd := newBinder(x, uint64(x.mem))
	bd.plannedW = plan.work
	steps, err := bd.bindAll()
	if err == nil && bd.total() != x.bytes {
		err = fmt.Errorf("cuda: internal: layout changed between binding passes (%d vs %d bytes)", bd.total(), x.bytes)
	}
	if err == nil {
		err = x.dev.w.do(func() error {
			for _, u := range bd.uploads {
				if err := cu.MemcpyHtoDAsync(cu.DevicePtr(u.dst), unsafe.Pointer(&u.data[0]), int64(8*len(u.data)), x.stream); err != nil {
					return fmt.Errorf("cuda: uploading a kernel table: %w", err)
				}
			}
			return x.stream.Synchronize()
		})
	}
	if err != nil {
		x.Close()
		return nil, err
	}
	x.steps = steps
	return x, nil
}

// bufPtr is the device address of a buffer.
func (x *Executable) bufPtr(id kernels.BufID) cu.DevicePtr {
	return x.mem + cu.DevicePtr(4*int64(x.prog.Buffers[id].Offset))
}

// Write copies host data into a buffer.
func (x *Executable) Write(id kernels.BufID, src []float32) error {
	if err := x.usable(); err != nil {
		return err
	}
	if err := kernels.CheckLen(x.prog, id, len(src)); err != nil {
		return fmt.Errorf("cuda: write: %w", err)
	}
	if len(src) == 0 {
		return nil
	}
	// From pageable memory the copy returns once src has been staged, and it
	// is ordered after the kernels already on the stream.
	return x.dev.w.do(func() error {
		if err := cu.MemcpyHtoDAsync(x.bufPtr(id), unsafe.Pointer(&src[0]), int64(4*len(src)), x.stream); err != nil {
			return fmt.Errorf("cuda: write b%d %q: %w", id, x.prog.Buffers[id].Name, err)
		}
		return nil
	})
}

// Read copies a buffer to the host, after the work issued so far.
func (x *Executable) Read(id kernels.BufID, dst []float32) error {
	if err := x.usable(); err != nil {
		return err
	}
	if err := kernels.CheckLen(x.prog, id, len(dst)); err != nil {
		return fmt.Errorf("cuda: read: %w", err)
	}
	if len(dst) == 0 {
		return nil
	}
	return x.dev.w.do(func() error {
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&dst[0]), x.bufPtr(id), int64(4*len(dst)), x.stream); err != nil {
			return fmt.Errorf("cuda: read b%d %q (a fault in an earlier kernel also shows here; GABOR_CUDA_SYNC=1 finds it): %w", id, x.prog.Buffers[id].Name, err)
		}
		return x.stream.Synchronize()
	})
}

// WriteBytes copies the raw bytes of a buffer of any dtype to the device.
func (x *Executable) WriteBytes(id kernels.BufID, src []byte) error {
	if err := x.usable(); err != nil {
		return err
	}
	if err := kernels.CheckBytes(x.prog, id, len(src)); err != nil {
		return fmt.Errorf("cuda: write: %w", err)
	}
	if len(src) == 0 {
		return nil
	}
	return x.dev.w.do(func() error {
		if err := cu.MemcpyHtoDAsync(x.bufPtr(id), unsafe.Pointer(&src[0]), int64(len(src)), x.stream); err != nil {
			return fmt.Errorf("cuda: write b%d %q: %w", id, x.prog.Buffers[id].Name, err)
		}
		return nil
	})
}

// ReadBytes copies a buffer of any dtype to the host, after the work issued so far.
func (x *Executable) ReadBytes(id kernels.BufID, dst []byte) error {
	if err := x.usable(); err != nil {
		return err
	}
	if err := kernels.CheckBytes(x.prog, id, len(dst)); err != nil {
		return fmt.Errorf("cuda: read: %w", err)
	}
	if len(dst) == 0 {
		return nil
	}
	return x.dev.w.do(func() error {
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&dst[0]), x.bufPtr(id), int64(len(dst)), x.stream); err != nil {
			return fmt.Errorf("cuda: read b%d %q (a fault in an earlier kernel also shows here; GABOR_CUDA_SYNC=1 finds it): %w", id, x.prog.Buffers[id].Name, x.explain(err))
		}
		return x.explain(x.stream.Synchronize())
	})
}

// Run issues the launches of the instructions of seg, in order, on the
// executable's stream, and returns without waiting for them.
func (x *Executable) Run(seg kernels.Segment) error {
	if err := x.usable(); err != nil {
		return err
	}
	if seg.Start < 0 || seg.End > len(x.prog.Instrs) || seg.Start > seg.End {
		return fmt.Errorf("cuda: segment [%d, %d) outside the program's %d instructions", seg.Start, seg.End, len(x.prog.Instrs))
	}
	return x.dev.w.do(func() error { return x.issueSeg(seg, x.b.opts.SyncEach) })
}

// issueSeg issues the launches of seg's instructions on the stream (and,
// with sync, waits after each); it runs on the context thread.
func (x *Executable) issueSeg(seg kernels.Segment, sync bool) error {
	for i := seg.Start; i < seg.End; i++ {
		for j := range x.steps[i] {
			l := &x.steps[i][j]
			err := l.issue(x.stream)
			if err == nil && sync {
				err = x.stream.Synchronize()
			}
			if err != nil {
				return x.instrErr(i, fmt.Errorf("%s: %w", l, x.explain(err)))
			}
		}
	}
	return nil
}

// Sync waits for the work issued so far.
func (x *Executable) Sync() error {
	if err := x.usable(); err != nil {
		return err
	}
	return x.dev.w.do(func() error {
		if err := x.stream.Synchronize(); err != nil {
			return fmt.Errorf("cuda: sync (the fault is in a kernel issued since the last sync; GABOR_CUDA_SYNC=1 finds it): %w", err)
		}
		return nil
	})
}

// ArenaBytes is the device memory held: the arena plus the kernels' tables
// and workspaces.
func (x *Executable) ArenaBytes() int64 { return x.bytes }

// Close waits for pending work and releases the device memory.
func (x *Executable) Close() error {
	if x.closed {
		return nil
	}
	// What was made from this executable (captured steps) goes first: it
	// uses the stream.
	var first error
	keep := func(err error) {
		if first == nil && err != nil {
			first = err
		}
	}
	for i := len(x.owned) - 1; i >= 0; i-- {
		keep(x.owned[i].Close())
	}
	x.owned = nil
	x.closed = true
	return x.dev.w.do(func() error {
		if x.stream != (cu.Stream{}) {
			keep(x.stream.Synchronize())
			keep(x.stream.Destroy())
		}
		if x.mem != 0 {
			keep(cu.MemFree(x.mem))
		}
		if first != nil {
			return fmt.Errorf("cuda: close: %w", first)
		}
		return nil
	})
}

func (x *Executable) usable() error {
	if x.closed {
		return fmt.Errorf("cuda: executable used after Close")
	}
	return nil
}

// instrErr puts an instruction's identity in front of an error.
func (x *Executable) instrErr(i int, err error) error {
	in := x.prog.Instrs[i]
	node := ""
	if in.Node != "" {
		node = fmt.Sprintf(" (node %s)", in.Node)
	}
	return fmt.Errorf("cuda: instruction %d %s%s: %w", i, in.Op, node, err)
}
