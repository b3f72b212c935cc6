// pipeline.cu — the per-step bookkeeping of a training loop that runs on the
// device (kernels.DeviceData), so that a captured CUDA graph of one step can
// be replayed for every step of an epoch with no host write in between.
//
// State of a training loop: 8 slots of 8 bytes (pipeline_state.go mirrors it)
//   st[0] k        step of the epoch (0-based), i64
//   st[1] step     step of the run, i64
//   st[2] sum      of the sampled losses, double
//   st[3] n        number of sampled losses, i64
//   st[4] last     last sampled loss, float (low 4 bytes)
//   st[5] bad      run step of the first NaN/Inf sampled loss, −1 if none, i64
//   st[6] badloss  that loss, float
//   st[7] pos      k·batch, float: where gather_u8_f32 reads the batch from
// and the epoch's learning rates lr[0..spe) as floats.
//
// Math:
//   step_prime   pos = k·B; hyper = [lr[k], step+1]; ctl = [1, step]
//                (what the host path writes before step k; hyper/ctl may be
//                null when the program has none)
//   step_end     after the step's last kernel: when (k+1) % every = 0 or
//                k = spe−1, sample the loss (sum += (double)loss, n++,
//                last = loss, first non-finite remembered); then k++,
//                step++, and prime the next step when k < spe. The sum is
//                the host path's float64 sum in the same order: equal bits.
//   eval_score   over the batch at pos (valid = min(B, n − pos) rows):
//                correct += #{r : first argmax of logits[r] = label[r]},
//                loss += Σ_r log Σ_j exp(l_rj − m_r) + m_r − l_r,label in
//                double, m_r the row's maximum (NaN if any is NaN, as Go's
//                math.Max); then pos += B for the next replay.
//
// Work split: step_prime and step_end are one thread (a few scalars; they
// exist so the graph needs no host input). eval_score is one block: one
// thread per row (10 classes), a fixed-order block sum, one add per batch,
// so the result does not depend on scheduling.
#include "common.cuh"

// Slot indices of the training loop state.
#define ST_K 0
#define ST_STEP 1
#define ST_SUM 2
#define ST_N 3
#define ST_LAST 4
#define ST_BAD 5
#define ST_BADLOSS 6
#define ST_POS 7

__device__ __forceinline__ float* slot_f(u64* st, int i) { return (float*)&st[i]; }

__device__ __forceinline__ void prime(u64* st, const float* lr, float* hyper, float* ctl, i64 batch) {
	const i64 k = (i64)st[ST_K], step = (i64)st[ST_STEP];
	*slot_f(st, ST_POS) = (float)(k * batch);
	if (hyper) {
		hyper[0] = lr[k];
		hyper[1] = (float)(step + 1);
	}
	if (ctl) {
		ctl[0] = 1.f;
		ctl[1] = (float)step;
	}
}

extern "C" __global__ void step_prime(u64* st, const float* lr, float* hyper, float* ctl, i64 batch) {
	if (blockIdx.x == 0 && threadIdx.x == 0) prime(st, lr, hyper, ctl, batch);
}

extern "C" __global__ void step_end(u64* st, const float* loss, const float* lr, float* hyper, float* ctl, i64 batch, i64 every,
                                    i64 spe) {
	if (blockIdx.x != 0 || threadIdx.x != 0) return;
	const i64 k = (i64)st[ST_K], step = (i64)st[ST_STEP];
	if ((k + 1) % every == 0 || k == spe - 1) {
		const float l = loss[0];
		double* sum = (double*)&st[ST_SUM];
		*sum += (double)l;
		st[ST_N] += 1;
		*slot_f(st, ST_LAST) = l;
		if (!isfinite(l) && (i64)st[ST_BAD] < 0) {
			st[ST_BAD] = (u64)step;
			*slot_f(st, ST_BADLOSS) = l;
		}
	}
	st[ST_K] = (u64)(k + 1);
	st[ST_STEP] = (u64)(step + 1);
	if (k + 1 < spe) prime(st, lr, hyper, ctl, batch);
}

// Eval state: es[0] loss sum (double), es[1] correct (i64), es[2] pos (float).
extern "C" __global__ void eval_score(u64* es, const float* logits, const float* labels, i64 batch64, i64 n64, i64 classes64) {
	const int batch = (int)batch64, n = (int)n64, classes = (int)classes64;
	float* posp = (float*)&es[2];
	const int pos = (int)*posp;
	const int valid = min(batch, n - pos);
	double loss = 0, correct = 0;
	for (int r = threadIdx.x; r < valid; r += blockDim.x) {
		const float* row = logits + (size_t)r * classes;
		const int label = (int)labels[r];
		int best = 0; // the host's argmax: first maximum, NaN never wins
		for (int j = 1; j < classes; j++)
			if (row[j] > row[best]) best = j;
		if (best == label) correct += 1;
		double m = -INFINITY;
		for (int j = 0; j < classes; j++) {
			const double v = row[j];
			m = (v != v || m != m) ? NAN : fmax(m, v);
		}
		double s = 0;
		for (int j = 0; j < classes; j++) s += exp((double)row[j] - m);
		loss += log(s) + m - (double)row[label];
	}
	loss = block_sum_d(loss); // every thread has read pos before the first barrier in here
	correct = block_sum_d(correct);
	if (threadIdx.x == 0) {
		*(double*)&es[0] += loss;
		es[1] += (u64)(i64)correct;
		*posp = (float)(pos + batch);
	}
}
