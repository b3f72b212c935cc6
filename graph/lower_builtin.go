package graph

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Lowering of gorgonia's built-in ops, so that a model written with plain
// gorgonia (Mul, BroadcastAdd, Rectify, Conv2d, MaxPool2D, LogSoftMax, Sum,
// Mean, ...) compiles. gorgonia keeps its ops' parameters in unexported
// fields; they are read with reflect (read-only), and each op is matched by
// its type name. An op not listed here is an error naming it and its node.

func builtinName(op G.Op) string {
	s := fmt.Sprintf("%T", op)
	s = strings.TrimPrefix(s, "*")
	return strings.TrimPrefix(s, "gorgonia.")
}

// field reads an unexported field of a gorgonia op.
func field(op G.Op, name string) reflect.Value {
	v := reflect.ValueOf(op)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	return v.FieldByName(name)
}

func intField(op G.Op, name string) int { return int(field(op, name).Int()) }

func intsField(op G.Op, name string) []int {
	f := field(op, name)
	out := make([]int, f.Len())
	for i := range out {
		out[i] = int(f.Index(i).Int())
	}
	return out
}

// binSymbol is the operator of an elemBinOp ("+", "⊙", ">=", ...).
func binSymbol(op G.Op) string {
	return strings.Fields(op.String())[0]
}

// foldScalar evaluates scalar nodes known at compile time: constants,
// sizes, and arithmetic on those.
func (c *compiler) foldScalar(n *G.Node, kids []*G.Node) (float64, bool) {
	switch builtinName(n.Op()) {
	case "constantScalar":
		return scalarValue(n)
	case "sizeOp":
		v := intField(n.Op(), "val")
		if v == 0 && len(kids) == 1 {
			if ax := intField(n.Op(), "axis"); ax >= 0 && ax < len(kids[0].Shape()) {
				v = kids[0].Shape()[ax]
			}
		}
		if v > 0 {
			return float64(v), true
		}
	case "elemBinOp":
		if len(kids) != 2 {
			return 0, false
		}
		a, okA := c.consts[kids[0]]
		b, okB := c.consts[kids[1]]
		if !okA || !okB {
			return 0, false
		}
		switch binSymbol(n.Op()) {
		case "+":
			return a + b, true
		case "-":
			return a - b, true
		case "⊙":
			return a * b, true
		case "÷":
			return a / b, true
		case "^":
			return math.Pow(a, b), true
		}
	case "elemUnaryOp":
		if len(kids) != 1 {
			return 0, false
		}
		a, ok := c.consts[kids[0]]
		if !ok {
			return 0, false
		}
		switch n.Op().String() {
		case "neg":
			return -a, true
		case "exp":
			return math.Exp(a), true
		case "ln":
			return math.Log(a), true
		case "square":
			return a * a, true
		case "sqrt":
			return math.Sqrt(a), true
		}
	}
	return 0, false
}

var unaryFns = map[string]kernels.UnaryFn{
	"neg": kernels.UnaryNeg, "exp": kernels.UnaryExp, "ln": kernels.UnaryLog,
	"square": kernels.UnarySquare, "sqrt": kernels.UnarySqrt,
	"tanh": kernels.UnaryTanh, "sigmoid": kernels.UnarySigmoid,
}

var binaryFns = map[string]kernels.BinaryFn{
	"+": kernels.BinaryAdd, "-": kernels.BinarySub, "⊙": kernels.BinaryMul, "÷": kernels.BinaryDiv,
}

