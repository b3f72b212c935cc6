package cpu

import "github.com/gaborlab/gabor/kernels"

// The stride-1 forward convolution without columns: "direct" GEMM.
//
// The wide layout (conv_wide.go) makes row (c,r,s) of cols the slice of the
// padded plane c starting at r·dh·Wp + s·dw. Instead of copying those slices
// into cols (C·R·S·OH·Wp floats, 9× the padded image for a 3×3 filter) and
// then packing them for the GEMM, sgemmRowsB reads the rows where they lie,
// through a table of their offsets. What the GEMM streams is then the padded
// image itself, small enough for L1/L2, and the unfold and the B packing
// disappear. One image per GEMM, since the rows of two images are not one
// offset apart; M is the output channels, N = OH·Wp.
//
// Forward times on the zoo's layers at batch 128 (GOMAXPROCS=1, min of 3,
// before → after): LeNet 1→6 5×5 3.6 → 1.3 ms, 6→16 5×5 3.6 → 1.4 ms;
// convnet 32→32 at 28×28 48 → 30 ms, 32→64 at 14×14 18 → 16 ms, 64→64
// 35 → 29 ms. The convnet's 1→32 3×3 layer got slower (6.8 → 8.6 ms): with
// a depth of 9 each kernel call is mostly its own set-up and stores, and
// grouping images into long GEMMs (the cols path) wins; hence the floor on
// C·R·S.

// convDirect says whether the forward convolution takes the direct path:
// the wide path applies, a row-table GEMM kernel is there (AVX-512 or
// AVX2, sgemmRowsReady) and the depth C·R·S is at least 16.
func convDirect(a *kernels.ConvArgs) bool {
	switch convPath {
	case convPathCols, convPathWide:
		return false
	case convPathDirect:
		return convWideApplies(a) && sgemmRowsReady()
	}
	return convWideApplies(a) && sgemmRowsReady() && a.C*a.R*a.S >= 16
}

// directRows returns the B row offsets of the wide cols in the padded image:
// row (c,r,s) starts at c·plane + r·dh·Wp + s·dw.
func directRows(a *kernels.ConvArgs, geo wideGeom, off []int) []int {
	crs := a.C * a.R * a.S
	if cap(off) < crs {
		off = make([]int, crs)
	}
	off = off[:crs]
	for c := 0; c < a.C; c++ {
		for r := 0; r < a.R; r++ {
			for s := 0; s < a.S; s++ {
				off[(c*a.R+r)*a.S+s] = c*geo.plane + r*a.DilH*geo.wp + s*a.DilW
			}
		}
	}
	return off
}

func conv2dFwdDirect(a kernels.ConvArgs, x, w, bias, y []float32) {
	runConvJob(a.N, 1, conv2dFwdDirectChunk, &a, x, w, bias, y)
}

// conv2dFwdDirectChunk computes the images [lo, hi) of conv2dFwdDirect.
func conv2dFwdDirectChunk(j *cpJob, lo, hi int) {
	a, x, w, bias, y := &j.conv, j.s[0], j.s[1], j.s[2], j.s[3]
	geo := newWideGeom(a)
	chw, ohw := a.C*a.H*a.W, a.OH*a.OW
	crs, kohw := a.C*a.R*a.S, a.K*a.OH*a.OW
	sc := getConvScratch()
	defer putConvScratch(sc)
	sc.off = directRows(a, geo, sc.off)
	// widePad zeroes geo.slack floats after the planes; the kernel's last
	// 32-column panel may read up to 31 more (into columns it never stores).
	sc.pad = grow(sc.pad, a.C*geo.plane+geo.slack+32)
	clear(sc.pad[a.C*geo.plane:])
	sc.blk = grow(sc.blk, a.K*geo.row)
	for n := lo; n < hi; n++ {
		widePad(a, geo, x[n*chw:(n+1)*chw], sc.pad, 1)
		sgemmRowsB(a.K, geo.row, crs, w, crs, sc.pad, sc.off, sc.blk, geo.row)
		yn := y[n*kohw : (n+1)*kohw]
		for k := 0; k < a.K; k++ {
			src := sc.blk[k*geo.row:]
			dst := yn[k*ohw : (k+1)*ohw]
			for oh := 0; oh < a.OH; oh++ {
				copy(dst[oh*a.OW:(oh+1)*a.OW], src[oh*geo.wp:oh*geo.wp+a.OW])
			}
			biasAct(dst, convBias(bias, k), a.Act)
		}
	}
}

