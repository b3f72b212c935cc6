//go:build gpu

package cuda

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/gaborlab/gabor/kernels"
	"gorgonia.org/cu"
)

// The Executable is a kernels.DeviceData: training and evaluation loops
// that run on the GPU. A training step is
//
//	gather_u8_f32  (batch at pos, from the epoch's permutation)
//	the segment's instructions (forward, backward, update)
//	step_end       (sample the loss, advance the counters, prime the next step)
//
// all of whose arguments are fixed addresses; what changes per step lives
// in the loop's state block (pipeline.cu), so the step is captured once as
// a CUDA graph and replayed (Options.Graph), or issued launch by launch.
// Nothing in a step waits for the host; Loss is the only read.

var _ kernels.DeviceData = (*Executable)(nil)

// UploadSet uploads a uint8 image set (see UploadDataset).
func (x *Executable) UploadSet(images, labels []uint8, dim int) (kernels.DeviceSet, error) {
	d, err := x.UploadDataset(images, labels, dim)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// deviceSet returns the cuda Dataset behind a DeviceSet of this executable.
func (x *Executable) deviceSet(set kernels.DeviceSet) (*Dataset, error) {
	d, ok := set.(*Dataset)
	if !ok || d.x != x {
		return nil, errors.New("cuda: the set was not uploaded by this executable")
	}
	if d.closed {
		return nil, errors.New("cuda: the set is closed")
	}
	if d.n > maxPos {
		return nil, fmt.Errorf("cuda: a set of %d images is beyond the %d positions a step can address", d.n, maxPos)
	}
	return d, nil
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

// loopMem is a small device allocation of a loop: its state block, then
// (training) the epoch's learning rates.
type loopMem struct {
	x   *Executable
	mem cu.DevicePtr
}

func (m *loopMem) alloc(bytes int64, what string) error {
	return m.x.dev.w.do(func() error {
		var err error
		if m.mem, err = cu.MemAlloc(bytes); err != nil {
			free, total, _ := cu.MemInfo()
			return fmt.Errorf("cuda: allocating %d bytes for %s: %w: %s", bytes, what, err, memoryAdvice(m.x.bytes, bytes, free, total))
		}
		return nil
	})
}

func (m *loopMem) free() error {
	if m.mem == 0 {
		return nil
	}
	p := m.mem
	m.mem = 0
	return cu.MemFree(p)
}

// trainLoop is the cuda kernels.TrainLoop.
type trainLoop struct {
	loopMem
	set    *Dataset
	spec   kernels.TrainLoopSpec
	batch  int
	lr     cu.DevicePtr // the epoch's rates, after the state
	prime  launch
	step   []launch // gather, the segment's launches, step_end (issued when there is no graph)
	graph  *stepGraph
	issued int // steps issued this epoch
	epoch  bool
	closed bool
}

// NewTrainLoop prepares a training step over set and, with Options.Graph,
// captures it.
func (x *Executable) NewTrainLoop(set kernels.DeviceSet, spec kernels.TrainLoopSpec) (kernels.TrainLoop, error) {
	if err := x.usable(); err != nil {
		return nil, err
	}
	d, err := x.deviceSet(set)
	if err != nil {
		return nil, err
	}
	p := x.prog
	batch, err := kernels.CheckTrainLoop(p, spec, d.n, d.dim)
	if err != nil {
		return nil, fmt.Errorf("cuda: %w", err)
	}
	l := &trainLoop{loopMem: loopMem{x: x}, set: d, spec: spec, batch: batch}
	stateBytes := int64(8 * stSlots)
	if err := l.alloc(stateBytes+4*int64(spec.StepsPerEpoch), "a training loop's state and rates"); err != nil {
		return nil, err
	}
	st, lr := uint64(l.mem), uint64(l.mem)+uint64(stateBytes)
	l.lr = cu.DevicePtr(lr)
	var hyper, ctl uint64 // null: the program has none
	if p.Hyper >= 0 {
		hyper = uint64(x.bufPtr(p.Hyper))
	}
	if p.Ctl >= 0 {
		ctl = uint64(x.bufPtr(p.Ctl))
	}
	what := fmt.Sprintf("batch=%d steps/epoch=%d", batch, spec.StepsPerEpoch)
	var ar args
	ar.ptr(st).ptr(lr).ptr(hyper).ptr(ctl).i64(batch)
	if l.prime, err = x.dev.newLaunch("step_prime", [3]int{1, 1, 1}, [3]int{32, 1, 1}, 0, ar, what); err != nil {
		return nil, l.fail(err)
	}
	g, err := x.gatherLaunch(d, st+8*stPos, uint64(x.bufPtr(spec.Images)), uint64(x.bufPtr(spec.Labels)), batch, spec.Mean, spec.Std)
	if err != nil {
		return nil, l.fail(err)
	}
	var er args
	er.ptr(st).ptr(uint64(x.bufPtr(p.Loss))).ptr(lr).ptr(hyper).ptr(ctl).ints(batch, spec.LossEvery, spec.StepsPerEpoch)
	end, err := x.dev.newLaunch("step_end", [3]int{1, 1, 1}, [3]int{32, 1, 1}, 0, er, what)
	if err != nil {
		return nil, l.fail(err)
	}
	l.step = append(l.step, g)
	for i := spec.Segment.Start; i < spec.Segment.End; i++ {
		l.step = append(l.step, x.steps[i]...)
	}
	l.step = append(l.step, end)
	if x.b.opts.graphs() {
		err = x.dev.w.do(func() error {
			var err error
			l.graph, err = x.capture("a training step ("+what+")", func() error { return x.issueLaunches(l.step) })
			return err
		})
		if err != nil {
			return nil, l.fail(err)
		}
	}
	x.owned = append(x.owned, l)
	return l, nil
}

// fail releases a half-made loop and returns err.
func (l *trainLoop) fail(err error) error {
	l.x.dev.w.do(l.free)
	return err
}

// issueLaunches issues prepared launches in order on the stream; it runs on
// the context thread.
func (x *Executable) issueLaunches(ls []launch) error {
	for i := range ls {
		if err := ls[i].issue(x.stream); err != nil {
			return fmt.Errorf("%s: %w", &ls[i], x.explain(err))
		}
	}
	return nil
}

// StartEpoch uploads the permutation, the rates and a fresh state, and
// primes the first step.
func (l *trainLoop) StartEpoch(perm []int32, lr []float32, firstStep int) error {
	if err := l.usable(); err != nil {
		return err
	}
	if err := kernels.CheckEpoch(perm, lr, firstStep, l.set.n, l.spec.StepsPerEpoch); err != nil {
		return fmt.Errorf("cuda: start of epoch: %w", err)
	}
	if err := l.set.SetPerm(perm); err != nil {
		return err
	}
	st := epochState(firstStep)
	x := l.x
	err := x.dev.w.do(func() error {
		// Pageable copies return once the data is staged, so st and lr may go.
		if err := cu.MemcpyHtoDAsync(l.mem, unsafe.Pointer(&st[0]), int64(8*len(st)), x.stream); err != nil {
			return err
		}
		if err := cu.MemcpyHtoDAsync(l.lr, unsafe.Pointer(&lr[0]), int64(4*len(lr)), x.stream); err != nil {
			return err
		}
		return l.prime.issue(x.stream)
	})
	if err != nil {
		return fmt.Errorf("cuda: start of epoch: %w", err)
	}
	l.issued, l.epoch = 0, true
	return nil
}

// Step issues the next step: one graph launch, or the step's launches.
func (l *trainLoop) Step() error {
	if err := l.usable(); err != nil {
		return err
	}
	if !l.epoch || l.issued >= l.spec.StepsPerEpoch {
		return fmt.Errorf("cuda: step %d of an epoch of %d (StartEpoch first)", l.issued+1, l.spec.StepsPerEpoch)
	}
	x := l.x
	sync := x.b.opts.SyncEach
	err := x.dev.w.do(func() error {
		if l.graph != nil {
			return l.graph.launch(x)
		}
		if !sync {
			return x.issueLaunches(l.step)
		}
		// One launch at a time, each waited for, so a fault names its
		// kernel (the instructions' with their instruction and node).
		last := len(l.step) - 1
		if err := x.issueLaunches(l.step[:1]); err != nil {
			return err
		}
		if err := x.stream.Synchronize(); err != nil {
			return fmt.Errorf("%s: %w", &l.step[0], x.explain(err))
		}
		if err := x.issueSeg(l.spec.Segment, true); err != nil {
			return err
		}
		if err := x.issueLaunches(l.step[last:]); err != nil {
			return err
		}
		if err := x.stream.Synchronize(); err != nil {
			return fmt.Errorf("%s: %w", &l.step[last], x.explain(err))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cuda: training step %d of the epoch: %w", l.issued+1, err)
	}
	l.issued++
	return nil
}

// Loss reads the state after the steps issued so far.
func (l *trainLoop) Loss() (kernels.LossStats, error) {
	if err := l.usable(); err != nil {
		return kernels.LossStats{}, err
	}
	var st [stSlots]uint64
	x := l.x
	err := x.dev.w.do(func() error {
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&st[0]), l.mem, int64(8*len(st)), x.stream); err != nil {
			return x.explain(err)
		}
		return x.explain(x.stream.Synchronize())
	})
	if err != nil {
		return kernels.LossStats{}, fmt.Errorf("cuda: after %d training steps of the epoch (the fault is in a step since the last read; GABOR_CUDA_SYNC=1 names the kernel): %w", l.issued, err)
	}
	if l.epoch && stepsDone(st) != l.issued {
		return kernels.LossStats{}, fmt.Errorf("cuda: internal: the device counted %d steps of the epoch, %d were issued", stepsDone(st), l.issued)
	}
	return lossStats(st), nil
}

func (l *trainLoop) usable() error {
	if l.closed {
		return errors.New("cuda: training loop used after Close")
	}
	return l.x.usable()
}

// Close releases the graph and the state.
func (l *trainLoop) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	return l.x.dev.w.do(func() error {
		err := l.x.stream.Synchronize()
		return errors.Join(err, l.graph.destroy(), l.free())
	})
}

// evalLoop is the cuda kernels.EvalLoop.
type evalLoop struct {
	loopMem
	set     *Dataset
	batch   int
	step    []launch // gather, forward, eval_score
	graph   *stepGraph
	batches int
	closed  bool
}

// NewEvalLoop prepares the scoring pass and, with Options.Graph, captures
// one batch of it.
func (x *Executable) NewEvalLoop(set kernels.DeviceSet, spec kernels.EvalLoopSpec) (kernels.EvalLoop, error) {
	if err := x.usable(); err != nil {
		return nil, err
	}
	d, err := x.deviceSet(set)
	if err != nil {
		return nil, err
	}
	batch, err := kernels.CheckEvalLoop(x.prog, spec, d.n, d.dim)
	if err != nil {
		return nil, fmt.Errorf("cuda: %w", err)
	}
	e := &evalLoop{loopMem: loopMem{x: x}, set: d, batch: batch, batches: evalBatches(d.n, batch)}
	if err := e.alloc(8*esSlots, "an evaluation loop's state"); err != nil {
		return nil, err
	}
	es := uint64(e.mem)
	g, err := x.gatherLaunch(d, es+8*esPos, uint64(x.bufPtr(spec.Images)), uint64(x.bufPtr(spec.Labels)), batch, spec.Mean, spec.Std)
	if err != nil {
		return nil, e.fail(err)
	}
	var ar args
	ar.ptr(es).ptr(uint64(x.bufPtr(spec.Logits))).ptr(uint64(x.bufPtr(spec.Labels))).ints(batch, d.n, spec.Classes)
	score, err := x.dev.newLaunch("eval_score", [3]int{1, 1, 1}, [3]int{eltThreads, 1, 1}, 0, ar,
		fmt.Sprintf("batch=%d n=%d classes=%d", batch, d.n, spec.Classes))
	if err != nil {
		return nil, e.fail(err)
	}
	e.step = append(e.step, g)
	for i := spec.Forward.Start; i < spec.Forward.End; i++ {
		e.step = append(e.step, x.steps[i]...)
	}
	e.step = append(e.step, score)
	if x.b.opts.graphs() {
		err = x.dev.w.do(func() error {
			var err error
			e.graph, err = x.capture(fmt.Sprintf("an evaluation batch (batch=%d)", batch), func() error { return x.issueLaunches(e.step) })
			return err
		})
		if err != nil {
			return nil, e.fail(err)
		}
	}
	x.owned = append(x.owned, e)
	return e, nil
}

func (e *evalLoop) fail(err error) error {
	e.x.dev.w.do(e.free)
	return err
}

// Run clears the state, runs every batch and reads the totals.
func (e *evalLoop) Run() (int, float64, error) {
	if e.closed {
		return 0, 0, errors.New("cuda: evaluation loop used after Close")
	}
	if err := e.x.usable(); err != nil {
		return 0, 0, err
	}
	x := e.x
	var es [esSlots]uint64
	err := x.dev.w.do(func() error {
		if err := cu.MemsetD32Async(e.mem, 0, 2*esSlots, x.stream); err != nil {
			return err
		}
		for b := 0; b < e.batches; b++ {
			var err error
			if e.graph != nil {
				err = e.graph.launch(x)
			} else {
				err = x.issueLaunches(e.step)
				if err == nil && x.b.opts.SyncEach {
					err = x.stream.Synchronize()
				}
			}
			if err != nil {
				return fmt.Errorf("batch %d of %d: %w", b+1, e.batches, err)
			}
		}
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&es[0]), e.mem, 8*esSlots, x.stream); err != nil {
			return x.explain(err)
		}
		return x.explain(x.stream.Synchronize())
	})
	if err != nil {
		return 0, 0, fmt.Errorf("cuda: evaluation of %d images in batches of %d: %w", e.set.n, e.batch, err)
	}
	correct, loss := evalResult(es)
	return correct, loss, nil
}

// Close releases the graph and the state.
func (e *evalLoop) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	return e.x.dev.w.do(func() error {
		err := e.x.stream.Synchronize()
		return errors.Join(err, e.graph.destroy(), e.free())
	})
}
