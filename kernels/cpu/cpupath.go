package cpu

import (
	"fmt"
	"os"
	"strings"
)

// CPU paths: which family of kernels runs.
//
//	generic  pure Go, every platform (the 4×4 GEMM tile, scalar loops)
//	avx2     amd64 with AVX2 and FMA: 6×16 GEMM tile (packed and row-table
//	         B, so the direct convolutions run), 8-lane streams and pools
//	avx512   amd64 with AVX-512F: 12×32 and 12×16 GEMM tiles, 16-lane
//	         streams and pools
//	neon     arm64 (Advanced SIMD is part of every arm64 processor): the
//	         8×8 GEMM tile; the other kernels are generic's
//
// The fastest path the processor supports is chosen at start-up; the
// environment variable GABOR_CPU=generic|avx2|avx512|neon (read once, in init)
// picks another, so one machine can test and time every path it has. A
// name the machine cannot run (or no path at all) is not silently replaced:
// the backend then fails to open with an error naming the paths there are
// (the kernels themselves fall back to the fastest path, for code that
// calls them without a backend).
//
// Results do not depend on the path for the ReLU kernels, addTo and the
// pools (bit-identical to the scalar loops), nor, between avx2 and avx512,
// for the float64 row sum and the tap dot products (same lane structure and
// operation order). The GEMM and the convolutions differ between paths by
// rounding only (tile shapes change the depth blocking of the sums).
type cpuPath int

const (
	pathGeneric cpuPath = iota
	pathAVX2
	pathAVX512
	pathNEON
)

var pathNames = [...]string{pathGeneric: "generic", pathAVX2: "avx2", pathAVX512: "avx512", pathNEON: "neon"}

func (p cpuPath) String() string {
	if p < 0 || int(p) >= len(pathNames) {
		return fmt.Sprintf("cpuPath(%d)", int(p))
	}
	return pathNames[p]
}

// vectorLoops says whether path p has vector versions of the stream,
// pool, reduction and optimizer loops (the x86 paths; neon so far has its
// GEMM tile only, and runs generic's loops).
func (p cpuPath) vectorLoops() bool { return p == pathAVX2 || p == pathAVX512 }

// cpuPaths lists the paths this machine supports, fastest first; generic
// is always last.
func cpuPaths() []cpuPath {
	var ps []cpuPath
	for p := cpuPath(len(pathNames) - 1); p >= pathGeneric; p-- {
		if pathSupported(p) {
			ps = append(ps, p)
		}
	}
	return ps
}

// Paths names the CPU paths this machine supports, fastest first (generic
// last): the values GABOR_CPU can take here.
func Paths() []string {
	var names []string
	for _, p := range cpuPaths() {
		names = append(names, p.String())
	}
	return names
}

// activePath is the path the kernels take: set once in init, switched
// only by tests (forEachPath) between kernel calls.
var activePath cpuPath

// pathErr is the error of a GABOR_CPU this machine cannot honour; the
// backend's factory returns it.
var pathErr error

func init() {
	p, err := choosePath(os.Getenv("GABOR_CPU"))
	pathErr = err
	setPath(p)
}

// choosePath maps a GABOR_CPU value to a path: "" or "auto" is the fastest
// supported one. An unknown or unsupported name gives the fastest path and
// an error saying why it was not taken.
func choosePath(env string) (cpuPath, error) {
	have := cpuPaths()
	name := strings.ToLower(strings.TrimSpace(env))
	if name == "" || name == "auto" {
		return have[0], nil
	}
	names := Paths()
	for p, n := range pathNames {
		if n != name {
			continue
		}
		if pathSupported(cpuPath(p)) {
			return cpuPath(p), nil
		}
		return have[0], fmt.Errorf("cpu: GABOR_CPU=%s: this processor (%s) cannot run the %s kernels; it supports %s (or unset GABOR_CPU for the fastest)",
			env, deviceName(), n, strings.Join(names, ", "))
	}
	return have[0], fmt.Errorf("cpu: GABOR_CPU=%q is not a CPU path: want generic, avx2, avx512 or neon (this processor supports %s)",
		env, strings.Join(names, ", "))
}

// setPath makes p the active path: the GEMM kernel and the vector loops.
// p must be supported.
func setPath(p cpuPath) {
	activePath = p
	sgemmActive = sgemmKernelFor(p)
}

// CPUPath names the kernel path in use: "generic", "avx2", "avx512" or "neon".
func (Backend) CPUPath() string { return activePath.String() }
