package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// Model is a network as the compiler takes it: a gorgonia expression graph
// and a description of its roles. Every role but the graph and the loss is
// optional, so a classifier, a regression, and a surface to minimize with
// no data at all are all models:
//
//	classifier   X, Labels (class indices or one-hot rows), Logits, Loss = cross-entropy
//	regression   X, Labels (float targets, Target = FloatTargets), Logits (the prediction), Loss = MSE
//	surface      Params only, Loss = f(params)
//
// Parameter nodes carry their initial values (G.WithValue); their order is
// the model's canonical order (checkpoints, ANCHORW1 files). Every other leaf
// the loss reads must be X, Labels or one of Inputs (the host writes them
// each step), or hold a constant value.
type Model struct {
	Name   string
	G      *G.ExprGraph
	X      *G.Node   // the data: Program.Inputs["x"], e.g. [B, 1, 28, 28] or [B, 784]; nil for none
	Labels *G.Node   // the targets: Program.Inputs["labels"]; nil when the loss reads none
	Target Target    // what Labels holds
	Logits *G.Node   // the model's output, Program.Logits (class scores, or a prediction); may be nil
	Loss   *G.Node   // the scalar the optimizer minimizes: Program.Loss
	Params []*G.Node // trainable parameters, canonical order
	// Inputs are further leaves the host writes, by their Program.Inputs name.
	Inputs map[string]*G.Node
	// Outputs are further results of the forward pass (a hidden layer, a
	// second head), readable after a run as Program.Taps[name].
	Outputs map[string]*G.Node
}

// Target says what a model's Labels hold.
type Target uint8

const (
	ClassIndices Target = iota // [B]: class indices stored as float32 (SoftmaxCrossEntropy)
	OneHot                     // [B, classes]: one row of 0/1 per example, as gorgonia's examples use
	FloatTargets               // any shape: real-valued targets (a regression's MSE)
)

func (t Target) String() string {
	switch t {
	case ClassIndices:
		return "class-indices"
	case OneHot:
		return "one-hot"
	case FloatTargets:
		return "float"
	}
	return fmt.Sprintf("target(%d)", int(t))
}

// Batch is the model's static batch size: the first axis of X, or 0 for a
// model with no data.
func (m *Model) Batch() int {
	if m.X == nil || len(m.X.Shape()) == 0 {
		return 0
	}
	return m.X.Shape()[0]
}

// Optimizer configures the fused update that ends a training program.
// Kind is "sgd", "adam", "adagrad" or "rmsprop". The learning rate is not compiled in: the host
// writes it (and the step count) into the Program's Hyper buffer each step,
// so schedules need no recompilation.
type Optimizer struct {
	Kind        string
	Momentum    float32 // sgd
	Nesterov    bool    // sgd
	Beta1       float32 // adam (0 → 0.9)
	Beta2       float32 // adam (0 → 0.999)
	Eps         float32 // adam, rmsprop (0 → 1e-8), adagrad (0 → 1e-10)
	Alpha       float32 // rmsprop's smoothing constant (0 → 0.99)
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
