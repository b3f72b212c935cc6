// pool.cu — 2-D pooling, NCHW: OpMaxPool (with switches), OpMaxPoolBwd (also
// Unpool2D), OpAvgPool, OpAvgPoolBwd.
//
// Math, for output (oh, ow) of a plane, the window is the in-bounds inputs
// (ih, iw) = (oh·sh − ph + i, ow·sw − pw + j), i < KH, j < KW, in row-major order:
//   max   y = the first maximum of the window; switch = ih·W + iw of it (a float
//         holding an exact integer); a NaN wins over numbers and the first NaN
//         stays; a window with no input (impossible with pad < window) gives
//         y = 0, switch = −1. Exactly the rules of kernels/cpu/ref_convpool.go.
//   max backward  dx[plane, switch] += dy  (switches < 0 are skipped; a switch
//         outside the plane is skipped too, where the cpu backend errors)
//   avg   y = Σ window / (KH·KW)   (padding counts as zeros, PyTorch's default)
//   avg backward  dx[h, w] = Σ over the windows holding (h, w) of dy/(KH·KW)
//
// Work split: one thread per output element (forward), grid-stride.
// Max backward scatters by the switches after a zeroing pass: any switch
// values are honoured (Unpool2D takes switches from elsewhere); atomicAdd
// makes overlapping windows safe, and with the usual non-overlapping 2×2
// windows every input receives at most one value, so the result is exact and
// deterministic. Average backward gathers instead (each dx element sums the
// dy of the windows that hold it): no atomics and no zeroing pass.
#include "common.cuh"

#define POOL_PARAMS i64 planes64, i64 H64, i64 W64, i64 KH64, i64 KW64, i64 SH64, i64 SW64, i64 PH64, i64 PW64, i64 OH64, i64 OW64
#define POOL_INTS                                                                                            \
	const int planes = (int)planes64, H = (int)H64, W = (int)W64, KH = (int)KH64, KW = (int)KW64, SH = (int)SH64, \
	          SW = (int)SW64, PH = (int)PH64, PW = (int)PW64, OH = (int)OH64, OW = (int)OW64

extern "C" __global__ void maxpool_fwd_f32(const float* x, float* y, float* sw, POOL_PARAMS) {
	POOL_INTS;
	const int total = planes * OH * OW;
	GRID_STRIDE(o, total) {
		const int ow = o % OW, oh = (o / OW) % OH, p = o / (OH * OW);
		const float* plane = x + (size_t)p * H * W;
		float best = 0.f;
		int arg = -1;
		for (int i = 0; i < KH; i++) {
			const int ih = oh * SH - PH + i;
			if (ih < 0 || ih >= H) continue;
			for (int j = 0; j < KW; j++) {
				const int iw = ow * SW - PW + j;
				if (iw < 0 || iw >= W) continue;
				const float v = plane[ih * W + iw];
				if (arg >= 0 && best != best) continue; // a NaN already won
				if (arg < 0 || v > best || v != v) best = v, arg = ih * W + iw;
			}
		}
		y[o] = best;
		sw[o] = (float)arg;
	}
}

// maxpool_bwd_f32 runs after dx has been zeroed (fill_f32).
extern "C" __global__ void maxpool_bwd_f32(const float* dy, const float* sw, float* dx, POOL_PARAMS) {
	POOL_INTS;
	(void)KH, (void)KW, (void)SH, (void)SW, (void)PH, (void)PW;
	const int total = planes * OH * OW, hw = H * W;
	GRID_STRIDE(o, total) {
		const int s = (int)sw[o];
		if (s < 0 || s >= hw) continue;
		atomicAdd(dx + (size_t)(o / (OH * OW)) * hw + s, dy[o]);
	}
}

extern "C" __global__ void avgpool_fwd_f32(const float* x, float* y, POOL_PARAMS) {
	POOL_INTS;
	const int total = planes * OH * OW;
	const float area = (float)(KH * KW);
	GRID_STRIDE(o, total) {
		const int ow = o % OW, oh = (o / OW) % OH, p = o / (OH * OW);
		const float* plane = x + (size_t)p * H * W;
		float s = 0.f;
		for (int i = 0; i < KH; i++) {
			const int ih = oh * SH - PH + i;
			if (ih < 0 || ih >= H) continue;
			for (int j = 0; j < KW; j++) {
				const int iw = ow * SW - PW + j;
				if (iw >= 0 && iw < W) s += plane[ih * W + iw];
			}
		}
		y[o] = s / area;
	}
}

// avgpool_bwd_f32: the windows holding row h are those with
// oh·SH − PH ≤ h ≤ oh·SH − PH + KH − 1, i.e. ⌈(h+PH−KH+1)/SH⌉ ≤ oh ≤ ⌊(h+PH)/SH⌋.
extern "C" __global__ void avgpool_bwd_f32(const float* dy, float* dx, POOL_PARAMS) {
	POOL_INTS;
	const int total = planes * H * W;
	const float area = (float)(KH * KW);
	GRID_STRIDE(i, total) {
		const int w = i % W, h = (i / W) % H, p = i / (H * W);
		const int th = h + PH - KH + 1, tw = w + PW - KW + 1;
		const int oh0 = th > 0 ? (th + SH - 1) / SH : 0, oh1 = min(OH - 1, (h + PH) / SH);
		const int ow0 = tw > 0 ? (tw + SW - 1) / SW : 0, ow1 = min(OW - 1, (w + PW) / SW);
		const float* g = dy + (size_t)p * OH * OW;
		float s = 0.f;
		for (int oh = oh0; oh <= oh1; oh++)
			for (int ow = ow0; ow <= ow1; ow++) s += g[oh * OW + ow] / area;
		dx[i] = s;
	}
}
