// gemm.cu — OpGemm: C[M×N] = act(alpha·op(A)·op(B) + beta·C + bias[N]).
//
// Layout: every matrix dense row-major; op(A) is M×K (A stored K×M when
// transposed), op(B) is K×N (B stored N×K when transposed). The backward pass
// of a dense layer uses the transposes: dX = dY·Wᵀ (nt), dW = Xᵀ·dY (tn).
//
// Work split: one 64×64 output tile per 128-thread block, grid
// (⌈M/64⌉, ⌈N/64⌉, splits); see gemm_core.cuh for the tiles, the TF32
// tensor-core and exact FP32 paths and split-K. Eight entry points cover
// {f32, tf32} × {nn, nt, tn, tt}; the transposes are template parameters so
// the address arithmetic of each is straight-line code. Bias and activation
// are fused into the store (the fused Dense layer of the graph compiler).
#include "gemm_core.cuh"

template <bool TA, bool TB, bool TF32>
__device__ __forceinline__ void gemm_dense(const float* A, const float* B, float* C, const float* bias, float* ws,
                                           i64 M, i64 N, i64 K, float alpha, float beta, i64 act, i64 splits, i64 kper) {
	DenseLoader<!TA> la{A, (int)(TA ? M : K)}; // A(m, k): A[m·K + k], or A[k·M + m] transposed
	DenseLoader<TB> lb{B, (int)(TB ? K : N)};  // B(n, k): B[k·N + n], or B[n·K + k] transposed
	EpiRowMajor ep{C, bias, (int)N, alpha, beta, (int)act};
	gemm_main<DenseLoader<!TA>, DenseLoader<TB>, EpiRowMajor, TF32>(la, lb, ep, (int)M, (int)N, (int)K, (int)splits, (int)kper, ws);
}

#define GEMM_ENTRY(name, TA, TB, TF32)                                                                            \
	extern "C" __global__ void __launch_bounds__(GEMM_THREADS)                                                    \
	    name(const float* A, const float* B, float* C, const float* bias, float* ws, i64 M, i64 N, i64 K,      \
	         float alpha, float beta, i64 act, i64 splits, i64 kper) {                                            \
		gemm_dense<TA, TB, TF32>(A, B, C, bias, ws, M, N, K, alpha, beta, act, splits, kper);                 \
	}

GEMM_ENTRY(gemm_f32_nn, false, false, false)
GEMM_ENTRY(gemm_f32_nt, false, true, false)
GEMM_ENTRY(gemm_f32_tn, true, false, false)
GEMM_ENTRY(gemm_f32_tt, true, true, false)
GEMM_ENTRY(gemm_tf32_nn, false, false, true)
GEMM_ENTRY(gemm_tf32_nt, false, true, true)
GEMM_ENTRY(gemm_tf32_tn, true, false, true)
GEMM_ENTRY(gemm_tf32_tt, true, true, true)

// gemm_splitk_reduce_f32 finishes a split-K product: C[i] = epilogue(Σ_z ws[z][i]),
// summing the splits in order so the result does not depend on scheduling.
// One thread per output element, grid-stride.
extern "C" __global__ void gemm_splitk_reduce_f32(const float* ws, float* C, const float* bias, i64 M, i64 N, i64 splits,
                                                  float alpha, float beta, i64 act) {
	const int mn = (int)(M * N), n = (int)N, ns = (int)splits;
	EpiRowMajor ep{C, bias, n, alpha, beta, (int)act};
	GRID_STRIDE(i, mn) {
		float s = 0.f;
		for (int z = 0; z < ns; z++) s += ws[(size_t)z * mn + i];
		ep.store(i / n, i % n, s);
	}
}
