package graph

import (
	"fmt"
	"reflect"

	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
)

// gorgonia's BatchNormOp over x [N, C, ...] (the scale and bias are
// separate broadcast nodes), from reductions and channel-broadcast
// arithmetic. With S the spatial size, n = N·S, and t = ctl[0] (1 in
// training, 0 in evaluation):
//
//	mean, var   = the batch's per-channel mean and biased variance
//	μ, σ²       = mean + (1−t)·(rm − mean),  var + (1−t)·(rv − var)
//	y           = (x − μ)/√(σ² + ε)
//	rm, rv     += t·m·(mean − rm),  t·m·(var·n/(n−1) − rv)
//
// rm and rv, the running averages (gorgonia's convention: m weighs the new
// batch; they start at 0 and 1), are optimizer-like state: pinned buffers
// the forward pass updates in training, tapped as "<node>.running_mean" and
// "<node>.running_var1" (the running variance minus 1: a pinned buffer
// starts at zero) and listed under the same names in Program.State, which
// checkpoints save. They persist from step to step; gorgonia v0.9.18's
// TapeMachine instead restarts them from (0, 1) on every run. The gradient is gorgonia's batchnormDiffOp,
//
//	dx = (dy − t·(mean(dy) + ŷ·mean(dy·ŷ)))/√(σ² + ε),  ŷ = (x − μ)/√(σ² + ε),
//
// reading the forward's ŷ and 1/√(σ² + ε).

type bnStats struct {
	xhat, invStd kernels.BufID
}

func bnKey(op G.Op) string {
	v := reflect.ValueOf(op)
	if f := field(op, "BatchNormOp"); f.IsValid() {
		v = f
	}
	return fmt.Sprintf("gorgonia-batchnorm %#x", v.Pointer())
}

// trainingFlag copies ctl[0] into a one-element buffer: a 1×2 selection row
// (1, 0) times ctl.
func (c *compiler) trainingFlag() kernels.BufID {
	t := c.e.Temp("training", []int{1})
	c.e.Emit(kernels.OpGemm, ids1(c.selection(1, 2, 0, 1), c.e.Control()), ids1(t), kernels.GemmArgs{M: 1, N: 1, K: 2, Alpha: 1})
	return t
}

// channelMean reduces v [N, C, S] to [C].
func (c *compiler) channelMean(v kernels.BufID, nb, ch, s int, name string) kernels.BufID {
	part := c.e.Temp(name+" per sample", []int{nb, ch})
	c.e.Emit(kernels.OpReduce, ids1(v), ids1(part), kernels.ReduceArgs{Outer: nb * ch, Mid: s, Inner: 1, Mean: true})
	out := c.e.Temp(name, []int{ch})
	c.e.Emit(kernels.OpReduce, ids1(part), ids1(out), kernels.ReduceArgs{Outer: 1, Mid: nb, Inner: ch, Mean: true})
	return out
}

func (c *compiler) lowerBatchNorm(n *G.Node, in []operand, diff bool) error {
	op := n.Op()
	x := in[0]
	if len(x.Shape) < 2 {
		return fmt.Errorf("input must be [N, C, ...], got %v", x.Shape)
	}
	nb, ch := x.Shape[0], x.Shape[1]
	s := numel(x.Shape) / (nb * ch)
	size := numel(x.Shape)
	key := bnKey(op)
	chArgs := func(fn kernels.BinaryFn) kernels.BinaryArgs {
		return kernels.BinaryArgs{Fn: fn, N: size, Bcast: kernels.BcastChannel, C: ch, Inner: s}
	}
	out := c.outBuffer(n)
	if !diff { // ŷ is a temporary recorded for the gradient (which reads no other node's buffer), copied out
		st := c.batchNormForward(n, x, nb, ch, s, c.e.Temp("bn.xhat", x.Shape), true)
		c.e.Emit(kernels.OpCopy, ids1(st.xhat), ids1(out), kernels.CopyArgs{N: size})
		c.setSideBuf(key+" xhat", x.Node, st.xhat)
		c.setSideBuf(key+" invstd", x.Node, st.invStd)
		return nil
	}
	var st bnStats
	var ok bool
	if st.xhat, ok = c.sideBuf(key+" xhat", x.Node); ok {
		st.invStd, _ = c.sideBuf(key+" invstd", x.Node)
	} else {
		st = c.batchNormForward(n, x, nb, ch, s, c.e.Temp("bn.xhat", x.Shape), false)
	}
	dy := in[1]
	if numel(dy.Shape) != size {
		return fmt.Errorf("gradient %v for an input %v", dy.Shape, x.Shape)
	}
	w := c.ew(x.Shape)
	gm := c.channelMean(dy.ID, nb, ch, s, "bn.dy mean")
	dot := c.channelMean(w.bin(kernels.BinaryMul, dy.ID, st.xhat, kernels.BcastNone, "bn.dy xhat"), nb, ch, s, "bn.dot")
	corr := w.temp("bn.correction")
	c.e.Emit(kernels.OpBinary, ids1(st.xhat, dot), ids1(corr), chArgs(kernels.BinaryMul))
	c.e.Emit(kernels.OpBinary, ids1(corr, gm), ids1(corr), chArgs(kernels.BinaryAdd))
	w.binTo(kernels.BinaryMul, corr, c.trainingFlag(), kernels.BcastScalar, corr)
	d := w.bin(kernels.BinarySub, dy.ID, corr, kernels.BcastNone, "bn.centered dy")
	c.e.Emit(kernels.OpBinary, ids1(d, st.invStd), ids1(out), chArgs(kernels.BinaryMul))
	return nil
}

