package kerneltest

import (
	"fmt"
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// The gemm family: every transpose combination over odd sizes, the fused
// bias + activation epilogue, Alpha and Beta (with the prior C read), and
// the empty sum K = 0 (C = Beta·C, then bias and activation).

func init() {
	Register(Family{Name: kernels.OpGemm.String(), Cases: gemmCases, Bench: gemmBench})
}

// gemmTol: a float32 dot product of length K over N(0,1) data accumulates
// rounding errors with a standard deviation of about 2.5e-8·K (eps/√3 per
// add on partial sums of size √k); 3e-7·K is > 10σ of that, so it passes any
// correct summation order and still fails an indexing error by orders of
// magnitude. The epilogue adds two roundings (Rtol).
func gemmTol(k int) Tol { return Tol{Atol: 1e-6 + 3e-7*float64(k), Rtol: 1e-6} }

func gemmCase(m, n, k int, ta, tb bool, alpha, beta float32, bias bool, act kernels.Act) Case {
	name := fmt.Sprintf("M=%d,N=%d,K=%d", m, n, k)
	if ta {
		name += ",tA"
	}
	if tb {
		name += ",tB"
	}
	if alpha != 1 {
		name += fmt.Sprintf(",alpha=%g", alpha)
	}
	if beta != 0 {
		name += fmt.Sprintf(",beta=%g", beta)
	}
	if bias {
		name += ",bias"
	}
	if act != kernels.ActNone {
		name += "," + act.String()
	}
	c := Case{
		Name: name, Op: kernels.OpGemm,
		Args: kernels.GemmArgs{M: m, N: n, K: k, TransA: ta, TransB: tb, Alpha: alpha, Beta: beta, Bias: bias, Act: act},
		In:   []Operand{In(m*k, nil), In(k*n, nil)},
		Out:  []Operand{Out(m * n)},
		Tol:  gemmTol(k),
	}
	if bias {
		c.In = append(c.In, In(n, nil))
	}
	if beta != 0 {
		c.Out[0].Fill, c.Prior = Normal(1), true
	}
	return c
}

func gemmCases(short bool) []Case {
	shapes := [][3]int{{1, 1, 1}, {7, 33, 1}, {1, 7, 33}, {33, 7, 65}, {64, 64, 64}, {17, 130, 300}, {128, 10, 84}}
	if !short {
		shapes = append(shapes, [3]int{65, 129, 1025}, [3]int{200, 3, 513})
	}
	var cs []Case
	for _, s := range shapes {
		for _, t := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			cs = append(cs, gemmCase(s[0], s[1], s[2], t[0], t[1], 1, 0, false, kernels.ActNone))
		}
	}
	for _, act := range []kernels.Act{kernels.ActNone, kernels.ActReLU, kernels.ActSigmoid, kernels.ActTanh} {
		cs = append(cs,
			gemmCase(33, 65, 17, false, false, 1, 0, true, act),
			gemmCase(9, 31, 40, true, true, 1, 0, false, act))
	}
	cs = append(cs,
		gemmCase(13, 21, 37, false, true, 0.5, 1, false, kernels.ActNone),
		gemmCase(13, 21, 37, true, false, -2, 0.25, true, kernels.ActReLU),
		gemmCase(8, 8, 8, false, false, 0, 1, false, kernels.ActNone),
		gemmCase(3, 5, 0, false, false, 1, 0, true, kernels.ActSigmoid),
		gemmCase(3, 5, 0, false, false, 1, 0.5, false, kernels.ActNone),
	)
	return cs
}

// gemmBench: the three products of the mlp's first layer at batch 128:
// forward (x·Wᵀ with bias and ReLU), the gradient of the input, and the
// weight gradient.
func gemmBench() []Case {
	flops := func(m, n, k int) float64 { return 2 * float64(m) * float64(n) * float64(k) }
	fwd := gemmCase(128, 512, 784, false, true, 1, 0, true, kernels.ActReLU)
	fwd.FLOPs = flops(128, 512, 784)
	dx := gemmCase(128, 784, 512, false, false, 1, 0, false, kernels.ActNone)
	dx.FLOPs = flops(128, 784, 512)
	dw := gemmCase(512, 784, 128, true, false, 1, 0, false, kernels.ActNone)
	dw.FLOPs = flops(512, 784, 128)
	sq := gemmCase(512, 512, 128, true, false, 1, 0, false, kernels.ActNone)
	sq.FLOPs = flops(512, 512, 128)
	return []Case{fwd, dx, dw, sq}
}

// sigmoidOut, tanhOut, reluOut map normal data to an activation's output
// range, the inputs of OpActGrad.
func sigmoidOut(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }
func tanhOut(v float32) float32    { return float32(math.Tanh(float64(v))) }
func reluOut(v float32) float32    { return max(v, 0) }
