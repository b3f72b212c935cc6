//go:build race

package cpu_test

// raceEnabled: the race detector makes sync.Pool drop entries at random,
// so pooled scratch (the GEMM's packing buffers) is reallocated now and then.
const raceEnabled = true
