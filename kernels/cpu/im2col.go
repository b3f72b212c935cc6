package cpu

import "github.com/gaborlab/gabor/kernels"

// Unfolding images into columns, in two layouts.
//
// unfold/fold (internal, used by the convolution GEMMs): one image becomes a
// [C·R·S, OH·OW] block of a wider matrix: row (c,r,s), column oh·OW+ow holds
// x[c, oh·sh−ph+r·dh, ow·sw−pw+s·dw], 0 in the padding. Each row is a strided
// copy of input rows, so the loops run over whole output rows, with the
// in-bounds range of ow worked out once per tap instead of tested per pixel.
//
// im2col/col2im (the OpIm2Col/OpCol2Im instructions): gorgonia's Conv2d
// layout [N, OH, OW, C·R·S], c slowest, then r, then s, the transpose of the
// block above. The graph compiler lowers gorgonia's im2col op to it.
//
// fold and col2im are the adjoints (sums over overlapping patches).

// validRange returns the output positions o in [0, nOut) whose input
// position o·stride + off falls inside [0, nIn), as [lo, hi).
func validRange(nOut, nIn, stride, off int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	if t := nIn - 1 - off; t >= 0 {
		hi = t/stride + 1
	}
	lo, hi = min(lo, nOut), min(hi, nOut)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// unfold writes one image x [C, H, W] into cols [C·R·S rows, row stride ld],
// columns [0, OH·OW).
func unfold(a *kernels.ConvArgs, x, cols []float32, ld int) {
	hw := a.H * a.W
	same := a.StrideH == 1 && a.StrideW == 1 && a.OW == a.W
	for c := 0; c < a.C; c++ {
		xc := x[c*hw : (c+1)*hw]
		for r := 0; r < a.R; r++ {
			offH := r*a.DilH - a.PadH
			ohLo, ohHi := validRange(a.OH, a.H, a.StrideH, offH)
			for s := 0; s < a.S; s++ {
				offW := s*a.DilW - a.PadW
				owLo, owHi := validRange(a.OW, a.W, a.StrideW, offW)
				row := cols[((c*a.R+r)*a.S+s)*ld:]
				if same {
					unfoldSame(a, xc, row[:a.OH*a.OW], offH, offW, ohLo, ohHi, owLo, owHi)
					continue
				}
				for oh := 0; oh < a.OH; oh++ {
					dst := row[oh*a.OW : (oh+1)*a.OW]
					if oh < ohLo || oh >= ohHi || owLo == owHi {
						clear(dst)
						continue
					}
					src := xc[(oh*a.StrideH+offH)*a.W:]
					clear(dst[:owLo])
					clear(dst[owHi:])
					if a.StrideW == 1 {
						copy(dst[owLo:owHi], src[owLo+offW:owHi+offW])
					} else {
						for ow := owLo; ow < owHi; ow++ {
							dst[ow] = src[ow*a.StrideW+offW]
						}
					}
				}
			}
		}
	}
}

// unfoldSame is one row of unfold for a stride-1 correlation whose output is
// as wide as its input (the "same" padding of the zoo). Output position
// t = oh·W + ow then reads input t + offH·W + offW: the whole row is one
// shifted copy of the plane, after which the few positions whose column fell
// off the left or right edge (and so wrapped onto the next row) are zeroed.
func unfoldSame(a *kernels.ConvArgs, xc, row []float32, offH, offW, ohLo, ohHi, owLo, owHi int) {
	delta := offH*a.W + offW
	tLo, tHi := max(ohLo*a.W, -delta), min(ohHi*a.W, a.H*a.W-delta)
	if tHi <= tLo || owLo == owHi {
		clear(row)
		return
	}
	clear(row[:tLo])
	copy(row[tLo:tHi], xc[tLo+delta:tHi+delta])
	clear(row[tHi:])
	if owLo == 0 && owHi == a.OW {
		return
	}
	// The clipped columns are a padding's width (1 or 2) per output row:
	// plain stores, where clear would be a call each.
	for oh := ohLo; oh < ohHi; oh++ {
		r := row[oh*a.OW : (oh+1)*a.OW]
		for ow := 0; ow < owLo; ow++ {
			r[ow] = 0
		}
		for ow := owHi; ow < len(r); ow++ {
			r[ow] = 0
		}
	}
}

// fold adds the columns [0, OH·OW) of cols (row stride ld) back onto their
// input pixels of one image dx [C, H, W]: dx += unfoldᵀ(cols).
func fold(a *kernels.ConvArgs, cols []float32, ld int, dx []float32) {
	hw := a.H * a.W
	for c := 0; c < a.C; c++ {
		dc := dx[c*hw : (c+1)*hw]
		for r := 0; r < a.R; r++ {
			offH := r*a.DilH - a.PadH
			ohLo, ohHi := validRange(a.OH, a.H, a.StrideH, offH)
			for s := 0; s < a.S; s++ {
				offW := s*a.DilW - a.PadW
				owLo, owHi := validRange(a.OW, a.W, a.StrideW, offW)
				if owLo == owHi {
					continue
				}
				row := cols[((c*a.R+r)*a.S+s)*ld:]
				for oh := ohLo; oh < ohHi; oh++ {
					src := row[oh*a.OW+owLo : oh*a.OW+owHi]
					dst := dc[(oh*a.StrideH+offH)*a.W:]
					if a.StrideW == 1 {
						addTo(dst[owLo+offW:owHi+offW], src)
					} else {
						for i, v := range src {
							dst[(owLo+i)*a.StrideW+offW] += v
						}
					}
				}
			}
		}
	}
}

// addTo does dst[i] += src[i] for i < len(src). Unrolled by eight over
// three-index slices, so the compiler drops the bounds checks: 1.7× the
// speed of the plain range loop, which matters in the folds, where this is
// the whole inner loop.
func addTo(dst, src []float32) {
	if addToVec(dst, src) {
		return // 16 lanes a step (stream_avx512_amd64.s)
	}
	n := len(src)
	dst = dst[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		d, s := dst[i:i+8:i+8], src[i:i+8:i+8]
		d[0] += s[0]
		d[1] += s[1]
		d[2] += s[2]
		d[3] += s[3]
		d[4] += s[4]
		d[5] += s[5]
		d[6] += s[6]
		d[7] += s[7]
	}
	for ; i < n; i++ {
		dst[i] += src[i]
	}
}

// im2col writes x [N, C, H, W] as cols [N, OH, OW, C·R·S] (gorgonia's layout).
func im2col(a kernels.ConvArgs, x, cols []float32) {
	runConvJob(a.N*a.OH, 1, im2colChunk, &a, x, cols)
}

// im2colChunk writes the output rows (n, oh) in [lo, hi).
func im2colChunk(j *cpJob, lo, hi int) {
	a, x, cols := &j.conv, j.s[0], j.s[1]
	crs, chw, hw := a.C*a.R*a.S, a.C*a.H*a.W, a.H*a.W
	for row := lo; row < hi; row++ {
		n, oh := row/a.OH, row%a.OH
		xn := x[n*chw : (n+1)*chw]
		for ow := 0; ow < a.OW; ow++ {
			dst := cols[(row*a.OW+ow)*crs : (row*a.OW+ow+1)*crs]
			for c := 0; c < a.C; c++ {
				for r := 0; r < a.R; r++ {
					d := dst[(c*a.R+r)*a.S : (c*a.R+r+1)*a.S]
					ih := oh*a.StrideH - a.PadH + r*a.DilH
					if ih < 0 || ih >= a.H {
						clear(d)
						continue
					}
					src := xn[c*hw+ih*a.W : c*hw+(ih+1)*a.W]
					iw := ow*a.StrideW - a.PadW
					for s := range d {
						if iw >= 0 && iw < a.W {
							d[s] = src[iw]
						} else {
							d[s] = 0
						}
						iw += a.DilW
					}
				}
			}
		}
	}
}

// col2im writes dx = im2colᵀ(cols): each column entry is added onto the input
// pixel it was read from (dx is overwritten).
func col2im(a kernels.ConvArgs, cols, dx []float32) {
	runConvJob(a.N, 1, col2imChunk, &a, cols, dx)
}

// col2imChunk writes the images [lo, hi) of dx.
func col2imChunk(j *cpJob, lo, hi int) {
	a, cols, dx := &j.conv, j.s[0], j.s[1]
	crs, chw, hw := a.C*a.R*a.S, a.C*a.H*a.W, a.H*a.W
	for n := lo; n < hi; n++ {
		dxn := dx[n*chw : (n+1)*chw]
		clear(dxn)
		for oh := 0; oh < a.OH; oh++ {
			for ow := 0; ow < a.OW; ow++ {
				src := cols[((n*a.OH+oh)*a.OW+ow)*crs:]
				for c := 0; c < a.C; c++ {
					for r := 0; r < a.R; r++ {
						ih := oh*a.StrideH - a.PadH + r*a.DilH
						if ih < 0 || ih >= a.H {
							continue
						}
						d := dxn[c*hw+ih*a.W : c*hw+(ih+1)*a.W]
						sr := src[(c*a.R+r)*a.S : (c*a.R+r+1)*a.S]
						iw := ow*a.StrideW - a.PadW
						for _, v := range sr {
							if iw >= 0 && iw < a.W {
								d[iw] += v
							}
							iw += a.DilW
						}
					}
				}
			}
		}
	}
}
