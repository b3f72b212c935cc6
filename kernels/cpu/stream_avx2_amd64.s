//go:build amd64 && !purego

#include "textflag.h"

// The streaming loops of stream_avx512_amd64.s in AVX2 and FMA, 8 floats a
// step (see stream_amd64.go). The tails are masked with VMASKMOVPS, which
// neither reads nor writes (nor faults on) the lanes it masks off, so the
// Go side is the same for both paths.

// tailMask<>: eight lanes on, then eight off; the mask of the first k lanes
// (0 ≤ k ≤ 8) is the eight int32 at tailMask<>+32−4k.
DATA tailMask<>+0(SB)/8, $0xffffffffffffffff
DATA tailMask<>+8(SB)/8, $0xffffffffffffffff
DATA tailMask<>+16(SB)/8, $0xffffffffffffffff
DATA tailMask<>+24(SB)/8, $0xffffffffffffffff
DATA tailMask<>+32(SB)/8, $0
DATA tailMask<>+40(SB)/8, $0
DATA tailMask<>+48(SB)/8, $0
DATA tailMask<>+56(SB)/8, $0
GLOBL tailMask<>(SB), RODATA|NOPTR, $64

// Y15 = the mask of the CX (< 8) low lanes; clobbers AX, keeps CX.
#define TAILMASK8 \
	LEAQ tailMask<>+32(SB), AX; \
	SHLQ $2, CX; \
	SUBQ CX, AX; \
	SHRQ $2, CX; \
	VMOVDQU (AX), Y15

// RELUNAN sets Y3 = max(Y0, +0) with Y0's NaN lanes kept (Y2 = 0, Y4
// scratch): VMAXPS returns its second source (0) for a NaN or two zeros, so
// zeros come out +0 as in Go's max, and the NaN lanes are blended back.
#define RELUNAN \
	VMAXPS    Y2, Y0, Y3; \
	VCMPPS    $3, Y0, Y0, Y4; \
	VBLENDVPS Y4, Y0, Y3, Y3

// func reluBiasAVX2(v *float32, n int, b float32)
// v[i] = max(v[i]+b, +0), a NaN kept: VMAXPS returns its second source (0)
// for a NaN or two zeros, so zeros come out +0 as in Go's max, and the NaN
// lanes are blended back from the sum.
TEXT ·reluBiasAVX2(SB), NOSPLIT, $0-20
	MOVQ v+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS b+16(FP), Y1
	VXORPS Y2, Y2, Y2

loop:
	CMPQ CX, $8
	JL   tail
	VADDPS    (DI), Y1, Y0
	RELUNAN
	VMOVUPS   Y3, (DI)
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK8
	VMASKMOVPS (DI), Y15, Y0
	VADDPS     Y0, Y1, Y0
	RELUNAN
	VMASKMOVPS Y3, Y15, (DI)

done:
	VZEROUPPER
	RET

// func reluGradAVX2(dx, y, dy *float32, n int)
// dx[i] = dy[i] where y[i] > 0 (ordered: not for a NaN), else +0.
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Y2, Y2, Y2

gloop:
	CMPQ CX, $8
	JL   gtail
	VMOVUPS (SI), Y0
	VCMPPS  $0x1e, Y2, Y0, Y1 // y > 0, ordered
	VANDPS  (DX), Y1, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  gloop

gtail:
	TESTQ CX, CX
	JZ    gdone
	TAILMASK8
	VMASKMOVPS (SI), Y15, Y0
	VMASKMOVPS (DX), Y15, Y3
	VCMPPS     $0x1e, Y2, Y0, Y1
	VANDPS     Y3, Y1, Y3
	VMASKMOVPS Y3, Y15, (DI)

gdone:
	VZEROUPPER
	RET

// func sum64AVX2(x *float32, n int) float64
// Σ x[i] in float64 over n, a multiple of 32: eight accumulators of four
// doubles, each float widened exactly (VCVTPS2PD). Lane l of accumulator
// Ya holds the elements ≡ 4a+l mod 32, as lane 8b+l of Zb in the AVX-512
// kernel (a = 2b or 2b+1), and the lanes are added in that kernel's order,
// so the result is the same to the bit.
TEXT ·sum64AVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

