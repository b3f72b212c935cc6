package cpu

import (
	"sync"

	"github.com/gaborlab/gabor/kernels"
)

// Convolution, forward and backward, as GEMMs over unfolded images.
//
// Math (cross-correlation, NCHW, filters KCRS):
//
//	y[n,k,oh,ow] = act(bias[k] + Σ_{c,r,s} w[k,c,r,s] · x[n, c, oh·sh−ph+r·dh, ow·sw−pw+s·dw])
//
// Layout: a group of nb images is unfolded into cols [C·R·S, nb·OH·OW]: row
// (c,r,s) holds, for every output position of every image of the group, the
// input pixel that tap (c,r,s) reads (0 in the padding). Then
//
//	forward      Y     [K, nb·OHW]   = W [K, CRS] · cols [CRS, nb·OHW]
//	bwd data     dcols [CRS, nb·OHW] = Wᵀ · dY [K, nb·OHW], folded back onto dx
//	bwd filter   dWᵀ   [CRS, K]     += cols · dYᵀ
//
// With nb = 1 the forward GEMM writes the image's own NCHW planes; with
// nb > 1 (small images: OH·OW of 100 or 196 make short GEMMs) the block is
// scattered back to NCHW in the epilogue. Either way the epilogue adds the
// bias and applies the activation while the block is still in cache.
// Sgemm reads its left operand in place and packs the right one, which
// favours the long side in the rows: for the filter gradient, cols·dYᵀ (rows
// CRS) measured 1.2–2× faster than dY·colsᵀ (rows K) on the zoo's layers, so
// it is computed transposed and turned around when the partials are reduced.
// The forward was measured both ways too, and the plain W·cols won (the
// transposing epilogue costs more than the packing it saves).
//
// Two ways to build cols: unfold (im2col.go), for any stride, and for
// stride 1 the wide columns of conv_wide.go, which turn the unfold and the
// fold into block copies at the price of a few junk columns; convWide and
// convWideData pick one per layer from measurements on the zoo's layers.
// With AVX-512, stride-1 layers mostly skip cols altogether: the forward and
// backward data GEMMs read the padded image in place (conv_direct.go), and
// one-channel layers get their filter gradient as dot products
// (conv_taps.go). On the AVX2 path, 3×3 stride-1 layers of 16 or more
// channels take Winograd's F(2×2, 3×3) for the forward and backward data
// passes instead (conv_winograd.go): 2.25× fewer multiplications, and
// 1.5–1.7× faster than the direct path on the convnet's layers, and for
// the filter gradient (conv_winograd_filter.go).
//
// Work split: the batch is cut into at most Workers() contiguous chunks run
// by parallelFor; each chunk owns a scratch (cols and the gathered block)
// taken from a free list, and the call's arguments reach the chunks through
// a pre-bound job (conv_job.go), so steady-state calls allocate nothing. The
// backward filter gives each chunk its own partial dWᵀ and sums the partials
// in chunk order, so the result does not depend on scheduling.

// convScratch is one worker's reusable memory.
type convScratch struct {
	cols []float32 // the unfolded group, CRS × nb·OHW
	blk  []float32 // a K × nb·OHW block: the forward's Y or the gathered dY
	dw   []float32 // a partial filter gradient dWᵀ [CRS, K] (backward filter)
	pad  []float32 // padded planes of the wide path (conv_wide.go)
	off  []int     // B row offsets of the direct path (conv_direct.go)
	z    []float32 // the Winograd filter gradient's transformed sums (conv_winograd_filter.go)
}

var convScratchFree struct {
	sync.Mutex
	list []*convScratch
}

func getConvScratch() *convScratch {
	f := &convScratchFree
	f.Lock()
	defer f.Unlock()
	if n := len(f.list); n > 0 {
		s := f.list[n-1]
		f.list = f.list[:n-1]
		return s
	}
	return new(convScratch)
}

func putConvScratch(s *convScratch) {
	f := &convScratchFree
	f.Lock()
	f.list = append(f.list, s)
	f.Unlock()
}

// grow returns buf resized to n elements, reallocating only when it is too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// convGroupCols is the target width nb·OH·OW of one grouped GEMM: wide enough
// to keep the GEMM's inner loops long, small enough that cols (CRS rows of it)
// stays within the L2 cache for the layers of the zoo.
const convGroupCols = 512

// convGroup picks how many images share one GEMM.
func convGroup(a *kernels.ConvArgs) int { return convGroupFor(a, a.OH*a.OW) }

