package kerneltest

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// The reduction families: reduce, broadcast, bias_grad. Shapes cross the
// CPU's 64-wide column tiles (130 = 2·64 + 2) and cover Inner = 1 (row
// sums), Outer = 1 and Mid = 1.

// tolReduce: the reference sums in float64; a backend summing in float32
// over Mid ≤ 1000 terms of N(0,1) data errs by about eps·√Mid·|partial sums|
// ≈ 1e-4 at worst. Rtol covers the float32 rounding of the result.
var tolReduce = Tol{Atol: 2e-4, Rtol: 2e-6}

var reduceShapes = [][3]int{{1, 1, 1}, {1, 1025, 1}, {7, 33, 1}, {3, 5, 7}, {2, 3, 130}, {1, 128, 512}, {4, 1000, 33}, {33, 1, 7}}

func init() {
	Register(Family{Name: kernels.OpReduce.String(), Cases: reduceCases, Bench: reduceBench})
	Register(Family{Name: kernels.OpBroadcast.String(), Cases: broadcastCases, Bench: broadcastBench})
	Register(Family{Name: kernels.OpBiasGrad.String(), Cases: biasGradCases, Bench: biasGradBench})
}

func reduceCase(s [3]int, mean bool) Case {
	o, m, i := s[0], s[1], s[2]
	name := fmt.Sprintf("Outer=%d,Mid=%d,Inner=%d", o, m, i)
	if mean {
		name += ",mean"
	}
	return Case{
		Name: name, Op: kernels.OpReduce, Args: kernels.ReduceArgs{Outer: o, Mid: m, Inner: i, Mean: mean},
		In: []Operand{In(o*m*i, nil)}, Out: []Operand{Out(o * i)}, Tol: tolReduce,
		Bytes: 4 * float64(o*m*i+o*i),
	}
}

func reduceCases(short bool) []Case {
	var cs []Case
	for _, s := range reduceShapes {
		cs = append(cs, reduceCase(s, false), reduceCase(s, true))
	}
	return cs
}

func reduceBench() []Case {
	return []Case{reduceCase([3]int{1, 128, 512}, false), reduceCase([3]int{128, 32, 784}, true)}
}

func broadcastCase(s [3]int, scale float32) Case {
	o, m, i := s[0], s[1], s[2]
	tol := tolExact
	if scale != 1 {
		tol = tolElementwise
	}
	return Case{
		Name: fmt.Sprintf("Outer=%d,Mid=%d,Inner=%d,scale=%g", o, m, i, scale), Op: kernels.OpBroadcast,
		Args: kernels.BroadcastArgs{Outer: o, Mid: m, Inner: i, Scale: scale},
		In:   []Operand{In(o*i, nil)}, Out: []Operand{Out(o * m * i)}, Tol: tol,
		Bytes: 4 * float64(o*i+o*m*i),
	}
}

func broadcastCases(short bool) []Case {
	var cs []Case
	for _, s := range reduceShapes {
		cs = append(cs, broadcastCase(s, 1), broadcastCase(s, 1.0/3))
	}
	return cs
}

func broadcastBench() []Case { return []Case{broadcastCase([3]int{1, 128, 512}, 1.0/128)} }

func biasGradCase(n, c, hw int, beta float32) Case {
	cs := Case{
		Name: fmt.Sprintf("N=%d,C=%d,HW=%d", n, c, hw), Op: kernels.OpBiasGrad,
		Args: kernels.BiasGradArgs{N: n, C: c, HW: hw, Beta: beta},
		In:   []Operand{In(n*c*hw, nil)}, Out: []Operand{Out(c)}, Tol: tolReduce,
		Bytes: 4 * float64(n*c*hw+c),
	}
	if beta != 0 {
		cs.Name += fmt.Sprintf(",beta=%g", beta)
		cs.Out[0].Fill, cs.Prior = Normal(1), true
	}
	return cs
}

func biasGradCases(short bool) []Case {
	var cs []Case
	for _, s := range [][3]int{{1, 1, 1}, {128, 10, 1}, {7, 130, 1}, {3, 6, 784}, {5, 7, 33}, {1, 3, 1025}} {
		cs = append(cs, biasGradCase(s[0], s[1], s[2], 0), biasGradCase(s[0], s[1], s[2], 1))
	}
	return cs
}

func biasGradBench() []Case {
	return []Case{biasGradCase(128, 512, 1, 0), biasGradCase(128, 32, 784, 0)}
}
