//go:build amd64 && !purego

#include "textflag.h"

// TILE6x16 multiplies one depth step: B row in Y12, Y13 times the six
// broadcast elements of A, added into Y0..Y11.
#define TILE6x16 \
	VBROADCASTSS (SI), Y14; \
	VFMADD231PS Y12, Y14, Y0; \
	VFMADD231PS Y13, Y14, Y1; \
	VBROADCASTSS (SI)(R8*1), Y15; \
	VFMADD231PS Y12, Y15, Y2; \
	VFMADD231PS Y13, Y15, Y3; \
	VBROADCASTSS (SI)(R8*2), Y14; \
	VFMADD231PS Y12, Y14, Y4; \
	VFMADD231PS Y13, Y14, Y5; \
	VBROADCASTSS (DX), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VBROADCASTSS (DX)(R8*1), Y14; \
	VFMADD231PS Y12, Y14, Y8; \
	VFMADD231PS Y13, Y14, Y9; \
	VBROADCASTSS (DX)(R8*2), Y15; \
	VFMADD231PS Y12, Y15, Y10; \
	VFMADD231PS Y13, Y15, Y11

// func sgemmAVX2x6x16(kc int, a, a3 *float32, rsa, csa int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, loadC int)
//
// A full 6×16 tile of C in Y0..Y11 (row r in Y(2r), Y(2r+1)); per step of the
// depth two YMM loads of B, six broadcasts of A and twelve FMAs. A(r, p) is
// at a + 4(r·rsa + p·csa) for rows 0-2 and a3 + 4((r−3)·rsa + p·csa) for rows
// 3-5 (a3 = a + 12·rsa for a plain matrix; the filter gradient points both
// halves into a padded image, conv_rowsfilter.go): bases SI and DX, row
// stride R8, depth step R10. Row p of B starts at b + 4·boff[p] (offsets into a
// padded image for the direct convolutions), or at b + 64·p when boff is nil
// (a packed panel: one index load a step less, 2–5 % of the mlp's GEMMs).
// Partial tiles are handled by the Go wrapper.
TEXT ·sgemmAVX2x6x16(SB), NOSPLIT, $0-88
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ a3+16(FP), DX
	MOVQ rsa+24(FP), R8
	SHLQ $2, R8
	MOVQ csa+32(FP), R10
	SHLQ $2, R10
	MOVQ b+40(FP), DI
	MOVQ boff+48(FP), R14
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

	TESTQ R14, R14
	JZ    packed

// B rows through the offset table
loop:
	MOVQ (R14), AX
	VMOVUPS (DI)(AX*4), Y12
	VMOVUPS 32(DI)(AX*4), Y13
	TILE6x16
	ADDQ R10, SI
	ADDQ R10, DX
	ADDQ $8, R14
	DECQ CX
	JNZ  loop
	JMP  store

// a packed panel: row p at b + 64·p, fetched eight rows ahead (the panel
// comes from L2: a few per cent on the dense layers' products)
packed:
	PREFETCHT0 512(DI)
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	TILE6x16
	ADDQ R10, SI
	ADDQ R10, DX
	ADDQ $64, DI
	DECQ CX
	JNZ  packed

store:
	MOVQ c+56(FP), R11
	MOVQ ldc+64(FP), R12
	SHLQ $2, R12
	VBROADCASTSS alpha+72(FP), Y14
	VBROADCASTSS beta+76(FP), Y15
	MOVQ loadC+80(FP), AX
	TESTQ AX, AX
	JZ   overwrite

// C = alpha·acc + beta·C
	VMOVUPS (R11), Y12
	VMOVUPS 32(R11), Y13
	VMULPS Y14, Y0, Y0
	VMULPS Y14, Y1, Y1
	VFMADD231PS Y15, Y12, Y0
	VFMADD231PS Y15, Y13, Y1
	VMOVUPS Y0, (R11)
	VMOVUPS Y1, 32(R11)
	ADDQ R12, R11
	VMOVUPS (R11), Y12
	VMOVUPS 32(R11), Y13
	VMULPS Y14, Y2, Y2
	VMULPS Y14, Y3, Y3
	VFMADD231PS Y15, Y12, Y2
	VFMADD231PS Y15, Y13, Y3
	VMOVUPS Y2, (R11)
	VMOVUPS Y3, 32(R11)
	ADDQ R12, R11
	VMOVUPS (R11), Y12
	VMOVUPS 32(R11), Y13
	VMULPS Y14, Y4, Y4
	VMULPS Y14, Y5, Y5
	VFMADD231PS Y15, Y12, Y4
	VFMADD231PS Y15, Y13, Y5
	VMOVUPS Y4, (R11)
	VMOVUPS Y5, 32(R11)
	ADDQ R12, R11
	VMOVUPS (R11), Y12
	VMOVUPS 32(R11), Y13
	VMULPS Y14, Y6, Y6
	VMULPS Y14, Y7, Y7
	VFMADD231PS Y15, Y12, Y6
	VFMADD231PS Y15, Y13, Y7
	VMOVUPS Y6, (R11)
	VMOVUPS Y7, 32(R11)
	ADDQ R12, R11
	VMOVUPS (R11), Y12
	VMOVUPS 32(R11), Y13
	VMULPS Y14, Y8, Y8
	VMULPS Y14, Y9, Y9
	VFMADD231PS Y15, Y12, Y8
	VFMADD231PS Y15, Y13, Y9
	VMOVUPS Y8, (R11)
	VMOVUPS Y9, 32(R11)
	ADDQ R12, R11
	VMOVUPS (R11), Y12
	VMOVUPS 32(R11), Y13
	VMULPS Y14, Y10, Y10
	VMULPS Y14, Y11, Y11
	VFMADD231PS Y15, Y12, Y10
	VFMADD231PS Y15, Y13, Y11
	VMOVUPS Y10, (R11)
	VMOVUPS Y11, 32(R11)
	ADDQ R12, R11
	VZEROUPPER
	RET

