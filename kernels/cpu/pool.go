package cpu

import "github.com/gaborlab/gabor/kernels"

// 2-D pooling, NCHW, forward and backward.
//
//	max:  y[p,oh,ow] = max over the window of x[p, oh·sh−ph+i, ow·sw−pw+j],
//	      switches[p,oh,ow] = h·W + w of the first maximum (row-major scan);
//	      padding never wins and a NaN wins at once (it propagates, as in PyTorch)
//	avg:  y[p,oh,ow] = (Σ over the in-bounds part of the window) / (KH·KW)
//
// p runs over the N·C planes; each plane is independent, so every kernel is
// a parallel loop over planes. Window bounds are clamped to the plane once
// per output instead of testing each tap. The backward passes own whole dx
// planes (zeroed, then scattered into), so no two workers write one element.

// poolGrain is the number of planes below which a chunk is not worth a goroutine.
const poolGrain = 4

// poolWindow returns the in-bounds part [lo, hi) of the window starting at
// o·stride − pad of size k over an axis of n positions.
func poolWindow(o, stride, pad, k, n int) (lo, hi int) {
	lo = o*stride - pad
	return max(lo, 0), min(lo+k, n)
}

// maxPoolFwd computes y and the argmax switches (as exact float32 integers).
func maxPoolFwd(a kernels.PoolArgs, x, y, switches []float32) {
	runPoolJob(a.N*a.C, poolGrain, maxPoolFwdChunk, &a, x, y, switches)
}

// maxPoolFwdChunk computes the planes [lo, hi) of maxPoolFwd.
func maxPoolFwdChunk(j *cpJob, lo, hi int) {
	a := &j.pool
	x, y, switches := j.s[0], j.s[1], j.s[2]
	hw, ohw := a.H*a.W, a.OH*a.OW
	pair := a.KH == 2 && a.KW == 2 && a.StrideH == 2 && a.StrideW == 2 && a.PadH == 0 && a.PadW == 0
	for p := lo; p < hi; p++ {
		xp := x[p*hw : (p+1)*hw]
		yp, sp := y[p*ohw:(p+1)*ohw], switches[p*ohw:(p+1)*ohw]
		if pair && (maxPool2x2Rows(a.W, a.OH, a.OW, xp, yp, sp) || maxPool2x2(a.W, a.OH, a.OW, xp, yp, sp)) {
			continue
		}
		for oh := 0; oh < a.OH; oh++ {
			h0, h1 := poolWindow(oh, a.StrideH, a.PadH, a.KH, a.H)
			for ow := 0; ow < a.OW; ow++ {
				w0, w1 := poolWindow(ow, a.StrideW, a.PadW, a.KW, a.W)
				arg := h0*a.W + w0
				best := xp[arg]
			scan:
				for h := h0; h < h1 && best == best; h++ {
					row := xp[h*a.W : h*a.W+w1]
					for w := w0; w < w1; w++ {
						if v := row[w]; v > best {
							best, arg = v, h*a.W+w
						} else if v != v {
							best, arg = v, h*a.W+w
							break scan
						}
					}
				}
				yp[oh*a.OW+ow], sp[oh*a.OW+ow] = best, float32(arg)
			}
		}
	}
}

// maxPool2x2 is maxPoolFwd's plane loop for the zoo's 2×2 windows at stride 2
// without padding. On random data the winner of a compare is a coin toss and
// a branchy scan mispredicts about every other output, so the value comes
// from the max builtin and the position from equality tests written as
// selects (conditional moves), in reverse order so the first maximum wins;
// measured 1.2× faster than branch-free integer keys, 2× faster than the
// general scan. A NaN makes the max NaN: the plane then goes back to the
// general loop, which gives the first NaN its window.
//
// With AVX-512 the same selects run 16 windows at a time
// (pool_avx512_amd64.s; with AVX2 8, pool_avx2_amd64.s), and this loop is
// the fallback: on LeNet's pools
// (batch 128) the vector rows took the forward pool from 6.1 to 0.26 ms of
// CPU per step, a quarter of the whole step before. The branches of the
// scalar selects (a float == is a jump in Go) mispredicted on random data.
func maxPool2x2(w, oh, ow int, xp, yp, sp []float32) bool {
	for i := 0; i < oh; i++ {
		top := 2 * i * w
		r0, r1 := xp[top:top+w], xp[top+w:top+2*w]
		y, s := yp[i*ow:(i+1)*ow], sp[i*ow:(i+1)*ow]
		_, _ = r0[2*len(y)-1], r1[2*len(y)-1] // one bounds check per row
		for j := range y {
			v0, v1, v2, v3 := r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]
			m := max(max(v0, v1), max(v2, v3))
			if m != m {
				return false
			}
			arg := w + 1
			if v2 == m {
				arg = w
			}
			if v1 == m {
				arg = 1
			}
			if v0 == m {
				arg = 0
			}
			at := top + 2*j + arg
			// x[at], not m: the max builtin prefers +0 to −0, the scan the first.
			y[j], s[j] = xp[at], float32(at)
		}
	}
	return true
}

