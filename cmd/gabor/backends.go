//go:build !gpu

package main

// The CPU backend is always built in; it registers itself with kernels in its init.
import _ "github.com/gaborlab/gabor/kernels/cpu"

// buildTags lists the build tags that change what the binary can do.
func buildTags() []string { return []string{} }
