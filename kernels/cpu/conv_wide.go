package cpu

import "github.com/gaborlab/gabor/kernels"

// The stride-1 convolution without an unfold loop: "wide" columns.
//
// With stride 1, output (oh, ow) reads tap (c, r, s) at padded position
// (oh + r·dh, ow + s·dw). Give every output row the padded width Wp = W + 2·pw
// instead of OW (the extra ow ∈ [OW, Wp) are junk, dropped later): the flat
// output index t = oh·Wp + ow then reads padded index t + r·dh·Wp + s·dw,
// so row (c,r,s) of cols is one contiguous slice of the padded plane. The
// unfold becomes C·R·S block copies of OH·Wp floats (instead of C·R·S·OH
// short ones plus edge tests), and the fold of the backward data pass
// C·R·S block additions. The price is Wp/OW more GEMM work: 1.07× to 1.14×
// for the padded layers of the zoo, 1.4× for LeNet's unpadded 14→10 layer,
// where the block copies still win.
//
// The last slice of a plane runs (S−1)·dw floats past it, into the next plane
// or the zeroed slack after the last one; it only feeds junk columns. dY is
// widened with zeros in the junk columns, so for the two backward passes the
// junk contributes exactly nothing.

// convWide says whether the wide path applies: stride 1 along both axes.
// convPath overrides the choice between the wide and the unfolded path, so
// tests can run every shape both ways.
var convPath = convPathAuto

const (
	convPathAuto   = iota
	convPathCols   // never wide
	convPathWide   // wide wherever it applies (stride 1, not pointwise)
	convPathDirect // the direct forward wherever it applies, wide elsewhere
	// Winograd F(2×2, 3×3) for all three passes wherever it applies
	// (conv_winograd*.go), the automatic choice elsewhere
	convPathWinograd
)

// convWideApplies: the wide path computes stride-1 correlations only, and a
// pointwise one needs no unfold at all.
func convWideApplies(a *kernels.ConvArgs) bool {
	return a.StrideH == 1 && a.StrideW == 1 && !isPointwise(a)
}

// convWide says whether the forward and filter-gradient passes take the wide
// path: when, besides, the output is narrower than the input. When OW = W
// (the zoo's padded layers) unfold already copies whole planes (unfoldSame)
// and the wide path's extra columns cost more than they save; on LeNet's
// 14→10 layer the wide path measured 1.5× faster.
func convWide(a *kernels.ConvArgs) bool {
	switch convPath {
	case convPathCols:
		return false
	case convPathWide, convPathDirect:
		return convWideApplies(a)
	}
	return convWideApplies(a) && a.OW != a.W
}

// convWideData says whether the backward data pass takes the wide path:
// when, besides, there is more than one input channel. The wide fold is one
// block addition per tap and beat the row-by-row fold by 5–10% on the
// convnet's layers; with C = 1 the fold is short and padding costs more.
func convWideData(a *kernels.ConvArgs) bool {
	switch convPath {
	case convPathCols:
		return false
	case convPathWide:
		return convWideApplies(a)
	}
	return convWideApplies(a) && a.C > 1
}

// wideGeom holds the padded plane sizes.
type wideGeom struct {
	hp, wp int // padded height and width
	plane  int // hp·wp
	row    int // OH·wp: one wide output plane, one row of cols per image
	slack  int // floats past the last plane that the last slice reads
}

func newWideGeom(a *kernels.ConvArgs) wideGeom {
	hp, wp := a.H+2*a.PadH, a.W+2*a.PadW
	return wideGeom{hp: hp, wp: wp, plane: hp * wp, row: a.OH * wp, slack: (a.S - 1) * a.DilW}
}

