// conv.cu — 2-D convolution (cross-correlation, NCHW, filters KCRS) as
// implicit GEMM, plus explicit im2col/col2im.
//
// Math, with ih = oh·sh − ph + r·dh and iw = ow·sw − pw + s·dw (taps in the
// padding contribute nothing):
//   forward      y[n,k,oh,ow] = act(bias[k] + Σ_{c,r,s} x[n,c,ih,iw]·w[k,c,r,s])
//   data grad    dx[n,c,h,w]  = Σ_{k,r,s} dy[n,k,oh,ow]·w[k,c,r,s]  over (oh,ow) with ih = h, iw = w
//   filter grad  dw[k,c,r,s]  = Σ_{n,oh,ow} dy[n,k,oh,ow]·x[n,c,ih,iw]  (+ beta·dw)
// Each is one matrix product whose operands are views of the tensors,
// generated element by element while the tiles are loaded (gemm_core.cuh):
//   forward      M = N·OH·OW (output pixels)  × Ncols = K  over C·R·S:  A = im2col(x), B = wᵀ, stored NCHW
//   data grad    M = N·H·W (input pixels)     × Ncols = C  over K·R·S:  A = dy gathered by the stride, B = w as [C, K·R·S]
//   filter grad  M = K                        × Ncols = C·R·S over N·OH·OW: A = dy as [K, N·OH·OW], B = im2col(x)ᵀ
// Nothing is materialized, so no workspace is needed except the split-K
// partials of the filter gradient, whose M×Ncols is small and whose sum is long.
// The data gradient is also ConvTranspose2D's forward.
//
// Work split: as gemm.cu (64×64 tiles, 128 threads, TF32 or exact FP32).
// im2col/col2im: one thread per output element; col2im gathers (for each
// dx element, the column entries that map to it), so it needs no atomics and
// no zeroing pass.
#include "gemm_core.cuh"

__device__ __forceinline__ ConvGeom conv_geom(i64 N, i64 C, i64 H, i64 W, i64 K, i64 R, i64 S, i64 sh, i64 sw, i64 ph,
                                              i64 pw, i64 dh, i64 dw, i64 OH, i64 OW) {
	ConvGeom g;
	g.N = (int)N, g.C = (int)C, g.H = (int)H, g.W = (int)W, g.K = (int)K, g.R = (int)R, g.S = (int)S;
	g.sh = (int)sh, g.sw = (int)sw, g.ph = (int)ph, g.pw = (int)pw, g.dh = (int)dh, g.dw = (int)dw;
	g.OH = (int)OH, g.OW = (int)OW;
	return g;
}

#define CONV_PARAMS                                                                                       \
	i64 N, i64 C, i64 H, i64 W, i64 K, i64 R, i64 S, i64 sh, i64 sw, i64 ph, i64 pw, i64 dh, i64 dw, i64 OH, \
	    i64 OW
#define CONV_GEOM conv_geom(N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, OH, OW)

template <bool TF32>
__device__ __forceinline__ void conv_fwd(const float* x, const float* w, const float* bias, float* y, i64 act, ConvGeom g) {
	Im2colLoader<false> la{x, g};
	DenseLoader<true> lb{w, g.C * g.R * g.S}; // B(k, q) = w[k·CRS + q]
	EpiNCHW ep{y, bias, g.K, g.OH * g.OW, (int)act};
	const int M = g.N * g.OH * g.OW, Kd = g.C * g.R * g.S;
	gemm_main<Im2colLoader<false>, DenseLoader<true>, EpiNCHW, TF32>(la, lb, ep, M, g.K, Kd, 1, (Kd + GEMM_BK - 1) / GEMM_BK, nullptr);
}

template <bool TF32>
__device__ __forceinline__ void conv_bwd_data(const float* dy, const float* w, float* dx, ConvGeom g) {
	DyColLoader la{dy, g};
	WcLoader lb{w, g};
	EpiNCHW ep{dx, nullptr, g.C, g.H * g.W, ACT_NONE};
	const int M = g.N * g.H * g.W, Kd = g.K * g.R * g.S;
	gemm_main<DyColLoader, WcLoader, EpiNCHW, TF32>(la, lb, ep, M, g.C, Kd, 1, (Kd + GEMM_BK - 1) / GEMM_BK, nullptr);
}

