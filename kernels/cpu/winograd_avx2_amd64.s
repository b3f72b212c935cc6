//go:build amd64 && !purego

#include "textflag.h"

// The two transforms of the Winograd F(2×2, 3×3) convolution
// (conv_winograd.go), eight tiles at a time: lane l of a YMM register holds
// tile 2l' of a row of tiles in the order 0 1 4 5 2 3 6 7, which is what
// VSHUFPS leaves when it splits sixteen floats into even and odd ones, and
// what VUNPCKLPS/VUNPCKHPS turn back into sixteen consecutive outputs, so
// no lane crossing is ever needed.

// WINOROW reads one row of the 4×4 input patches of eight tiles, the 18
// floats at p, and leaves E0..E3 = d0−d2, d1+d2, d2−d1, d1−d3 with dj the
// floats 2t+j of the row (Bᵀ applied along the row). T0, T1 are clobbered.
#define WINOROW(p, E0, E1, E2, E3, T0, T1) \
	VMOVUPS (p), T0; \
	VMOVUPS 32(p), T1; \
	VSHUFPS $0x88, T1, T0, E0; \
	VSHUFPS $0xDD, T1, T0, E1; \
	VMOVUPS 8(p), T0; \
	VMOVUPS 40(p), T1; \
	VSHUFPS $0x88, T1, T0, E2; \
	VSHUFPS $0xDD, T1, T0, E3; \
	VSUBPS E2, E0, E0; \
	VSUBPS E3, E1, E3; \
	VADDPS E2, E1, T0; \
	VSUBPS E1, E2, E2; \
	VMOVAPS T0, E1

// STORE4 writes Y registers A..D to the four ξ = 4i+0..3 of one row i of V,
// based at p: ξ stride R10 bytes, R12 = 3·R10.
#define STORE4(p, A, B, C, D) \
	VMOVUPS A, (p); \
	VMOVUPS B, (p)(R10*1); \
	VMOVUPS C, (p)(R10*2); \
	VMOVUPS D, (p)(R12*1)

// func winoInAVX2(src *float32, wp, plane, c int, dst *float32, cs, xi int)
//
// V = Bᵀ·d·B for eight tiles and c channels. src is the top-left corner of
// the first tile's patch in channel 0; row stride wp, channel stride plane
// (floats). dst receives channel ch, ξ = 4i+j at dst + ch·cs + ξ·xi floats
// (eight floats each: half of a packed 16-column GEMM panel when cs is 16).
TEXT ·winoInAVX2(SB), NOSPLIT, $0-56
	MOVQ src+0(FP), SI
	MOVQ wp+8(FP), R8
	SHLQ $2, R8
	MOVQ plane+16(FP), R9
	SHLQ $2, R9
	MOVQ c+24(FP), CX
	MOVQ dst+32(FP), DI
	MOVQ cs+40(FP), R14
	SHLQ $2, R14
	MOVQ xi+48(FP), R10
	SHLQ $2, R10
	LEAQ (R10)(R10*2), R12
	MOVQ R10, R11
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R13
	TESTQ CX, CX
	JZ   indone

