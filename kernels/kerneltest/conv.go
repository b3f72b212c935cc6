package kerneltest

import (
	"fmt"
	"math/rand/v2"

	"github.com/gaborlab/gabor/kernels"
)

// The convolution families: conv2d (with the fused bias and activation),
// conv2d_bwd_data, conv2d_bwd_filter (overwriting and accumulating), im2col
// and col2im. Every family runs over the same shapes: the zoo's layers at a
// small batch, edge cases (a 1×1 image under a 5×5 filter, dilation wider
// than the image, different parameters along H and W) and a seeded sample of
// N ∈ {1,3}, C ∈ {1,3}, H,W ∈ {1,7,28,33}, R ∈ {1,3,5}, stride ∈ {1,2},
// pad ∈ {0,1,2}, dilation ∈ {1,2}.

func init() {
	Register(Family{Name: kernels.OpConv2D.String(), Bench: convBench(kernels.OpConv2D),
		Cases: func(short bool) []Case { return convFamily(kernels.OpConv2D, short) }})
	Register(Family{Name: kernels.OpConv2DBwdData.String(), Bench: convBench(kernels.OpConv2DBwdData),
		Cases: func(short bool) []Case { return convFamily(kernels.OpConv2DBwdData, short) }})
	Register(Family{Name: kernels.OpConv2DBwdFilter.String(), Bench: convBench(kernels.OpConv2DBwdFilter),
		Cases: func(short bool) []Case { return convFamily(kernels.OpConv2DBwdFilter, short) }})
	Register(Family{Name: kernels.OpIm2Col.String(),
		Cases: func(short bool) []Case { return convFamily(kernels.OpIm2Col, short) }})
	Register(Family{Name: kernels.OpCol2Im.String(),
		Cases: func(short bool) []Case { return convFamily(kernels.OpCol2Im, short) }})
}

// ConvShape returns the ConvArgs of a square-filter correlation with equal
// parameters along both axes, OH and OW worked out; ok is false when the
// dilated filter does not fit the padded input.
func ConvShape(n, c, h, w, k, r, stride, pad, dil int) (a kernels.ConvArgs, ok bool) {
	a = kernels.ConvArgs{N: n, C: c, H: h, W: w, K: k, R: r, S: r,
		StrideH: stride, StrideW: stride, PadH: pad, PadW: pad, DilH: dil, DilW: dil}
	a.OH, a.OW = kernels.ConvOut(h, r, stride, pad, dil), kernels.ConvOut(w, r, stride, pad, dil)
	return a, a.OH >= 1 && a.OW >= 1
}

func convShapes(short bool) []kernels.ConvArgs {
	var out []kernels.ConvArgs
	add := func(a kernels.ConvArgs, ok bool) {
		if ok {
			out = append(out, a)
		}
	}
	add(ConvShape(3, 1, 28, 28, 6, 5, 1, 2, 1))   // lenet conv1
	add(ConvShape(3, 6, 14, 14, 16, 5, 1, 0, 1))  // lenet conv2
	add(ConvShape(2, 4, 14, 14, 8, 3, 1, 1, 1))   // convnet-like, several images per GEMM
	add(ConvShape(2, 32, 14, 14, 64, 3, 1, 1, 1)) // convnet conv3 (the CPU's AVX2 path: Winograd)
	add(ConvShape(3, 3, 7, 7, 4, 1, 1, 0, 1))     // pointwise
	add(ConvShape(1, 1, 1, 1, 1, 1, 1, 0, 1))     // one pixel
	add(ConvShape(1, 1, 1, 1, 3, 5, 2, 2, 1))     // only the centre tap sees the image
	add(ConvShape(3, 1, 33, 33, 3, 3, 2, 1, 2))   // stride and dilation
	add(ConvShape(1, 3, 7, 7, 2, 5, 1, 2, 2))     // dilated filter wider than the image
	a, ok := ConvShape(3, 3, 33, 7, 3, 3, 2, 1, 1)
	a.S, a.StrideW, a.PadH, a.DilW = 5, 1, 2, 2 // different along H and W
	a.OH, a.OW = kernels.ConvOut(a.H, a.R, a.StrideH, a.PadH, a.DilH), kernels.ConvOut(a.W, a.S, a.StrideW, a.PadW, a.DilW)
	add(a, ok)

	rng := rand.New(rand.NewPCG(5, 6))
	pick := func(v ...int) int { return v[rng.IntN(len(v))] }
	sample := 24
	if short {
		sample = 8
	}
	for want := len(out) + sample; len(out) < want; {
		hw := []int{1, 7, 28, 33}
		add(ConvShape(pick(1, 3), pick(1, 3), pick(hw...), pick(hw...), pick(1, 2, 5), pick(1, 3, 5), pick(1, 2), pick(0, 1, 2), pick(1, 2)))
	}
	return out
}