// maxPoolBwd scatters dy onto dx by the switches: dx is zeroed, then
// dx[plane][switch] += dy. With switches from another layer's maxPoolFwd this
// is also Unpool2D.
func maxPoolBwd(a kernels.PoolArgs, dy, switches, dx []float32) {
	runPoolJob(a.N*a.C, poolGrain, maxPoolBwdChunk, &a, dy, switches, dx)
}

// maxPoolBwdChunk computes the planes [lo, hi) of maxPoolBwd.
func maxPoolBwdChunk(j *cpJob, lo, hi int) {
	a := &j.pool
	dy, switches, dx := j.s[0], j.s[1], j.s[2]
	hw, ohw := a.H*a.W, a.OH*a.OW
	for p := lo; p < hi; p++ {
		dxp := dx[p*hw : (p+1)*hw]
		clear(dxp)
		sp := switches[p*ohw : (p+1)*ohw]
		for o, g := range dy[p*ohw : (p+1)*ohw] {
			dxp[int(sp[o])] += g
		}
	}
}

// avgPoolFwd averages each window, dividing by KH·KW (padding counted).
func avgPoolFwd(a kernels.PoolArgs, x, y []float32) {
	runPoolJob(a.N*a.C, poolGrain, avgPoolFwdChunk, &a, x, y)
}

// avgPoolFwdChunk computes the planes [lo, hi) of avgPoolFwd.
func avgPoolFwdChunk(j *cpJob, lo, hi int) {
	a := &j.pool
	x, y := j.s[0], j.s[1]
	hw, ohw := a.H*a.W, a.OH*a.OW
	area := float32(a.KH * a.KW)
	for p := lo; p < hi; p++ {
		xp, yp := x[p*hw:(p+1)*hw], y[p*ohw:(p+1)*ohw]
		for oh := 0; oh < a.OH; oh++ {
			h0, h1 := poolWindow(oh, a.StrideH, a.PadH, a.KH, a.H)
			for ow := 0; ow < a.OW; ow++ {
				w0, w1 := poolWindow(ow, a.StrideW, a.PadW, a.KW, a.W)
				var s float32
				for h := h0; h < h1; h++ {
					for _, v := range xp[h*a.W+w0 : h*a.W+w1] {
						s += v
					}
				}
				yp[oh*a.OW+ow] = s / area
			}
		}
	}
}

// avgPoolBwd spreads dy/(KH·KW) over each window's in-bounds positions (dx overwritten).
func avgPoolBwd(a kernels.PoolArgs, dy, dx []float32) {
	runPoolJob(a.N*a.C, poolGrain, avgPoolBwdChunk, &a, dy, dx)
}

// avgPoolBwdChunk computes the planes [lo, hi) of avgPoolBwd.
func avgPoolBwdChunk(j *cpJob, lo, hi int) {
	a := &j.pool
	dy, dx := j.s[0], j.s[1]
	hw, ohw := a.H*a.W, a.OH*a.OW
	area := float32(a.KH * a.KW)
	for p := lo; p < hi; p++ {
		dxp, dyp := dx[p*hw:(p+1)*hw], dy[p*ohw:(p+1)*ohw]
		clear(dxp)
		for oh := 0; oh < a.OH; oh++ {
			h0, h1 := poolWindow(oh, a.StrideH, a.PadH, a.KH, a.H)
			for ow := 0; ow < a.OW; ow++ {
				w0, w1 := poolWindow(ow, a.StrideW, a.PadW, a.KW, a.W)
				g := dyp[oh*a.OW+ow] / area
				for h := h0; h < h1; h++ {
					d := dxp[h*a.W+w0 : h*a.W+w1]
					for i := range d {
						d[i] += g
					}
				}
			}
		}
	}
}
