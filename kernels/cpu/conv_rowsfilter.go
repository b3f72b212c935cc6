package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// The filter gradient of a stride-1 3-wide convolution without columns.
//
// In the wide layout (conv_wide.go) row (c,r,s) of the unfolded image is
// the slice of the padded image at off = c·plane + r·dh·Wp + s, and
//
//	dWᵀ[(c,r,s), k] = Σ_t pad[off(c,r,s) + t] · dYwide[k, t]
//
// (dY is zero in the junk columns). A 6×16 tile of dWᵀ needs six rows of
// the unfolded image; with S = 3 and tiles starting at multiples of three,
// rows 0-2 of a tile are the taps s = 0, 1, 2 of one (c, r), one float
// apart, and so are rows 3-5: the AVX2 kernel reads them where they lie
// from two bases (its a and a3, row stride 1) instead of from a copy of
// C·R·S·OH·Wp floats per image, the same saving as the direct forward
// (conv_direct.go). dYᵀ is packed per depth block as for any GEMM. One
// image at a time, each adding onto the chunk's partial dWᵀ.
//
// Filter gradient at batch 128, GOMAXPROCS=1, AVX2 (2-vCPU EPYC, load
// about 20, best of 5 in CPU time), wide path → this: convnet 32→32 at
// 28×28 32.1 → 26.8 ms, 32→64 at 14×14 16.9 → 14.6 ms, 64→64 30.8 →
// 26.5 ms. Only the AVX2 path takes it: the AVX-512 tile is 12 rows.

// convRowsFilter says whether the filter gradient takes this path: the
// wide layout applies, S = 3 with unit dilation along W, more than one
// input channel (one channel takes the tap dot products, conv_taps.go) and
// the AVX2 kernel is the active one.
func convRowsFilter(a *kernels.ConvArgs) bool {
	if convPath == convPathCols || convPath == convPathWide {
		return false
	}
	return a.C > 1 && a.S == 3 && a.DilW == 1 && convWideApplies(a) && sgemmSplitReady()
}

// conv2dBwdFilterRowsChunk fills the partials of chunks [clo, chi) (see
// conv2dBwdFilter for the chunking and the reduction).
func conv2dBwdFilterRowsChunk(j *cpJob, clo, chi int) {
	const mr, nr = 6, 16
	a, x, dy := &j.conv, j.s[0], j.s[1]
	geo := newWideGeom(a)
	chw, ohw := a.C*a.H*a.W, a.OH*a.OW
	crs := a.C * a.R * a.S
	kc := sgemmBlock(geo.row, sgemmKcMax, 1)
	np := (a.K + nr - 1) / nr
	nch := len(j.parts)
	for ch := clo; ch < chi; ch++ {
		sc := j.parts[ch]
		sc.off = directRows(a, geo, sc.off)
		sc.pad = grow(sc.pad, a.C*geo.plane+geo.slack)
		clear(sc.pad[a.C*geo.plane:])
		// The last row is read up to off + row − 1 + 2 (its tile's third
		// tap), which is C·plane + 1: inside the slack.
		if top := sc.off[crs-1] + geo.row; top > len(sc.pad) {
			panic(fmt.Sprintf("cpu.conv2dBwdFilterRows: rows reach %d of %d padded floats (%+v)", top, len(sc.pad), *a))
		}
		sc.cols = grow(sc.cols, np*nr*kc)
		dw := sc.dw[:crs*a.K]
		clear(dw)
		lo, hi := ch*a.N/nch, (ch+1)*a.N/nch
		for n := lo; n < hi; n++ {
			widePad(a, geo, x[n*chw:(n+1)*chw], sc.pad, 1)
			dyw := wideDY(a, geo, sc, dy[n*a.K*ohw:], 1)
			for pc := 0; pc < geo.row; pc += kc {
				kb := min(kc, geo.row-pc)
				sgemmPackB(true, kb, a.K, nr, dyw, geo.row, pc, 0, sc.cols)
				for jr := 0; jr < a.K; jr += nr {
					bp := sc.cols[jr*kb : (jr+nr)*kb]
					for i := 0; i < crs; i += mr {
						rows := min(mr, crs-i)
						a0 := sc.pad[sc.off[i]+pc:]
						a3 := a0 // a 3-row tile: the kernel's rows 3-5 are not stored
						if rows > 3 {
							a3 = sc.pad[sc.off[i+3]+pc:]
						}
						sgemmSplitTile(kb, a0, a3, bp, dw[i*a.K+jr:], a.K, rows, min(nr, a.K-jr))
					}
				}
			}
		}
	}
}
