package kernels

import "fmt"

// Op is the whole kernel vocabulary of gabor. Every instruction of a Program
// carries one Op and the matching typed arguments (Instr.Args). The groups
// below are the kernel families: a backend implements every family, and the
// conformance suite (kernels/kerneltest) checks each against the float64
// reference of kernels/cpu.
//
// Operand conventions (In and Out are buffer ids, in this order):
//
//	OpGemm          In: A, B [, bias]          Out: C        Args: GemmArgs
//	OpUnary         In: x                      Out: y        Args: UnaryArgs
//	OpActGrad       In: y (activation output), dy   Out: dx  Args: ActGradArgs
//	OpBinary        In: a, b                   Out: c        Args: BinaryArgs
//	OpReduce        In: x                      Out: y        Args: ReduceArgs
//	OpBroadcast     In: x                      Out: y        Args: BroadcastArgs
//	OpBiasGrad      In: dy                     Out: db       Args: BiasGradArgs
//	OpTranspose     In: x                      Out: y        Args: TransposeArgs
//	OpConv2D        In: x, w [, bias]          Out: y        Args: ConvArgs
//	OpConv2DBwdData In: dy, w                  Out: dx       Args: ConvArgs (shapes of the forward conv)
//	OpConv2DBwdFilter In: x, dy                Out: dw       Args: ConvArgs (shapes of the forward conv)
//	OpIm2Col        In: x                      Out: cols     Args: ConvArgs
//	OpCol2Im        In: cols                   Out: dx       Args: ConvArgs
//	OpMaxPool       In: x                      Out: y, switches  Args: PoolArgs
//	OpMaxPoolBwd    In: dy, switches           Out: dx       Args: PoolArgs (also Unpool2D)
//	OpAvgPool       In: x                      Out: y        Args: PoolArgs
//	OpAvgPoolBwd    In: dy                     Out: dx       Args: PoolArgs
//	OpSoftmax       In: x                      Out: y        Args: SoftmaxArgs
//	OpSoftmaxXent   In: logits, labels         Out: loss (1), probs  Args: XentArgs
//	OpSoftmaxXentBwd In: probs, labels [, dloss (1)]  Out: dlogits  Args: XentArgs
//	OpDropout       In: x, ctl                 Out: y, mask  Args: DropoutArgs
//	OpSGD           In: p0..pk-1, g0..gk-1, v0..vk-1, hyper  Out: (none; updates p and v in place)  Args: SGDArgs
//	OpAdam          In: p.., g.., m.., v.., hyper            Out: (none; updates p, m, v in place)  Args: AdamArgs
//	OpCopy          In: x                      Out: y        Args: CopyArgs
//	OpFill          In: -                      Out: y        Args: FillArgs
//	OpAdagrad       In: p.., g.., sum.., hyper               Out: (none; updates p, sum in place)  Args: AdagradArgs
//	OpRMSprop       In: p.., g.., sq.., hyper                Out: (none; updates p, sq in place)  Args: RMSpropArgs
//	OpGather        In: xs, ys, perm (i32), state (f64)   Out: x, y   Args: GatherArgs
//	OpStepBegin     In: lr, state (f64)        Out: [hyper] [ctl]   Args: StepBeginArgs
//	OpStepEnd       In: loss (1)               Out: state (f64, updated)   Args: StepEndArgs
//	OpEvalScore     In: logits, ys             Out: state (f64, updated)   Args: EvalScoreArgs
//
// Buffers hold float32 unless marked (Buffer.DType): integer data of the
// model (labels, max-pool switches) is stored as exact float32 integers,
// exact below 2^24; the input pipeline's data sets, permutation and state
// keep their own types (u8, i32, f64).
type Op uint8

