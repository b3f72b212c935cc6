// Package kernels is gabor's kernel vocabulary and the contract between the
// compiler (package graph), which writes Programs, and the backends, which
// run them. It imports nothing of gabor's.
//
// # Ops and Args
//
// Op (ops.go) is the whole vocabulary, one enum grouped by kernel family:
// dense linear algebra, elementwise, reductions, layout, convolution,
// pooling, softmax and the fused loss, regularization, optimizer updates.
// An instruction (Instr) is one Op over input and output buffers with typed
// arguments: GemmArgs for OpGemm, ConvArgs for the five convolution ops, and
// so on; the table on Op lists every op's operands, and each Args type's
// doc comment states its math.
//
// Every Args type implements Args: Check rejects arguments that describe no
// valid call (a negative size, an unknown function, an output extent that
// disagrees with the geometry), and Operands lists the buffers the
// instruction reads and writes with the floats each must hold. Optional
// operands are chosen by the Args (GemmArgs.Bias) or by the instruction's
// own counts (OpSoftmaxXent's probs). Operands and CheckOperands apply that
// contract to an instruction: the Args type must be the op's, then Check,
// then the counts and lengths of the buffers. The shape arithmetic that
// every backend needs in the same form lives here too: ConvOut (the output
// extent of a convolution or pooling window, the one place its formula is
// written), BinaryArgs.Normalized, TransposeArgs.Padded and Walk.
//
// Adding an op takes: its constant and name in ops.go, its Args type with
// the math, Check and Operands (args.go; an operand that is not float32
// says its Type), its entry in opArgs (check.go), a binder in each
// backend's op table, a float64 reference (kernels/cpu) and a conformance
// family (kernels/kerneltest). A test of each table fails until the op is
// in it.
//
// # Programs and buffers
//
// A Program is a flat list of instructions over buffers that live in one
// arena of ArenaLen floats. A Buffer has a name, a shape and Len elements at
// Offset; the memory planner gives Temp buffers with disjoint lifetimes the
// same storage and pins every other class (Input, Param, Grad when tapped,
// OptState, Control, Output). A view (a reshape) shares its owner's storage
// and names it in View.
//
// A buffer has a dtype (DType). Every buffer the compiler makes is float32:
// integer data of the model (labels, max-pool switches) is stored as exact
// float32 integers, exact below 2²⁴. Program.Hyper holds [lr, step] for the
// optimizer, Program.Ctl [training (0|1), step] for dropout. The input
// pipeline (pipeline.go) adds buffers of other types in the same arena
// (Floats() slots each, f64 ones 8-byte aligned): a data set's uint8
// images and labels or float rows, its epoch permutation (int32) and a
// state of float64 counters and loss sums; Executable.WriteBytes and
// ReadBytes copy them (AsBytes views a typed slice as bytes).
//
// # Segments
//
// A Segment is a half-open range of instruction indices, and
// Executable.Run runs one. A training Program is three contiguous
// segments, in order: Forward (inputs to loss and logits), Backward (the
// gradients) and Update (the optimizer); Params ties each parameter to its
// gradient and optimizer state; Inputs, Loss, Logits and Taps name the
// buffers the host writes and reads.
//
// AddPipeline (pipeline.go) appends the input pipeline's instructions after
// Update and makes two Steps, each a list of segments run in order:
// TrainStep (gather the batch by the epoch's permutation, step_begin,
// Forward·Backward·Update, step_end: one whole training step with no host
// write) and EvalStep (gather, Forward, eval_score). One training loop
// (package train) runs them on every backend; an Executable that is a
// Capturer records a Step once and replays it (a CUDA graph).
//
// # Backends
//
// A Backend loads a Program into an Executable, which owns the device
// memory: Write and Read copy whole buffers between the host and the arena,
// Run issues a segment (it may return before the device is done), Sync
// waits, Close frees. Backends register by name from init (Register) and
// are opened by name (Open: "cpu", "cuda", or "auto" for cuda when it is
// built in and a device opens, else cpu). kernels/cpu is always built;
// kernels/cuda needs the gpu build tag.
//
// Load does all the checking and preparing, once: each backend has one op
// table, [NumOps] binders indexed by Op, and binds every instruction through
// it after CheckOperands, adding only its own rules (which operands may
// overlap, its index range). Run then only calls kernels. The parity of
// backends is the conformance suite's, the input pipeline's ops included:
// the same Program computes the same numbers everywhere.
//
// # Capabilities
//
// Caps describe a backend's device for `gabor devices` and --device auto:
// its name, memory, worker threads or SMs, driver version, and Graphs,
// whether it can capture a segment once and replay it (CUDA graphs).
//
// # Errors
//
// Nothing a Program holds makes a backend panic: a malformed instruction
// fails at Load, with the instruction's index, op and node, and the operand
// at fault with its buffer, shape and the length the Args want:
//
//	cpu: instr 0 gemm (node "fc", in [b0[1 3] b1[2 3] b2[2]], out [b3[1 2]]): In[1] (B) b1 "w" [2 3] holds 5 floats, want 6
//
// (the Example builds that Program by hand, runs it, and gets that error).
//
// An op outside the vocabulary, or one a backend has no kernel for, is an
// error wrapping ErrNotImplemented (test with errors.Is); Args of the wrong
// type name both types. Run fails only on data that no Load can see: the
// cpu backend refuses a label that is not a class index, Adam a step count
// below 1, and the pipeline's ops a state whose counter is out of range or a
// permutation entry outside the set (a GPU kernel cannot report; see
// kernels/cuda). Write and Read refuse a host slice whose length is not the
// buffer's or a buffer that is not float32 (CheckLen); WriteBytes and
// ReadBytes one whose byte count is not the buffer's (CheckBytes).
package kernels
