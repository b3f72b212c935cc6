//go:build race

package cpu

// The race detector makes sync.Pool drop items at random, so a call may have
// to rebuild its workspace (the struct and its two buffers).
const sgemmMaxAllocs = 3