const (
	OpInvalid Op = iota

	// Dense linear algebra.
	OpGemm // C = act(alpha·op(A)·op(B) + beta·C + bias)

	// Elementwise.
	OpUnary   // y = f(x)
	OpActGrad // dx = dy · f'(x), written in terms of y = f(x)
	OpBinary  // c = a ∘ b, b possibly broadcast

	// Reductions and their adjoints.
	OpReduce    // sum or mean over the middle axis of [outer, mid, inner]
	OpBroadcast // repeat over the middle axis: the adjoint of OpReduce
	OpBiasGrad  // db[c] = Σ_n Σ_hw dy[n, c, hw]

	// Layout.
	OpTranspose // permute the axes of a tensor of rank ≤ 4
	OpCopy      // y = x
	OpFill      // y = value

	// Convolution (NCHW, filters KCRS).
	OpConv2D
	OpConv2DBwdData // also ConvTranspose2D's forward
	OpConv2DBwdFilter
	OpIm2Col // gorgonia's layout: [N, OH, OW, C·R·S]
	OpCol2Im

	// Pooling (NCHW).
	OpMaxPool
	OpMaxPoolBwd // also Unpool2D: scatter by switches
	OpAvgPool
	OpAvgPoolBwd

	// Softmax and the fused loss.
	OpSoftmax // softmax or log-softmax over the last axis
	OpSoftmaxXent
	OpSoftmaxXentBwd

	// Regularization.
	OpDropout

	// Multi-tensor optimizer updates.
	OpSGD
	OpAdam

	// Adaptive optimizer updates (multi-tensor, like OpSGD and OpAdam).
	OpAdagrad
	OpRMSprop

	// The input pipeline (pipeline.go): what makes one step one Program.
	OpGather    // a batch of a data set by the epoch permutation
	OpStepBegin // the step's [lr, t] and mode from the state and the rate table
	OpStepEnd   // sample the loss, advance the state
	OpEvalScore // score an evaluation batch into the state

	numOps
)

var opNames = [...]string{
	OpInvalid:         "invalid",
	OpGemm:            "gemm",
	OpUnary:           "unary",
	OpActGrad:         "act_grad",
	OpBinary:          "binary",
	OpReduce:          "reduce",
	OpBroadcast:       "broadcast",
	OpBiasGrad:        "bias_grad",
	OpTranspose:       "transpose",
	OpCopy:            "copy",
	OpFill:            "fill",
	OpConv2D:          "conv2d",
	OpConv2DBwdData:   "conv2d_bwd_data",
	OpConv2DBwdFilter: "conv2d_bwd_filter",
	OpIm2Col:          "im2col",
	OpCol2Im:          "col2im",
	OpMaxPool:         "maxpool2d",
	OpMaxPoolBwd:      "maxpool2d_bwd",
	OpAvgPool:         "avgpool2d",
	OpAvgPoolBwd:      "avgpool2d_bwd",
	OpSoftmax:         "softmax",
	OpSoftmaxXent:     "softmax_xent",
	OpSoftmaxXentBwd:  "softmax_xent_bwd",
	OpDropout:         "dropout",
	OpSGD:             "sgd",
	OpAdam:            "adam",
	OpAdagrad:         "adagrad",
	OpRMSprop:         "rmsprop",
	OpGather:          "gather",
	OpStepBegin:       "step_begin",
	OpStepEnd:         "step_end",
	OpEvalScore:       "eval_score",
}

func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// NumOps is the number of ops in the vocabulary (for tables indexed by Op).
const NumOps = int(numOps)

// Act is an activation function, used by OpUnary, OpActGrad and as the fused
// epilogue of OpGemm and OpConv2D.
type Act uint8

const (
	ActNone Act = iota
	ActReLU
	ActSigmoid
	ActTanh
)

func (a Act) String() string {
	switch a {
	case ActNone:
		return "none"
	case ActReLU:
		return "relu"
	case ActSigmoid:
		return "sigmoid"
	case ActTanh:
		return "tanh"
	}
	return fmt.Sprintf("act(%d)", int(a))
}

