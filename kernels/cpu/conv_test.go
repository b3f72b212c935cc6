package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// convArgs builds ConvArgs with OH, OW worked out; ok is false when the
// filter does not fit.
func convArgs(n, c, h, w, k, r, s, stride, pad, dil int) (kernels.ConvArgs, bool) {
	a := kernels.ConvArgs{N: n, C: c, H: h, W: w, K: k, R: r, S: s,
		StrideH: stride, StrideW: stride, PadH: pad, PadW: pad, DilH: dil, DilW: dil}
	a.OH = kernels.ConvOut(h, r, stride, pad, dil)
	a.OW = kernels.ConvOut(w, s, stride, pad, dil)
	return a, a.OH >= 1 && a.OW >= 1
}

func convName(a kernels.ConvArgs) string {
	return fmt.Sprintf("N=%d,C=%d,H=%d,W=%d,K=%d,R=%d,S=%d,st=%d/%d,pad=%d/%d,dil=%d/%d",
		a.N, a.C, a.H, a.W, a.K, a.R, a.S, a.StrideH, a.StrideW, a.PadH, a.PadW, a.DilH, a.DilW)
}

// convCases are the shapes every convolution kernel is checked on: the zoo's
// layers (with small batches), edge cases chosen by hand, and a seeded sample
// of the grid N ∈ {1,3}, C ∈ {1,3}, H,W ∈ {1,7,28,33}, R ∈ {1,3,5},
// stride ∈ {1,2}, pad ∈ {0,1,2}, dilation ∈ {1,2}.
func convCases(short bool) []kernels.ConvArgs {
	var cases []kernels.ConvArgs
	add := func(a kernels.ConvArgs, ok bool) {
		if ok {
			cases = append(cases, a)
		}
	}
	add(convArgs(3, 1, 28, 28, 6, 5, 5, 1, 2, 1))   // lenet conv1
	add(convArgs(3, 6, 14, 14, 16, 5, 5, 1, 0, 1))  // lenet conv2
	add(convArgs(2, 3, 14, 14, 5, 3, 3, 1, 1, 1))   // convnet-like, grouped GEMM
	add(convArgs(2, 48, 6, 6, 13, 3, 3, 1, 1, 1))   // depth 432: two depth blocks
	add(convArgs(2, 32, 28, 28, 32, 3, 3, 1, 1, 1)) // convnet conv2: two octets a row of tiles, the second masked
	add(convArgs(3, 17, 14, 14, 20, 3, 3, 1, 1, 1)) // convnet-like 14×14: images padded in pairs
	add(convArgs(1, 4, 9, 35, 7, 3, 3, 1, 0, 1))    // unpadded, odd output height, a third octet of one tile
	add(convArgs(2, 2, 5, 5, 3, 3, 3, 1, 2, 1))     // padding 2: the flipped data pass has none
	add(convArgs(3, 3, 7, 7, 4, 1, 1, 1, 0, 1))     // pointwise
	add(convArgs(1, 3, 28, 28, 2, 1, 1, 1, 0, 1))   // pointwise, one image per GEMM
	add(convArgs(1, 1, 1, 1, 1, 1, 1, 1, 0, 1))     // a single pixel
	add(convArgs(3, 3, 1, 1, 2, 3, 3, 1, 1, 1))     // 1×1 image, 3×3 filter in padding
	add(convArgs(1, 1, 1, 1, 3, 5, 5, 2, 2, 1))     // only the centre tap sees the image
	add(convArgs(3, 1, 33, 33, 3, 3, 3, 2, 1, 2))   // stride and dilation
	add(convArgs(1, 3, 7, 7, 2, 5, 5, 1, 2, 2))     // dilation wider than the image + padding
	a, ok := convArgs(3, 3, 33, 7, 3, 3, 5, 2, 1, 1)
	a.StrideW, a.PadH, a.DilW = 1, 2, 2 // every parameter different along H and W
	a.OH, a.OW = kernels.ConvOut(a.H, a.R, a.StrideH, a.PadH, a.DilH), kernels.ConvOut(a.W, a.S, a.StrideW, a.PadW, a.DilW)
	add(a, ok)

	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(v ...int) int { return v[rng.IntN(len(v))] }
	sample := 48
	if short {
		sample = 16
	}
	for len(cases) < 15+sample {
		hw := []int{1, 7, 28, 33}
		r := pick(1, 3, 5)
		add(convArgs(pick(1, 3), pick(1, 3), pick(hw...), pick(hw...), pick(1, 2, 5), r, r, pick(1, 2), pick(0, 1, 2), pick(1, 2)))
	}
	return cases
}

