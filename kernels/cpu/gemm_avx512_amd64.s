//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 micro-kernels for Sgemm: 12 rows × 32 columns (two ZMM per row) and
// 12 rows × 16 columns (one ZMM per row, for N ≤ 16).
//
// func sgemmAVX512x12xNR(kc int, a *float32, rsa, csa int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, loadC, rows, cols int)
//
// C[r][j] = alpha·Σ_p A(r,p)·B[p][j] (+ beta·C[r][j] when loadC != 0) for the
// tile held in Z0.. (row r in Z(2r), Z(2r+1) for 32 columns, in Zr for 16).
// A(r, p) is at a + 4(r·rsa + p·csa), so one loop reads plain A (rsa = lda,
// csa = 1), transposed A (1, lda) and a packed tile (1, 12). Row p of B
// starts at b + 4·boff[p]: for a packed kc×NR panel boff[p] = p·NR, and the
// convolutions point the rows straight into padded images (conv_direct.go),
// so no unfolded copy is built. The extra index load costs nothing measurable
// (the step is bound by its 24 FMAs). Only rows < rows and columns < cols of C are read or written
// (masks K1, K2), and C is not read at all when loadC = 0.
//
// One step of the depth: load the B row (Z24, Z25), then for each row
// broadcast A(r, p) and FMA it into the row's accumulators. Rows are
// addressed from three bases (SI: rows 0-3, DX: 4-7, BX: 8-11) with the row
// stride in R8 and 3·stride in R9; the bases move by the depth stride R10.
//
// Prefetching: a plain A walks 12 rows at once, more streams than the
// hardware prefetcher follows, so every 16 steps the loop prefetches each row
// 64 steps ahead (for the other layouts this lands on lines the stride
// prefetcher fetches anyway). The C tile is prefetched on entry so its
// misses overlap the arithmetic.

// Prefetch, for all 12 rows, the A element 64 steps ahead (R11 = 64·depth stride).
#define PREFETCH_A \
	LEAQ (SI)(R11*1), AX; PREFETCHT0 (AX); PREFETCHT0 (AX)(R8*1); PREFETCHT0 (AX)(R8*2); PREFETCHT0 (AX)(R9*1); \
	LEAQ (DX)(R11*1), AX; PREFETCHT0 (AX); PREFETCHT0 (AX)(R8*1); PREFETCHT0 (AX)(R8*2); PREFETCHT0 (AX)(R9*1); \
	LEAQ (BX)(R11*1), AX; PREFETCHT0 (AX); PREFETCHT0 (AX)(R8*1); PREFETCHT0 (AX)(R8*2); PREFETCHT0 (AX)(R9*1)

#define STEP32 \
	MOVQ (R14), AX; \
	VMOVUPS (DI)(AX*4), Z24; \
	VMOVUPS 64(DI)(AX*4), Z25; \
	VBROADCASTSS (SI), Z26; \
	VFMADD231PS Z24, Z26, Z0; \
	VFMADD231PS Z25, Z26, Z1; \
	VBROADCASTSS (SI)(R8*1), Z27; \
	VFMADD231PS Z24, Z27, Z2; \
	VFMADD231PS Z25, Z27, Z3; \
	VBROADCASTSS (SI)(R8*2), Z28; \
	VFMADD231PS Z24, Z28, Z4; \
	VFMADD231PS Z25, Z28, Z5; \
	VBROADCASTSS (SI)(R9*1), Z29; \
	VFMADD231PS Z24, Z29, Z6; \
	VFMADD231PS Z25, Z29, Z7; \
	VBROADCASTSS (DX), Z26; \
	VFMADD231PS Z24, Z26, Z8; \
	VFMADD231PS Z25, Z26, Z9; \
	VBROADCASTSS (DX)(R8*1), Z27; \
	VFMADD231PS Z24, Z27, Z10; \
	VFMADD231PS Z25, Z27, Z11; \
	VBROADCASTSS (DX)(R8*2), Z28; \
	VFMADD231PS Z24, Z28, Z12; \
	VFMADD231PS Z25, Z28, Z13; \
	VBROADCASTSS (DX)(R9*1), Z29; \
	VFMADD231PS Z24, Z29, Z14; \
	VFMADD231PS Z25, Z29, Z15; \
	VBROADCASTSS (BX), Z26; \
	VFMADD231PS Z24, Z26, Z16; \
	VFMADD231PS Z25, Z26, Z17; \
	VBROADCASTSS (BX)(R8*1), Z27; \
	VFMADD231PS Z24, Z27, Z18; \
	VFMADD231PS Z25, Z27, Z19; \
	VBROADCASTSS (BX)(R8*2), Z28; \
	VFMADD231PS Z24, Z28, Z20; \
	VFMADD231PS Z25, Z28, Z21; \
	VBROADCASTSS (BX)(R9*1), Z29; \
	VFMADD231PS Z24, Z29, Z22; \
	VFMADD231PS Z25, Z29, Z23; \
	ADDQ R10, SI; \
	ADDQ R10, DX; \
	ADDQ R10, BX; \
	ADDQ $8, R14