// Unary is the elementwise function that applies the activation; ok is
// false for ActNone.
func (a Act) Unary() (fn UnaryFn, ok bool) {
	switch a {
	case ActReLU:
		return UnaryReLU, true
	case ActSigmoid:
		return UnarySigmoid, true
	case ActTanh:
		return UnaryTanh, true
	}
	return 0, false
}

// UnaryFn is an elementwise function of one operand.
type UnaryFn uint8

const (
	UnaryReLU UnaryFn = iota
	UnarySigmoid
	UnaryTanh
	UnaryNeg
	UnaryExp
	UnaryLog
	UnarySquare
	UnarySqrt
	UnaryScale // y = Alpha·x
)

func (f UnaryFn) String() string {
	return [...]string{"relu", "sigmoid", "tanh", "neg", "exp", "log", "square", "sqrt", "scale"}[f]
}

// BinaryFn is an elementwise function of two operands.
type BinaryFn uint8

const (
	BinaryAdd BinaryFn = iota
	BinarySub
	BinaryMul
	BinaryDiv
)

func (f BinaryFn) String() string { return [...]string{"add", "sub", "mul", "div"}[f] }

// Bcast says how the second operand of OpBinary is indexed.
type Bcast uint8

const (
	BcastNone    Bcast = iota // b has N elements: b[i]
	BcastScalar               // b has 1 element: b[0]
	BcastInner                // b has Inner elements: b[i % Inner] (a row vector over [.., Inner])
	BcastChannel              // b has C elements: b[(i / Inner) % C] (a per-channel vector over [N, C, Inner])
	BcastOuter                // b has N/Inner elements: b[i / Inner] (a column vector)
)

// GemmArgs: C[M×N] = act(Alpha·op(A)·op(B) + Beta·C + bias[N]).
// op(A) is M×K (A stored K×M row-major when TransA), op(B) is K×N (B stored N×K when TransB).
// All matrices are dense row-major; leading dimensions are implied by the shapes.
type GemmArgs struct {
	M, N, K        int
	TransA, TransB bool
	Alpha, Beta    float32
	Bias           bool // In[2] is a bias of length N, added before the activation
	Act            Act
}

// UnaryArgs: y[i] = Fn(x[i]) for i < N.
type UnaryArgs struct {
	Fn    UnaryFn
	N     int
	Alpha float32 // for UnaryScale
}

// ActGradArgs: dx[i] = dy[i]·f'(·) where f' is written in terms of y = f(x):
// relu: y > 0; sigmoid: y(1−y); tanh: 1−y².
type ActGradArgs struct {
	Act Act
	N   int
}

// BinaryArgs: c[i] = a[i] Fn b[idx(i)] for i < N, with idx given by Bcast.
// For BcastChannel the layout is [N/(C·Inner), C, Inner]. c may be a itself
// (in place), and b itself when BcastNone.
type BinaryArgs struct {
	Fn    BinaryFn
	N     int
	Bcast Bcast
	Inner int
	C     int
}

// ReduceArgs: y[o, i] = Σ_m x[o, m, i] (times 1/Mid when Mean) over x of shape [Outer, Mid, Inner].
type ReduceArgs struct {
	Outer, Mid, Inner int
	Mean              bool
}

// BroadcastArgs: y[o, m, i] = Scale·x[o, i] over y of shape [Outer, Mid, Inner].
type BroadcastArgs struct {
	Outer, Mid, Inner int
	Scale             float32
}

// BiasGradArgs: db[c] = Σ_n Σ_hw dy[n, c, hw] over dy of shape [N, C, HW]
// (HW = 1 for a dense layer). Beta: db = Beta·db + Σ (0 overwrites).
type BiasGradArgs struct {
	N, C, HW int
	Beta     float32
}

// TransposeArgs: y = x with its axes permuted: y's axis i is x's axis Perm[i].
// Shape is x's shape; both have Rank ≤ 4 (unused trailing entries are ignored).
type TransposeArgs struct {
	Rank  int
	Shape [4]int
	Perm  [4]int
}

// CopyArgs: y[i] = x[i] for i < N.
type CopyArgs struct{ N int }

