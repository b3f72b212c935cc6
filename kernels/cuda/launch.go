//go:build gpu

package cuda

import (
	"fmt"
	"math"
	"unsafe"

	"gorgonia.org/cu"
)

// launch is one kernel launch, prepared at Load: Run only issues it.
type launch struct {
	kernel      string
	fn          cu.Function
	grid, block [3]int
	shared      int
	args        []uint64         // one 8-byte slot per kernel parameter
	params      []unsafe.Pointer // &args[i], what cuLaunchKernel reads
	what        string           // the shapes, for messages
}

// issue enqueues the launch on stream s; the caller names the launch in
// the error.
func (l *launch) issue(s cu.Stream) error {
	return l.fn.Launch(l.grid[0], l.grid[1], l.grid[2], l.block[0], l.block[1], l.block[2], l.shared, s, l.params)
}

func (l *launch) String() string {
	return fmt.Sprintf("kernel %s grid %v block %v (%s)", l.kernel, l.grid, l.block, l.what)
}

// args packs kernel parameters into 8-byte slots. gorgonia.org/cu passes
// every parameter as 8 bytes, and the kernels declare integers as long long
// and pointers as 64-bit; a float parameter reads the low 4 bytes of its slot
// (little-endian), a double all 8.
type args []uint64

func (a *args) ptr(p uint64) *args  { *a = append(*a, p); return a }
func (a *args) i64(v int) *args     { *a = append(*a, uint64(int64(v))); return a }
func (a *args) f32(v float32) *args { *a = append(*a, uint64(math.Float32bits(v))); return a }
func (a *args) f64(v float64) *args { *a = append(*a, math.Float64bits(v)); return a }
func (a *args) u64(v uint64) *args  { *a = append(*a, v); return a }
func (a *args) flag(v bool) *args {
	if v {
		return a.i64(1)
	}
	return a.i64(0)
}
func (a *args) ints(v ...int) *args {
	for _, x := range v {
		a.i64(x)
	}
	return a
}

// threads per block of the elementwise and reduction kernels.
const eltThreads = 256

// newLaunch resolves a kernel by name and freezes its arguments.
func (d *device) newLaunch(kernel string, grid, block [3]int, shared int, a args, what string) (launch, error) {
	fn, ok := d.fns[kernel]
	if !ok {
		return launch{}, fmt.Errorf("kernel %s is not in the embedded PTX (run make kernels)", kernel)
	}
	for i, g := range grid {
		if g < 1 || (i == 0 && g > math.MaxInt32) || (i > 0 && g > 65535) {
			return launch{}, fmt.Errorf("kernel %s (%s): grid %v outside the device limits", kernel, what, grid)
		}
	}
	l := launch{kernel: kernel, fn: fn, grid: grid, block: block, shared: shared, args: a, what: what}
	l.params = make([]unsafe.Pointer, len(l.args))
	for i := range l.args {
		l.params[i] = unsafe.Pointer(&l.args[i])
	}
	return l, nil
}

// eltGrid is the grid of a grid-stride kernel over n elements: enough blocks
// for one element per thread, capped at 32 blocks per SM (the kernels loop
// over the rest).
func (d *device) eltGrid(n int) [3]int {
	b := (n + eltThreads - 1) / eltThreads
	b = min(max(b, 1), 32*d.sms)
	return [3]int{b, 1, 1}
}