// runConvRef runs the float64 reference of op on float32 inputs.
func runConvRef(t *testing.T, op kernels.Op, a kernels.ConvArgs, in ...[]float32) [][]float64 {
	t.Helper()
	in64 := make([][]float64, len(in))
	for i, s := range in {
		in64[i] = cpTo64(s)
	}
	out, err := refConvPool(kernels.Instr{Op: op, Args: a}, in64)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const convAtol, convRtol = 1e-4, 1e-4

// convPaths runs fn on every CPU path (forEachPath) with each way of
// computing the convolution forced in turn (see convPath), restoring the
// automatic choice after.
func convPaths(t *testing.T, fn func(t *testing.T)) {
	forEachPath(t, func(t *testing.T, _ cpuPath) {
		defer func() { convPath = convPathAuto }()
		for _, p := range []struct {
			name string
			path int
		}{{"auto", convPathAuto}, {"cols", convPathCols}, {"wide", convPathWide}, {"direct", convPathDirect}, {"winograd", convPathWinograd}} {
			convPath = p.path
			t.Run(p.name, fn)
		}
	})
}

func TestConvAgainstReference(t *testing.T) {
	convPaths(t, testConvAgainstReference)
}

func testConvAgainstReference(t *testing.T) {
	acts := []kernels.Act{kernels.ActNone, kernels.ActReLU, kernels.ActSigmoid, kernels.ActTanh}
	for i, a := range convCases(testing.Short()) {
		a.Act = acts[i%len(acts)]
		a.Bias = i%3 != 1
		t.Run(convName(a), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 3))
			nx, nw, ny := a.N*a.C*a.H*a.W, a.K*a.C*a.R*a.S, a.N*a.K*a.OH*a.OW
			ncol := a.N * a.OH * a.OW * a.C * a.R * a.S
			x, w, dy, b := cpRand(rng, nx), cpRand(rng, nw), cpRand(rng, ny), cpRand(rng, a.K)
			x0, w0, dy0, b0 := cpClone(x.s), cpClone(w.s), cpClone(dy.s), cpClone(b.s)
			inputsUnchanged := func(op string) {
				t.Helper()
				cpSame(t, op+": x", x.s, x0)
				cpSame(t, op+": w", w.s, w0)
				cpSame(t, op+": dy", dy.s, dy0)
				cpSame(t, op+": bias", b.s, b0)
			}

			// Forward, with the fused bias and activation.
			y := newCPGuarded(ny)
			var bias []float32
			in := [][]float32{x.s, w.s}
			if a.Bias {
				bias = b.s
				in = append(in, bias)
			}
			conv2dFwd(a, x.s, w.s, bias, y.s)
			y.check(t, "conv2d y")
			inputsUnchanged("conv2d")
			if err := cpClose(y.s, runConvRef(t, kernels.OpConv2D, a, in...)[0], convAtol, convRtol); err != nil {
				t.Errorf("conv2d: %v", err)
			}

			// Backward data (dx starts as NaN: it must be overwritten).
			dx := newCPGuarded(nx)
			conv2dBwdData(a, dy.s, w.s, dx.s)
			dx.check(t, "bwd data dx")
			inputsUnchanged("bwd data")
			if err := cpClose(dx.s, runConvRef(t, kernels.OpConv2DBwdData, a, dy.s, w.s)[0], convAtol, convRtol); err != nil {
				t.Errorf("conv2d_bwd_data: %v", err)
			}

			// Backward filter, overwriting (NaN prior) and accumulating.
			for _, beta := range []float32{0, 0.5} {
				a := a
				a.Beta = beta
				dw := newCPGuarded(nw)
				in := [][]float32{x.s, dy.s}
				if beta != 0 {
					dw = cpRand(rng, nw)
					in = append(in, cpClone(dw.s))
				}
				conv2dBwdFilter(a, x.s, dy.s, dw.s)
				dw.check(t, "bwd filter dw")
				inputsUnchanged("bwd filter")
				if err := cpClose(dw.s, runConvRef(t, kernels.OpConv2DBwdFilter, a, in...)[0], convAtol, convRtol); err != nil {
					t.Errorf("conv2d_bwd_filter beta=%v: %v", beta, err)
				}
			}

			// im2col in gorgonia's layout, and col2im.
			cols := newCPGuarded(ncol)
			im2col(a, x.s, cols.s)
			cols.check(t, "im2col cols")
			inputsUnchanged("im2col")
			if err := cpClose(cols.s, runConvRef(t, kernels.OpIm2Col, a, x.s)[0], 0, 0); err != nil {
				t.Errorf("im2col: %v", err)
			}
			c := cpRand(rng, ncol)
			c0 := cpClone(c.s)
			dx2 := newCPGuarded(nx)
			col2im(a, c.s, dx2.s)
			dx2.check(t, "col2im dx")
			cpSame(t, "col2im: cols", c.s, c0)
			if err := cpClose(dx2.s, runConvRef(t, kernels.OpCol2Im, a, c.s)[0], 1e-5, 1e-5); err != nil {
				t.Errorf("col2im: %v", err)
			}
		})
	}
}