// widePad copies g images x [g, C, H, W] into pad [g·C planes of hp×wp] with
// zero borders, followed by g.slack zeros.
func widePad(a *kernels.ConvArgs, geo wideGeom, x, pad []float32, g int) {
	for p := 0; p < g*a.C; p++ {
		dst := pad[p*geo.plane : (p+1)*geo.plane]
		src := x[p*a.H*a.W : (p+1)*a.H*a.W]
		if geo.wp == a.W && geo.hp == a.H {
			copy(dst, src)
			continue
		}
		clear(dst[:a.PadH*geo.wp])
		clear(dst[(a.PadH+a.H)*geo.wp:])
		for h := 0; h < a.H; h++ {
			row := dst[(a.PadH+h)*geo.wp : (a.PadH+h+1)*geo.wp]
			clear(row[:a.PadW])
			copy(row[a.PadW:a.PadW+a.W], src[h*a.W:(h+1)*a.W])
			clear(row[a.PadW+a.W:])
		}
	}
	clear(pad[g*a.C*geo.plane : g*a.C*geo.plane+geo.slack])
}

// wideCols builds cols [C·R·S, g·geo.row] from g padded images.
func wideCols(a *kernels.ConvArgs, geo wideGeom, pad, cols []float32, g int) {
	ld := g * geo.row
	for i := 0; i < g; i++ {
		for c := 0; c < a.C; c++ {
			base := pad[(i*a.C+c)*geo.plane:]
			for r := 0; r < a.R; r++ {
				for s := 0; s < a.S; s++ {
					off := r*a.DilH*geo.wp + s*a.DilW
					row := ((c*a.R+r)*a.S + s) * ld
					copy(cols[row+i*geo.row:row+(i+1)*geo.row], base[off:off+geo.row])
				}
			}
		}
	}
}

// wideB pads g images into the scratch and returns their wide cols.
func wideB(a *kernels.ConvArgs, geo wideGeom, sc *convScratch, x []float32, g int) []float32 {
	sc.pad = grow(sc.pad, g*a.C*geo.plane+geo.slack)
	widePad(a, geo, x, sc.pad, g)
	sc.cols = grow(sc.cols, a.C*a.R*a.S*g*geo.row)
	wideCols(a, geo, sc.pad, sc.cols, g)
	return sc.cols
}

// wideDY gathers dY of g images into [K, g·geo.row], zero in the junk columns.
func wideDY(a *kernels.ConvArgs, geo wideGeom, sc *convScratch, dy []float32, g int) []float32 {
	ld, ohw := g*geo.row, a.OH*a.OW
	sc.blk = grow(sc.blk, a.K*ld)
	for i := 0; i < g; i++ {
		for k := 0; k < a.K; k++ {
			src := dy[(i*a.K+k)*ohw : (i*a.K+k+1)*ohw]
			dst := sc.blk[k*ld+i*geo.row : k*ld+(i+1)*geo.row]
			for oh := 0; oh < a.OH; oh++ {
				d := dst[oh*geo.wp : (oh+1)*geo.wp]
				copy(d, src[oh*a.OW:(oh+1)*a.OW])
				clear(d[a.OW:])
			}
		}
	}
	return sc.blk
}

func conv2dFwdWide(a kernels.ConvArgs, x, w, bias, y []float32) {
	runConvJob(a.N, convGroupFor(&a, a.OH*(a.W+2*a.PadW)), conv2dFwdWideChunk, &a, x, w, bias, y)
}

// conv2dFwdWideChunk computes the images [lo, hi) of conv2dFwdWide.
func conv2dFwdWideChunk(j *cpJob, lo, hi int) {
	a, x, w, bias, y := &j.conv, j.s[0], j.s[1], j.s[2], j.s[3]
	geo := newWideGeom(a)
	chw, ohw := a.C*a.H*a.W, a.OH*a.OW
	crs, kohw := a.C*a.R*a.S, a.K*a.OH*a.OW
	nb := convGroupFor(a, geo.row)
	sc := getConvScratch()
	defer putConvScratch(sc)
	for n0 := lo; n0 < hi; n0 += nb {
		g := min(nb, hi-n0)
		ld := g * geo.row
		b := wideB(a, geo, sc, x[n0*chw:(n0+g)*chw], g)
		sc.blk = grow(sc.blk, a.K*ld)
		Sgemm(false, false, a.K, ld, crs, 1, w, crs, b, ld, 0, sc.blk, ld)
		for i := 0; i < g; i++ {
			yn := y[(n0+i)*kohw : (n0+i+1)*kohw]
			for k := 0; k < a.K; k++ {
				src := sc.blk[k*ld+i*geo.row:]
				dst := yn[k*ohw : (k+1)*ohw]
				for oh := 0; oh < a.OH; oh++ {
					copy(dst[oh*a.OW:(oh+1)*a.OW], src[oh*geo.wp:oh*geo.wp+a.OW])
				}
				biasAct(dst, convBias(bias, k), a.Act)
			}
		}
	}
}

