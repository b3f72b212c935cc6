package cpu

import "github.com/gaborlab/gabor/kernels"

// The two backward passes of conv2dFwd (see conv.go for the layout).
//
//	dx[n,c,ih,iw] = Σ_{k,r,s} w[k,c,r,s] · dy[n,k,oh,ow]  over ih = oh·sh−ph+r·dh, iw = ow·sw−pw+s·dw
//	dw[k,c,r,s]   = Beta·dw + Σ_{n,oh,ow} dy[n,k,oh,ow] · x[n,c,ih,iw]
//
// The first is a GEMM Wᵀ·dY into columns followed by fold (the adjoint of
// unfold), the second a GEMM cols·dYᵀ over the unfolded input, giving dWᵀ.

// gatherDY returns dY of g images starting at dy as one K × g·OHW matrix: the
// images' own planes when g = 1, else a copy into the scratch block.
func gatherDY(a *kernels.ConvArgs, sc *convScratch, dy []float32, g int) []float32 {
	ohw, kohw := a.OH*a.OW, a.K*a.OH*a.OW
	if g == 1 {
		return dy[:kohw]
	}
	ld := g * ohw
	sc.blk = grow(sc.blk, a.K*ld)
	for i := 0; i < g; i++ {
		for k := 0; k < a.K; k++ {
			copy(sc.blk[k*ld+i*ohw:k*ld+(i+1)*ohw], dy[i*kohw+k*ohw:i*kohw+(k+1)*ohw])
		}
	}
	return sc.blk
}

// conv2dBwdData computes dx, the full correlation of dy with w (dx is
// overwritten). It is also ConvTranspose2D's forward.
func conv2dBwdData(a kernels.ConvArgs, dy, w, dx []float32) {
	if b, ok := flippedArgs(&a); ok && convWinograd(&b) {
		conv2dBwdDataWinograd(b, dy, w, dx)
		return
	}
	if convDirectData(&a) {
		conv2dBwdDataDirect(a, dy, w, dx)
		return
	}
	if convWideData(&a) {
		conv2dBwdDataWide(a, dy, w, dx)
		return
	}
	runConvJob(a.N, convGroup(&a), conv2dBwdDataChunk, &a, dy, w, dx)
}

// conv2dBwdDataChunk computes the images [lo, hi) of conv2dBwdData.
func conv2dBwdDataChunk(j *cpJob, lo, hi int) {
	a, dy, w, dx := &j.conv, j.s[0], j.s[1], j.s[2]
	chw, ohw := a.C*a.H*a.W, a.OH*a.OW
	crs, kohw := a.C*a.R*a.S, a.K*a.OH*a.OW
	nb := convGroup(a)
	sc := getConvScratch()
	defer putConvScratch(sc)
	for n0 := lo; n0 < hi; n0 += nb {
		g := min(nb, hi-n0)
		ld := g * ohw
		dyb := gatherDY(a, sc, dy[n0*kohw:], g)
		if g == 1 && isPointwise(a) {
			Sgemm(true, false, a.C, ohw, a.K, 1, w, crs, dyb, ohw, 0, dx[n0*chw:(n0+1)*chw], ohw)
			continue
		}
		sc.cols = grow(sc.cols, crs*ld)
		Sgemm(true, false, crs, ld, a.K, 1, w, crs, dyb, ld, 0, sc.cols, ld)
		for i := 0; i < g; i++ {
			dxn := dx[(n0+i)*chw : (n0+i+1)*chw]
			clear(dxn)
			fold(a, sc.cols[i*ohw:], ld, dxn)
		}
	}
}

// conv2dBwdFilter computes dw = a.Beta·dw + Σ_n x[n] ⋆ dy[n].
//
// The batch is cut into one chunk per worker, each summing its images into
// its own dWᵀ [CRS, K]; the partials are then transposed and added onto dw in
// chunk order, so the sum is the same on every run.
func conv2dBwdFilter(a kernels.ConvArgs, x, dy, dw []float32) {
	crs := a.C * a.R * a.S
	nch := min(Workers(), a.N)
	j := getCPJob()
	for range nch {
		sc := getConvScratch()
		sc.dw = grow(sc.dw, crs*a.K)
		j.parts = append(j.parts, sc)
	}
	j.conv, j.s[0], j.s[1] = a, x, dy
	j.body = conv2dBwdFilterChunk
	if convWinogradFilter(&a) {
		j.body = conv2dBwdFilterWinoChunk
	} else if convTapsFilter(&a) {
		j.body = conv2dBwdFilterTapsChunk
	} else if convRowsFilter(&a) {
		j.body = conv2dBwdFilterRowsChunk
	} else if convWide(&a) {
		j.body = conv2dBwdFilterWideChunk
	}
	parallelFor(nch, 1, j.run)
	for k := 0; k < a.K; k++ {
		row := dw[k*crs : (k+1)*crs]
		for i := range row {
			var s float32
			for _, sc := range j.parts {
				s += sc.dw[i*a.K+k]
			}
			if a.Beta != 0 {
				s += a.Beta * row[i]
			}
			row[i] = s
		}
	}
	for _, sc := range j.parts {
		putConvScratch(sc)
	}
	putCPJob(j)
}

// conv2dBwdFilterChunk fills the partials of chunks [clo, chi) over unfolded
// columns (any stride).
func conv2dBwdFilterChunk(j *cpJob, clo, chi int) {
	a, x, dy := &j.conv, j.s[0], j.s[1]
	chw, ohw := a.C*a.H*a.W, a.OH*a.OW
	crs, kohw := a.C*a.R*a.S, a.K*a.OH*a.OW
	nb := convGroup(a)
	nch := len(j.parts)
	for c := clo; c < chi; c++ {
		sc := j.parts[c]
		var beta float32
		lo, hi := c*a.N/nch, (c+1)*a.N/nch
		for n0 := lo; n0 < hi; n0 += nb {
			g := min(nb, hi-n0)
			ld := g * ohw
			b := convB(a, sc, x[n0*chw:(n0+g)*chw], g)
			dyb := gatherDY(a, sc, dy[n0*kohw:], g)
			Sgemm(false, true, crs, a.K, ld, 1, b, ld, dyb, ld, beta, sc.dw, a.K)
			beta = 1
		}
	}
}
