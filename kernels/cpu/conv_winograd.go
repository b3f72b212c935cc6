package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// The stride-1 3×3 convolution by Winograd's minimal filtering F(2×2, 3×3).
//
// The output is cut into 2×2 tiles; tile t reads a 4×4 patch d_t of the
// padded input, and for each pair of channels
//
//	y_t = Aᵀ · [ Σ_c (G·w[k,c]·Gᵀ) ⊙ (Bᵀ·d_t[c]·B) ] · A
//
// with the constant 4×4, 4×3 and 4×2 matrices B, G and A below. Writing
// U[ξ][k][c] for the transformed filters and V[ξ][c][t] for the transformed
// patches (ξ = 4i+j runs over the 16 points of the 4×4 domain), the sum is
// 16 independent GEMMs M[ξ] = U[ξ]·V[ξ], [K×C]·[C×T]: 16 multiplications
// per tile and channel pair where the direct convolution does 36, so 2.25×
// fewer FLOPs, plus the two transforms, which are additions only.
//
//	    ⎡1  0 −1  0⎤       ⎡1   0   0⎤       ⎡1  0⎤
//	Bᵀ= ⎢0  1  1  0⎥   G = ⎢½   ½   ½⎥   A = ⎢1  1⎥
//	    ⎢0 −1  1  0⎥       ⎢½  −½   ½⎥       ⎢1 −1⎥
//	    ⎣0  1  0 −1⎦       ⎣0   0   1⎦       ⎣0 −1⎦
//
// Layout. The transforms (winograd_avx2_amd64.s) take eight tiles of one
// row of tiles at a time, an "octet"; a row of tiles is padded to whole
// octets (the convnet's 28-wide layers have 14 tiles a row, so 16 are
// computed and the last outputs are not stored). The padded input plane is
// 16·octets+2 wide and 2·tile rows+2 high. Two octets make one packed
// 16-column panel of V, [ξ][panel][c][16], which the AVX2 GEMM kernel reads
// as it reads a packed B; M is [ξ][Kp][16·panels] (each ξ block of both
// followed by winoSkew floats) with Kp = K rounded up to
// whole tiles of the 6×16 and 4×16 kernels (U has zero rows there). The
// output transform adds the bias, applies ReLU and stores the eight tiles'
// 2×2 outputs straight into y.
//
// Blocks of winoOctets octets are transformed, multiplied and transformed
// back while V and M are in L2; the batch is split among the workers as in
// the other convolutions, and the backward data pass, itself a stride-1
// correlation (conv_direct.go), runs the same code with the flipped filters.
// The filter gradient is the adjoint of these steps (conv_winograd_filter.go).
//
// A non-finite input spreads further than in the direct convolution: the
// transforms add it into every point of the tiles whose patches hold it,
// where ∞ − ∞ makes NaN, so outputs next to an ∞ can be NaN rather than ∞
// or finite. Training has diverged by then either way.
//
// Rounding: the transforms add at most four values at a time and G's ½ are
// exact, so the result stays within the conv family's tolerance of the
// float64 reference (conv_test.go runs every shape through this path).

// winoSkew floats (one cache line) pad each of the 16 ξ blocks of V and M:
// unpadded they are multiples of 2 KiB apart, so the transforms' 16
// streams fell into two L1 sets of eight ways. Alternating medians at batch
// 32 with and without: forward 3–6 %, backward data 2–9 % and filter
// gradient 6–12 % faster on the convnet's layers.
const winoSkew = 16

// winoOctets is the number of octets (8 tiles each) per block: one panel
// of 16 tiles, so V and M of 64 channels take 64 KiB each (two and four
// panels measured the same on the 14×14 layers and 5–8 % slower on the
// 28×28 one).
const winoOctets = 2

// convWinograd says whether a forward correlation takes the Winograd path:
// a 3×3 filter at stride 1 and dilation 1, an activation the output
// transform applies (none or ReLU), the AVX2 kernels, and by default at
// least 16 input and output channels (below that the GEMMs are too
// shallow to pay for the transforms).
func convWinograd(a *kernels.ConvArgs) bool {
	return winoApplies(a) && (a.Act == kernels.ActNone || a.Act == kernels.ActReLU) && winoChosen(a)
}

// winoApplies: the shapes F(2×2, 3×3) computes, and its kernels are here.
func winoApplies(a *kernels.ConvArgs) bool {
	return a.R == 3 && a.S == 3 && a.StrideH == 1 && a.StrideW == 1 && a.DilH == 1 && a.DilW == 1 && winoReady()
}

