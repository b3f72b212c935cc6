// common.cuh — what every kernel file of gabor shares: integer types, the
// activation functions of kernels.Act, warp and block reductions.
//
// Conventions of all kernels (see kernels/ops.go for the math of each op):
//   - every integer parameter is a 64-bit `long long` and every pointer is
//     64-bit, because gorgonia.org/cu's Launch passes each argument as 8 bytes;
//     float parameters occupy the low 4 bytes of their 8-byte slot.
//   - the Go launchers reject any buffer of 2^31 elements or more, so kernels
//     index with 32-bit ints after reading their 64-bit sizes.
//   - grid-stride loops: a launch covers any n, whatever grid it was given.
#pragma once

typedef long long i64;
typedef unsigned long long u64;

// HD marks pure index and arithmetic helpers that also compile for the host,
// so that hosttest/ can check them on a machine without a GPU.
#define HD __host__ __device__

// kernels.Act
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_SIGMOID 2
#define ACT_TANH 3

// relu lets NaN through (v < 0 is false for NaN), as kernels/cpu does, so a
// diverging run shows NaN instead of silently zeroing it.
HD __forceinline__ float relu_f(float v) { return v < 0.f ? 0.f : v; }

// sigmoid_f: 1/(1+e^−v) with the IEEE expf (no fast-math): e^−v overflows to
// +inf for v < −88, giving exactly 0, as the float32 result should be.
HD __forceinline__ float sigmoid_f(float v) { return 1.f / (1.f + expf(-v)); }

HD __forceinline__ float act_apply(int act, float v) {
	switch (act) {
	case ACT_RELU: return relu_f(v);
	case ACT_SIGMOID: return sigmoid_f(v);
	case ACT_TANH: return tanhf(v);
	}
	return v;
}

// grid_stride iterates i over [0, n) across the whole grid.
#define GRID_STRIDE(i, n) \
	for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += blockDim.x * gridDim.x)

__device__ __forceinline__ double warp_sum_d(double v) {
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

__device__ __forceinline__ float warp_sum_f(float v) {
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

// warp_max_f propagates NaN: once any lane holds NaN, every lane ends with NaN
// (a comparison with NaN is false, so the NaN operand is kept), which makes a
// row with a NaN come out NaN, as the float64 reference's max does.
__device__ __forceinline__ float warp_max_f(float v) {
	for (int o = 16; o > 0; o >>= 1) {
		float w = __shfl_xor_sync(0xffffffffu, v, o);
		v = (v != v || w < v) ? v : w;
	}
	return v;
}

// block_sum_d adds one double per thread over a block of at most 1024
// threads whose size is a multiple of 32; every thread gets the total. The
// order is fixed (lanes, then warps), so the result is deterministic.
__device__ __forceinline__ double block_sum_d(double v) {
	__shared__ double part[32];
	int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	int nwarps = (blockDim.x + 31) >> 5;
	v = warp_sum_d(v);
	__syncthreads(); // part may still be read by a previous call
	if (lane == 0) part[warp] = v;
	__syncthreads();
	v = lane < nwarps ? part[lane] : 0.0;
	return warp_sum_d(v);
}