template <bool TF32>
__device__ __forceinline__ void conv_bwd_filter(const float* x, const float* dy, float* dw, float* ws, float beta, int splits,
                                                int kper, ConvGeom g) {
	DyPixLoader la{dy, g};
	Im2colLoader<true> lb{x, g};
	const int crs = g.C * g.R * g.S;
	EpiRowMajor ep{dw, nullptr, crs, 1.f, beta, ACT_NONE};
	gemm_main<DyPixLoader, Im2colLoader<true>, EpiRowMajor, TF32>(la, lb, ep, g.K, crs, g.N * g.OH * g.OW, splits, kper, ws);
}

#define CONV_ENTRIES(prec, TF32)                                                                                          \
	extern "C" __global__ void __launch_bounds__(GEMM_THREADS)                                                            \
	    conv2d_fwd_##prec(const float* x, const float* w, const float* bias, float* y, i64 act, CONV_PARAMS) {           \
		conv_fwd<TF32>(x, w, bias, y, act, CONV_GEOM);                                                                    \
	}                                                                                                                     \
	extern "C" __global__ void __launch_bounds__(GEMM_THREADS)                                                            \
	    conv2d_bwd_data_##prec(const float* dy, const float* w, float* dx, CONV_PARAMS) {                                \
		conv_bwd_data<TF32>(dy, w, dx, CONV_GEOM);                                                                        \
	}                                                                                                                     \
	extern "C" __global__ void __launch_bounds__(GEMM_THREADS) conv2d_bwd_filter_##prec(                                 \
	    const float* x, const float* dy, float* dwt, float* ws, float beta, i64 splits, i64 kper, CONV_PARAMS) {          \
		conv_bwd_filter<TF32>(x, dy, dwt, ws, beta, (int)splits, (int)kper, CONV_GEOM);                                   \
	}

CONV_ENTRIES(f32, false)
CONV_ENTRIES(tf32, true)

// im2col_f32: cols[n, oh, ow, (c, r, s)] = x[n, c, ih, iw], 0 in the padding.
extern "C" __global__ void im2col_f32(const float* x, float* cols, CONV_PARAMS) {
	const ConvGeom g = CONV_GEOM;
	const int crs = g.C * g.R * g.S, total = g.N * g.OH * g.OW * crs;
	Im2colLoader<false> l{x, g};
	GRID_STRIDE(i, total) {
		const int p = i / crs, q = i - p * crs;
		bool ok = true;
		const float* src = l.at(p, q, ok);
		cols[i] = ok ? *src : 0.f;
	}
}

// col2im_f32: dx[n, c, h, w] = Σ of the column entries that im2col copied from
// (n, c, h, w): for each filter tap (r, s) the output pixel (oh, ow) with
// oh·sh − ph + r·dh = h, if it is an integer in range.
extern "C" __global__ void col2im_f32(const float* cols, float* dx, CONV_PARAMS) {
	const ConvGeom g = CONV_GEOM;
	const int crs = g.C * g.R * g.S, total = g.N * g.C * g.H * g.W;
	GRID_STRIDE(i, total) {
		int w = i % g.W, t = i / g.W;
		int h = t % g.H;
		t /= g.H;
		int c = t % g.C, n = t / g.C;
		float s = 0.f;
		for (int r = 0; r < g.R; r++) {
			int th = h + g.ph - r * g.dh;
			if (th < 0 || th % g.sh != 0 || th / g.sh >= g.OH) continue;
			int oh = th / g.sh;
			for (int q = 0; q < g.S; q++) {
				int tw = w + g.pw - q * g.dw;
				if (tw < 0 || tw % g.sw != 0 || tw / g.sw >= g.OW) continue;
				int ow = tw / g.sw;
				s += cols[((size_t)(n * g.OH + oh) * g.OW + ow) * crs + (c * g.R + r) * g.S + q];
			}
		}
		dx[i] = s;
	}
}
