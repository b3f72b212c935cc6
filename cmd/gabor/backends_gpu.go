//go:build gpu

package main

// A `gpu` build has the CPU backend too: on a GPU machine the same binary serves
// --device cuda and --device cpu.
import _ "github.com/gaborlab/gabor/kernels/cpu"

func buildTags() []string { return []string{"gpu"} }