#define STORE_BETA32(lo, hi) \
	VMOVUPS.Z (R11), K1, Z26; VMOVUPS.Z 64(R11), K2, Z27; \
	VMULPS Z30, lo, lo; VMULPS Z30, hi, hi; \
	VFMADD231PS Z31, Z26, lo; VFMADD231PS Z31, Z27, hi; \
	VMOVUPS lo, K1, (R11); VMOVUPS hi, K2, 64(R11)
#define STORE32(lo, hi) \
	VMULPS Z30, lo, lo; VMULPS Z30, hi, hi; \
	VMOVUPS lo, K1, (R11); VMOVUPS hi, K2, 64(R11)

// func sgemmAVX512x12x32(kc int, a *float32, rsa, csa int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, loadC, rows, cols int)
TEXT ·sgemmAVX512x12x32(SB), NOSPLIT, $0-96
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ csa+24(FP), R10
	SHLQ $2, R10
	MOVQ b+32(FP), DI
	MOVQ boff+40(FP), R14
	LEAQ (SI)(R8*4), DX
	LEAQ (DX)(R8*4), BX

	// Prefetch the C tile.
	MOVQ c+48(FP), R11
	MOVQ ldc+56(FP), R12
	SHLQ $2, R12
	MOVQ rows+80(FP), R13
cpf:
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	ADDQ R12, R11
	DECQ R13
	JNZ  cpf

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	MOVQ R10, R11
	SHLQ $6, R11     // prefetch distance: 64 steps
	MOVQ CX, R12
	SHRQ $4, R12     // blocks of 16 steps
	ANDQ $15, CX     // remaining steps
	TESTQ R12, R12
	JZ   tail

block:
	PREFETCH_A
	MOVQ $16, R13

inner:
	STEP32
	DECQ R13
	JNZ  inner
	DECQ R12
	JNZ  block

tail:
	TESTQ CX, CX
	JZ   store

tailloop:
	STEP32
	DECQ CX
	JNZ  tailloop

store:
	MOVQ c+48(FP), R11
	MOVQ ldc+56(FP), R12
	SHLQ $2, R12
	MOVQ rows+80(FP), R13
	MOVQ cols+88(FP), CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	SHRQ $16, AX
	KMOVW AX, K2
	VBROADCASTSS alpha+64(FP), Z30
	VBROADCASTSS beta+68(FP), Z31
	MOVQ loadC+72(FP), AX
	TESTQ AX, AX
	JZ   overwrite

	STORE_BETA32(Z0, Z1)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA32(Z2, Z3)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA32(Z4, Z5)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA32(Z6, Z7)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA32(Z8, Z9)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA32(Z10, Z11)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA32(Z12, Z13)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA32(Z14, Z15)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA32(Z16, Z17)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA32(Z18, Z19)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA32(Z20, Z21)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA32(Z22, Z23)
	JMP  done

overwrite:
	STORE32(Z0, Z1)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE32(Z2, Z3)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE32(Z4, Z5)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE32(Z6, Z7)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE32(Z8, Z9)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE32(Z10, Z11)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE32(Z12, Z13)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE32(Z14, Z15)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE32(Z16, Z17)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE32(Z18, Z19)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE32(Z20, Z21)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE32(Z22, Z23)

done:
	VZEROUPPER
	RET

