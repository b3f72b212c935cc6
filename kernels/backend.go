package kernels

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"unsafe"
)

// Backend runs Programs on one kind of device.
type Backend interface {
	// Name is the registry name: "cpu", "cuda".
	Name() string
	// Caps describes the device.
	Caps() Caps
	// Load allocates the program's arena on the device and prepares its
	// instructions. The returned Executable owns that memory until Close.
	Load(p *Program) (Executable, error)
}

// Executable is a Program loaded on a device.
type Executable interface {
	// Write copies host data into a buffer; len(src) must equal the buffer's Len.
	Write(id BufID, src []float32) error
	// Read copies a buffer to the host; len(dst) must equal the buffer's Len.
	Read(id BufID, dst []float32) error
	// WriteBytes and ReadBytes copy a buffer of any dtype as its raw
	// little-endian bytes; len(src) must equal the buffer's Bytes() (see
	// AsBytes). Write and Read take only F32 buffers.
	WriteBytes(id BufID, src []byte) error
	ReadBytes(id BufID, dst []byte) error
	// Run executes the instructions of seg in order. It may return before the
	// device has finished; Read and Sync wait.
	Run(seg Segment) error
	// Sync waits for all work issued so far.
	Sync() error
	// ArenaBytes is the device memory held for the arena.
	ArenaBytes() int64
	// Close releases the device memory.
	Close() error
}

// Caps are a backend's capabilities, shown by `gabor devices` and used to
// choose a backend for --device auto.
type Caps struct {
	Device      string // human-readable: "2-core CPU (amd64, AVX-512)", "NVIDIA H100 80GB HBM3"
	MemoryBytes int64  // device memory, 0 when unknown
	Threads     int    // worker goroutines (CPU) or SMs (GPU)
	Graphs      bool   // can capture and replay a whole step
	Driver      string // driver version, when there is one
}

// ErrNotImplemented is returned (wrapped) by a backend asked to run an op it
// does not implement.
var ErrNotImplemented = errors.New("not implemented")

// Factory opens a backend. It returns an error when the device is absent.
type Factory func() (Backend, error)

var (
	regMu    sync.Mutex
	registry = map[string]Factory{}
)

// Register makes a backend available by name; backends call it from init.
func Register(name string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("kernels: backend registered twice: " + name)
	}
	registry[name] = f
}

// Names lists the registered backends, sorted.
func Names() []string {
	regMu.Lock()
	defer regMu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Open opens the named backend. "auto" picks cuda when it is built in and a
// device opens, else cpu.
func Open(name string) (Backend, error) {
	if name == "auto" {
		if b, err := Open("cuda"); err == nil {
			return b, nil
		}
		return Open("cpu")
	}
	regMu.Lock()
	f, ok := registry[name]
	regMu.Unlock()
	if !ok {
		if name == "cuda" {
			return nil, fmt.Errorf("device %q is not available in this build (build with `make gpu` for CUDA); available: %v", name, Names())
		}
		return nil, fmt.Errorf("unknown device %q; available: %v", name, Names())
	}
	return f()
}

// CheckLen is the common argument check of Write and Read.
func CheckLen(p *Program, id BufID, n int) error {
	if id < 0 || int(id) >= len(p.Buffers) {
		return fmt.Errorf("buffer b%d does not exist (program has %d buffers)", id, len(p.Buffers))
	}
	b := &p.Buffers[id]
	if b.DType != F32 {
		return fmt.Errorf("buffer b%d %q holds %s, not float32: copy it with WriteBytes or ReadBytes", id, b.Name, b.DType)
	}
	if b.Len != n {
		return fmt.Errorf("buffer b%d %q holds %d floats, host slice has %d", id, b.Name, b.Len, n)
	}
	return nil
}

// CheckBytes is the common argument check of WriteBytes and ReadBytes.
func CheckBytes(p *Program, id BufID, n int) error {
	if id < 0 || int(id) >= len(p.Buffers) {
		return fmt.Errorf("buffer b%d does not exist (program has %d buffers)", id, len(p.Buffers))
	}
	if b := &p.Buffers[id]; b.Bytes() != n {
		return fmt.Errorf("buffer b%d %q holds %d bytes (%d × %s), host slice has %d", id, b.Name, b.Bytes(), b.Len, b.DType, n)
	}
	return nil
}

// AsBytes views a slice of elements as its bytes, without copying: what
// WriteBytes and ReadBytes take for a U8, I32, F32 or F64 buffer.
func AsBytes[T uint8 | int32 | float32 | float64](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(z)))
}
