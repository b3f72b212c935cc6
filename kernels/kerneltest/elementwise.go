package kerneltest

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// The elementwise families: unary, act_grad, binary, copy, fill. Sizes run
// from 1 to past the point where the CPU splits work across goroutines
// (70001 elements), plus in-place variants.

// tolElementwise: the result of one or two float32 operations on exact
// inputs, or of exp/log/tanh computed to float32 accuracy: a few ulp
// (6e-8 each) relative, plus an absolute floor for the cancellation in
// 1 − y² and the like near zero.
var tolElementwise = Tol{Atol: 1e-6, Rtol: 1e-6}

// tolExact: data movement and sign changes must be bit-exact.
var tolExact = Tol{}

var elemSizes = []int{1, 7, 33, 1025, 70001}

func init() {
	Register(Family{Name: kernels.OpUnary.String(), Cases: unaryCases, Bench: unaryBench})
	Register(Family{Name: kernels.OpActGrad.String(), Cases: actGradCases, Bench: actGradBench})
	Register(Family{Name: kernels.OpBinary.String(), Cases: binaryCases, Bench: binaryBench})
	Register(Family{Name: kernels.OpCopy.String(), Cases: copyCases, Bench: copyBench})
	Register(Family{Name: kernels.OpFill.String(), Cases: fillCases, Bench: fillBench})
}

// bigActivation is a convnet activation at batch 128: [128, 32, 28, 28].
const bigActivation = 128 * 32 * 28 * 28

func unaryCase(fn kernels.UnaryFn, n int, alias bool) Case {
	fill := Normal(4) // wide enough to saturate sigmoid and tanh
	switch fn {
	case kernels.UnaryLog, kernels.UnarySqrt:
		fill = Uniform(1e-3, 10)
	}
	tol := tolElementwise
	switch fn {
	case kernels.UnaryReLU, kernels.UnaryNeg:
		tol = tolExact
	}
	c := Case{
		Name: fmt.Sprintf("%s,N=%d", fn, n), Op: kernels.OpUnary,
		Args: kernels.UnaryArgs{Fn: fn, N: n, Alpha: -1.5},
		In:   []Operand{In(n, fill)}, Out: []Operand{Out(n)}, Tol: tol,
		Bytes: 8 * float64(n),
	}
	if alias {
		c.Name += ",inplace"
		c.Alias = map[int]int{0: 0}
	}
	return c
}

func unaryCases(short bool) []Case {
	var cs []Case
	for fn := kernels.UnaryReLU; fn <= kernels.UnaryScale; fn++ {
		for _, n := range elemSizes {
			cs = append(cs, unaryCase(fn, n, false))
		}
		cs = append(cs, unaryCase(fn, 1025, true))
	}
	return cs
}

func unaryBench() []Case {
	return []Case{
		unaryCase(kernels.UnaryReLU, bigActivation, false),
		unaryCase(kernels.UnarySigmoid, 128*512, false),
		unaryCase(kernels.UnaryTanh, 128*512, false),
	}
}

func actGradCase(act kernels.Act, n int) Case {
	y := Normal(1)
	switch act {
	case kernels.ActReLU:
		y = Map(Normal(1), reluOut)
	case kernels.ActSigmoid:
		y = Map(Normal(2), sigmoidOut)
	case kernels.ActTanh:
		y = Map(Normal(2), tanhOut)
	}
	tol := tolElementwise
	if act == kernels.ActNone || act == kernels.ActReLU {
		tol = tolExact
	}
	return Case{
		Name: fmt.Sprintf("%s,N=%d", act, n), Op: kernels.OpActGrad,
		Args: kernels.ActGradArgs{Act: act, N: n},
		In:   []Operand{In(n, y), In(n, nil)}, Out: []Operand{Out(n)}, Tol: tol,
		Bytes: 12 * float64(n),
	}
}

func actGradCases(short bool) []Case {
	var cs []Case
	for act := kernels.ActNone; act <= kernels.ActTanh; act++ {
		for _, n := range elemSizes {
			cs = append(cs, actGradCase(act, n))
		}
	}
	return cs
}

func actGradBench() []Case {
	return []Case{actGradCase(kernels.ActReLU, bigActivation), actGradCase(kernels.ActSigmoid, 128*512)}
}

// binShape is one broadcast layout of OpBinary.
type binShape struct {
	bcast    kernels.Bcast
	n, inner int
	c        int
}

func (s binShape) bLen() int {
	switch s.bcast {
	case kernels.BcastScalar:
		return 1
	case kernels.BcastInner:
		return s.inner
	case kernels.BcastChannel:
		return s.c
	case kernels.BcastOuter:
		return s.n / s.inner
	}
	return s.n
}