// winoChosen is the choice of the path: forced by convPath, or by default
// on the AVX2 path for at least 16 input and output channels.
func winoChosen(a *kernels.ConvArgs) bool {
	switch convPath {
	case convPathWinograd:
		return true
	case convPathAuto:
		return activePath == pathAVX2 && a.C >= 16 && a.K >= 16
	}
	return false
}

// winoGeom is the tiling of one image.
type winoGeom struct {
	ty, xo  int // rows of tiles; octets per row of tiles
	opi     int // octets per image: ty·xo
	pad     wideGeom
	kp      int // output channels rounded up to the kernel's rows
	group   int // images padded together, so that blocks are whole panels
	u, v, m int // floats of U, of V and of M per block
}

func newWinoGeom(a *kernels.ConvArgs) winoGeom {
	g := winoGeom{ty: (a.OH + 1) / 2, xo: (a.OW + 15) / 16}
	g.opi = g.ty * g.xo
	hp, wp := 2*g.ty+2, 16*g.xo+2
	g.pad = wideGeom{hp: hp, wp: wp, plane: hp * wp}
	g.kp = winoRows(a.K)
	g.group = 1
	if g.opi%2 == 1 {
		g.group = 2 // an odd number of octets would leave half a panel empty
	}
	g.group = min(g.group, a.N)
	panels := (winoOctets + 1) / 2
	g.u = 16 * g.kp * a.C
	g.v = 16 * (panels*a.C*16 + winoSkew)
	g.m = 16 * (g.kp*panels*16 + winoSkew)
	return g
}

// winoRows is the number of rows of U and M for k output channels: k
// rounded up to what whole 6- and 4-row tiles cover (winoGemm).
func winoRows(k int) int {
	k += k % 2
	if k == 2 {
		return 4
	}
	return k
}

// winoFilters writes U[ξ][k][c] = G·f·Gᵀ for the output channels [lo, hi)
// of the K×C 3×3 filters f of a forward correlation: f = w[k,c] (w is
// K×C×3×3), or, with flip, the filters of the backward data pass,
// f[c',k'] = w[k',c'] rotated by 180° (then K = w's C and C = w's K). The
// call that ends at K also zeroes rows K..kp−1.
func winoFilters(w []float32, k, c, kp int, flip bool, u []float32, lo, hi int) {
	u = u[:16*kp*c]
	var f [9]float64
	var gf [4][3]float64
	for ko := lo; ko < hi; ko++ {
		for ci := 0; ci < c; ci++ {
			if flip {
				src := w[(ci*k+ko)*9 : (ci*k+ko+1)*9]
				for i := range f {
					f[i] = float64(src[8-i])
				}
			} else {
				src := w[(ko*c+ci)*9 : (ko*c+ci+1)*9]
				for i := range f {
					f[i] = float64(src[i])
				}
			}
			for s := 0; s < 3; s++ { // G·f, column by column
				f0, f1, f2 := f[s], f[3+s], f[6+s]
				gf[0][s], gf[1][s], gf[2][s], gf[3][s] = f0, (f0+f1+f2)/2, (f0-f1+f2)/2, f2
			}
			for i := 0; i < 4; i++ { // (G·f)·Gᵀ, row by row
				r0, r1, r2 := gf[i][0], gf[i][1], gf[i][2]
				row := [4]float64{r0, (r0 + r1 + r2) / 2, (r0 - r1 + r2) / 2, r2}
				for j, v := range row {
					u[((4*i+j)*kp+ko)*c+ci] = float32(v)
				}
			}
		}
	}
	if hi == k {
		for q := 0; q < 16; q++ {
			clear(u[(q*kp+k)*c : (q+1)*kp*c])
		}
	}
}

// winoFiltersChunk and winoFlippedChunk compute the output channels
// [lo, hi) of U (j.s[1]) from w (j.s[0]) for winoRun, spread over the
// workers: done serially the 64×64 layer's took 0.2 ms a call.
func winoFiltersChunk(j *cpJob, lo, hi int) {
	winoFilters(j.s[0], j.conv.K, j.conv.C, winoRows(j.conv.K), false, j.s[1], lo, hi)
}

func winoFlippedChunk(j *cpJob, lo, hi int) {
	winoFilters(j.s[0], j.conv.K, j.conv.C, winoRows(j.conv.K), true, j.s[1], lo, hi)
}

// conv2dFwdWinograd computes conv2dFwd by F(2×2, 3×3); convWinograd(&a).
func conv2dFwdWinograd(a kernels.ConvArgs, x, w, bias, y []float32) {
	winoRun(a, x, w, false, bias, y)
}

