//go:build (!amd64 && !arm64) || purego

package cpu

// Without the amd64 assembly only the generic path exists.
func pathSupported(p cpuPath) bool { return p == pathGeneric }

func sgemmKernelFor(cpuPath) *sgemmKernel { return sgemmGeneric }