func (s binShape) String() string {
	names := [...]string{"none", "scalar", "inner", "channel", "outer"}
	str := fmt.Sprintf("%s,N=%d", names[s.bcast], s.n)
	if s.bcast >= kernels.BcastInner {
		str += fmt.Sprintf(",Inner=%d", s.inner)
	}
	if s.bcast == kernels.BcastChannel {
		str += fmt.Sprintf(",C=%d", s.c)
	}
	return str
}

func binaryCase(fn kernels.BinaryFn, s binShape, alias bool) Case {
	b := Normal(1)
	if fn == kernels.BinaryDiv {
		b = Uniform(0.5, 2)
	}
	c := Case{
		Name: fmt.Sprintf("%s,%s", fn, s), Op: kernels.OpBinary,
		Args: kernels.BinaryArgs{Fn: fn, N: s.n, Bcast: s.bcast, Inner: s.inner, C: s.c},
		In:   []Operand{In(s.n, nil), In(s.bLen(), b)}, Out: []Operand{Out(s.n)},
		Tol: tolElementwise, Bytes: 4 * float64(2*s.n+s.bLen()),
	}
	if alias {
		c.Name += ",inplace"
		c.Alias = map[int]int{0: 0}
	}
	return c
}

func binaryCases(short bool) []Case {
	shapes := []binShape{
		{kernels.BcastNone, 1, 0, 0}, {kernels.BcastNone, 1025, 0, 0}, {kernels.BcastNone, 70001, 0, 0},
		{kernels.BcastScalar, 1, 0, 0}, {kernels.BcastScalar, 70001, 0, 0},
		{kernels.BcastInner, 7, 7, 0}, {kernels.BcastInner, 33 * 7, 7, 0}, {kernels.BcastInner, 128 * 513, 513, 0},
		{kernels.BcastChannel, 5 * 3 * 7, 7, 3}, {kernels.BcastChannel, 4 * 10, 1, 10}, {kernels.BcastChannel, 3 * 32 * 784, 784, 32},
		{kernels.BcastOuter, 33 * 7, 7, 0}, {kernels.BcastOuter, 33, 1, 0}, {kernels.BcastOuter, 2 * 40000, 40000, 0},
	}
	var cs []Case
	for fn := kernels.BinaryAdd; fn <= kernels.BinaryDiv; fn++ {
		for _, s := range shapes {
			cs = append(cs, binaryCase(fn, s, false))
		}
	}
	for _, s := range []binShape{shapes[1], shapes[4], shapes[7], shapes[10], shapes[13]} {
		cs = append(cs, binaryCase(kernels.BinaryMul, s, true))
	}
	// c = a − c: the output is the second operand (allowed when not broadcast).
	inB := binaryCase(kernels.BinarySub, shapes[2], false)
	inB.Name += ",inplace-b"
	inB.Alias = map[int]int{0: 1}
	return append(cs, inB)
}

func binaryBench() []Case {
	return []Case{
		binaryCase(kernels.BinaryAdd, binShape{kernels.BcastChannel, bigActivation, 784, 32}, false),
		binaryCase(kernels.BinaryMul, binShape{kernels.BcastNone, bigActivation, 0, 0}, false),
	}
}

func copyCase(n int, alias bool) Case {
	c := Case{
		Name: fmt.Sprintf("N=%d", n), Op: kernels.OpCopy, Args: kernels.CopyArgs{N: n},
		In: []Operand{In(n, nil)}, Out: []Operand{Out(n)}, Tol: tolExact, Bytes: 8 * float64(n),
	}
	if alias {
		c.Name += ",inplace"
		c.Alias = map[int]int{0: 0}
	}
	return c
}

func copyCases(short bool) []Case {
	cs := []Case{copyCase(7, true)}
	for _, n := range []int{0, 1, 7, 1025, 200003} {
		cs = append(cs, copyCase(n, false))
	}
	return cs
}

func copyBench() []Case { return []Case{copyCase(bigActivation, false)} }

func fillCase(n int, v float32) Case {
	return Case{
		Name: fmt.Sprintf("N=%d,value=%g", n, v), Op: kernels.OpFill, Args: kernels.FillArgs{N: n, Value: v},
		Out: []Operand{Out(n)}, Tol: tolExact, Bytes: 4 * float64(n),
	}
}

func fillCases(short bool) []Case {
	return []Case{fillCase(0, 1), fillCase(1, 0), fillCase(7, -2.5), fillCase(200003, 3.25)}
}

func fillBench() []Case { return []Case{fillCase(bigActivation, 0)} }
