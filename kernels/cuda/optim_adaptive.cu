// optim_adaptive.cu — adaptive multi-tensor optimizer updates in place:
// OpAdagrad, OpRMSprop.
//
// Math (kernels/ops.go, float32 like kernels/cpu/optim_adaptive.go and
// PyTorch's Adagrad with lr_decay 0 and RMSprop without momentum):
//   Adagrad  g' = g + wd·p;  s = s + g'²;              p -= lr·g' / (sqrt(s) + ε)
//   RMSprop  g' = g + wd·p;  s = α·s + (1−α)·g'²;      p -= lr·g' / (sqrt(s) + ε)
// lr = hyper[0] is read on the device, so a captured CUDA graph replays with
// the current schedule.
//
// Layout and work split are optim.cu's: one launch for every tensor of the
// model, a device table with one row [p, g, s, n, block0] per tensor, each
// block a chunk of OPT_CHUNK elements of one tensor found by opt_find, 256
// threads striding over it. One memory pass (read p, g, s; write p, s: 20
// bytes per element), like SGD with momentum.
#include "common.cuh"

#define OPT_CHUNK 4096

__device__ __forceinline__ const u64* opt_find_adaptive(const u64* table, int ntensors, int& lo, int& hi) {
	int t = 0;
	const int b = blockIdx.x;
	while (t + 1 < ntensors && (u64)b >= table[(size_t)(t + 1) * 5 + 4]) t++;
	const u64* row = table + (size_t)t * 5;
	const int n = (int)row[3], first = (int)row[4];
	lo = (b - first) * OPT_CHUNK;
	hi = min(n, lo + OPT_CHUNK);
	return row;
}

// sum ≠ 0 is Adagrad (s = s + g'²); else RMSprop with keep = α and
// add = 1 − α computed on the host in float32, as the cpu backend does.
extern "C" __global__ void adaptive_f32(const u64* table, const float* hyper, i64 ntensors, float keep, float add, float eps, float wd, i64 sum) {
	int lo, hi;
	const u64* row = opt_find_adaptive(table, (int)ntensors, lo, hi);
	float* p = (float*)row[0];
	const float* g = (const float*)row[1];
	float* s = (float*)row[2];
	const float lr = hyper[0];
	for (int j = lo + threadIdx.x; j < hi; j += blockDim.x) {
		float gj = g[j];
		if (wd != 0.f) gj += wd * p[j];
		const float sj = sum ? s[j] + gj * gj : keep * s[j] + add * gj * gj;
		s[j] = sj;
		p[j] -= lr * gj / (sqrtf(sj) + eps);
	}
}