// convTol: each output is a dot product of up to terms float32 products of
// N(0,1) data; see gemmTol for the margin.
func convTol(terms int) Tol { return Tol{Atol: 1e-6 + 3e-7*float64(terms), Rtol: 1e-6} }

func convName(a kernels.ConvArgs) string {
	s := fmt.Sprintf("N=%d,C=%d,H=%d,W=%d,K=%d,R=%d,S=%d", a.N, a.C, a.H, a.W, a.K, a.R, a.S)
	if a.StrideH != 1 || a.StrideW != 1 {
		s += fmt.Sprintf(",stride=%dx%d", a.StrideH, a.StrideW)
	}
	if a.PadH != 0 || a.PadW != 0 {
		s += fmt.Sprintf(",pad=%dx%d", a.PadH, a.PadW)
	}
	if a.DilH != 1 || a.DilW != 1 {
		s += fmt.Sprintf(",dil=%dx%d", a.DilH, a.DilW)
	}
	return s
}

// ConvCase is the conformance case of op over a.
func ConvCase(op kernels.Op, a kernels.ConvArgs) Case {
	nx, nw, ny := a.N*a.C*a.H*a.W, a.K*a.C*a.R*a.S, a.N*a.K*a.OH*a.OW
	crs := a.C * a.R * a.S
	ncol := a.N * a.OH * a.OW * crs
	c := Case{Name: convName(a), Op: op}
	switch op {
	case kernels.OpConv2D:
		c.In, c.Out, c.Tol = []Operand{In(nx, nil), In(nw, nil)}, []Operand{Out(ny)}, convTol(crs+1)
		if a.Bias {
			c.In = append(c.In, In(a.K, nil))
			c.Name += ",bias"
		}
		if a.Act != kernels.ActNone {
			c.Name += "," + a.Act.String()
		}
	case kernels.OpConv2DBwdData:
		c.In, c.Out, c.Tol = []Operand{In(ny, nil), In(nw, nil)}, []Operand{Out(nx)}, convTol(a.K*a.R*a.S)
	case kernels.OpConv2DBwdFilter:
		c.In, c.Out, c.Tol = []Operand{In(nx, nil), In(ny, nil)}, []Operand{Out(nw)}, convTol(a.N*a.OH*a.OW+1)
		if a.Beta != 0 {
			c.Out[0].Fill, c.Prior = Normal(1), true
			c.Name += fmt.Sprintf(",beta=%g", a.Beta)
		}
	case kernels.OpIm2Col:
		c.In, c.Out, c.Tol = []Operand{In(nx, nil)}, []Operand{Out(ncol)}, Tol{}
	case kernels.OpCol2Im:
		c.In, c.Out, c.Tol = []Operand{In(ncol, nil)}, []Operand{Out(nx)}, convTol(a.R*a.S)
	}
	c.Args = a
	return c
}

// convFamily: every shape once; the forward cycles through the activations
// and alternates the bias, the filter gradient runs overwriting and
// accumulating.
func convFamily(op kernels.Op, short bool) []Case {
	acts := []kernels.Act{kernels.ActNone, kernels.ActReLU, kernels.ActSigmoid, kernels.ActTanh}
	var cs []Case
	for i, a := range convShapes(short) {
		switch op {
		case kernels.OpConv2D:
			a.Bias, a.Act = i%2 == 0, acts[i%len(acts)]
		case kernels.OpConv2DBwdFilter:
			if i%2 == 1 {
				a.Beta = 1
			}
		}
		cs = append(cs, ConvCase(op, a))
	}
	return cs
}

// convBench: the zoo's convolution layers at batch 128 (LeNet's two 5×5
// layers, the convnet's four 3×3 ones), 2·N·K·OH·OW·C·R·S flops each.
func convBench(op kernels.Op) func() []Case {
	return func() []Case {
		var cs []Case
		for _, l := range [][5]int{{1, 28, 6, 5, 2}, {6, 14, 16, 5, 0}, {1, 28, 32, 3, 1}, {32, 28, 32, 3, 1}, {32, 14, 64, 3, 1}, {64, 14, 64, 3, 1}} {
			a, _ := ConvShape(128, l[0], l[1], l[1], l[2], l[3], 1, l[4], 1)
			if op == kernels.OpConv2D {
				a.Bias, a.Act = true, kernels.ActReLU
			}
			c := ConvCase(op, a)
			c.Name = fmt.Sprintf("N=%d,C=%d,H=%d,K=%d,R=%d", a.N, a.C, a.H, a.K, a.R)
			c.FLOPs = 2 * float64(a.N*a.K*a.OH*a.OW*a.C*a.R*a.S)
			cs = append(cs, c)
		}
		return cs
	}
}
