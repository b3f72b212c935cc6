//go:build !race

package cpu

const convRace = false
