//go:build gpu

package cuda

// The driver calls gorgonia.org/cu v0.9.6 lacks: stream capture and CUDA
// graphs. Linked against libcuda like cu itself (the stub in
// /opt/cuda/lib64 at build time, the driver's libcuda.so.1 at run time);
// cuda.h maps cuStreamBeginCapture and cuGraphLaunch to their current
// (_v2, per-thread-aware) symbols. Every function runs on the context thread.

/*
#cgo LDFLAGS: -lcuda
#cgo linux LDFLAGS: -L/opt/cuda/lib64 -L/usr/local/cuda/lib64 -L/usr/lib/x86_64-linux-gnu
#cgo linux CFLAGS: -I/opt/cuda/include -I/usr/local/cuda/include
#include <cuda.h>
*/
import "C"

import (
	"fmt"
	"reflect"
	"unsafe"

	"gorgonia.org/cu"
)

// driverError is a failed driver call of this file. It matches cu's error
// values (errors.Is(err, cu.OutOfMemory)) by code, so callers handle both
// alike.
type driverError struct {
	call string
	code int
}

func (e *driverError) Error() string {
	var name *C.char
	if C.cuGetErrorName(C.CUresult(e.code), &name) != C.CUDA_SUCCESS || name == nil {
		return fmt.Sprintf("%s: CUDA error %d", e.call, e.code)
	}
	return fmt.Sprintf("%s: %s", e.call, C.GoString(name))
}

// Is reports whether target is cu's error value with the same code.
func (e *driverError) Is(target error) bool {
	v := reflect.ValueOf(target)
	return v.IsValid() && v.Type() == reflect.TypeOf(cu.OutOfMemory) && v.Int() == int64(e.code)
}

func check(call string, r C.CUresult) error {
	if r == C.CUDA_SUCCESS {
		return nil
	}
	return &driverError{call, int(r)}
}

// cstream is cu's stream handle as this package's C type (both are the
// driver's CUstream pointer).
func cstream(s cu.Stream) C.CUstream { return C.CUstream(unsafe.Pointer(s.C())) }

// beginCapture starts recording the work issued on s. Thread-local mode:
// only this (the context) thread is barred from calls that are unsafe
// during a capture.
func beginCapture(s cu.Stream) error {
	return check("cuStreamBeginCapture", C.cuStreamBeginCapture(cstream(s), C.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL))
}

// endCapture stops recording and returns the graph recorded (nil on error).
func endCapture(s cu.Stream) (C.CUgraph, error) {
	var g C.CUgraph
	err := check("cuStreamEndCapture", C.cuStreamEndCapture(cstream(s), &g))
	return g, err
}

// instantiate makes an executable graph.
func instantiate(g C.CUgraph) (C.CUgraphExec, error) {
	var e C.CUgraphExec
	err := check("cuGraphInstantiateWithFlags", C.cuGraphInstantiateWithFlags(&e, g, 0))
	return e, err
}

// graphNodes is the number of nodes of a graph.
func graphNodes(g C.CUgraph) (int, error) {
	var n C.size_t
	err := check("cuGraphGetNodes", C.cuGraphGetNodes(g, nil, &n))
	return int(n), err
}

func graphLaunch(e C.CUgraphExec, s cu.Stream) error {
	return check("cuGraphLaunch", C.cuGraphLaunch(e, cstream(s)))
}

func graphExecDestroy(e C.CUgraphExec) error {
	return check("cuGraphExecDestroy", C.cuGraphExecDestroy(e))
}

func graphDestroy(g C.CUgraph) error {
	return check("cuGraphDestroy", C.cuGraphDestroy(g))
}