#define STEP16 \
	MOVQ (R14), AX; \
	VMOVUPS (DI)(AX*4), Z24; \
	VBROADCASTSS (SI), Z26; \
	VFMADD231PS Z24, Z26, Z0; \
	VBROADCASTSS (SI)(R8*1), Z27; \
	VFMADD231PS Z24, Z27, Z1; \
	VBROADCASTSS (SI)(R8*2), Z28; \
	VFMADD231PS Z24, Z28, Z2; \
	VBROADCASTSS (SI)(R9*1), Z29; \
	VFMADD231PS Z24, Z29, Z3; \
	VBROADCASTSS (DX), Z26; \
	VFMADD231PS Z24, Z26, Z4; \
	VBROADCASTSS (DX)(R8*1), Z27; \
	VFMADD231PS Z24, Z27, Z5; \
	VBROADCASTSS (DX)(R8*2), Z28; \
	VFMADD231PS Z24, Z28, Z6; \
	VBROADCASTSS (DX)(R9*1), Z29; \
	VFMADD231PS Z24, Z29, Z7; \
	VBROADCASTSS (BX), Z26; \
	VFMADD231PS Z24, Z26, Z8; \
	VBROADCASTSS (BX)(R8*1), Z27; \
	VFMADD231PS Z24, Z27, Z9; \
	VBROADCASTSS (BX)(R8*2), Z28; \
	VFMADD231PS Z24, Z28, Z10; \
	VBROADCASTSS (BX)(R9*1), Z29; \
	VFMADD231PS Z24, Z29, Z11; \
	ADDQ R10, SI; \
	ADDQ R10, DX; \
	ADDQ R10, BX; \
	ADDQ $8, R14

#define STORE_BETA16(lo) \
	VMOVUPS.Z (R11), K1, Z26; VMULPS Z30, lo, lo; VFMADD231PS Z31, Z26, lo; VMOVUPS lo, K1, (R11)
#define STORE16(lo) \
	VMULPS Z30, lo, lo; VMOVUPS lo, K1, (R11)

// func sgemmAVX512x12x16(kc int, a *float32, rsa, csa int, b *float32, boff *int, c *float32, ldc int, alpha, beta float32, loadC, rows, cols int)
TEXT ·sgemmAVX512x12x16(SB), NOSPLIT, $0-96
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ csa+24(FP), R10
	SHLQ $2, R10
	MOVQ b+32(FP), DI
	MOVQ boff+40(FP), R14
	LEAQ (SI)(R8*4), DX
	LEAQ (DX)(R8*4), BX

	// Prefetch the C tile.
	MOVQ c+48(FP), R11
	MOVQ ldc+56(FP), R12
	SHLQ $2, R12
	MOVQ rows+80(FP), R13
cpf:
	PREFETCHT0 (R11)
	ADDQ R12, R11
	DECQ R13
	JNZ  cpf

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11

	MOVQ R10, R11
	SHLQ $6, R11     // prefetch distance: 64 steps
	MOVQ CX, R12
	SHRQ $4, R12     // blocks of 16 steps
	ANDQ $15, CX     // remaining steps
	TESTQ R12, R12
	JZ   tail

block:
	PREFETCH_A
	MOVQ $16, R13

inner:
	STEP16
	DECQ R13
	JNZ  inner
	DECQ R12
	JNZ  block

tail:
	TESTQ CX, CX
	JZ   store

tailloop:
	STEP16
	DECQ CX
	JNZ  tailloop

store:
	MOVQ c+48(FP), R11
	MOVQ ldc+56(FP), R12
	SHLQ $2, R12
	MOVQ rows+80(FP), R13
	MOVQ cols+88(FP), CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	SHRQ $16, AX
	KMOVW AX, K2
	VBROADCASTSS alpha+64(FP), Z30
	VBROADCASTSS beta+68(FP), Z31
	MOVQ loadC+72(FP), AX
	TESTQ AX, AX
	JZ   overwrite

	STORE_BETA16(Z0)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA16(Z1)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA16(Z2)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA16(Z3)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA16(Z4)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA16(Z5)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA16(Z6)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA16(Z7)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA16(Z8)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA16(Z9)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA16(Z10)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE_BETA16(Z11)
	JMP  done

overwrite:
	STORE16(Z0)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE16(Z1)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE16(Z2)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE16(Z3)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE16(Z4)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE16(Z5)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE16(Z6)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE16(Z7)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE16(Z8)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE16(Z9)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE16(Z10)
	DECQ R13
	JZ   done
	ADDQ R12, R11
	STORE16(Z11)

done:
	VZEROUPPER
	RET
