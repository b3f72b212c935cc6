//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

// pathSupported says whether the processor and the OS run p's kernels
// (x/sys/cpu reports AVX and AVX-512 only when the OS saves their registers).
func pathSupported(p cpuPath) bool {
	switch p {
	case pathGeneric:
		return true
	case pathAVX2:
		return cpu.X86.HasAVX2 && cpu.X86.HasFMA
	case pathAVX512:
		return cpu.X86.HasAVX512F
	}
	return false
}

// sgemmKernelFor is the GEMM micro-kernel of path p (AVX-512's narrow
// variant is picked per product by Sgemm).
func sgemmKernelFor(p cpuPath) *sgemmKernel {
	switch p {
	case pathAVX512:
		return sgemmAVX512
	case pathAVX2:
		return sgemmAVX2
	}
	return sgemmGeneric
}
