//go:build gpu

package main

// A `gpu` build has the CUDA backend beside the CPU one: on a GPU machine the same
// binary serves --device cuda and --device cpu. Both register themselves in init.
import (
	_ "github.com/gaborlab/gabor/kernels/cpu"
	_ "github.com/gaborlab/gabor/kernels/cuda"
)

func buildTags() []string { return []string{"gpu"} }
