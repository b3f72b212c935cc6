// pipeline.cu — the input pipeline's kernels (kernels/pipeline.go): what
// makes one training step one Program, so that a captured CUDA graph of the
// step is replayed for every step of an epoch with no host write between.
// Everything that changes from step to step is read from the state buffer
// (eight doubles, kernels.StK …; exact integers for the counters), never
// from a kernel argument, which the graph freezes.
//
// Math (kernels/ops.go states it; kernels/cpu/ref_pipeline.go is the spec):
//   gather_f32    row b < B of the step at k = st[K] is r = perm[(k·B + b) mod N];
//                 x[b, j] = (xs[r, j]/255 − mean)/std in float32 for uint8
//                 images (the reference programs' expression, no fused
//                 multiply-add: it is a division), xs[r, j] for float inputs;
//                 y[b] = label, y[b, :T] = float targets, or a one-hot row.
//   step_begin    hyper = [lr[k], step+1], ctl = [1, step] (either may be null).
//   step_end      when (k+1) % every = 0 or k = steps−1: sum += (double)loss,
//                 n++, last = loss, the first non-finite kept as bad/badloss;
//                 then k++, step++. One thread: the host's float64 sum in the
//                 same order, equal bits.
//   eval_score    valid = min(B, N − k·B) rows of data row k·B + r: correct +=
//                 first argmax = label, sum += log Σ exp(l − m) + m − l[label]
//                 in double (or Σ (p − t)² for float targets); then k++.
//
// A counter out of range (a state not reset) cannot be reported from a
// kernel: step_begin clamps k to the table and eval_score scores nothing;
// kernels/cpu refuses such a state, and the training loop always writes a
// fresh one (NewState) before an epoch or a pass.
//
// Work split: gather runs one block per batch row, threads walking the row
// (coalesced); step_begin and step_end are one thread (a few scalars);
// eval_score is one block, one thread per row, a fixed-order block sum, so
// its result does not depend on scheduling.
#include "common.cuh"

#define ST_K 0
#define ST_STEP 1
#define ST_SUM 2
#define ST_N 3
#define ST_LAST 4
#define ST_BAD 5
#define ST_BADLOSS 6
#define ST_CORRECT 7

extern "C" __global__ void gather_f32(const void* xs, const void* ys, const int* perm, const double* st, float* x, float* y,
                                      i64 B, i64 D, i64 N, i64 T, i64 onehot, float mean, float std, i64 x_u8, i64 y_u8) {
	const int b_n = (int)B, d = (int)D, n = (int)N, t = (int)T, oh = (int)onehot;
	const int pos = (int)(((i64)st[ST_K] * B) % N);
	for (int b = blockIdx.x; b < b_n; b += gridDim.x) {
		const int r = perm[(pos + b) % n];
		float* dst = x + (size_t)b * d;
		if (x_u8) {
			const unsigned char* src = (const unsigned char*)xs + (size_t)r * d;
			for (int j = threadIdx.x; j < d; j += blockDim.x) dst[j] = ((float)src[j] / 255.f - mean) / std;
		} else {
			const float* src = (const float*)xs + (size_t)r * d;
			for (int j = threadIdx.x; j < d; j += blockDim.x) dst[j] = src[j];
		}
		if (oh > 0) {
			const int l = ((const unsigned char*)ys)[r];
			for (int j = threadIdx.x; j < oh; j += blockDim.x) y[(size_t)b * oh + j] = j == l ? 1.f : 0.f;
		} else if (y_u8) {
			if (threadIdx.x == 0) y[b] = (float)((const unsigned char*)ys)[r];
		} else {
			const float* src = (const float*)ys + (size_t)r * t;
			for (int j = threadIdx.x; j < t; j += blockDim.x) y[(size_t)b * t + j] = src[j];
		}
	}
}

extern "C" __global__ void step_begin(const float* lr, const double* st, float* hyper, float* ctl, i64 steps) {
	if (blockIdx.x != 0 || threadIdx.x != 0) return;
	const i64 k = min(max((i64)st[ST_K], (i64)0), steps - 1);
	const double step = st[ST_STEP];
	if (hyper) {
		hyper[0] = lr[k];
		hyper[1] = (float)(step + 1);
	}
	if (ctl) {
		ctl[0] = 1.f;
		ctl[1] = (float)step;
	}
}

extern "C" __global__ void step_end(const float* loss, double* st, i64 steps, i64 every) {
	if (blockIdx.x != 0 || threadIdx.x != 0) return;
	const i64 k = (i64)st[ST_K];
	if ((k + 1) % every == 0 || k == steps - 1) {
		const double l = (double)loss[0];
		st[ST_SUM] += l;
		st[ST_N] += 1;
		st[ST_LAST] = l;
		if (!isfinite(l) && st[ST_BAD] < 0) {
			st[ST_BAD] = st[ST_STEP];
			st[ST_BADLOSS] = l;
		}
	}
	st[ST_K] = (double)(k + 1);
	st[ST_STEP] += 1;
}

extern "C" __global__ void eval_score(const float* logits, const void* ys, double* st, i64 B, i64 C, i64 N, i64 mse) {
	const int b_n = (int)B, c = (int)C, n = (int)N;
	const int lo = (int)((i64)st[ST_K] * B);
	const int valid = max(0, min(b_n, n - lo));
	double loss = 0, correct = 0;
	for (int r = threadIdx.x; r < valid; r += blockDim.x) {
		const float* row = logits + (size_t)r * c;
		if (mse) {
			const float* want = (const float*)ys + (size_t)(lo + r) * c;
			for (int j = 0; j < c; j++) {
				const double e = (double)row[j] - (double)want[j];
				loss += e * e;
			}
			continue;
		}
		const int label = ((const unsigned char*)ys)[lo + r];
		int best = 0; // the host's argmax: first maximum, NaN never wins
		for (int j = 1; j < c; j++)
			if (row[j] > row[best]) best = j;
		if (best == label) correct += 1;
		double m = -INFINITY;
		for (int j = 0; j < c; j++) {
			const double v = row[j];
			m = (v != v || m != m) ? NAN : fmax(m, v);
		}
		double s = 0;
		for (int j = 0; j < c; j++) s += exp((double)row[j] - m);
		loss += log(s) + m - (double)row[label < c ? label : 0];
	}
	loss = block_sum_d(loss); // every thread has read st before the first barrier in here
	correct = block_sum_d(correct);
	if (threadIdx.x == 0) {
		st[ST_SUM] += loss;
		st[ST_CORRECT] += correct;
		st[ST_K] += 1;
	}
}
