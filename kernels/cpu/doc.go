// Package cpu is gabor's CPU backend, registered as "cpu", and the float64
// reference that specifies every kernel.
//
// # Running a Program
//
// Load allocates one float32 arena (ArenaLen floats, 64-byte aligned) and
// prepares each instruction once, through the op table of dispatch.go: it
// checks the operand count and lengths against the instruction's Args, cuts the operand slices out of the arena
// and builds a step, a closure that calls the kernel on those slices. Run
// then only calls steps, in order: no allocation, no map lookup, no type
// switch per instruction. Run is synchronous; Sync is a no-op.
//
// # Kernels
//
// Each op family has one file (elementwise.go, reduce.go, transpose.go,
// dense.go, softmax.go, dropout.go, optim.go; the GEMM in gemm*.go; the
// convolutions and pooling in conv*.go, im2col.go, pool.go, winograd*). The
// hot loops have AVX-512 and AVX2 assembly beside their Go versions (gemm_*,
// pack_*, pool_*, optim_*, stream_*, winograd_* .s), and the GEMM tile a
// NEON one on arm64 (gemm_neon_arm64.s), picked at start-up (GABOR_CPU,
// cpupath.go); tests hold them to the same results. The
// stride-1 3×3 convolutions of the AVX2 path use Winograd's F(2×2, 3×3),
// which has no Go version and no AVX-512 one (conv_winograd.go). Big
// loops are split across a fixed pool of worker goroutines (parallel.go) in contiguous
// chunks; small ones run inline. Kernels accumulate long sums in float64.
//
// # The reference
//
// Reference computes any instruction with plain float64 loops (ref_*.go).
// It is the spec: the conformance suite (package kerneltest) checks every
// backend, this one included, against it.
//
// # Errors
//
// A malformed instruction fails at Load with an error naming the instruction
// index, op, node and operand shapes. An op with no kernel fails with an
// error wrapping kernels.ErrNotImplemented. Run fails only on bad data that
// would otherwise read out of bounds (a label outside [0, D)) or an invalid
// hyper-parameter (an Adam step count below 1).
package cpu
