//go:build race

package cpu

// convRace: the race detector makes sync.Pool (inside Sgemm) drop entries at
// random, so steady-state calls may allocate there.
const convRace = true