func conv2dBwdDataWide(a kernels.ConvArgs, dy, w, dx []float32) {
	runConvJob(a.N, convGroupFor(&a, a.OH*(a.W+2*a.PadW)), conv2dBwdDataWideChunk, &a, dy, w, dx)
}

// conv2dBwdDataWideChunk computes the images [lo, hi) of conv2dBwdDataWide.
func conv2dBwdDataWideChunk(j *cpJob, lo, hi int) {
	a, dy, w, dx := &j.conv, j.s[0], j.s[1], j.s[2]
	geo := newWideGeom(a)
	chw, crs := a.C*a.H*a.W, a.C*a.R*a.S
	nb := convGroupFor(a, geo.row)
	sc := getConvScratch()
	defer putConvScratch(sc)
	for n0 := lo; n0 < hi; n0 += nb {
		g := min(nb, hi-n0)
		ld := g * geo.row
		dyb := wideDY(a, geo, sc, dy[n0*a.K*a.OH*a.OW:], g)
		sc.cols = grow(sc.cols, crs*ld)
		Sgemm(true, false, crs, ld, a.K, 1, w, crs, dyb, ld, 0, sc.cols, ld)
		// Fold: each row of dcols adds onto its shifted slice of the padded
		// dx planes; the junk columns add zeros.
		sc.pad = grow(sc.pad, g*a.C*geo.plane+geo.slack)
		clear(sc.pad)
		for i := 0; i < g; i++ {
			for c := 0; c < a.C; c++ {
				base := sc.pad[(i*a.C+c)*geo.plane:]
				for r := 0; r < a.R; r++ {
					for s := 0; s < a.S; s++ {
						off := r*a.DilH*geo.wp + s*a.DilW
						row := ((c*a.R+r)*a.S + s) * ld
						src := sc.cols[row+i*geo.row : row+(i+1)*geo.row]
						addTo(base[off:off+len(src)], src)
					}
				}
			}
		}
		for p := 0; p < g*a.C; p++ {
			src := sc.pad[p*geo.plane:]
			dst := dx[n0*chw+p*a.H*a.W : n0*chw+(p+1)*a.H*a.W]
			for h := 0; h < a.H; h++ {
				copy(dst[h*a.W:(h+1)*a.W], src[(a.PadH+h)*geo.wp+a.PadW:])
			}
		}
	}
}

// conv2dBwdFilterWideChunk is conv2dBwdFilterChunk over wide columns (see
// conv2dBwdFilter for the chunking and the reduction).
func conv2dBwdFilterWideChunk(j *cpJob, clo, chi int) {
	a, x, dy := &j.conv, j.s[0], j.s[1]
	geo := newWideGeom(a)
	chw, crs := a.C*a.H*a.W, a.C*a.R*a.S
	nb := convGroupFor(a, geo.row)
	nch := len(j.parts)
	for c := clo; c < chi; c++ {
		sc := j.parts[c]
		var beta float32
		lo, hi := c*a.N/nch, (c+1)*a.N/nch
		for n0 := lo; n0 < hi; n0 += nb {
			g := min(nb, hi-n0)
			ld := g * geo.row
			b := wideB(a, geo, sc, x[n0*chw:(n0+g)*chw], g)
			dyb := wideDY(a, geo, sc, dy[n0*a.K*a.OH*a.OW:], g)
			Sgemm(false, true, crs, a.K, ld, 1, b, ld, dyb, ld, beta, sc.dw, a.K)
			beta = 1
		}
	}
}