// The backward data pass of a stride-1 correlation is itself one: with
//
//	pd = dh·(R−1) − ph,  pw' = dw·(S−1) − pw,  w'[c,k,r,s] = w[k,c,R−1−r,S−1−s]
//
// dx[n,c,ih,iw] = Σ_{k,r,s} w'[c,k,r,s] · dy[n, k, ih−pd+r·dh, iw−pw'+s·dw]
// (dy read as 0 outside its OH×OW), a forward correlation of dy padded by
// (pd, pw') that gives H×W outputs. So it takes the direct path too, with
// the flipped weights (K·C·R·S floats, built per call) and without the fold.

// Backward data times at batch 128 (GOMAXPROCS=1, min of 3, wide path →
// direct): convnet 32→32 at 28×28 30 → 19 ms, 32→64 at 14×14 12 → 10 ms,
// 64→64 24 → 18 ms. LeNet's unpadded 6→16 5×5 layer got slower (2.2 → 2.7
// ms): its dy needs a border of 4, so 10×10 planes become 18 wide and the
// GEMM multiplies mostly zeros. Hence the direct data pass only for layers
// padded as far as the flipped ones (pd ≤ ph, pw' ≤ pw: the "same" ones).

// flippedArgs is the forward correlation of dy that computes a's backward
// data pass (above), and whether it exists: a is a stride-1 correlation and
// the flipped padding is not negative.
func flippedArgs(a *kernels.ConvArgs) (kernels.ConvArgs, bool) {
	b := kernels.ConvArgs{
		N: a.N, C: a.K, H: a.OH, W: a.OW, K: a.C, R: a.R, S: a.S,
		StrideH: 1, StrideW: 1, DilH: a.DilH, DilW: a.DilW,
		PadH: a.DilH*(a.R-1) - a.PadH, PadW: a.DilW*(a.S-1) - a.PadW,
		OH: a.H, OW: a.W,
	}
	return b, a.StrideH == 1 && a.StrideW == 1 && b.PadH >= 0 && b.PadW >= 0
}

// convDirectData says whether the backward data pass takes the direct path:
// the flipped correlation needs pd, pw' ≥ 0; it must be no wider than the
// forward (above); and with one input channel the GEMM would have a single
// row, so the cols path is kept.
func convDirectData(a *kernels.ConvArgs) bool {
	if convPath == convPathCols || convPath == convPathWide || !convWideApplies(a) || !sgemmRowsReady() {
		return false
	}
	b, ok := flippedArgs(a)
	if !ok {
		return false
	}
	return convPath == convPathDirect || (a.C > 1 && b.PadH <= a.PadH && b.PadW <= a.PadW && a.K*a.R*a.S >= 16)
}

// conv2dBwdDataDirect computes conv2dBwdData as the flipped forward correlation.
func conv2dBwdDataDirect(a kernels.ConvArgs, dy, w, dx []float32) {
	b, _ := flippedArgs(&a)
	sc := getConvScratch()
	defer putConvScratch(sc)
	rs := a.R * a.S
	sc.dw = grow(sc.dw, a.K*a.C*rs)
	for k := 0; k < a.K; k++ {
		for c := 0; c < a.C; c++ {
			src := w[(k*a.C+c)*rs : (k*a.C+c+1)*rs]
			dst := sc.dw[(c*a.K+k)*rs : (c*a.K+k+1)*rs]
			for i, v := range src {
				dst[rs-1-i] = v // (r, s) → (R−1−r, S−1−s) is i → rs−1−i
			}
		}
	}
	conv2dFwdDirect(b, dy, sc.dw, nil, dx)
}
