// Package weightspace answers three questions about the weights of a
// network with gabor's own engine — the compiled Programs of graph.Compile
// run on a kernels.Backend, the optimizer kernels training uses — never a
// re-implementation elsewhere:
//
//   - what the loss looks like around trained weights (Line, Plane: a
//     1-D interpolation between two points of weight space, a 2-D surface on
//     filter-normalized random directions or the PCA plane of the training
//     trajectory);
//   - how gradient-descent variants move over a surface of two weights
//     (Race: small problems compiled as models whose loss is the surface,
//     stepped by the fused optimizer instruction of the Program);
//   - what removing weights does (Ablate: accuracy as a growing fraction of
//     the weights is zeroed, by magnitude or at random, weight by weight or
//     unit by unit).
//
// Weights are handled as a Point: one []float32 per parameter of the model,
// in the model's canonical order, in the layout of the Program's buffers
// (PyTorch's: a dense weight is [out, in], a convolution [K, C, R, S]).
// Every evaluation goes through an Evaluator: the model compiled forward-only
// at a large batch, loaded once, on a fixed seeded subset of the test set
// gathered once; Eval writes a Point into the parameter buffers and runs the
// forward segment over the subset, scoring the logits on the host exactly as
// `gabor eval` does (mean cross-entropy in float64, first-argmax accuracy).
package weightspace
