//go:build gpu

package cuda

import (
	"fmt"
	"os"
	"sync"

	"github.com/gaborlab/gabor/kernels"
	"gorgonia.org/cu"
)

func init() {
	kernels.Register("cuda", func() (kernels.Backend, error) { return New(DefaultOptions()) })
}

// Options tune the cuda backend.
type Options struct {
	// TF32 runs GEMMs and convolutions on the tensor cores with operands
	// rounded to TF32; false runs them as exact FP32 FMAs.
	TF32 bool
	// SyncEach synchronizes after every kernel launch, so that an
	// asynchronous fault is reported by the instruction that caused it.
	// It turns Graph off (a captured graph cannot synchronize inside).
	SyncEach bool
	// Graph records a captured step (kernels.Capturer: a training step or
	// an evaluation batch with its input pipeline) once as a CUDA graph and
	// replays it; false issues the step's kernels one by one.
	Graph bool
}

// DefaultOptions are the options of the registered "cuda" backend: TF32 on
// unless GABOR_CUDA_TF32=0, SyncEach when GABOR_CUDA_SYNC=1, graphs on
// unless GABOR_CUDA_GRAPH=0.
func DefaultOptions() Options {
	return Options{
		TF32:     os.Getenv("GABOR_CUDA_TF32") != "0",
		SyncEach: os.Getenv("GABOR_CUDA_SYNC") == "1",
		Graph:    os.Getenv("GABOR_CUDA_GRAPH") != "0",
	}
}

// graphs reports whether steps are captured and replayed.
func (o Options) graphs() bool { return o.Graph && !o.SyncEach }

// Backend runs Programs on GPU 0.
type Backend struct {
	opts Options
	dev  *device
}

// New opens GPU 0 with the given options. All backends of a process share
// one context and one copy of the loaded kernels.
func New(opts Options) (*Backend, error) {
	d, err := openDevice()
	if err != nil {
		return nil, err
	}
	return &Backend{opts: opts, dev: d}, nil
}

// Name is the registry name, "cuda".
func (b *Backend) Name() string { return "cuda" }

// Options returns the options the backend was opened with.
func (b *Backend) Options() Options { return b.opts }

// TF32 reports whether GEMMs and convolutions round their operands to TF32.
func (b *Backend) TF32() bool { return b.opts.TF32 }

// Caps describes the GPU; Graphs says whether this backend replays steps
// as CUDA graphs.
func (b *Backend) Caps() kernels.Caps {
	c := b.dev.caps
	c.Graphs = b.opts.graphs()
	return c
}

// device is the process-wide state of GPU 0: the context thread, the loaded
// kernels and what the launchers need to know about the hardware.
type device struct {
	w    *worker
	caps kernels.Caps
	sms  int
	fns  map[string]cu.Function
}

var (
	devOnce sync.Once
	devErr  error
	theDev  *device
)

// openDevice initializes GPU 0 once: retains its primary context on the
// context thread and loads every module. The context is kept until the
// process exits.
func openDevice() (*device, error) {
	devOnce.Do(func() { theDev, devErr = initDevice() })
	return theDev, devErr
}

func initDevice() (*device, error) {
	d := &device{}
	w, err := newWorker(func() error {
		n, err := cu.NumDevices()
		if err != nil {
			return fmt.Errorf("cuda: counting devices: %w", err)
		}
		if n < 1 {
			return fmt.Errorf("cuda: no CUDA device")
		}
		dev, err := cu.GetDevice(0)
		if err != nil {
			return fmt.Errorf("cuda: device 0: %w", err)
		}
		ctx, err := dev.RetainPrimaryCtx()
		if err != nil {
			return fmt.Errorf("cuda: primary context of device 0: %w", err)
		}
		if err := cu.SetCurrentContext(ctx); err != nil {
			return fmt.Errorf("cuda: making the context current: %w", err)
		}
		if d.caps, d.sms, err = describe(dev); err != nil {
			return err
		}
		d.fns, err = loadModules()
		return err
	})
	if err != nil {
		return nil, err
	}
	d.w = w
	return d, nil
}

// describe reads the device's name, memory, SM count and driver version.
func describe(dev cu.Device) (kernels.Caps, int, error) {
	name, err := dev.Name()
	if err != nil {
		return kernels.Caps{}, 0, fmt.Errorf("cuda: device name: %w", err)
	}
	mem, err := dev.TotalMem()
	if err != nil {
		return kernels.Caps{}, 0, fmt.Errorf("cuda: device memory: %w", err)
	}
	sms, err := dev.Attribute(cu.MultiprocessorCount)
	if err != nil {
		return kernels.Caps{}, 0, fmt.Errorf("cuda: SM count: %w", err)
	}
	major, minor, err := dev.ComputeCapability()
	if err != nil {
		return kernels.Caps{}, 0, fmt.Errorf("cuda: compute capability: %w", err)
	}
	if major < 8 {
		return kernels.Caps{}, 0, fmt.Errorf("cuda: %s has compute capability %d.%d; the kernels need 8.0 or newer (cp.async, TF32 mma)", name, major, minor)
	}
	return kernels.Caps{
		Device:      fmt.Sprintf("%s (sm_%d%d)", name, major, minor),
		MemoryBytes: mem,
		Threads:     sms,
		Driver:      driverString(cu.Version()),
	}, sms, nil
}
