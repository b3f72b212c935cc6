// optim.cu — multi-tensor optimizer updates in place: OpSGD, OpAdam.
//
// Math (kernels/ops.go, float32 like kernels/cpu/optim.go and PyTorch):
//   SGD   g' = g + wd·p;  v = mom·v + g' (v = g' when mom = 0)
//         p -= lr·(g' + mom·v) (Nesterov)  or  p -= lr·v
//   Adam  g' = g + wd·p;  m = β1·m + (1−β1)·g';  v = β2·v + (1−β2)·g'²
//         p -= (lr/(1−β1^t))·m / (sqrt(v)·(1/sqrt(1−β2^t)) + ε)
// lr = hyper[0] and t = hyper[1] are read on the device, so a captured CUDA
// graph replays with the current schedule; the bias corrections are computed
// in float64 from them, then rounded to float32, as the cpu backend does.
//
// Layout: one launch updates every tensor of the model. A table in device
// memory (written once at load) holds, per tensor, the addresses of its
// operand groups (p, g, v or p, g, m, v), its length and the first block
// that works on it: row t = [ptr_0 .. ptr_{G−1}, n, block0].
//
// Work split: each block owns a chunk of OPT_CHUNK consecutive elements of
// one tensor; a block finds its tensor by a scan of the block0 column (a
// model has a handful of tensors). 256 threads stride over the chunk.
#include "common.cuh"

#define OPT_CHUNK 4096

// opt_find returns the tensor row of this block and the chunk's range.
__device__ __forceinline__ const u64* opt_find(const u64* table, int ntensors, int width, int& lo, int& hi) {
	int t = 0;
	const int b = blockIdx.x;
	while (t + 1 < ntensors && (u64)b >= table[(size_t)(t + 1) * width + width - 1]) t++;
	const u64* row = table + (size_t)t * width;
	const int n = (int)row[width - 2], first = (int)row[width - 1];
	lo = (b - first) * OPT_CHUNK;
	hi = min(n, lo + OPT_CHUNK);
	return row;
}

extern "C" __global__ void sgd_f32(const u64* table, const float* hyper, i64 ntensors, float mom, float wd, i64 nesterov) {
	int lo, hi;
	const u64* row = opt_find(table, (int)ntensors, 5, lo, hi);
	float* p = (float*)row[0];
	const float* g = (const float*)row[1];
	float* v = (float*)row[2];
	const float lr = hyper[0];
	for (int j = lo + threadIdx.x; j < hi; j += blockDim.x) {
		float gj = g[j];
		if (wd != 0.f) gj += wd * p[j];
		float vj = gj;
		if (mom != 0.f) vj = mom * v[j] + gj;
		v[j] = vj;
		p[j] -= nesterov ? lr * (gj + mom * vj) : lr * vj;
	}
}

extern "C" __global__ void adam_f32(const u64* table, const float* hyper, i64 ntensors, float b1, float b2, float eps, float wd) {
	int lo, hi;
	const u64* row = opt_find(table, (int)ntensors, 6, lo, hi);
	float* p = (float*)row[0];
	const float* g = (const float*)row[1];
	float* m = (float*)row[2];
	float* v = (float*)row[3];
	const double lr = hyper[0], t = hyper[1];
	const float step_size = (float)(lr / (1.0 - pow((double)b1, t)));
	const float inv_sqrt_bc2 = (float)(1.0 / sqrt(1.0 - pow((double)b2, t)));
	for (int j = lo + threadIdx.x; j < hi; j += blockDim.x) {
		float gj = g[j];
		if (wd != 0.f) gj += wd * p[j];
		const float mj = b1 * m[j] + (1.f - b1) * gj;
		const float vj = b2 * v[j] + (1.f - b2) * gj * gj;
		m[j] = mj;
		v[j] = vj;
		p[j] -= step_size * mj / (sqrtf(vj) * inv_sqrt_bc2 + eps);
	}
}