// convGroupFor picks the group size for images of ohw GEMM columns each.
func convGroupFor(a *kernels.ConvArgs, ohw int) int {
	nb := (convGroupCols + ohw - 1) / ohw
	if nb < 1 {
		nb = 1
	}
	if nb > a.N {
		nb = a.N
	}
	return nb
}

// isPointwise reports a 1×1 convolution with stride 1 and no padding, whose
// unfolded image is the image itself.
func isPointwise(a *kernels.ConvArgs) bool {
	return a.R == 1 && a.S == 1 && a.StrideH == 1 && a.StrideW == 1 && a.PadH == 0 && a.PadW == 0
}

// conv2dFwd computes y = act(conv(x, w) + bias); bias is nil when !a.Bias.
func conv2dFwd(a kernels.ConvArgs, x, w, bias, y []float32) {
	if convWinograd(&a) {
		conv2dFwdWinograd(a, x, w, bias, y)
		return
	}
	if convDirect(&a) {
		conv2dFwdDirect(a, x, w, bias, y)
		return
	}
	if convWide(&a) {
		conv2dFwdWide(a, x, w, bias, y)
		return
	}
	runConvJob(a.N, convGroup(&a), conv2dFwdChunk, &a, x, w, bias, y)
}

// conv2dFwdChunk computes the images [lo, hi) of conv2dFwd.
func conv2dFwdChunk(j *cpJob, lo, hi int) {
	a, x, w, bias, y := &j.conv, j.s[0], j.s[1], j.s[2], j.s[3]
	chw, ohw := a.C*a.H*a.W, a.OH*a.OW
	crs, kohw := a.C*a.R*a.S, a.K*a.OH*a.OW
	nb := convGroup(a)
	sc := getConvScratch()
	defer putConvScratch(sc)
	for n0 := lo; n0 < hi; n0 += nb {
		g := min(nb, hi-n0)
		if g == 1 {
			// One image: the GEMM writes y[n] in place.
			yn := y[n0*kohw : (n0+1)*kohw]
			b := convB(a, sc, x[n0*chw:(n0+1)*chw], 1)
			Sgemm(false, false, a.K, ohw, crs, 1, w, crs, b, ohw, 0, yn, ohw)
			for k := 0; k < a.K; k++ {
				biasAct(yn[k*ohw:(k+1)*ohw], convBias(bias, k), a.Act)
			}
			continue
		}
		ld := g * ohw
		b := convB(a, sc, x[n0*chw:(n0+g)*chw], g)
		sc.blk = grow(sc.blk, a.K*ld)
		Sgemm(false, false, a.K, ld, crs, 1, w, crs, b, ld, 0, sc.blk, ld)
		for i := 0; i < g; i++ {
			yn := y[(n0+i)*kohw : (n0+i+1)*kohw]
			for k := 0; k < a.K; k++ {
				dst := yn[k*ohw : (k+1)*ohw]
				copy(dst, sc.blk[k*ld+i*ohw:k*ld+(i+1)*ohw])
				biasAct(dst, convBias(bias, k), a.Act)
			}
		}
	}
}

// convB returns the GEMM's right operand for a group of g images starting at
// x: the unfolded columns, or the image itself for a single pointwise image.
func convB(a *kernels.ConvArgs, sc *convScratch, x []float32, g int) []float32 {
	if g == 1 && isPointwise(a) {
		return x
	}
	ohw, chw := a.OH*a.OW, a.C*a.H*a.W
	ld := g * ohw
	sc.cols = grow(sc.cols, a.C*a.R*a.S*ld)
	for i := 0; i < g; i++ {
		unfold(a, x[i*chw:(i+1)*chw], sc.cols[i*ohw:], ld)
	}
	return sc.cols
}

func convBias(bias []float32, k int) float32 {
	if bias == nil {
		return 0
	}
	return bias[k]
}

// biasAct applies v ← act(v + b) over one output plane.
func biasAct(v []float32, b float32, act kernels.Act) {
	switch act {
	case kernels.ActNone:
		if b != 0 {
			for i := range v {
				v[i] += b
			}
		}
	case kernels.ActReLU:
		if reluBiasVec(v, b) {
			return
		}
		for i := range v {
			v[i] = max(v[i]+b, 0)
		}
	case kernels.ActSigmoid:
		for i := range v {
			v[i] = sigmoid32(v[i] + b)
		}
	case kernels.ActTanh:
		for i := range v {
			v[i] = tanh32(v[i] + b)
		}
	}
}
