// data.cu — the input pipeline on the device: a batch gathered from a uint8
// dataset that stays resident on the GPU, and the correct-count of accuracy.
//
// Math:
//   gather   k = perm[(pos + b) mod n] for batch row b < B (pos = *pos_f, the
//            position of the batch in the epoch's permutation, an exact
//            integer float read on the device so a captured graph replays
//            with the current batch);
//            x[b, j] = (img[k, j]/255 − mean)/std  in float32, j < dim;
//            labels[b] = lab[k].
//   correct  count += #{rows r : argmax_j logits[r, j] = labels[r]}, argmax
//            being the first maximum and NaN never winning. count accumulates
//            (zero it with fill_f32) so an evaluation pass can sum over its
//            batches without a host round trip; integer sums are exact in
//            float32 below 2^24.
//
// Work split: gather runs one block per batch row, threads walking the row's
// dim bytes (coalesced); correct_count runs one warp per row and adds each
// block's count with a single atomicAdd.
#include "common.cuh"

extern "C" __global__ void gather_u8_f32(const unsigned char* img, const unsigned char* lab, const int* perm, const float* pos_f,
                                         float* x, float* labels, i64 batch, i64 dim64, i64 n64, float mean, float std) {
	const int dim = (int)dim64, n = (int)n64;
	const int pos = (int)pos_f[0];
	for (int b = blockIdx.x; b < (int)batch; b += gridDim.x) {
		const int k = perm[(pos + b) % n];
		const unsigned char* src = img + (size_t)k * dim;
		float* dst = x + (size_t)b * dim;
		for (int j = threadIdx.x; j < dim; j += blockDim.x) dst[j] = ((float)src[j] / 255.f - mean) / std;
		if (threadIdx.x == 0) labels[b] = (float)lab[k];
	}
}

extern "C" __global__ void correct_count_f32(const float* logits, const float* labels, float* count, i64 rows64, i64 d64) {
	const int rows = (int)rows64, d = (int)d64;
	const int lane = threadIdx.x & 31, wpb = blockDim.x >> 5;
	int mine = 0;
	for (int r = blockIdx.x * wpb + (threadIdx.x >> 5); r < rows; r += gridDim.x * wpb) {
		const float* xr = logits + (size_t)r * d;
		float best = -INFINITY;
		int arg = d; // larger than any index: "none yet"
		for (int j = lane; j < d; j += 32) {
			const float v = xr[j];
			if (v > best || (v == best && j < arg)) best = v, arg = j;
		}
		for (int o = 16; o > 0; o >>= 1) { // first maximum across lanes
			const float ob = __shfl_xor_sync(0xffffffffu, best, o);
			const int oa = __shfl_xor_sync(0xffffffffu, arg, o);
			if (ob > best || (ob == best && oa < arg)) best = ob, arg = oa;
		}
		if (lane == 0 && arg < d && (float)arg == labels[r]) mine++;
	}
	const double total = block_sum_d((double)mine);
	if (threadIdx.x == 0 && total != 0.0) atomicAdd(count, (float)total);
}
