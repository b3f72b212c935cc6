//go:build !race

package cpu

// Steady-state calls reuse pooled workspaces and allocate nothing.
const sgemmMaxAllocs = 0
