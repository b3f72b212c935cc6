// gemm_core.cuh — the one tiled matrix-multiply main loop behind OpGemm and
// the three convolutions (implicit GEMM).
//
// Math: acc[m][n] = Σ_k A(m, k)·B(k, n) over a block tile of BM×BN outputs,
// K walked in steps of BK. Where A and B come from is a *loader*: a dense
// row-major matrix (transposed or not), or the im2col view of an NCHW tensor
// computed on the fly, so a convolution never materializes its columns.
// Where results go is an *epilogue*: row-major C with alpha, beta, bias and
// activation, or an NCHW tensor.
//
// Layout in shared memory: both tiles are stored k-major, As[k][m] and
// Bs[k][n], rows padded from 64 to 72 floats. With that pitch the tensor-core
// fragment reads (lane = 4·g + t reads row t, column g) hit 32 distinct banks:
// (72·t + g) mod 32 = 8t + g.
//
// Work split: 128 threads (4 warps) per 64×64 tile, BK = 16.
//   - TF32 path: warps form 2×2, each owns 32×32 = 2×4 mma.sync.m16n8k8 tiles;
//     operands are rounded to TF32 with cvt.rna (round to nearest, ties away,
//     as cuBLAS does), products accumulate in FP32. Relative error of one
//     product ≤ 2^-10 (two 10-bit mantissas), so |err| ≲ 2^-10·Σ|a||b|.
//   - FP32 path: plain FMA, each thread owns 8×4 outputs (rows ty+8i, columns
//     tx+16j), which keeps the shared-memory reads of a warp conflict-free.
// Loads: each element is fetched with a 4-byte cp.async (zero-filled when out
// of bounds or in convolution padding) into one of two stages, so tile k+1
// streams in while tile k is multiplied. 4-byte copies need no alignment:
// arena buffers and leading dimensions may be any size; 16-byte copies would
// need both a multiple of 4 and were not worth a second code path at
// MNIST sizes, where launch latency dominates.
// Split-K: blockIdx.z takes a contiguous range of k tiles; with more than one
// split each writes raw partial sums to a workspace [split][M][N] and
// gemm_splitk_reduce_f32 adds them in a fixed order (deterministic) and
// applies the epilogue. It is used when M·N has too few tiles to fill the GPU
// (weight gradients: a 64×576 result summed over 100k pixels).
#pragma once
#include "common.cuh"

#define GEMM_BM 64
#define GEMM_BN 64
#define GEMM_BK 16
#define GEMM_LD 72 // GEMM_BM + 8: see the bank arithmetic above
#define GEMM_THREADS 128

static_assert(GEMM_BM == GEMM_BN, "one pitch serves both tiles");

struct GemmSmem {
	float a[2][GEMM_BK][GEMM_LD];
	float b[2][GEMM_BK][GEMM_LD];
};
static_assert(sizeof(GemmSmem) >= GEMM_BM * (GEMM_BN + 1) * sizeof(float), "the epilogue stages the C tile in GemmSmem");

// cp_async4 copies 4 bytes global → shared without blocking; with ok false it
// writes 0 and reads nothing (src-size 0), though src must still be mapped.
__device__ __forceinline__ void cp_async4(float* dst, const float* src, bool ok) {
	unsigned s = (unsigned)__cvta_generic_to_shared(dst);
	int n = ok ? 4 : 0;
	asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(s), "l"(src), "r"(n) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait1() { asm volatile("cp.async.wait_group 1;\n" ::: "memory"); }

__device__ __forceinline__ unsigned to_tf32(float v) {
	unsigned r;
	asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(v));
	return r;
}