inchan:
	MOVQ SI, AX
	WINOROW(AX, Y0, Y1, Y2, Y3, Y12, Y13)
	LEAQ (SI)(R8*2), AX
	WINOROW(AX, Y4, Y5, Y6, Y7, Y12, Y13)
	// V row 0 = E0 − E2
	VSUBPS Y4, Y0, Y8
	VSUBPS Y5, Y1, Y9
	VSUBPS Y6, Y2, Y10
	VSUBPS Y7, Y3, Y11
	MOVQ DI, BX
	STORE4(BX, Y8, Y9, Y10, Y11)
	LEAQ (SI)(R8*1), AX
	WINOROW(AX, Y0, Y1, Y2, Y3, Y12, Y13)
	// V row 1 = E1 + E2, row 2 = E2 − E1
	VADDPS Y4, Y0, Y8
	VADDPS Y5, Y1, Y9
	VADDPS Y6, Y2, Y10
	VADDPS Y7, Y3, Y11
	ADDQ R11, BX
	STORE4(BX, Y8, Y9, Y10, Y11)
	VSUBPS Y0, Y4, Y8
	VSUBPS Y1, Y5, Y9
	VSUBPS Y2, Y6, Y10
	VSUBPS Y3, Y7, Y11
	ADDQ R11, BX
	STORE4(BX, Y8, Y9, Y10, Y11)
	LEAQ (SI)(R13*1), AX
	WINOROW(AX, Y4, Y5, Y6, Y7, Y12, Y13)
	// V row 3 = E1 − E3
	VSUBPS Y4, Y0, Y8
	VSUBPS Y5, Y1, Y9
	VSUBPS Y6, Y2, Y10
	VSUBPS Y7, Y3, Y11
	ADDQ R11, BX
	STORE4(BX, Y8, Y9, Y10, Y11)

	ADDQ R9, SI
	ADDQ R14, DI
	DECQ CX
	JNZ  inchan

indone:
	VZEROUPPER
	RET

// func winoOutAVX2(m *float32, xi, mk, k int, y *float32, yk, ow, rows, cols int, bias *float32, relu int)
//
// y = Aᵀ·M·A for eight tiles and k channels, plus bias[ch] (when bias is
// not nil), then max(·, 0) when relu ≠ 0. M(ξ, ch) is the eight floats at
// m + ξ·xi + ch·mk; the 2×2 outputs of the eight tiles are the 16 floats
// of rows 0 and 1 at y + ch·yk (row stride ow), of which the first cols
// (1..16) are written, and only row 0 when rows is 1. A partial row is
// stored in pieces of 8, 4, 2 and 1 floats (VMASKMOVPS measured a third of
// the whole convolution's time on the 14-wide layers).
TEXT ·winoOutAVX2(SB), NOSPLIT, $0-88
	MOVQ m+0(FP), SI
	MOVQ xi+8(FP), R10
	SHLQ $2, R10
	MOVQ mk+16(FP), R8
	SHLQ $2, R8
	MOVQ k+24(FP), CX
	MOVQ y+32(FP), DI
	MOVQ yk+40(FP), R9
	SHLQ $2, R9
	MOVQ ow+48(FP), R11
	SHLQ $2, R11
	MOVQ rows+56(FP), R13
	MOVQ cols+64(FP), R14
	MOVQ bias+72(FP), DX
	MOVQ relu+80(FP), R15
	TESTQ CX, CX
	JZ   outdone

outchan:
	// columns j = 0..3 of R = Aᵀ·M: R0j in Y0..Y3, R1j in Y4..Y7
	LEAQ (R10)(R10*2), R12
	MOVQ SI, AX
	MOVQ R10, BX
	SHLQ $2, BX
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R10*1), Y1
	VMOVUPS (AX)(R10*2), Y2
	VMOVUPS (AX)(R12*1), Y3
	ADDQ BX, AX
	VMOVUPS (AX), Y8
	VMOVUPS (AX)(R10*1), Y9
	VMOVUPS (AX)(R10*2), Y10
	VMOVUPS (AX)(R12*1), Y11
	ADDQ BX, AX
	// R0j = M0j + M1j + M2j, R1j = M1j − M2j − M3j
	VADDPS Y8, Y0, Y0
	VADDPS Y9, Y1, Y1
	VADDPS Y10, Y2, Y2
	VADDPS Y11, Y3, Y3
	VMOVUPS (AX), Y12
	VADDPS Y12, Y0, Y0
	VSUBPS Y12, Y8, Y4
	VMOVUPS (AX)(R10*1), Y12
	VADDPS Y12, Y1, Y1
	VSUBPS Y12, Y9, Y5
	VMOVUPS (AX)(R10*2), Y12
	VADDPS Y12, Y2, Y2
	VSUBPS Y12, Y10, Y6
	VMOVUPS (AX)(R12*1), Y12
	VADDPS Y12, Y3, Y3
	VSUBPS Y12, Y11, Y7
	ADDQ BX, AX
	VSUBPS (AX), Y4, Y4
	VSUBPS (AX)(R10*1), Y5, Y5
	VSUBPS (AX)(R10*2), Y6, Y6
	VSUBPS (AX)(R12*1), Y7, Y7
	// y00 = R00+R01+R02, y01 = R01−R02−R03, and the same for row 1
	VADDPS Y1, Y0, Y8
	VADDPS Y2, Y8, Y8
	VSUBPS Y2, Y1, Y9
	VSUBPS Y3, Y9, Y9
	VADDPS Y5, Y4, Y10
	VADDPS Y6, Y10, Y10
	VSUBPS Y6, Y5, Y11
	VSUBPS Y7, Y11, Y11
	TESTQ DX, DX
	JZ   nobias
	VBROADCASTSS (DX), Y12
	VADDPS Y12, Y8, Y8
	VADDPS Y12, Y9, Y9
	VADDPS Y12, Y10, Y10
	VADDPS Y12, Y11, Y11
	ADDQ $4, DX