// conv2dBwdDataWinograd computes conv2dBwdData as the flipped forward
// correlation by F(2×2, 3×3).
func conv2dBwdDataWinograd(b kernels.ConvArgs, dy, w, dx []float32) {
	winoRun(b, dy, w, true, nil, dx)
}

func winoRun(a kernels.ConvArgs, x, w []float32, flip bool, bias, y []float32) {
	geo := newWinoGeom(&a)
	if len(x) < a.N*a.C*a.H*a.W || len(w) < a.K*a.C*9 || len(y) < a.N*a.K*a.OH*a.OW || (bias != nil && len(bias) < a.K) {
		panic(fmt.Sprintf("cpu.winoRun: %+v: len(x)=%d len(w)=%d len(y)=%d len(bias)=%d", a, len(x), len(w), len(y), len(bias)))
	}
	sc := getConvScratch()
	defer putConvScratch(sc)
	sc.dw = grow(sc.dw, geo.u)
	body := winoFiltersChunk
	if flip {
		body = winoFlippedChunk
	}
	runConvJob(a.K, max(1, 1024/a.C), body, &a, w, sc.dw)
	runConvJob(a.N, geo.group, winoChunk, &a, x, sc.dw, bias, y)
}

// winoChunk computes the images [lo, hi) of winoRun.
func winoChunk(j *cpJob, lo, hi int) {
	a, x, u, bias, y := &j.conv, j.s[0], j.s[1], j.s[2], j.s[3]
	geo := newWinoGeom(a)
	kohw := a.K * a.OH * a.OW
	sc := getConvScratch()
	defer putConvScratch(sc)
	sc.pad = grow(sc.pad, geo.group*a.C*geo.pad.plane)
	sc.cols = grow(sc.cols, geo.v)
	sc.blk = grow(sc.blk, geo.m)
	relu := 0
	if a.Act == kernels.ActReLU {
		relu = 1
	}
	winoBlocks(a, &geo, x, sc.pad, lo, hi, winoOctets, func(n0, o0, nb int) {
		panels := (nb + 1) / 2
		xi := panels*a.C*16 + winoSkew     // ξ stride of V
		mxi := geo.kp*16*panels + winoSkew // and of M
		for ob := 0; ob < nb; ob++ {
			winoIn(winoPatch(a, &geo, sc.pad, o0+ob), geo.pad.wp, geo.pad.plane, a.C, sc.cols[(ob/2)*a.C*16+(ob%2)*8:], 16, xi)
		}
		ldm := 16 * panels
		for q := 0; q < 16; q++ {
			winoGemm(a.C, geo.kp, panels, u[q*geo.kp*a.C:], a.C, sc.cols[q*xi:], sc.blk[q*mxi:], ldm, false)
		}
		for ob := 0; ob < nb; ob++ {
			n, ty, xo := winoOctet(&geo, o0+ob)
			rows, cols := min(2, a.OH-2*ty), min(16, a.OW-16*xo)
			yo := (n0+n)*kohw + 2*ty*a.OW + 16*xo
			winoOut(sc.blk[(ob/2)*16+(ob%2)*8:], mxi, ldm, a.K, y[yo:], a.OH*a.OW, a.OW, rows, cols, bias, relu)
		}
	})
}

// winoBlocks pads the images [lo, hi) of x into pad a group at a time and
// calls block for each run of at most per octets of the group (o0 counts
// from the group's first image, n0).
func winoBlocks(a *kernels.ConvArgs, geo *winoGeom, x, pad []float32, lo, hi, per int, block func(n0, o0, nb int)) {
	chw := a.C * a.H * a.W
	for n0 := lo; n0 < hi; n0 += geo.group {
		g := min(geo.group, hi-n0)
		widePad(a, geo.pad, x[n0*chw:(n0+g)*chw], pad, g)
		octets := g * geo.opi
		for o0 := 0; o0 < octets; o0 += per {
			block(n0, o0, min(per, octets-o0))
		}
	}
}

// winoPatch is the padded input at the top-left corner of octet o's first
// tile, in channel 0 of its image.
func winoPatch(a *kernels.ConvArgs, geo *winoGeom, pad []float32, o int) []float32 {
	n, ty, xo := winoOctet(geo, o)
	return pad[n*a.C*geo.pad.plane+2*ty*geo.pad.wp+16*xo:]
}

// winoOctet places octet o of a group: its image, row of tiles and octet
// within the row.
func winoOctet(g *winoGeom, o int) (n, ty, xo int) {
	n, o = o/g.opi, o%g.opi
	return n, o / g.xo, o % g.xo
}