// batchNormForward emits ŷ into xhat and 1/√(σ² + ε), and, when update is
// set, the running averages' update.
func (c *compiler) batchNormForward(n *G.Node, x operand, nb, ch, s int, xhat kernels.BufID, update bool) bnStats {
	op := n.Op()
	m, eps := float32(field(op, "momentum").Float()), field(op, "epsilon").Float()
	size := numel(x.Shape)
	e := c.e
	chArgs := func(fn kernels.BinaryFn) kernels.BinaryArgs {
		return kernels.BinaryArgs{Fn: fn, N: size, Bcast: kernels.BcastChannel, C: ch, Inner: s}
	}
	cw := c.ew([]int{ch})
	w := c.ew(x.Shape)
	mean := c.channelMean(x.ID, nb, ch, s, "bn.mean")
	xc := w.temp("bn.centered")
	e.Emit(kernels.OpBinary, ids1(x.ID, mean), ids1(xc), chArgs(kernels.BinarySub))
	variance := c.channelMean(w.un(kernels.UnarySquare, xc, "bn.sq"), nb, ch, s, "bn.var")

	// The state is named after the forward node, which the diff reaches
	// through x's consumers only by the op; the op's key names it too.
	name := bnStateName(c, n, x)
	rm, ok := e.prog.Taps[name+".running_mean"]
	rv := e.prog.Taps[name+".running_var1"]
	if !ok {
		rm = e.Buffer(name+".running_mean", []int{ch}, kernels.OptState)
		rv = e.Buffer(name+".running_var1", []int{ch}, kernels.OptState)
		e.prog.Taps[name+".running_mean"], e.prog.Taps[name+".running_var1"] = rm, rv
		if e.prog.State == nil {
			e.prog.State = map[string]kernels.BufID{}
		}
		e.prog.State[name+".running_mean"], e.prog.State[name+".running_var1"] = rm, rv
	}
	t := c.trainingFlag()
	notT := e.Temp("bn.eval", []int{1})
	e.Emit(kernels.OpBinary, ids1(c.constBuf(1), t), ids1(notT), kernels.BinaryArgs{Fn: kernels.BinarySub, N: 1})
	blend := func(batch, running kernels.BufID, label string) kernels.BufID { // batch + (1−t)·(running − batch)
		d := cw.bin(kernels.BinarySub, running, batch, kernels.BcastNone, label+" diff")
		cw.binTo(kernels.BinaryMul, d, notT, kernels.BcastScalar, d)
		return cw.bin(kernels.BinaryAdd, batch, d, kernels.BcastNone, label)
	}
	// rv holds the running variance minus 1, so that state that starts at
	// zero (as every pinned buffer does) is a running variance of 1.
	rv1 := cw.bin(kernels.BinaryAdd, rv, c.constBuf(1), kernels.BcastScalar, "bn.running var")
	mu, sigma2 := blend(mean, rm, "bn.mu"), blend(variance, rv1, "bn.sigma2")
	invStd := cw.bin(kernels.BinaryAdd, sigma2, c.constBuf(eps), kernels.BcastScalar, "bn.invstd")
	cw.unTo(kernels.UnarySqrt, invStd, invStd, 0)
	cw.binTo(kernels.BinaryDiv, cw.ones(), invStd, kernels.BcastNone, invStd)
	e.Emit(kernels.OpBinary, ids1(x.ID, mu), ids1(xhat), chArgs(kernels.BinarySub))
	e.Emit(kernels.OpBinary, ids1(xhat, invStd), ids1(xhat), chArgs(kernels.BinaryMul))

	if update {
		cnt := float32(nb * s)
		step := e.Temp("bn.rate", []int{1}) // t·m
		e.Emit(kernels.OpUnary, ids1(t), ids1(step), kernels.UnaryArgs{Fn: kernels.UnaryScale, N: 1, Alpha: m})
		upd := func(running, target kernels.BufID) {
			d := cw.bin(kernels.BinarySub, target, running, kernels.BcastNone, "bn.update")
			cw.binTo(kernels.BinaryMul, d, step, kernels.BcastScalar, d)
			cw.binTo(kernels.BinaryAdd, running, d, kernels.BcastNone, running)
		}
		upd(rm, mean)
		unbiased := cw.temp("bn.unbiased var")
		cw.unTo(kernels.UnaryScale, variance, unbiased, cnt/(cnt-1))
		cw.binTo(kernels.BinarySub, unbiased, c.constBuf(1), kernels.BcastScalar, unbiased)
		upd(rv, unbiased) // (rv−1) += t·m·((var·n/(n−1) − 1) − (rv−1))
	}
	return bnStats{xhat: xhat, invStd: invStd}
}

// bnStateName names a BatchNormOp's running averages after its forward
// node: n itself, or, for the diff, the consumer of x with the same op.
func bnStateName(c *compiler, n *G.Node, x operand) string {
	key := bnKey(n.Op())
	for _, k := range c.consumers[x.Node] {
		if _, isBN := k.Op().(*G.BatchNormOp); isBN && bnKey(k.Op()) == key {
			return k.Name()
		}
	}
	return n.Name()
}