nobias:
	TESTQ R15, R15
	JZ   interleave
	VXORPS Y12, Y12, Y12
	VMAXPS Y12, Y8, Y8
	VMAXPS Y12, Y9, Y9
	VMAXPS Y12, Y10, Y10
	VMAXPS Y12, Y11, Y11

interleave:
	VUNPCKLPS Y9, Y8, Y0
	VUNPCKHPS Y9, Y8, Y1
	VUNPCKLPS Y11, Y10, Y2
	VUNPCKHPS Y11, Y10, Y3
	CMPQ R14, $16
	JLT  partial
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	CMPQ R13, $2
	JLT  next
	VMOVUPS Y2, (DI)(R11*1)
	VMOVUPS Y3, 32(DI)(R11*1)
	JMP  next

partial:
	MOVQ DI, AX
	MOVQ R14, R12
	VMOVAPS Y0, Y12
	CMPQ R12, $8
	JLT  r0lt8
	VMOVUPS Y0, (AX)
	ADDQ $32, AX
	SUBQ $8, R12
	VMOVAPS Y1, Y12

r0lt8:
	TESTQ $4, R12
	JZ   r0lt4
	VMOVUPS X12, (AX)
	VEXTRACTF128 $1, Y12, X12
	ADDQ $16, AX

r0lt4:
	TESTQ $2, R12
	JZ   r0lt2
	VMOVLPS X12, (AX)
	VMOVHLPS X12, X12, X12
	ADDQ $8, AX

r0lt2:
	TESTQ $1, R12
	JZ   r0done
	VMOVSS X12, (AX)

r0done:
	CMPQ R13, $2
	JLT  next
	LEAQ (DI)(R11*1), AX
	MOVQ R14, R12
	VMOVAPS Y2, Y12
	CMPQ R12, $8
	JLT  r1lt8
	VMOVUPS Y2, (AX)
	ADDQ $32, AX
	SUBQ $8, R12
	VMOVAPS Y3, Y12

r1lt8:
	TESTQ $4, R12
	JZ   r1lt4
	VMOVUPS X12, (AX)
	VEXTRACTF128 $1, Y12, X12
	ADDQ $16, AX

r1lt4:
	TESTQ $2, R12
	JZ   r1lt2
	VMOVLPS X12, (AX)
	VMOVHLPS X12, X12, X12
	ADDQ $8, AX

r1lt2:
	TESTQ $1, R12
	JZ   r1done
	VMOVSS X12, (AX)

r1done:

next:
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  outchan

outdone:
	VZEROUPPER
	RET

