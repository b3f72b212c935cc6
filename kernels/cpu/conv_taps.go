package cpu

import "github.com/gaborlab/gabor/kernels"

// The filter gradient of a one-channel layer as dot products.
//
// With C = 1 the GEMM cols·dYᵀ is a poor fit: C·R·S rows (25 for LeNet's
// 5×5 conv1) by K columns (6) leave most of a register tile empty, and the
// columns must be unfolded and dY transposed for it. Written out,
//
//	dW[k, r, s] = Σ_n Σ_t dYwide[n, k, t] · xpad[n, t + r·dh·Wp + s]
//
// over the wide output positions t (conv_wide.go: dY is zero in the junk
// columns), so for one (n, k, r) the S taps are dot products of one dY row
// with S consecutive shifts of one padded row: tapDots8 does eight shifts at
// once, 16 positions a step, everything in L1. Each lane accumulates over
// the chunk's images in image order (float32, as the GEMM path does); the 16
// lanes are then added in float64.
//
// Filter gradient at batch 128, GOMAXPROCS=1, min of 3, GEMM path → this:
// LeNet conv1 (1→6, 5×5) 4.7 → 1.4 ms, convnet conv1 (1→32, 3×3, three of
// the eight shifts used) 6.9 → 5.4 ms; the LeNet step 10.0 → 8.4 ms.

// convTapsFilter says whether the filter gradient takes this path.
func convTapsFilter(a *kernels.ConvArgs) bool {
	if convPath == convPathCols || convPath == convPathWide {
		return false
	}
	return a.C == 1 && convWideApplies(a) && a.DilW == 1 && a.S <= 8 && streamVec()
}

// conv2dBwdFilterTapsChunk fills the partials of chunks [clo, chi) (see
// conv2dBwdFilter for the chunking and the reduction).
func conv2dBwdFilterTapsChunk(j *cpJob, clo, chi int) {
	a, x, dy := &j.conv, j.s[0], j.s[1]
	geo := newWideGeom(a)
	hw, ohw := a.H*a.W, a.OH*a.OW
	tp := (geo.row + 15) / 16 * 16 // dY rows padded to whole vectors
	nch := len(j.parts)
	for ch := clo; ch < chi; ch++ {
		sc := j.parts[ch]
		// The last shift reads up to 22 floats past tp from the last
		// row's start, which is at most a plane + 15 floats.
		sc.pad = grow(sc.pad, geo.plane+geo.slack+40)
		clear(sc.pad[geo.plane:])
		sc.blk = grow(sc.blk, tp)
		// Lane sums per (k, r), 8 shifts × 16 lanes, over the chunk's images.
		sc.cols = grow(sc.cols, a.K*a.R*128)
		clear(sc.cols)
		lo, hi := ch*a.N/nch, (ch+1)*a.N/nch
		for n := lo; n < hi; n++ {
			widePad(a, geo, x[n*hw:(n+1)*hw], sc.pad, 1)
			for k := 0; k < a.K; k++ {
				src := dy[(n*a.K+k)*ohw : (n*a.K+k+1)*ohw]
				d := sc.blk[:tp]
				clear(d)
				for oh := 0; oh < a.OH; oh++ {
					copy(d[oh*geo.wp:], src[oh*a.OW:(oh+1)*a.OW])
				}
				for r := 0; r < a.R; r++ {
					tapDots8(d, sc.pad[r*a.DilH*geo.wp:], sc.cols[(k*a.R+r)*128:])
				}
			}
		}
		for k := 0; k < a.K; k++ {
			for r := 0; r < a.R; r++ {
				for s := 0; s < a.S; s++ {
					var sum float64
					for _, v := range sc.cols[(k*a.R+r)*128+s*16:][:16] {
						sum += float64(v)
					}
					sc.dw[(r*a.S+s)*a.K+k] = float32(sum)
				}
			}
		}
	}
}