func (c *compiler) lowerBuiltin(n *G.Node, in []operand) error {
	op := n.Op()
	name := builtinName(op)
	fail := func(why string, args ...any) error {
		return c.fail(n, "cannot lower: %s", fmt.Sprintf(why, args...))
	}
	e := c.e
	switch name {
	case "reshapeOp":
		if a, b := numel(in[0].Shape), numel(shapeOf(n)); a != b {
			return fail("reshape of %d elements %v into %d %v", a, in[0].Shape, b, shapeOf(n))
		}
		c.view(n, in[0].ID)
		return nil

	case "elemUnaryOp":
		if op.String() == "softplus" {
			c.lowerSoftplus(in[0], c.outBuffer(n))
			return nil
		}
		fn, ok := unaryFns[op.String()]
		if !ok {
			if c.lowerUnaryMore(op.String(), in[0], c.outBuffer(n)) {
				return nil
			}
			return fail("unary function %q is not supported", op.String())
		}
		out := c.outBuffer(n)
		e.Emit(kernels.OpUnary, ids(in[0]), ids1(out), kernels.UnaryArgs{Fn: fn, N: numel(shapeOf(n))})
		return nil

	case "elemBinOp":
		return c.lowerElemBin(n, in, fail)

	case "linAlgBinOp":
		ta, tb := field(op, "transA").Bool(), field(op, "transB").Bool()
		a, b := in[0].Shape, in[1].Shape
		if len(a) != 2 || len(b) != 2 {
			if err := c.lowerLinAlgVec(n, in, ta); err != nil {
				return fail("%v", err)
			}
			return nil
		}
		m, k := a[0], a[1]
		if ta {
			m, k = k, m
		}
		nn := b[1]
		if tb {
			nn = b[0]
		}
		out := c.outBuffer(n)
		e.Emit(kernels.OpGemm, ids(in[0], in[1]), ids1(out), kernels.GemmArgs{
			M: m, N: nn, K: k, TransA: ta, TransB: tb, Alpha: 1})
		return nil

	case "transposeOp":
		pat := intsField(op, "pattern")
		s := in[0].Shape
		if len(s) > 4 || len(pat) != len(s) {
			return fail("transpose of rank %d with pattern %v", len(s), pat)
		}
		var a kernels.TransposeArgs
		a.Rank = len(s)
		copy(a.Shape[:], s)
		copy(a.Perm[:], pat)
		out := c.outBuffer(n)
		e.Emit(kernels.OpTranspose, ids(in[0]), ids1(out), a)
		return nil

	case "repeatOp":
		ax := intField(op, "along")
		s := in[0].Shape
		os := shapeOf(n)
		if len(s) != len(os) || ax >= len(s) || s[ax] != 1 {
			return fail("repeat along axis %d of %v into %v", ax, s, os)
		}
		out := c.outBuffer(n)
		e.Emit(kernels.OpBroadcast, ids(in[0]), ids1(out), kernels.BroadcastArgs{
			Outer: numel(s[:ax]), Mid: os[ax], Inner: numel(s[ax+1:]), Scale: 1})
		return nil

	case "sumOp":
		along := intsField(op, "along")
		for _, ax := range along {
			if ax < 0 || ax >= len(in[0].Shape) {
				return fail("sum along axis %d of a tensor of shape %v", ax, in[0].Shape)
			}
		}
		return c.lowerSum(n, in[0], along)

	case "dropoutOp", "dropoutDiffOp":
		if err := c.lowerGorgoniaDropout(n, in, name == "dropoutDiffOp"); err != nil {
			return fail("%v", err)
		}
		return nil

	case "avgPoolOp", "avgPoolDiffOp":
		if err := c.lowerGorgoniaAvgPool(n, in, name == "avgPoolDiffOp"); err != nil {
			return fail("%v", err)
		}
		return nil

	case "globalAveragePoolOp":
		if err := c.lowerGlobalAvgPool(n, in[0]); err != nil {
			return fail("%v", err)
		}
		return nil

	case "sliceOp", "sliceIncrOp":
		if err := c.lowerSlice(n, in, name == "sliceIncrOp"); err != nil {
			return fail("%v", err)
		}
		return nil

	case "concatOp":
		if err := c.lowerConcat(n, in); err != nil {
			return fail("%v", err)
		}
		return nil

	case "BatchNormOp", "batchnormDiffOp":
		if err := c.lowerBatchNorm(n, in, name == "batchnormDiffOp"); err != nil {
			return fail("%v", err)
		}
		return nil

	case "maxOp":
		if err := c.lowerMax(n, in[0], intsField(op, "along")); err != nil {
			return fail("%v", err)
		}
		return nil

	case "im2colOp", "col2imOp":
		ca := kernels.ConvArgs{
			R: intField(op, "h"), S: intField(op, "w"),
			PadH: intField(op, "padH"), PadW: intField(op, "padW"),
			StrideH: intField(op, "strideH"), StrideW: intField(op, "strideW"),
			DilH: intField(op, "dilationH"), DilW: intField(op, "dilationW"),
		}
		var img tensor.Shape
		if name == "im2colOp" {
			img = in[0].Shape
		} else {
			img = shapeOf(n)
		}
		if len(img) != 4 {
			return fail("image must be NCHW, got %v", img)
		}
		ca.N, ca.C, ca.H, ca.W = img[0], img[1], img[2], img[3]
		ca.OH, ca.OW = kernels.ConvOut(ca.H, ca.R, ca.StrideH, ca.PadH, ca.DilH), kernels.ConvOut(ca.W, ca.S, ca.StrideW, ca.PadW, ca.DilW)
		ca.K = 1
		out := c.outBuffer(n)
		kop := kernels.OpIm2Col
		if name == "col2imOp" {
			kop = kernels.OpCol2Im
		}
		e.Emit(kop, ids(in[0]), ids1(out), ca)
		return nil

	case "maxPoolOp", "maxPoolDiffOp":
		pa := kernels.PoolArgs{
			KH: intField(op, "h"), KW: intField(op, "w"),
			PadH: intField(op, "padNorth"), PadW: intField(op, "padWest"),
			StrideH: intField(op, "strideH"), StrideW: intField(op, "strideW"),
		}
		if intField(op, "padSouth") != pa.PadH || intField(op, "padEast") != pa.PadW {
			return fail("asymmetric padding is not supported")
		}
		x := in[0]
		if len(x.Shape) != 4 {
			return fail("input must be NCHW, got %v", x.Shape)
		}
		pa.N, pa.C, pa.H, pa.W = x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		pa.OH, pa.OW = kernels.ConvOut(pa.H, pa.KH, pa.StrideH, pa.PadH, 1), kernels.ConvOut(pa.W, pa.KW, pa.StrideW, pa.PadW, 1)
		// gorgonia's pool and its diff share parameters: key the switches by
		// the pool's input and the pool's own parameters.
		key := fmt.Sprintf("gorgonia-maxpool %+v", pa)
		sw, ok := c.sideBuf(key, x.Node)
		if !ok {
			sw = e.Temp("switches "+nodeLabel(n), []int{pa.N, pa.C, pa.OH, pa.OW})
			y := c.outBuffer(n)
			if name == "maxPoolDiffOp" {
				y = e.Temp("maxpool recomputed", []int{pa.N, pa.C, pa.OH, pa.OW})
			}
			e.Emit(kernels.OpMaxPool, ids(x), ids1(y, sw), pa)
			c.setSideBuf(key, x.Node, sw)
		}
		if name == "maxPoolOp" {
			if _, has := c.bufs[n]; !has {
				return fail("internal: max-pool output missing")
			}
			return nil
		}
		out := c.outBuffer(n)
		e.Emit(kernels.OpMaxPoolBwd, ids(in[2], operand{ID: sw}), ids1(out), pa)
		return nil

	case "softmaxOp", "softmaxDiffOp":
		ax := intField(op, "axis")
		isLog := field(op, "isLog").Bool()
		x := in[0]
		if len(x.Shape) == 0 {
			return fail("softmax of a scalar")
		}
		if ax != -1 && ax != len(x.Shape)-1 {
			return fail("softmax over axis %d: only the last axis is supported", ax)
		}
		d := x.Shape[len(x.Shape)-1]
		rows := numel(x.Shape) / d
		out := c.outBuffer(n)
		if name == "softmaxOp" {
			e.Emit(kernels.OpSoftmax, ids(x), ids1(out), kernels.SoftmaxArgs{Rows: rows, D: d, Log: isLog})
			return nil
		}
		return c.lowerSoftmaxDiff(in[1], in[2], out, rows, d, isLog)
	}
	return fail("no lowering for this op")
}

