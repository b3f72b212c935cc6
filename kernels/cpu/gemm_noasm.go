//go:build (!amd64 && !arm64) || purego

package cpu

// Without assembly kernels only the portable one is available.
var sgemmKernels = []*sgemmKernel{sgemmGeneric}