// TestConvAdjoints checks the defining identities of the backward kernels on
// the linear part of the convolution (no bias, no activation):
//
//	⟨conv(x, w), dy⟩ = ⟨x, bwdData(dy, w)⟩ = ⟨w, bwdFilter(x, dy)⟩
//	⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩
//
// and a central difference of L(w) = ⟨conv(x, w), dy⟩ along a random
// direction d against ⟨bwdFilter(x, dy), d⟩, likewise for x.
func TestConvAdjoints(t *testing.T) { convPaths(t, testConvAdjoints) }

func testConvAdjoints(t *testing.T) {
	for i, a := range convCases(true) {
		t.Run(convName(a), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 5))
			nx, nw, ny := a.N*a.C*a.H*a.W, a.K*a.C*a.R*a.S, a.N*a.K*a.OH*a.OW
			ncol := a.N * a.OH * a.OW * a.C * a.R * a.S
			x, w, dy := cpRand(rng, nx).s, cpRand(rng, nw).s, cpRand(rng, ny).s
			y, dx, dw := make([]float32, ny), make([]float32, nx), make([]float32, nw)
			conv2dFwd(a, x, w, nil, y)
			conv2dBwdData(a, dy, w, dx)
			conv2dBwdFilter(a, x, dy, dw)
			lhs := cpDot(y, dy)
			tol := 1e-4 * (1 + math.Sqrt(float64(ny*a.C*a.R*a.S)))
			if r := cpDot(x, dx); math.Abs(lhs-r) > tol {
				t.Errorf("⟨conv(x), dy⟩ = %v but ⟨x, bwdData(dy)⟩ = %v", lhs, r)
			}
			if r := cpDot(w, dw); math.Abs(lhs-r) > tol {
				t.Errorf("⟨conv(x), dy⟩ = %v but ⟨w, bwdFilter(x, dy)⟩ = %v", lhs, r)
			}

			cols, c, dxc := make([]float32, ncol), cpRand(rng, ncol).s, make([]float32, nx)
			im2col(a, x, cols)
			col2im(a, c, dxc)
			if l, r := cpDot(cols, c), cpDot(x, dxc); math.Abs(l-r) > 1e-4*(1+math.Sqrt(float64(ncol))) {
				t.Errorf("⟨im2col(x), c⟩ = %v but ⟨x, col2im(c)⟩ = %v", l, r)
			}

			// Central differences: L is linear in each argument, so the
			// difference quotient is exact up to float32 rounding of y.
			const h = 1e-2
			loss := func(x, w []float32) float64 {
				conv2dFwd(a, x, w, nil, y)
				return cpDot(y, dy)
			}
			step := func(v, d []float32, s float32) []float32 {
				o := make([]float32, len(v))
				for i := range v {
					o[i] = v[i] + s*d[i]
				}
				return o
			}
			d := cpRand(rng, nw).s
			fd := (loss(x, step(w, d, h)) - loss(x, step(w, d, -h))) / (2 * h)
			if an := cpDot(dw, d); math.Abs(fd-an) > 1e-2*(1+math.Abs(an)) {
				t.Errorf("dL/dw·d: finite difference %v, bwdFilter %v", fd, an)
			}
			d = cpRand(rng, nx).s
			fd = (loss(step(x, d, h), w) - loss(step(x, d, -h), w)) / (2 * h)
			if an := cpDot(dx, d); math.Abs(fd-an) > 1e-2*(1+math.Abs(an)) {
				t.Errorf("dL/dx·d: finite difference %v, bwdData %v", fd, an)
			}
		})
	}
}