// lowerSoftplus emits softplus(x) = log(1 + eˣ) in the stable form
// relu(x) + log(1 + e^−|x|), with |x| = relu(x) + relu(−x), from the
// elementwise kernels. log(1 + e) loses e below float32's epsilon (about
// 6e−8 absolute, at x < −16), which is what float32 can hold beside 1.
// gorgonia writes it for the log of a sigmoid (BinaryXent) and its
// gradient is a sigmoid, which lowers directly.
func (c *compiler) lowerSoftplus(x operand, out kernels.BufID) {
	e, n, s := c.e, numel(x.Shape), x.Shape
	un := func(fn kernels.UnaryFn, src kernels.BufID, name string) kernels.BufID {
		dst := e.Temp("softplus."+name, s)
		e.Emit(kernels.OpUnary, ids1(src), ids1(dst), kernels.UnaryArgs{Fn: fn, N: n})
		return dst
	}
	bin := func(fn kernels.BinaryFn, a, b kernels.BufID, bc kernels.Bcast, dst kernels.BufID) kernels.BufID {
		e.Emit(kernels.OpBinary, ids1(a, b), ids1(dst), kernels.BinaryArgs{Fn: fn, N: n, Bcast: bc})
		return dst
	}
	pos := un(kernels.UnaryReLU, x.ID, "pos")
	negPart := un(kernels.UnaryReLU, un(kernels.UnaryNeg, x.ID, "negx"), "neg")
	abs := bin(kernels.BinaryAdd, pos, negPart, kernels.BcastNone, e.Temp("softplus.abs", s))
	ex := un(kernels.UnaryExp, un(kernels.UnaryNeg, abs, "negabs"), "exp")
	onePlus := bin(kernels.BinaryAdd, ex, c.constBuf(1), kernels.BcastScalar, e.Temp("softplus.1p", s))
	bin(kernels.BinaryAdd, pos, un(kernels.UnaryLog, onePlus, "log"), kernels.BcastNone, out)
}

