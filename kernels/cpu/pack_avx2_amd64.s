//go:build amd64 && !purego

#include "textflag.h"

// TRANSPOSE8 transposes the 8×8 block held in Y0..Y7 (row r in Yr) into
// Y8..Y15 (column q in Y(8+q)), using Y0..Y7 as scratch.
#define TRANSPOSE8 \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPS Y5, Y4, Y12; \
	VUNPCKHPS Y5, Y4, Y13; \
	VUNPCKLPS Y7, Y6, Y14; \
	VUNPCKHPS Y7, Y6, Y15; \
	VSHUFPS $0x44, Y10, Y8, Y0; \
	VSHUFPS $0xEE, Y10, Y8, Y1; \
	VSHUFPS $0x44, Y11, Y9, Y2; \
	VSHUFPS $0xEE, Y11, Y9, Y3; \
	VSHUFPS $0x44, Y14, Y12, Y4; \
	VSHUFPS $0xEE, Y14, Y12, Y5; \
	VSHUFPS $0x44, Y15, Y13, Y6; \
	VSHUFPS $0xEE, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VPERM2F128 $0x20, Y5, Y1, Y9; \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x31, Y7, Y3, Y15

// LOAD8 loads eight consecutive floats of the eight rows starting at base
// (row stride R8 bytes; R9 = 3·R8, R11 = 5·R8, R12 = 6·R8, R13 = 7·R8).
#define LOAD8(base) \
	VMOVUPS (base), Y0; \
	VMOVUPS (base)(R8*1), Y1; \
	VMOVUPS (base)(R8*2), Y2; \
	VMOVUPS (base)(R9*1), Y3; \
	VMOVUPS (base)(R8*4), Y4; \
	VMOVUPS (base)(R11*1), Y5; \
	VMOVUPS (base)(R12*1), Y6; \
	VMOVUPS (base)(R13*1), Y7

// STORE8 stores columns Y8..Y15 as eight consecutive panel rows from off(DI)
// (panel row stride R14 bytes).
#define STORE8(off) \
	MOVQ DI, AX; \
	VMOVUPS Y8, off(AX); \
	ADDQ R14, AX; \
	VMOVUPS Y9, off(AX); \
	ADDQ R14, AX; \
	VMOVUPS Y10, off(AX); \
	ADDQ R14, AX; \
	VMOVUPS Y11, off(AX); \
	ADDQ R14, AX; \
	VMOVUPS Y12, off(AX); \
	ADDQ R14, AX; \
	VMOVUPS Y13, off(AX); \
	ADDQ R14, AX; \
	VMOVUPS Y14, off(AX); \
	ADDQ R14, AX; \
	VMOVUPS Y15, off(AX)

// func sgemmPackBTAVX2(blocks int, src *float32, lds int, dst *float32, ldd int)
//
// Transposes 16 rows of src (row stride lds floats) into 16 columns of a
// packed panel (row stride ldd floats): dst[p·ldd + j] = src[j·lds + p] for
// j < 16 and p < 8·blocks, eight depths at a time, as two 8×8 blocks.
TEXT ·sgemmPackBTAVX2(SB), NOSPLIT, $0-40
	MOVQ blocks+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), R14
	SHLQ $2, R14
	LEAQ (R8)(R8*2), R9
	LEAQ (R8)(R8*4), R11
	LEAQ (R9)(R9*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (SI)(R8*8), R10 // rows 8-15
	MOVQ R14, BX
	SHLQ $3, BX          // eight panel rows

loop:
	LOAD8(SI)
	TRANSPOSE8
	STORE8(0)
	LOAD8(R10)
	TRANSPOSE8
	STORE8(32)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ BX, DI
	DECQ CX
	JNZ  loop

	VZEROUPPER
	RET

// func sgemmPackBNAVX2(rows, panels, width int, src *float32, lds int, dst *float32, ldd int)
//
// The plain (not transposed) B packing: for each of rows rows of src (row
// stride lds floats), its first panels·width floats go to panels
// micro-panels of width floats (width a multiple of 16), panel q of row p
// at dst + 4(q·ldd + p·width). One call replaces a copy call per row and
// panel (the memmove calls were 4 % of the mlp's step).
TEXT ·sgemmPackBNAVX2(SB), NOSPLIT, $0-56
	MOVQ rows+0(FP), DX
	MOVQ panels+8(FP), R9
	MOVQ width+16(FP), BX
	SHRQ $4, BX
	MOVQ src+24(FP), SI
	MOVQ lds+32(FP), R8
	SHLQ $2, R8
	MOVQ dst+40(FP), DI
	MOVQ ldd+48(FP), R10
	SHLQ $2, R10
	MOVQ width+16(FP), R12
	SHLQ $2, R12
	TESTQ DX, DX
	JZ   pndone
	TESTQ R9, R9
	JZ   pndone

pnrow:
	MOVQ SI, R11
	MOVQ DI, R13
	MOVQ R9, CX

pnpanel:
	MOVQ R13, R14
	MOVQ BX, AX

pngroup:
	VMOVUPS (R11), Y0
	VMOVUPS 32(R11), Y1
	VMOVUPS Y0, (R14)
	VMOVUPS Y1, 32(R14)
	ADDQ $64, R11
	ADDQ $64, R14
	DECQ AX
	JNZ  pngroup
	ADDQ R10, R13
	DECQ CX
	JNZ  pnpanel

	ADDQ R8, SI
	ADDQ R12, DI
	DECQ DX
	JNZ  pnrow

pndone:
	VZEROUPPER
	RET

// func sgemmPackATAVX2(kc int, src *float32, lds int, dst *float32, rows int)
//
// One tile of a transposed A copied to the kernels' layout:
// dst[p·rows + r] = src[p·lds + r] for p < kc and r < rows, rows 4, 6 or
// 12 (the rows at one depth are contiguous in a transposed A).
TEXT ·sgemmPackATAVX2(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	MOVQ rows+32(FP), AX
	TESTQ CX, CX
	JZ   padone
	CMPQ AX, $6
	JEQ  pa6
	CMPQ AX, $12
	JNE  pa4

pa12:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), X1
	VMOVUPS Y0, (DI)
	VMOVUPS X1, 32(DI)
	ADDQ R8, SI
	ADDQ $48, DI
	DECQ CX
	JNZ  pa12
	JMP  padone

pa6:
	VMOVUPS (SI), X0
	VMOVQ   16(SI), X1
	VMOVUPS X0, (DI)
	VMOVQ   X1, 16(DI)
	ADDQ R8, SI
	ADDQ $24, DI
	DECQ CX
	JNZ  pa6
	JMP  padone

pa4:
	VMOVUPS (SI), X0
	VMOVUPS X0, (DI)
	ADDQ R8, SI
	ADDQ $16, DI
	DECQ CX
	JNZ  pa4

padone:
	VZEROUPPER
	RET