// mma_tf32 accumulates a 16×8 tile: d += a(16×8, row-major) · b(8×8, col-major).
// Fragment ownership (PTX ISA, mma.m16n8k8 .tf32), g = lane/4, t = lane%4:
//   a0 (g, t)  a1 (g+8, t)  a2 (g, t+4)  a3 (g+8, t+4)
//   b0 (k=t, n=g)  b1 (k=t+4, n=g)
//   d0 (g, 2t)  d1 (g, 2t+1)  d2 (g+8, 2t)  d3 (g+8, 2t+1)
__device__ __forceinline__ void mma_tf32(float* d, const unsigned* a, const unsigned* b) {
	asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
	             "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
	             : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
	             : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// ---- loaders: element (r, k) of an operand, r being m for A and n for B ----
// at returns the address of the element, or sets ok = false (zero) and
// returns a mapped dummy address. kfast says which index is contiguous in
// memory, so that consecutive threads fetch consecutive addresses.

// DenseLoader: KF ? p[r·ld + k] : p[k·ld + r].
template <bool KF> struct DenseLoader {
	static constexpr bool kfast = KF;
	const float* p;
	int ld;
	HD const float* base() const { return p; }
	HD const float* at(int r, int k, bool&) const { return KF ? p + (size_t)r * ld + k : p + (size_t)k * ld + r; }
};

// ConvGeom: x [N, C, H, W], w [K, C, R, S], y [N, K, OH, OW].
struct ConvGeom {
	int N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, OH, OW;
};

// Im2colLoader is the im2col matrix of x without storing it: row p = (n, oh, ow),
// column q = (c, r, s), value x[n, c, oh·sh−ph+r·dh, ow·sw−pw+s·dw] or 0 in the
// padding. PixK says the pixel is the k index (the B operand of the filter
// gradient) rather than the r index (the A operand of the forward conv).
template <bool PixK> struct Im2colLoader {
	static constexpr bool kfast = PixK;
	const float* x;
	ConvGeom g;
	HD const float* base() const { return x; }
	HD const float* at(int r, int k, bool& ok) const {
		int p = PixK ? k : r, q = PixK ? r : k;
		int ohw = g.OH * g.OW, rs = g.R * g.S;
		int n = p / ohw, pix = p - n * ohw;
		int oh = pix / g.OW, ow = pix - oh * g.OW;
		int c = q / rs, t = q - c * rs;
		int fr = t / g.S, fs = t - fr * g.S;
		int ih = oh * g.sh - g.ph + fr * g.dh, iw = ow * g.sw - g.pw + fs * g.dw;
		ok = (unsigned)ih < (unsigned)g.H && (unsigned)iw < (unsigned)g.W;
		return ok ? x + ((size_t)(n * g.C + c) * g.H + ih) * g.W + iw : x;
	}
};

// DyPixLoader is dy viewed as [K, N·OH·OW]: element (kc, p) = dy[n, kc, oh, ow]
// (the A operand of the filter gradient).
struct DyPixLoader {
	static constexpr bool kfast = true;
	const float* dy;
	ConvGeom g;
	HD const float* base() const { return dy; }
	HD const float* at(int kc, int p, bool&) const {
		int ohw = g.OH * g.OW;
		int n = p / ohw, pix = p - n * ohw;
		return dy + (size_t)(n * g.K + kc) * ohw + pix;
	}
};

// DyColLoader is the transposed-convolution view of dy (the A operand of the
// data gradient): row p = (n, h, w) of dx, column q = (kc, r, s); the value is
// dy[n, kc, oh, ow] when h = oh·sh − ph + r·dh (and likewise w) for an
// integer oh in range, else 0.
struct DyColLoader {
	static constexpr bool kfast = false;
	const float* dy;
	ConvGeom g;
	HD const float* base() const { return dy; }
	HD const float* at(int p, int q, bool& ok) const {
		int hw = g.H * g.W, rs = g.R * g.S;
		int n = p / hw, pix = p - n * hw;
		int h = pix / g.W, w = pix - h * g.W;
		int kc = q / rs, t = q - kc * rs;
		int fr = t / g.S, fs = t - fr * g.S;
		int th = h + g.ph - fr * g.dh, tw = w + g.pw - fs * g.dw;
		ok = th >= 0 && tw >= 0 && th % g.sh == 0 && tw % g.sw == 0;
		int oh = th / g.sh, ow = tw / g.sw;
		ok = ok && oh < g.OH && ow < g.OW;
		return ok ? dy + ((size_t)(n * g.K + kc) * g.OH + oh) * g.OW + ow : dy;
	}
};

// WcLoader is w viewed as [C, K·R·S]: element (c, q = (kc, r, s)) = w[kc, c, r, s]
// (the B operand of the data gradient).
struct WcLoader {
	static constexpr bool kfast = true;
	const float* w;
	ConvGeom g;
	HD const float* base() const { return w; }
	HD const float* at(int c, int q, bool&) const {
		int rs = g.R * g.S;
		int kc = q / rs, t = q - kc * rs;
		return w + (size_t)(kc * g.C + c) * rs + t;
	}
};

// ---- epilogues ----

// EpiRowMajor: C[m, n] = act(alpha·acc + beta·C[m, n] + bias[n]); beta = 0
// never reads C, so NaNs left there do not propagate.
struct EpiRowMajor {
	static constexpr bool mfast = false;
	float* c;
	const float* bias;
	int ldc;
	float alpha, beta;
	int act;
	HD void store(int m, int n, float acc) const {
		float* p = c + (size_t)m * ldc + n;
		float v = alpha * acc;
		if (beta != 0.f) v += beta * *p;
		if (bias) v += bias[n];
		*p = act_apply(act, v);
	}
};

// EpiNCHW: row m = (n, pixel) of an implicit GEMM, column = channel:
// y[n, ch, pixel] = act(acc + bias[ch]).
struct EpiNCHW {
	static constexpr bool mfast = true;
	float* y;
	const float* bias;
	int ch, hw;
	int act;
	HD void store(int m, int n, float acc) const {
		int img = m / hw, pix = m - img * hw;
		float v = acc;
		if (bias) v += bias[n];
		y[((size_t)img * ch + n) * hw + pix] = act_apply(act, v);
	}
};

// ---- the main loop ----

// gemm_load_tile stages the BK×64 slice [k0, k0+BK) of rows [r0, r0+64) of an
// operand into dst[k][r]. Thread e of the 1024 elements takes
// (r, k) = kfast ? (e/BK, e%BK) : (e%64, e/64): the contiguous index varies
// fastest across a warp.
template <class L>
__device__ __forceinline__ void gemm_load_tile(float (*dst)[GEMM_LD], const L& l, int r0, int rmax, int k0, int kmax) {
#pragma unroll
	for (int i = 0; i < GEMM_BM * GEMM_BK / GEMM_THREADS; i++) {
		int e = threadIdx.x + i * GEMM_THREADS;
		int r = L::kfast ? e / GEMM_BK : e % GEMM_BM;
		int k = L::kfast ? e % GEMM_BK : e / GEMM_BM;
		int gr = r0 + r, gk = k0 + k;
		bool ok = gr < rmax && gk < kmax;
		const float* src = l.base();
		if (ok) src = l.at(gr, gk, ok);
		cp_async4(&dst[k][r], src, ok);
	}
}

// gemm_main computes the tile (blockIdx.x, blockIdx.y) of an M×N product over
// the k tiles of split blockIdx.z (each split has kper tiles), and either
// stores it through ep (splits = 1) or writes raw sums to ws[z][M][N].
template <class LA, class LB, class EP, bool TF32>
__device__ __forceinline__ void gemm_main(const LA& la, const LB& lb, const EP& ep, int M, int N, int K, int splits, int kper, float* ws) {
	__shared__ __align__(16) GemmSmem sm;
	const int tid = threadIdx.x;
	const int m0 = blockIdx.x * GEMM_BM, n0 = blockIdx.y * GEMM_BN; // M may exceed 65535 tiles, N not
	const int ktiles = (K + GEMM_BK - 1) / GEMM_BK;
	const int kt0 = blockIdx.z * kper, kt1 = min(ktiles, kt0 + kper);

	float acc[32];
#pragma unroll
	for (int i = 0; i < 32; i++) acc[i] = 0.f;

	if (kt0 < kt1) {
		gemm_load_tile(sm.a[0], la, m0, M, kt0 * GEMM_BK, K);
		gemm_load_tile(sm.b[0], lb, n0, N, kt0 * GEMM_BK, K);
		cp_async_commit();
	}
	for (int kt = kt0; kt < kt1; kt++) {
		const int s = (kt - kt0) & 1;
		if (kt + 1 < kt1) {
			gemm_load_tile(sm.a[s ^ 1], la, m0, M, (kt + 1) * GEMM_BK, K);
			gemm_load_tile(sm.b[s ^ 1], lb, n0, N, (kt + 1) * GEMM_BK, K);
		}
		cp_async_commit(); // possibly empty: keeps "all but the newest group" = tile kt
		cp_async_wait1();
		__syncthreads();
		float (*As)[GEMM_LD] = sm.a[s];
		float (*Bs)[GEMM_LD] = sm.b[s];
		if (TF32) {
			const int lane = tid & 31, warp = tid >> 5, g = lane >> 2, t = lane & 3;
			const int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
#pragma unroll
			for (int kk = 0; kk < GEMM_BK; kk += 8) {
				unsigned a[2][4], b[4][2];
#pragma unroll
				for (int mi = 0; mi < 2; mi++) {
					const int r = wm + mi * 16 + g;
					a[mi][0] = to_tf32(As[kk + t][r]);
					a[mi][1] = to_tf32(As[kk + t][r + 8]);
					a[mi][2] = to_tf32(As[kk + t + 4][r]);
					a[mi][3] = to_tf32(As[kk + t + 4][r + 8]);
				}
#pragma unroll
				for (int ni = 0; ni < 4; ni++) {
					const int c = wn + ni * 8 + g;
					b[ni][0] = to_tf32(Bs[kk + t][c]);
					b[ni][1] = to_tf32(Bs[kk + t + 4][c]);
				}
#pragma unroll
				for (int mi = 0; mi < 2; mi++)
#pragma unroll
					for (int ni = 0; ni < 4; ni++) mma_tf32(&acc[(mi * 4 + ni) * 4], a[mi], b[ni]);
			}
		} else {
			const int tx = tid & 15, ty = tid >> 4;
#pragma unroll
			for (int k = 0; k < GEMM_BK; k++) {
				float a[8], b[4];
#pragma unroll
				for (int i = 0; i < 8; i++) a[i] = As[k][ty + 8 * i];
#pragma unroll
				for (int j = 0; j < 4; j++) b[j] = Bs[k][tx + 16 * j];
#pragma unroll
				for (int i = 0; i < 8; i++)
#pragma unroll
					for (int j = 0; j < 4; j++) acc[i * 4 + j] = fmaf(a[i], b[j], acc[i * 4 + j]);
			}
		}
		__syncthreads(); // the next iteration refills this stage
	}

	// Epilogue: stage the accumulators through shared memory (the operand
	// buffers are free: the loop ended with a barrier and no copy is pending),
	// then store with consecutive threads on consecutive addresses, in the
	// order the destination prefers (EP::mfast: along m, for NCHW pixels).
	// One copy of the store code instead of 32 unrolled ones also keeps the
	// activation's exp/tanh from being inlined 32 times.
	float (*Cs)[GEMM_BN + 1] = reinterpret_cast<float (*)[GEMM_BN + 1]>(&sm);
#pragma unroll
	for (int e = 0; e < 32; e++) {
		int r, c;
		if (TF32) {
			const int lane = tid & 31, warp = tid >> 5, g = lane >> 2, t = lane & 3;
			const int tile = e >> 2, q = e & 3, mi = tile >> 2, ni = tile & 3;
			r = (warp >> 1) * 32 + mi * 16 + g + (q >> 1) * 8;
			c = (warp & 1) * 32 + ni * 8 + t * 2 + (q & 1);
		} else {
			r = (tid >> 4) + 8 * (e >> 2);
			c = (tid & 15) + 16 * (e & 3);
		}
		Cs[r][c] = acc[e];
	}
	__syncthreads();
#pragma unroll 1
	for (int idx = tid; idx < GEMM_BM * GEMM_BN; idx += GEMM_THREADS) {
		const int r = EP::mfast ? idx % GEMM_BM : idx / GEMM_BN;
		const int c = EP::mfast ? idx / GEMM_BM : idx % GEMM_BN;
		const int m = m0 + r, n = n0 + c;
		if (m < M && n < N) {
			if (splits > 1)
				ws[((size_t)blockIdx.z * M + m) * N + n] = Cs[r][c];
			else
				ep.store(m, n, Cs[r][c]);
		}
	}
}