// lowerSoftmaxDiff emits the backward of (log-)softmax from its output y
// and the incoming gradient dy, row by row over rows of length d:
//
//	log-softmax: dx = dy − exp(y)·Σdy
//	softmax:     dx = y⊙dy − y·Σ(y⊙dy)
func (c *compiler) lowerSoftmaxDiff(y, dy operand, out kernels.BufID, rows, d int, isLog bool) error {
	e := c.e
	n := rows * d
	t := e.Temp("softmax-diff t", []int{rows, d})
	r := e.Temp("softmax-diff rowsum", []int{rows})
	u := e.Temp("softmax-diff u", []int{rows, d})
	if isLog {
		e.Emit(kernels.OpUnary, ids(y), ids1(t), kernels.UnaryArgs{Fn: kernels.UnaryExp, N: n})
		e.Emit(kernels.OpReduce, ids(dy), ids1(r), kernels.ReduceArgs{Outer: rows, Mid: d, Inner: 1})
		e.Emit(kernels.OpBinary, []kernels.BufID{t, r}, ids1(u), kernels.BinaryArgs{Fn: kernels.BinaryMul, N: n, Bcast: kernels.BcastOuter, Inner: d})
		e.Emit(kernels.OpBinary, []kernels.BufID{dy.ID, u}, ids1(out), kernels.BinaryArgs{Fn: kernels.BinarySub, N: n})
		return nil
	}
	e.Emit(kernels.OpBinary, ids(y, dy), ids1(t), kernels.BinaryArgs{Fn: kernels.BinaryMul, N: n})
	e.Emit(kernels.OpReduce, ids1(t), ids1(r), kernels.ReduceArgs{Outer: rows, Mid: d, Inner: 1})
	e.Emit(kernels.OpBinary, []kernels.BufID{y.ID, r}, ids1(u), kernels.BinaryArgs{Fn: kernels.BinaryMul, N: n, Bcast: kernels.BcastOuter, Inner: d})
	e.Emit(kernels.OpBinary, []kernels.BufID{t, u}, ids1(out), kernels.BinaryArgs{Fn: kernels.BinarySub, N: n})
	return nil
}

