//go:build gpu

package cuda

import (
	"errors"
	"fmt"

	"github.com/gaborlab/gabor/kernels"
	"gorgonia.org/cu"
)

// The Executable is a kernels.Capturer: a Step of the program (a training
// step with its pipeline, an evaluation batch) is recorded once as a CUDA
// graph and replayed with one cuGraphLaunch. The step's launches have fixed
// addresses and what changes from step to step lives in the pipeline's
// state buffer, so the replay is the step (see pipeline.cu). With
// Options.Graph off, or GABOR_CUDA_SYNC=1, the replay issues the step's
// launches one by one instead.

var _ kernels.Capturer = (*Executable)(nil)

// Capture records step and returns its replay, which issues without waiting.
func (x *Executable) Capture(step kernels.Step) (func() error, error) {
	if err := x.usable(); err != nil {
		return nil, err
	}
	for _, s := range step {
		if s.Start < 0 || s.End > len(x.prog.Instrs) || s.Start > s.End {
			return nil, fmt.Errorf("cuda: capture: segment [%d, %d) outside the program's %d instructions", s.Start, s.End, len(x.prog.Instrs))
		}
	}
	issue := func(sync bool) error {
		for _, s := range step {
			if err := x.issueSeg(s, sync); err != nil {
				return err
			}
		}
		return nil
	}
	if !x.b.opts.graphs() {
		sync := x.b.opts.SyncEach
		return func() error {
			if err := x.usable(); err != nil {
				return err
			}
			return x.dev.w.do(func() error { return issue(sync) })
		}, nil
	}
	what := fmt.Sprintf("a step of %d segments", len(step))
	var g *stepGraph
	err := x.dev.w.do(func() error {
		var err error
		g, err = x.capture(what, func() error { return issue(false) })
		return err
	})
	if err != nil {
		return nil, err
	}
	x.owned = append(x.owned, graphCloser{x, g})
	return func() error {
		if err := x.usable(); err != nil {
			return err
		}
		return x.dev.w.do(func() error { return g.launch(x) })
	}, nil
}

// graphCloser destroys a captured graph with its executable.
type graphCloser struct {
	x *Executable
	g *stepGraph
}

func (c graphCloser) Close() error {
	return c.x.dev.w.do(func() error { return errors.Join(c.x.stream.Synchronize(), c.g.destroy()) })
}

// explain adds to a CUDA error what helps the user: for out-of-memory the
// memory held and free and the advice to lower the batch; for a fault that
// poisons the context, that it does and how to find the kernel. It runs on
// the context thread.
func (x *Executable) explain(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, cu.OutOfMemory):
		free, total, _ := cu.MemInfo()
		return fmt.Errorf("%w: %s", err, memoryAdvice(x.bytes, 0, free, total))
	case errors.Is(err, cu.LaunchOutOfResources):
		return fmt.Errorf("%w (a kernel asked for more registers or shared memory than the device gives one block)", err)
	case errors.Is(err, cu.IllegalAddress), errors.Is(err, cu.LaunchFailed), errors.Is(err, cu.MisalignedAddress),
		errors.Is(err, cu.IllegalInstruction), errors.Is(err, cu.HardwareStackError), errors.Is(err, cu.Assert),
		errors.Is(err, cu.InvalidPc), errors.Is(err, cu.InvalidAddressSpace):
		return fmt.Errorf("%w (a kernel faulted and the CUDA context is unusable until the process exits; the arena is %s; rerun with GABOR_CUDA_SYNC=1 to name the kernel, or under compute-sanitizer)", err, mib(x.bytes))
	}
	return err
}