// TestConvBwdFilterDeterministic: the per-worker partial sums are reduced in
// a fixed order, so two runs agree bit for bit, on every path.
func TestConvBwdFilterDeterministic(t *testing.T) {
	convPaths(t, func(t *testing.T) {
		for _, s := range [][]int{{17, 3, 14, 14, 8}, {5, 16, 14, 14, 64}} { // the second takes Winograd on AVX2
			a, _ := convArgs(s[0], s[1], s[2], s[3], s[4], 3, 3, 1, 1, 1)
			rng := rand.New(rand.NewPCG(1, 2))
			x, dy := cpRand(rng, a.N*a.C*a.H*a.W).s, cpRand(rng, a.N*a.K*a.OH*a.OW).s
			dw1, dw2 := make([]float32, a.K*a.C*a.R*a.S), make([]float32, a.K*a.C*a.R*a.S)
			conv2dBwdFilter(a, x, dy, dw1)
			conv2dBwdFilter(a, x, dy, dw2)
			cpSame(t, "second dw of "+convName(a), dw2, dw1)
		}
	})
}

// TestConvConcurrent runs kernels of different shapes from several goroutines
// at once (two Executables stepping side by side): the shared scratch free
// list must hand each its own memory. Run under -race this also checks the
// worker split.
func TestConvConcurrent(t *testing.T) {
	shapes := []kernels.ConvArgs{}
	for _, s := range [][]int{{5, 1, 28, 28, 6, 5, 5, 1, 2, 1}, {4, 6, 14, 14, 16, 5, 5, 1, 0, 1}, {3, 4, 14, 14, 8, 3, 3, 1, 1, 1}, {3, 16, 14, 14, 16, 3, 3, 1, 1, 1}} {
		a, _ := convArgs(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9])
		shapes = append(shapes, a)
	}
	type run struct{ x, w, y, want []float32 }
	runs := make([]run, len(shapes))
	for i, a := range shapes {
		rng := rand.New(rand.NewPCG(uint64(i), 9))
		r := run{x: cpRand(rng, a.N*a.C*a.H*a.W).s, w: cpRand(rng, a.K*a.C*a.R*a.S).s}
		r.want = make([]float32, a.N*a.K*a.OH*a.OW)
		conv2dFwd(a, r.x, r.w, nil, r.want)
		r.y = make([]float32, len(r.want))
		runs[i] = r
	}
	done := make(chan int)
	for i := range shapes {
		go func() {
			for rep := 0; rep < 20; rep++ {
				conv2dFwd(shapes[i], runs[i].x, runs[i].w, nil, runs[i].y)
			}
			done <- i
		}()
	}
	for range shapes {
		i := <-done
		cpSame(t, fmt.Sprintf("concurrent y of shape %d", i), runs[i].y, runs[i].want)
	}
}