// FillArgs: y[i] = Value for i < N.
type FillArgs struct {
	N     int
	Value float32
}

// ConvArgs describe a 2-D convolution (cross-correlation, as in every DL framework):
// x [N, C, H, W], w [K, C, R, S], y [N, K, OH, OW],
// y[n,k,oh,ow] = Σ_{c,r,s} w[k,c,r,s]·x[n, c, oh·StrideH−PadH+r·DilH, ow·StrideW−PadW+s·DilW]
// (taps in the zero padding contribute nothing),
// OH = ⌊(H + 2·PadH − DilH·(R−1) − 1)/StrideH⌋ + 1 (likewise OW); the dilated
// filter must fit the padded input (OH, OW ≥ 1), and OH, OW must match.
// OpConv2DBwdData overwrites dx with the full correlation of dy with w
// (input positions no output reads get 0). For OpConv2DBwdFilter, Beta
// accumulates into dw (0 overwrites, ignoring NaNs in dw).
// For OpIm2Col/OpCol2Im the column layout is [N, OH, OW, C·R·S] (c slowest, then r, s),
// 0 for taps in the padding; col2im overwrites dx with the sum of every column
// entry read from each pixel.
type ConvArgs struct {
	N, C, H, W       int
	K, R, S          int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	OH, OW           int
	Bias             bool // OpConv2D: In[2] is a bias of length K
	Act              Act  // OpConv2D: fused epilogue
	Beta             float32
}

// PoolArgs describe 2-D pooling: x [N, C, H, W] → y [N, C, OH, OW],
// window (oh, ow) covering rows oh·StrideH − PadH .. +KH−1 (likewise columns),
// OH = ⌊(H + 2·PadH − KH)/StrideH⌋ + 1 (likewise OW), PadH < KH and PadW < KW
// so every window holds an input position.
// Switches hold, for each output, the flat index (h·W + w) within its input plane
// of the maximum (first maximum in row-major order on ties; a NaN wins its
// window, the first NaN's index is kept). Padding positions never win a max;
// average pooling divides by KH·KW (padding counted, as PyTorch's default).
// The backward ops overwrite dx: OpMaxPoolBwd zeroes it, then adds each dy
// at its switch (so it is Unpool2D too); OpAvgPoolBwd spreads dy/(KH·KW)
// over each window's in-bounds positions.
type PoolArgs struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	OH, OW           int
}

// SoftmaxArgs: y = softmax(x) (or log-softmax) over rows of length D; Rows rows.
type SoftmaxArgs struct {
	Rows, D int
	Log     bool
}

// XentArgs: the fused softmax cross-entropy over logits [N, D] and integer labels [N]:
// loss = −(1/N) Σ_n log softmax(logits_n)[label_n]; probs = softmax(logits).
// OpSoftmaxXent may have loss as its only output (no probs written).
// Backward: dlogits = (probs − onehot(labels))·dloss/N, dloss = 1 when absent;
// dlogits may be the probs buffer itself. A label that is not an integer in
// [0, D) makes Run fail.
type XentArgs struct {
	N, D int
}

// DropoutArgs: in training (ctl[0] ≠ 0), mask[i] = 1/(1−P) with probability 1−P
// else 0, y = x·mask; in evaluation y = x, mask = 1. The random stream is
// counter-based, so every backend draws the same mask:
// u_i = float32(mix((Seed ⊕ mix(step)) + i) >> 40)·2⁻²⁴, step = uint64(int64(ctl[1])),
// mix = splitmix64's finalizer, and element i is kept when u_i ≥ P (float32
// compare), with 1/(1−P) computed in float32. kernels/cpu/dropout.go spells
// out the bits.
type DropoutArgs struct {
	N    int
	P    float32
	Seed uint64
}