// C = alpha·acc, C not read
overwrite:
	VMULPS Y14, Y0, Y0
	VMULPS Y14, Y1, Y1
	VMOVUPS Y0, (R11)
	VMOVUPS Y1, 32(R11)
	ADDQ R12, R11
	VMULPS Y14, Y2, Y2
	VMULPS Y14, Y3, Y3
	VMOVUPS Y2, (R11)
	VMOVUPS Y3, 32(R11)
	ADDQ R12, R11
	VMULPS Y14, Y4, Y4
	VMULPS Y14, Y5, Y5
	VMOVUPS Y4, (R11)
	VMOVUPS Y5, 32(R11)
	ADDQ R12, R11
	VMULPS Y14, Y6, Y6
	VMULPS Y14, Y7, Y7
	VMOVUPS Y6, (R11)
	VMOVUPS Y7, 32(R11)
	ADDQ R12, R11
	VMULPS Y14, Y8, Y8
	VMULPS Y14, Y9, Y9
	VMOVUPS Y8, (R11)
	VMOVUPS Y9, 32(R11)
	ADDQ R12, R11
	VMULPS Y14, Y10, Y10
	VMULPS Y14, Y11, Y11
	VMOVUPS Y10, (R11)
	VMOVUPS Y11, 32(R11)
	ADDQ R12, R11
	VZEROUPPER
	RET

// TILE4x16 is TILE6x16's depth step for four rows, all from SI (R9 = 3·R8).
#define TILE4x16 \
	VBROADCASTSS (SI), Y14; \
	VFMADD231PS Y12, Y14, Y0; \
	VFMADD231PS Y13, Y14, Y1; \
	VBROADCASTSS (SI)(R8*1), Y15; \
	VFMADD231PS Y12, Y15, Y2; \
	VFMADD231PS Y13, Y15, Y3; \
	VBROADCASTSS (SI)(R8*2), Y14; \
	VFMADD231PS Y12, Y14, Y4; \
	VFMADD231PS Y13, Y14, Y5; \
	VBROADCASTSS (SI)(R9*1), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7

// func sgemmAVX2x4x16(kc int, a *float32, rsa, csa int, b *float32, c *float32, ldc int, alpha, beta float32, loadC int)
//
// A full 4×16 tile of C from a packed panel (row p at b + 64·p), the
// remainder tile of sgemmAVX2x6x16 when M mod 6 is 2 or 4 (M = 128 is
// twenty 6-row tiles and two of these rather than 21 and a third of one),
// and of the Winograd products (winoGemm).
// A(r, p) is at a + 4(r·rsa + p·csa); C = alpha·acc (+ beta·C if loadC).
TEXT ·sgemmAVX2x4x16(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ csa+24(FP), R10
	SHLQ $2, R10
	MOVQ b+32(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JZ   store4

loop4:
	PREFETCHT0 512(DI)
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	TILE4x16
	ADDQ R10, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop4

store4:
	MOVQ c+40(FP), R11
	MOVQ ldc+48(FP), R12
	SHLQ $2, R12
	VBROADCASTSS alpha+56(FP), Y14
	VBROADCASTSS beta+60(FP), Y15
	VMULPS Y14, Y0, Y0
	VMULPS Y14, Y1, Y1
	VMULPS Y14, Y2, Y2
	VMULPS Y14, Y3, Y3
	VMULPS Y14, Y4, Y4
	VMULPS Y14, Y5, Y5
	VMULPS Y14, Y6, Y6
	VMULPS Y14, Y7, Y7
	MOVQ loadC+64(FP), AX
	TESTQ AX, AX
	JZ   put4
	MOVQ R11, BX
	VFMADD231PS (BX), Y15, Y0
	VFMADD231PS 32(BX), Y15, Y1
	ADDQ R12, BX
	VFMADD231PS (BX), Y15, Y2
	VFMADD231PS 32(BX), Y15, Y3
	ADDQ R12, BX
	VFMADD231PS (BX), Y15, Y4
	VFMADD231PS 32(BX), Y15, Y5
	ADDQ R12, BX
	VFMADD231PS (BX), Y15, Y6
	VFMADD231PS 32(BX), Y15, Y7

put4:
	VMOVUPS Y0, (R11)
	VMOVUPS Y1, 32(R11)
	ADDQ R12, R11
	VMOVUPS Y2, (R11)
	VMOVUPS Y3, 32(R11)
	ADDQ R12, R11
	VMOVUPS Y4, (R11)
	VMOVUPS Y5, 32(R11)
	ADDQ R12, R11
	VMOVUPS Y6, (R11)
	VMOVUPS Y7, 32(R11)
	VZEROUPPER
	RET