sloop:
	CMPQ CX, $32
	JL   sdone
	VCVTPS2PD (SI), Y8
	VCVTPS2PD 16(SI), Y9
	VCVTPS2PD 32(SI), Y10
	VCVTPS2PD 48(SI), Y11
	VCVTPS2PD 64(SI), Y12
	VCVTPS2PD 80(SI), Y13
	VCVTPS2PD 96(SI), Y14
	VCVTPS2PD 112(SI), Y15
	VADDPD Y8, Y0, Y0
	VADDPD Y9, Y1, Y1
	VADDPD Y10, Y2, Y2
	VADDPD Y11, Y3, Y3
	VADDPD Y12, Y4, Y4
	VADDPD Y13, Y5, Y5
	VADDPD Y14, Y6, Y6
	VADDPD Y15, Y7, Y7
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  sloop

sdone:
	// Z0+Z1 and Z2+Z3 of the AVX-512 kernel, then their sum.
	VADDPD Y2, Y0, Y0
	VADDPD Y3, Y1, Y1
	VADDPD Y6, Y4, Y4
	VADDPD Y7, Y5, Y5
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	// Its upper eight doubles onto the lower, then halves as there.
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VPERMILPD $1, X0, X1
	VADDSD X1, X0, X0
	VMOVSD X0, ret+16(FP)
	VZEROUPPER
	RET

// func tapDots8AVX2(d, x *float32, n int, out *float32)
// out[s·16+l] += Σ_{t ≡ l mod 16, t < n} d[t]·x[t+s] for s < 8, n a
// positive multiple of 16, x read up to x[n+22] (see tapDots8AVX512). Two
// passes over d: lanes 0–7, then 8–15, each with eight accumulators (one
// per shift). Every lane sees the FMAs of the AVX-512 kernel in its order.
TEXT ·tapDots8AVX2(SB), NOSPLIT, $0-32
	MOVQ d+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), DX
	MOVQ $2, BX

half:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ SI, R8
	MOVQ DI, R9
	MOVQ CX, R10

tloop:
	VMOVUPS     (R8), Y8
	VFMADD231PS (R9), Y8, Y0
	VFMADD231PS 4(R9), Y8, Y1
	VFMADD231PS 8(R9), Y8, Y2
	VFMADD231PS 12(R9), Y8, Y3
	VFMADD231PS 16(R9), Y8, Y4
	VFMADD231PS 20(R9), Y8, Y5
	VFMADD231PS 24(R9), Y8, Y6
	VFMADD231PS 28(R9), Y8, Y7
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, R10
	JG   tloop

	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DX)
	VADDPS  64(DX), Y1, Y1
	VMOVUPS Y1, 64(DX)
	VADDPS  128(DX), Y2, Y2
	VMOVUPS Y2, 128(DX)
	VADDPS  192(DX), Y3, Y3
	VMOVUPS Y3, 192(DX)
	VADDPS  256(DX), Y4, Y4
	VMOVUPS Y4, 256(DX)
	VADDPS  320(DX), Y5, Y5
	VMOVUPS Y5, 320(DX)
	VADDPS  384(DX), Y6, Y6
	VMOVUPS Y6, 384(DX)
	VADDPS  448(DX), Y7, Y7
	VMOVUPS Y7, 448(DX)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ BX
	JNZ  half
	VZEROUPPER
	RET

// func addToAVX2(dst, src *float32, n int)
// dst[i] += src[i] for i < n, 16 a step, then 8, the tail masked.
TEXT ·addToAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

aloop16:
	CMPQ CX, $16
	JL   aloop8
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VADDPS  (SI), Y0, Y0
	VADDPS  32(SI), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  aloop16

aloop8:
	CMPQ CX, $8
	JL   atail
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	SUBQ $8, CX

atail:
	TESTQ CX, CX
	JZ    adone
	TAILMASK8
	VMASKMOVPS (DI), Y15, Y0
	VMASKMOVPS (SI), Y15, Y1
	VADDPS     Y1, Y0, Y0
	VMASKMOVPS Y0, Y15, (DI)

adone:
	VZEROUPPER
	RET

