// Package graph builds gabor's models as gorgonia expression graphs and
// compiles them into kernel Programs that any backend runs.
//
// # Ops
//
// gabor defines its own float32 op set as gorgonia custom ops. Each public
// constructor checks its inputs and adds one node:
//
//	Dense(x, w, b)                 x [B,in], w [out,in], b [out] or nil → x·wᵀ + b
//	MatMul(a, b, transA, transB)   op(a)·op(b)
//	ReLU, Sigmoid, Tanh            elementwise
//	Conv2D(x, w, b, stride, pad)   NCHW, filters [K,C,R,S]
//	ConvTranspose2D(y, w, ...)     the adjoint of Conv2D (the deconvnet's projection)
//	MaxPool2D, AvgPool2D           NCHW windows
//	Unpool2D(y, x, ...)            y's values placed at MaxPool2D(x)'s maxima
//	Flatten, Reshape               new shapes, no data moved
//	Dropout(x, p, seed)            mode-dependent, counter-based mask
//	Softmax(x)                     over the last axis
//	SoftmaxCrossEntropy(l, y)      fused, stable; a scalar mean loss
//
// A constructor's error names it, the input and the problem:
// "graph.Conv2D: input x must have rank 4 (N,C,H,W), got rank 2".
//
// Each op is written as a spec (ops.go): its parameters, its hm type, its
// shape rule and its lowering — nothing else. One adapter, gop, makes any
// spec a gorgonia op (gorgonia.Op and gorgonia.SDOp). An op's String prints
// its name and every parameter, and the adapter hashes that string:
// gorgonia merges nodes with equal op hashes and children, so two
// convolutions with different strides stay two nodes.
//
// # Gradients
//
// gorgonia.Grad calls the adapter's SymDiff, which looks the op up in the
// gradient rules (grad.go, one screen): each rule builds the gradient from
// ops of the same set, so the backward graph is made of lowerable ops too.
// Dense's gradient is two MatMuls with transpose flags and a bias gradient.
// The gradient-only ops are unexported: the bias gradient, the activation
// gradient written in terms of the activation's output (so a GEMM or
// convolution with a fused activation can drop the pre-activation), the
// filter gradient of a convolution, the average-pool gradient, dropout's,
// softmax's and the loss's. ConvTranspose2D doubles as Conv2D's data
// gradient and Unpool2D as MaxPool2D's gradient. gabor differentiates once:
// the gradient ops, and Unpool2D, have no rule and answer false to DiffWRT.
//
// # Lowering
//
// An op does not compute; it lowers. Its lower method receives the ids and
// shapes of its input buffers and of its output buffer and emits kernel
// instructions (kernels.OpGemm, kernels.OpConv2D, ...) with concrete
// arguments into an emitter, adding temporaries as it needs them. A lowering
// writes its output and its own temporaries, never an input. Flatten and
// Reshape emit nothing when their output is an ordinary intermediate: the
// output becomes a view of the input's storage.
//
// # Do runs the lowering
//
// Each op's Do — what gorgonia's TapeMachine calls — lowers the op over
// buffers holding the given values and runs that small program on the cpu
// backend (kernels/cpu). The TapeMachine and a compiled Program therefore
// share one implementation of every op, and the TapeMachine is a faithful
// oracle for the compiler. Do runs mode-dependent ops in training mode at
// step 0.
//
// # Sides
//
// Some kernels produce a by-product that the backward pass needs: max-pool
// switches, dropout masks, softmax probabilities. The forward lowering
// records it as a side, keyed by kind, by the forward op's input node and by
// the forward op's hash (its parameters). The backward lowering looks the
// side up with the same key and reuses the buffer; when there is none — in
// Do, which lowers one op at a time, or for an input that was never pooled —
// it recomputes the by-product into temporaries. Both paths compute the same
// values: switches are deterministic and the dropout mask is a hash of
// (seed, step, index).
//
// # Models
//
// A Model is a graph with a description of its roles: X (the data), Labels
// (the targets: class indices, one-hot rows or float targets, as Target
// says), Logits (the output), Loss (any scalar: cross-entropy, a mean
// squared error, a surface with no data at all), Params (trained, in
// canonical order) and Inputs (further leaves the host writes). Only the
// loss is needed to train; X, Labels and Inputs become Program.Inputs
// ("x", "labels", and the Inputs' names).
//
// # Models in plain gorgonia
//
// A Model may be written with gorgonia's own calls, as gorgonia's examples
// write one: G.Conv2d (im2col-based), G.Rectify, G.MaxPool2D, G.Reshape,
// G.Mul and G.BroadcastAdd for the layers, with gabor's SoftmaxCrossEntropy
// or a loss of gorgonia's elementwise ops, Sum and Mean. Compile lowers each
// node those calls build. Record (MarshalModel, read back by UnmarshalModel
// and RebuildModel) keeps each call as one node with its parameters —
// kernel, pad, stride, dilation; the broadcast axes — and rebuilds it by
// making the same call, at any batch size, so train.Fit accepts such a model
// and every CLI verb rebuilds it from the run directory. GorgoniaRoles
// names the node each call returns as a layer (conv, activation, pooling,
// flatten, dense), which is how introspection lists the layers; name those
// nodes (G.WithName("conv1")) and the parameters by layer ("conv1.weight")
// and the figures use the names. G.SoftMax, G.LogSoftMax and G.BatchNorm
// are recorded too. A runnable example: examples/gorgonia-convnet, whose
// loss is gorgonia's −Mean(Sum(Log(SoftMax(logits)) ⊙ y, 1)) on one-hot
// labels (Target OneHot; train.Fit's loop builds the rows).
//
// # Persistent state
//
// BatchNorm's running averages live from step to step but are no
// parameters: Program.State lists such buffers by name
// ("<node>.running_mean", "<node>.running_var1"), and train's checkpoints
// save and restore every entry, so a resumed run and an evaluation use them.
//
// # Compiling
//
// Compile, CompileGraph (a graph with named results and no loss: the
// projections) and Projection.Compile run one pipeline: the description
// becomes roots and declared leaves; the nodes the roots need are ordered
// from the nodes' own inputs (gorgonia's id lookup goes stale once it
// removes nodes), forward before backward; each node is lowered (gabor's
// ops through their lower method, the common gorgonia built-ins through the
// compiler's own table, scalar sizes and constants folded), GEMMs and
// convolutions take a following activation as their epilogue, constants
// are filled first, the optimizer update comes last, and memory is planned
// and verified.
//
// # Errors
//
// Compile never panics. Every failure is an error that says where
// ("graph.Compile: model "mlp"") and names the node with its op's type, the
// op as gorgonia prints it, and the node's id:
//
//	graph.Compile: model "m": node "MaxAlong[0](%4)" (op maxOp "MaxAlong[0]", id 5): cannot lower: no lowering for this op
//
// gabor computes in float32: a float64 node is refused by name. A leaf the
// roots need that is neither a parameter nor a declared input is folded
// when it holds one repeated number (ones, zeros, a scalar), is built on
// the device when it holds a few runs of values (lower_const.go), and is an
// error otherwise — never an input that nobody writes. docs/gorgonia.md
// lists every gorgonia op and how it lowers.
package graph