func TestConvRefRejectsBadInstr(t *testing.T) {
	a, _ := convArgs(1, 1, 7, 7, 2, 3, 3, 1, 1, 1)
	x, w := make([]float64, 49), make([]float64, 18)
	bad := []struct {
		name string
		in   kernels.Instr
		args [][]float64
	}{
		{"wrong args type", kernels.Instr{Op: kernels.OpConv2D, Args: kernels.PoolArgs{}}, [][]float64{x, w}},
		{"missing input", kernels.Instr{Op: kernels.OpConv2D, Args: a}, [][]float64{x}},
		{"short x", kernels.Instr{Op: kernels.OpConv2D, Args: a}, [][]float64{x[:48], w}},
		{"bias expected", kernels.Instr{Op: kernels.OpConv2D, Args: func() kernels.ConvArgs { b := a; b.Bias = true; return b }()}, [][]float64{x, w}},
		{"wrong OH", kernels.Instr{Op: kernels.OpConv2D, Args: func() kernels.ConvArgs { b := a; b.OH = 6; return b }()}, [][]float64{x, w}},
		{"zero stride", kernels.Instr{Op: kernels.OpIm2Col, Args: func() kernels.ConvArgs { b := a; b.StrideW = 0; return b }()}, [][]float64{x}},
		{"beta without prior dw", kernels.Instr{Op: kernels.OpConv2DBwdFilter, Args: func() kernels.ConvArgs { b := a; b.Beta = 1; return b }()}, [][]float64{x, make([]float64, 98)}},
		{"filter wider than the input", kernels.Instr{Op: kernels.OpConv2D, Args: func() kernels.ConvArgs {
			b := a
			b.W, b.PadW, b.OW = 1, 0, 1 // (1 − 3)/1 + 1 would truncate to 1
			return b
		}()}, [][]float64{x[:7], w}},
		{"not a conv op", kernels.Instr{Op: kernels.OpGemm, Args: a}, [][]float64{x, w}},
	}
	for _, c := range bad {
		if _, err := refConvPool(c.in, c.args); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// TestConvPoolNoAllocs: after a first call has sized the scratch, the kernels
// allocate nothing (a training step must not feed the garbage collector).
func TestConvPoolNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	// the fourth shape takes Winograd for all three passes on AVX2
	for _, s := range [][]int{{8, 6, 14, 14, 16, 5, 5, 1, 0, 1}, {4, 3, 14, 14, 8, 3, 3, 1, 1, 1}, {3, 2, 9, 9, 4, 3, 3, 2, 1, 1}, {2, 16, 14, 14, 64, 3, 3, 1, 1, 1}} {
		a, _ := convArgs(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9])
		a.Bias, a.Act, a.Beta = true, kernels.ActReLU, 1
		x, w, b := cpRand(rng, a.N*a.C*a.H*a.W).s, cpRand(rng, a.K*a.C*a.R*a.S).s, cpRand(rng, a.K).s
		y, dw := cpRand(rng, a.N*a.K*a.OH*a.OW).s, make([]float32, a.K*a.C*a.R*a.S)
		cols := make([]float32, a.N*a.OH*a.OW*a.C*a.R*a.S)
		p, _ := poolArgs(a.N, a.C, a.H, a.W, 2, 2, 0)
		py, sw := make([]float32, a.N*a.C*p.OH*p.OW), make([]float32, a.N*a.C*p.OH*p.OW)
		for _, k := range []struct {
			name string
			fn   func()
		}{
			{"conv2d", func() { conv2dFwd(a, x, w, b, y) }},
			{"bwd data", func() { conv2dBwdData(a, y, w, x) }},
			{"bwd filter", func() { conv2dBwdFilter(a, x, y, dw) }},
			{"im2col", func() { im2col(a, x, cols) }},
			{"col2im", func() { col2im(a, cols, x) }},
			{"maxpool", func() { maxPoolFwd(p, x, py, sw) }},
			{"maxpool bwd", func() { maxPoolBwd(p, py, sw, x) }},
			{"avgpool", func() { avgPoolFwd(p, x, py) }},
			{"avgpool bwd", func() { avgPoolBwd(p, py, x) }},
		} {
			k.fn()
			n := testing.AllocsPerRun(10, k.fn)
			switch {
			case convRace:
				t.Logf("%s %s: %v allocations per call under the race detector", k.name, convName(a), n)
			case n != 0:
				t.Errorf("%s %s: %v allocations per call, want 0", k.name, convName(a), n)
			}
		}
	}
}