// func fmaPeakAVX2(n int)
// n steps of twelve independent 8-lane FMAs (192 flops a step), no memory
// traffic: the FMA peak of one core, against which BenchmarkFMAPeak and the
// GEMM and convolution benchmarks are read.
TEXT ·fmaPeakAVX2(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

peak:
	VFMADD231PS Y14, Y15, Y0
	VFMADD231PS Y14, Y15, Y1
	VFMADD231PS Y14, Y15, Y2
	VFMADD231PS Y14, Y15, Y3
	VFMADD231PS Y14, Y15, Y4
	VFMADD231PS Y14, Y15, Y5
	VFMADD231PS Y14, Y15, Y6
	VFMADD231PS Y14, Y15, Y7
	VFMADD231PS Y14, Y15, Y8
	VFMADD231PS Y14, Y15, Y9
	VFMADD231PS Y14, Y15, Y10
	VFMADD231PS Y14, Y15, Y11
	DECQ CX
	JNZ  peak
	VZEROUPPER
	RET

// func colSum64AVX2(x *float32, rows, ld int, acc *float64)
// acc[j] += Σ_r x[r·ld + j] for j < 16, in float64, the rows added in order
// (each float widened exactly), so every column gets the scalar loop's bits.
// The AVX-512 path uses it too.
TEXT ·colSum64AVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ rows+8(FP), CX
	MOVQ ld+16(FP), R8
	SHLQ $2, R8
	MOVQ acc+24(FP), DI
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	TESTQ CX, CX
	JZ   cdone

cloop:
	VCVTPS2PD (SI), Y4
	VCVTPS2PD 16(SI), Y5
	VCVTPS2PD 32(SI), Y6
	VCVTPS2PD 48(SI), Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ R8, SI
	DECQ CX
	JNZ  cloop

cdone:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET

// func normU8AVX2(dst *float32, src *uint8, n int, mean, std float32)
// dst[i] = (float32(src[i])/255 − mean)/std for i < n, a multiple of 8: the
// same three correctly rounded float32 operations as the scalar table, so
// the same bits. The AVX-512 path uses it too.
TEXT ·normU8AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS mean+24(FP), Y13
	VBROADCASTSS std+28(FP), Y14
	MOVL $0x437f0000, AX // 255.0
	MOVL AX, X15
	VBROADCASTSS X15, Y15
	SHRQ $3, CX
	JZ   ndone

nloop:
	VPMOVZXBD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VDIVPS Y15, Y0, Y0
	VSUBPS Y13, Y0, Y0
	VDIVPS Y14, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $8, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  nloop

ndone:
	VZEROUPPER
	RET

// func biasRowsAVX2(c *float32, ldc, rows, cols int, bias *float32, relu int)
// c[r·ldc + j] += bias[j] for r < rows and j < cols (a multiple of 8), then
// with relu ≠ 0 max(·, +0) with a NaN kept, as reluBiasAVX2: a dense layer's
// epilogue on a tile of C the GEMM has just stored, while it is in L1.
TEXT ·biasRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	SHLQ $2, R8
	MOVQ rows+16(FP), DX
	MOVQ cols+24(FP), R9
	SHRQ $3, R9
	MOVQ bias+32(FP), SI
	MOVQ relu+40(FP), AX
	VXORPS Y2, Y2, Y2
	TESTQ DX, DX
	JZ   bdone
	TESTQ R9, R9
	JZ   bdone

brow:
	MOVQ DI, R10
	MOVQ SI, R11
	MOVQ R9, CX
	TESTQ AX, AX
	JNZ  brelu

badd:
	VMOVUPS (R10), Y0
	VADDPS  (R11), Y0, Y0
	VMOVUPS Y0, (R10)
	ADDQ $32, R10
	ADDQ $32, R11
	DECQ CX
	JNZ  badd
	JMP  bnext

brelu:
	VMOVUPS   (R10), Y0
	VADDPS    (R11), Y0, Y0
	RELUNAN
	VMOVUPS   Y3, (R10)
	ADDQ $32, R10
	ADDQ $32, R11
	DECQ CX
	JNZ  brelu

bnext:
	ADDQ R8, DI
	DECQ DX
	JNZ  brow

bdone:
	VZEROUPPER
	RET
