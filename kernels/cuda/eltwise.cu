// eltwise.cu — elementwise ops: OpUnary, OpActGrad, OpBinary, OpFill, OpCopy,
// OpTranspose, OpDropout.
//
// Math (kernels/ops.go): y = f(x); dx = dy·f'(x) written through y = f(x)
// (relu: y > 0, sigmoid: y(1−y), tanh: 1−y²); c = a ∘ b[idx(i)] with b
// broadcast by one of the Bcast modes; y = v; y = x; y = x with permuted axes;
// y = x·mask with a counter-based random mask.
//
// Layout: flat float32 arrays; in-place use (output = input) is allowed, since
// each thread reads its element before writing the same index.
//
// Work split: one thread per element, grid-stride (any grid covers any n).
// The function selector is a kernel argument: it is uniform across the grid,
// so the switch costs a predictable branch, not divergence, and one kernel
// serves every function instead of nine near-copies.
#include "common.cuh"

// kernels.UnaryFn
#define U_RELU 0
#define U_SIGMOID 1
#define U_TANH 2
#define U_NEG 3
#define U_EXP 4
#define U_LOG 5
#define U_SQUARE 6
#define U_SQRT 7
#define U_SCALE 8

extern "C" __global__ void unary_f32(const float* x, float* y, i64 n64, i64 fn, float alpha) {
	const int n = (int)n64;
	GRID_STRIDE(i, n) {
		float v = x[i];
		switch ((int)fn) {
		case U_RELU: v = relu_f(v); break;
		case U_SIGMOID: v = sigmoid_f(v); break;
		case U_TANH: v = tanhf(v); break;
		case U_NEG: v = -v; break;
		case U_EXP: v = expf(v); break;
		case U_LOG: v = logf(v); break;
		case U_SQUARE: v = v * v; break;
		case U_SQRT: v = sqrtf(v); break;
		case U_SCALE: v = alpha * v; break;
		}
		y[i] = v;
	}
}

extern "C" __global__ void act_grad_f32(const float* y, const float* dy, float* dx, i64 n64, i64 act) {
	const int n = (int)n64;
	GRID_STRIDE(i, n) {
		float v = y[i], g = dy[i];
		switch ((int)act) {
		case ACT_RELU: g = v > 0.f ? g : 0.f; break;
		case ACT_SIGMOID: g = g * v * (1.f - v); break;
		case ACT_TANH: g = g * (1.f - v * v); break;
		}
		dx[i] = g;
	}
}

// kernels.BinaryFn and kernels.Bcast
#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define BC_NONE 0
#define BC_SCALAR 1
#define BC_INNER 2
#define BC_CHANNEL 3
#define BC_OUTER 4

extern "C" __global__ void binary_f32(const float* a, const float* b, float* c, i64 n64, i64 fn, i64 bcast, i64 inner64, i64 ch64) {
	const int n = (int)n64, inner = (int)inner64, ch = (int)ch64;
	GRID_STRIDE(i, n) {
		int j;
		switch ((int)bcast) {
		case BC_SCALAR: j = 0; break;
		case BC_INNER: j = i % inner; break;
		case BC_CHANNEL: j = (i / inner) % ch; break;
		case BC_OUTER: j = i / inner; break;
		default: j = i;
		}
		float u = a[i], v = b[j];
		switch ((int)fn) {
		case B_ADD: u = u + v; break;
		case B_SUB: u = u - v; break;
		case B_MUL: u = u * v; break;
		case B_DIV: u = u / v; break;
		}
		c[i] = u;
	}
}

extern "C" __global__ void fill_f32(float* y, i64 n64, float v) {
	const int n = (int)n64;
	GRID_STRIDE(i, n) y[i] = v;
}

extern "C" __global__ void copy_f32(const float* x, float* y, i64 n64) {
	const int n = (int)n64;
	GRID_STRIDE(i, n) y[i] = x[i];
}

// transpose_f32: y has dims d0..d3 (rank ≤ 4, leading 1s for lower ranks)
// and y[i0,i1,i2,i3] = x[i0·s0 + i1·s1 + i2·s2 + i3·s3], where s_j is the
// stride in x of the x axis that y's axis j is (Perm[j]). One thread per y
// element: the writes are coalesced, the reads gather.
extern "C" __global__ void transpose_f32(const float* x, float* y, i64 n64, i64 d1, i64 d2, i64 d3, i64 s0, i64 s1, i64 s2,
                                         i64 s3) {
	const int n = (int)n64;
	GRID_STRIDE(i, n) {
		int t = i;
		int i3 = t % (int)d3;
		t /= (int)d3;
		int i2 = t % (int)d2;
		t /= (int)d2;
		int i1 = t % (int)d1;
		int i0 = t / (int)d1;
		y[i] = x[(size_t)i0 * s0 + (size_t)i1 * s1 + (size_t)i2 * s2 + (size_t)i3 * s3];
	}
}

// Dropout's random stream, bit for bit the one of kernels/cpu/dropout.go:
//   mix(z) = splitmix64's finalizer
//   key    = seed ^ mix(uint64(int64(ctl[1])))
//   u_i    = float32(mix(key + i) >> 40) · 2^-24   (top 24 bits, exact in float32)
//   mask_i = u_i ≥ p ? 1/(1−p) : 0   (1/(1−p) in float32),  y_i = x_i·mask_i
// In evaluation (ctl[0] = 0): y = x, mask = 1. ctl is read on the device, so a
// captured CUDA graph replays with the current step and mode.
__device__ __forceinline__ u64 drop_mix(u64 z) {
	z ^= z >> 30;
	z *= 0xbf58476d1ce4e5b9ull;
	z ^= z >> 27;
	z *= 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z;
}

extern "C" __global__ void dropout_f32(const float* x, const float* ctl, float* y, float* mask, i64 n64, float p, u64 seed) {
	const int n = (int)n64;
	const bool training = ctl[0] != 0.f;
	const u64 key = seed ^ drop_mix((u64)(i64)ctl[1]);
	const float scale = 1.f / (1.f - p);
	GRID_STRIDE(i, n) {
		float m = 1.f, v = x[i];
		if (training) {
			float u = (float)(drop_mix(key + (u64)i) >> 40) * (1.f / 16777216.f);
			m = u >= p ? scale : 0.f;
			v = v * m;
		}
		mask[i] = m;
		y[i] = v;
	}
}
