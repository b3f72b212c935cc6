package graph

import (
	"errors"

	"github.com/gaborlab/gabor/kernels"
)

// Compile turns a model into a Program: the forward pass, and with
// opt.Optimizer the backward pass and the fused optimizer update.
func Compile(m *Model, opt Options) (*kernels.Program, error) {
	return nil, errors.New("graph.Compile: not yet implemented")
}
