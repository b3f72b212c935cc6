// softmax.cu — OpSoftmax, OpSoftmaxXent (fused softmax + cross-entropy) and
// its backward OpSoftmaxXentBwd.
//
// Math, per row x of length D, made stable by its maximum m:
//   softmax_j = e^{x_j−m}/s,  log-softmax_j = x_j − m − log s,  s = Σ_j e^{x_j−m}
//   loss = (1/N) Σ_n (m_n + log s_n − x_n[label_n])
//   dlogits = (probs − onehot(label))·dloss/N   (dloss = 1 when absent)
// exp, the sum and log are float64 — rows are short (10 classes) and few
// (a batch), so this costs nothing and matches the float64 reference to the
// final float32 rounding.
// Labels are float32 integers. A label that is not an integer in [0, D)
// cannot be reported from the device: its row's loss term and its dlogits
// row become NaN, so the damage is visible instead of an out-of-bounds read.
// (The cpu backend returns an error for the same input.)
//
// Work split: one warp per row (lanes stride over D), 4 rows per 128-thread
// block. The loss is a sum over rows, so xent_fwd_f32 runs as a single block
// of 1024 threads (32 warps striding over rows) and adds the per-row terms
// in a fixed order: deterministic, and N ≤ a few thousand rows per call.
// xent_bwd_f32: one thread per element.
#include "common.cuh"

// row_stats returns (m, log s) of a row for every lane of the warp.
__device__ __forceinline__ void row_stats(const float* x, int d, float& m, double& logs) {
	const int lane = threadIdx.x & 31;
	float mx = -INFINITY;
	for (int j = lane; j < d; j += 32) {
		float v = x[j];
		mx = (mx != mx || v < mx) ? mx : v; // NaN wins and stays
	}
	m = warp_max_f(mx);
	double s = 0.0;
	for (int j = lane; j < d; j += 32) s += exp((double)x[j] - (double)m);
	logs = log(warp_sum_d(s));
}

// label_index returns the class of row r, or −1 when the label is not an
// integer in [0, d).
__device__ __forceinline__ int label_index(const float* labels, int r, int d) {
	float v = labels[r];
	int k = (int)v;
	return ((float)k == v && k >= 0 && k < d) ? k : -1;
}

extern "C" __global__ void softmax_f32(const float* x, float* y, i64 rows64, i64 d64, i64 logmode) {
	const int rows = (int)rows64, d = (int)d64;
	const int lane = threadIdx.x & 31, wpb = blockDim.x >> 5;
	for (int r = blockIdx.x * wpb + (threadIdx.x >> 5); r < rows; r += gridDim.x * wpb) {
		const float* xr = x + (size_t)r * d;
		float* yr = y + (size_t)r * d;
		float m;
		double logs;
		row_stats(xr, d, m, logs);
		__syncwarp();
		for (int j = lane; j < d; j += 32) {
			double t = (double)xr[j] - (double)m - logs;
			yr[j] = (float)(logmode ? t : exp(t));
		}
	}
}

extern "C" __global__ void xent_fwd_f32(const float* logits, const float* labels, float* loss, float* probs, i64 n64, i64 d64) {
	const int n = (int)n64, d = (int)d64;
	const int lane = threadIdx.x & 31, wpb = blockDim.x >> 5;
	double total = 0.0; // lane 0 of each warp: that warp's rows
	for (int r = threadIdx.x >> 5; r < n; r += wpb) {
		const float* xr = logits + (size_t)r * d;
		float m;
		double logs;
		row_stats(xr, d, m, logs);
		const int k = label_index(labels, r, d);
		if (probs) {
			__syncwarp();
			for (int j = lane; j < d; j += 32) probs[(size_t)r * d + j] = (float)exp((double)xr[j] - (double)m - logs);
		}
		if (lane == 0) total += k >= 0 ? (double)m + logs - (double)xr[k] : (double)NAN;
	}
	total = block_sum_d(lane == 0 ? total : 0.0);
	if (threadIdx.x == 0) loss[0] = (float)(total / (double)n);
}

extern "C" __global__ void xent_bwd_f32(const float* probs, const float* labels, const float* dloss, float* dx, i64 n64, i64 d64) {
	const int n = (int)n64, d = (int)d64, total = n * d;
	const float g = (dloss ? dloss[0] : 1.f) / (float)n;
	GRID_STRIDE(i, total) {
		const int r = i / d, j = i - r * d;
		const int k = label_index(labels, r, d);
		const float p = probs[i];
		dx[i] = k < 0 ? NAN : (j == k ? (p - 1.f) * g : p * g);
	}
}
