package graph

import (
	G "gorgonia.org/gorgonia"
)

// Model is a network as the compiler takes it: a gorgonia expression graph
// with its input, label, logit and loss nodes, and its trainable parameters.
// Parameter nodes carry their initial values (G.WithValue); their order is
// the model's canonical order (checkpoints, ANCHORW1 files).
type Model struct {
	Name   string
	G      *G.ExprGraph
	X      *G.Node   // images: [B, 1, 28, 28] (convnets) or [B, 784] (MLPs)
	Labels *G.Node   // [B] class indices stored as float32
	Logits *G.Node   // [B, classes]
	Loss   *G.Node   // scalar mean loss
	Params []*G.Node // trainable parameters, canonical order
}

// Batch is the model's static batch size.
func (m *Model) Batch() int { return m.X.Shape()[0] }

// Optimizer configures the fused update that ends a training program.
// Kind is "sgd" or "adam". The learning rate is not compiled in: the host
// writes it (and the step count) into the Program's Hyper buffer each step,
// so schedules need no recompilation.
type Optimizer struct {
	Kind        string
	Momentum    float32 // sgd
	Nesterov    bool    // sgd
	Beta1       float32 // adam (0 → 0.9)
	Beta2       float32 // adam (0 → 0.999)
	Eps         float32 // adam (0 → 1e-8)
	WeightDecay float32
}

// Options control Compile.
type Options struct {
	// Optimizer is nil for a forward-only (evaluation) program.
	Optimizer *Optimizer
	// Taps are node names (activations, weights, "grad:<param>" for
	// gradients) whose buffers are kept alive and readable after a step.
	Taps []string
	// NoFusion turns off GEMM/conv + activation fusion (for tests and debugging).
	NoFusion bool
}