// func winoDyAVX2(src *float32, ow, plane, k int, dst *float32, cs, xi, rows int, mask *int32)
//
// X = A·dy·Aᵀ for eight tiles and k channels, the filter gradient's
// transform of the output gradient: src is the top-left output of the first
// tile in channel 0 of dy (row stride ow, channel stride plane, floats);
// the 2×2 gradients of the eight tiles are the 16 floats of two rows, of
// which only the first row is read when rows is 1 and, when mask is not
// nil, only the columns whose mask (16 int32) is −1; the others count as
// zero. dst receives channel ch, ξ = 4i+j at dst + ch·cs + ξ·xi floats, in
// the lane order of winoInAVX2.
TEXT ·winoDyAVX2(SB), NOSPLIT, $0-72
	MOVQ src+0(FP), SI
	MOVQ ow+8(FP), R8
	SHLQ $2, R8
	MOVQ plane+16(FP), R9
	SHLQ $2, R9
	MOVQ k+24(FP), CX
	MOVQ dst+32(FP), DI
	MOVQ cs+40(FP), R14
	SHLQ $2, R14
	MOVQ xi+48(FP), R10
	SHLQ $2, R10
	MOVQ rows+56(FP), R13
	MOVQ mask+64(FP), R15
	LEAQ (R10)(R10*2), R12
	MOVQ R10, R11
	SHLQ $2, R11
	TESTQ CX, CX
	JZ   dydone
	TESTQ R15, R15
	JZ   dychan
	VMOVUPS (R15), Y14
	VMOVUPS 32(R15), Y15

dychan:
	// d0j, d1j: the gradients of output rows 0 and 1, columns j = 0, 1
	TESTQ R15, R15
	JNZ  dymasked
	VMOVUPS (SI), Y12
	VMOVUPS 32(SI), Y13
	VSHUFPS $0x88, Y13, Y12, Y0
	VSHUFPS $0xDD, Y13, Y12, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ R13, $2
	JLT  dyrows
	VMOVUPS (SI)(R8*1), Y12
	VMOVUPS 32(SI)(R8*1), Y13
	VSHUFPS $0x88, Y13, Y12, Y2
	VSHUFPS $0xDD, Y13, Y12, Y3
	JMP  dyrows

dymasked:
	VMASKMOVPS (SI), Y14, Y12
	VMASKMOVPS 32(SI), Y15, Y13
	VSHUFPS $0x88, Y13, Y12, Y0
	VSHUFPS $0xDD, Y13, Y12, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ R13, $2
	JLT  dyrows
	VMASKMOVPS (SI)(R8*1), Y14, Y12
	VMASKMOVPS 32(SI)(R8*1), Y15, Y13
	VSHUFPS $0x88, Y13, Y12, Y2
	VSHUFPS $0xDD, Y13, Y12, Y3

dyrows:
	// along the columns, (d0, d0+d1, d0−d1, −d1) of each row: row 0 of
	// C in Y0, Y4, Y5, Y6, row 1 in Y2, Y8, Y9, Y10
	VXORPS Y12, Y12, Y12
	VADDPS Y1, Y0, Y4
	VSUBPS Y1, Y0, Y5
	VSUBPS Y1, Y12, Y6
	VADDPS Y3, Y2, Y8
	VSUBPS Y3, Y2, Y9
	VSUBPS Y3, Y12, Y10
	// along the rows: X = (C0, C0+C1, C0−C1, −C1)
	MOVQ DI, BX
	STORE4(BX, Y0, Y4, Y5, Y6)
	ADDQ R11, BX
	VADDPS Y2, Y0, Y1
	VADDPS Y8, Y4, Y3
	VADDPS Y9, Y5, Y7
	VADDPS Y10, Y6, Y11
	STORE4(BX, Y1, Y3, Y7, Y11)
	ADDQ R11, BX
	VSUBPS Y2, Y0, Y1
	VSUBPS Y8, Y4, Y3
	VSUBPS Y9, Y5, Y7
	VSUBPS Y10, Y6, Y11
	STORE4(BX, Y1, Y3, Y7, Y11)
	ADDQ R11, BX
	VSUBPS Y2, Y12, Y1
	VSUBPS Y8, Y12, Y3
	VSUBPS Y9, Y12, Y7
	VSUBPS Y10, Y12, Y11
	STORE4(BX, Y1, Y3, Y7, Y11)

	ADDQ R9, SI
	ADDQ R14, DI
	DECQ CX
	JNZ  dychan

dydone:
	VZEROUPPER
	RET