// SGDArgs: for each parameter tensor k of Sizes[k] elements, with lr = hyper[0]:
//
//	g' = g + WeightDecay·p
//	v  = Momentum·v + g'
//	p -= lr·(g' + Momentum·v)   (Nesterov)   or   p -= lr·v   (classic, as PyTorch)
//
// With Momentum = 0 the v buffers are still present and hold g' (v = g', not 0·v + g').
// v starts at 0, which makes the first step equal PyTorch's (which starts v at g').
// Arithmetic is float32, in the order written.
type SGDArgs struct {
	Sizes       []int
	Momentum    float32
	WeightDecay float32
	Nesterov    bool
}

// AdamArgs: lr = hyper[0], t = hyper[1] (the 1-based step count, an error if < 1):
//
//	g = g + WeightDecay·p   (L2 into the gradient, as PyTorch's Adam, not AdamW)
//	m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//	p -= lr·(m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + Eps)
type AdamArgs struct {
	Sizes        []int
	Beta1, Beta2 float32
	Eps          float32
	WeightDecay  float32
}

// AdagradArgs: lr = hyper[0]; per element, in float32 in this order (as
// PyTorch's Adagrad with lr_decay 0 and initial_accumulator_value 0):
//
//	g = g + WeightDecay·p
//	sum = sum + g²
//	p -= lr·g / (sqrt(sum) + Eps)
type AdagradArgs struct {
	Sizes       []int
	Eps         float32
	WeightDecay float32
}

// RMSpropArgs: lr = hyper[0]; per element, in float32 in this order (as
// PyTorch's RMSprop without momentum, not centred):
//
//	g = g + WeightDecay·p
//	sq = Alpha·sq + (1−Alpha)·g²
//	p -= lr·g / (sqrt(sq) + Eps)
type RMSpropArgs struct {
	Sizes       []int
	Alpha       float32
	Eps         float32
	WeightDecay float32
}

// The input pipeline's ops read and write a state buffer of StateLen
// float64 slots (StK, StStep, …; pipeline.go): k, the step of the epoch (or
// batch of an evaluation pass) from 0, and the run's step count among them.

// GatherArgs: batch row b < B of the step at k = state[StK] is data row
// r = perm[(k·B + b) mod N]:
//
//	x[b, j] = (xs[r, j]/255 − Mean)/Std   in float32, for uint8 images (X = U8), j < D
//	x[b, j] = xs[r, j]                    for float inputs (X = F32)
//	y[b, t] = ys[r, t], t < T             (T = 1 for class labels, Y = U8)
//	y[b, :] = onehot(ys[r], OneHot)       when OneHot > 0 (rows of OneHot floats)
//
// xs holds N·D elements of X, ys N·T of Y, perm N int32 in [0, N).
type GatherArgs struct {
	B, D, N, T int
	OneHot     int
	Mean, Std  float32
	X, Y       DType
}

// StepBeginArgs: with k = state[StK] < Steps and step = state[StStep]:
// hyper = [lr[k], step+1] (when Hyper) and ctl = [1, step] (when Ctl), as
// the optimizer's [lr, t] and dropout's [training, step] want them.
type StepBeginArgs struct {
	Steps      int
	Hyper, Ctl bool
}

// StepEndArgs: with k = state[StK]: when (k+1) mod Every = 0 or k = Steps−1
// the loss is sampled — Sum += float64(loss), N++, Last = loss, and the
// first sample that is NaN or ±Inf is kept as Bad = step, BadLoss = loss;
// then k++ and step++. Sum is the float64 sum of the samples in step order.
type StepEndArgs struct {
	Steps, Every int
}

// EvalScoreArgs: with k = state[StK] and valid = min(B, N − k·B) rows
// r < valid of data row k·B + r (the evaluation set in order): classes
// (MSE false): Correct += #{r : first argmax of logits[r, :C] = ys[k·B+r]},
// Sum += −log softmax(logits[r])[label] in float64; float targets (MSE):
// Sum += Σ_c (logits[r, c] − ys[k·B+r, c])² in float64. Then k++.
type EvalScoreArgs struct {
	B, C, N int
	MSE     bool
	Y       DType
}
