// reduce.cu — OpReduce, OpBroadcast, OpBiasGrad.
//
// Math: over x of shape [Outer, Mid, Inner],
//   reduce     y[o, i] = scale·Σ_m x[o, m, i]      (scale = 1, or 1/Mid for a mean)
//   broadcast  y[o, m, i] = scale·x[o, i]          (the adjoint of reduce)
//   bias grad  db[c] = beta·db[c] + Σ_n Σ_hw dy[n, c, hw]   (beta = 0 overwrites)
// Sums are accumulated in float64, as kernels/cpu does, so a long reduction
// (a bias gradient over 100k pixels) loses nothing to float32 rounding and
// the result is within one float32 rounding of the reference; the order is
// fixed, so results are deterministic.
//
// Work split:
//   reduce_rows_f32 (Inner = 1): one 256-thread block per row, strided loads,
//     block tree sum.
//   reduce_cols_f32 (Inner > 1, and the dense bias gradient [N, C]): blocks
//     of 32×8 threads; threadIdx.x walks 32 consecutive inner positions
//     (coalesced), threadIdx.y splits Mid in 8 interleaved parts, and the 8
//     partial sums meet in shared memory. grid = (⌈Inner/32⌉, Outer).
//   bias_grad_nchw_f32 (HW > 1): one 256-thread block per channel, threads
//     walking the N·HW values of the channel.
//   broadcast_f32: one thread per output element.
#include "common.cuh"

extern "C" __global__ void reduce_rows_f32(const float* x, float* y, i64 outer, i64 mid64, double scale) {
	const int mid = (int)mid64;
	for (int o = blockIdx.x; o < (int)outer; o += gridDim.x) {
		const float* row = x + (size_t)o * mid;
		double s = 0.0;
		for (int m = threadIdx.x; m < mid; m += blockDim.x) s += (double)row[m];
		s = block_sum_d(s);
		if (threadIdx.x == 0) y[o] = (float)(s * scale);
	}
}

// reduce_cols_f32: y[o, i] = scale·Σ_m x[o, m, i] + beta·y[o, i] (beta = 0
// overwrites). blockDim must be (32, 8).
extern "C" __global__ void reduce_cols_f32(const float* x, float* y, i64 outer, i64 mid64, i64 inner64, double scale, float beta) {
	__shared__ double part[8][33];
	const int mid = (int)mid64, inner = (int)inner64;
	const int i = blockIdx.x * 32 + threadIdx.x;
	for (int o = blockIdx.y; o < (int)outer; o += gridDim.y) { // gridDim.y ≤ 65535
		double s = 0.0;
		if (i < inner) {
			const float* base = x + (size_t)o * mid * inner + i;
			for (int m = threadIdx.y; m < mid; m += 8) s += (double)base[(size_t)m * inner];
		}
		__syncthreads(); // part is reused across iterations of o
		part[threadIdx.y][threadIdx.x] = s;
		__syncthreads();
		if (threadIdx.y == 0 && i < inner) {
			for (int k = 1; k < 8; k++) s += part[k][threadIdx.x];
			s *= scale;
			float* dst = y + (size_t)o * inner + i;
			if (beta != 0.f) s += (double)beta * (double)*dst;
			*dst = (float)s;
		}
	}
}

extern "C" __global__ void bias_grad_nchw_f32(const float* dy, float* db, i64 n64, i64 c64, i64 hw64, float beta) {
	const int n = (int)n64, c = (int)c64, hw = (int)hw64, per = n * hw;
	for (int ch = blockIdx.x; ch < c; ch += gridDim.x) {
		double s = 0.0;
		for (int e = threadIdx.x; e < per; e += blockDim.x) {
			int img = e / hw, p = e - img * hw;
			s += (double)dy[((size_t)img * c + ch) * hw + p];
		}
		s = block_sum_d(s);
		if (threadIdx.x == 0) {
			if (beta != 0.f) s += (double)beta * (double)db[ch];
			db[ch] = (float)s;
		}
	}
}

extern "C" __global__ void broadcast_f32(const float* x, float* y, i64 outer, i64 mid64, i64 inner64, float scale) {
	const int mid = (int)mid64, inner = (int)inner64, n = (int)(outer * mid64 * inner64);
	GRID_STRIDE(i, n) {
		int in = i % inner, o = i / (mid * inner);
		y[i] = scale * x[(size_t)o * inner + in];
	}
}