// lowerElemBin lowers elementwise arithmetic, with scalars on either side.
// `x ⊙ (x >= 0)` — gorgonia's Rectify — and the mask `x >= 0` reused by its
// backward lower to a ReLU and a ReLU gradient.
func (c *compiler) lowerElemBin(n *G.Node, in []operand, fail func(string, ...any) error) error {
	e := c.e
	sym := binSymbol(n.Op())
	a, b := in[0], in[1]
	out := shapeOf(n)
	size := numel(out)
	if v, ok := c.consts[b.Node]; sym == ">=" && ok && v == 0 && numel(a.Shape) == size {
		// The mask 1[x ≥ 0] as relu'(x)·1; x = 0 gets 0 (PyTorch's
		// convention), which changes only the gradient of Rectify (and of
		// LeakyRelu) at exactly 0.
		ones := e.Temp("ones", out)
		e.Emit(kernels.OpFill, nil, ids1(ones), kernels.FillArgs{N: size, Value: 1})
		o := c.outBuffer(n)
		e.Emit(kernels.OpActGrad, []kernels.BufID{a.ID, ones}, ids1(o), kernels.ActGradArgs{Act: kernels.ActReLU, N: size})
		return nil
	}
	var err error
	switch sym {
	case "<", ">", "<=", ">=", "==", "!=":
		err = c.lowerCompare(sym, a, b, out, c.outBuffer(n))
	case "^":
		err = c.lowerPow(a, b, out, c.outBuffer(n))
	default:
		fn, ok := binaryFns[sym]
		if !ok {
			return fail("operator %q is not supported", sym)
		}
		err = c.binaryInto(fn, a, b, out, c.outBuffer(n))
	}
	if err != nil {
		return fail("%v", err)
	}
	return nil
}

// lowerSum reduces over the listed axes, one axis at a time from the last.
func (c *compiler) lowerSum(n *G.Node, x operand, along []int) error {
	shape := append([]int(nil), x.Shape...)
	if len(along) == 0 {
		for i := range shape {
			along = append(along, i)
		}
	}
	cur := x.ID
	axes := append([]int(nil), along...)
	for i := 0; i < len(axes); i++ { // descending, so earlier axes keep their index
		for j := i + 1; j < len(axes); j++ {
			if axes[j] > axes[i] {
				axes[i], axes[j] = axes[j], axes[i]
			}
		}
	}
	for i, ax := range axes {
		next := append(append([]int(nil), shape[:ax]...), shape[ax+1:]...)
		var dst kernels.BufID
		if i == len(axes)-1 {
			dst = c.outBuffer(n)
		} else {
			dst = c.e.Temp("partial sum", next)
		}
		c.e.Emit(kernels.OpReduce, []kernels.BufID{cur}, ids1(dst), kernels.ReduceArgs{
			Outer: numel(shape[:ax]), Mid: shape[ax], Inner: numel(shape[ax+1:])})
		cur, shape = dst, next
	}
	if len(axes) == 0 {
		o := c.outBuffer(n)
		c.e.Emit(kernels.OpCopy, []kernels.BufID{cur}, ids1(o), kernels.CopyArgs{N: numel(shape)})
	}
	return nil
}

// sideBuf and setSideBuf record by-products keyed by a string and a node.
func (c *compiler) sideBuf(key string, n *G.Node) (kernels.BufID, bool) {
	id, ok := c.e.sides[sideKey{kind: key, node: n}]
	return id, ok
}

func (c *compiler) setSideBuf(key string, n *G.Node, id kernels.BufID) {
	c.e.sides[sideKey{kind: key, node: n}] = id
}

func ids(ops ...operand) []kernels.BufID {
	out := make([]kernels.BufID, len(ops))
	for i, o := range ops {
		out[i] = o.ID
	}
	return out
}

func ids1(bufs ...kernels.BufID) []kernels.BufID { return bufs }
