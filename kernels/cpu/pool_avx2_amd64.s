//go:build amd64 && !purego

#include "textflag.h"

// One output row of the 2×2, stride-2 max pool in AVX2 (see maxPool2x2 in
// pool.go and pool_avx512_amd64.s, whose selects this repeats 8 windows at
// a time).
//
// func maxPool2x2RowAVX2(x *float32, w, top, n int, y, s *float32) (nan bool)
//
// x points at input row top, x + 4w at the row below; n outputs go to y and
// s (switches as float32). A step loads 16 floats of each row (two YMM),
// splits them into even and odd columns (VSHUFPS within 128-bit lanes, then
// VPERMPD to put the lanes in column order), giving the taps e0 o0 e1 o1 of
// 8 windows; m = max of the four, and the value and the switch offset
// (0, 1, w, w+1) are selected in reverse scan order (o1, e1, o0, e0), so
// the first tap equal to m wins, as in the scalar scan. The last step,
// under 8 outputs, loads and stores through VMASKMOVPS masks (masked-off
// lanes read as zero and are not written). nan reports a NaN in any tap.

// poolMask<>: the mask of the first k lanes (0 ≤ k ≤ 8) is the eight int32
// at poolMask<>+32−4k.
DATA poolMask<>+0(SB)/8, $0xffffffffffffffff
DATA poolMask<>+8(SB)/8, $0xffffffffffffffff
DATA poolMask<>+16(SB)/8, $0xffffffffffffffff
DATA poolMask<>+24(SB)/8, $0xffffffffffffffff
DATA poolMask<>+32(SB)/8, $0
DATA poolMask<>+40(SB)/8, $0
DATA poolMask<>+48(SB)/8, $0
DATA poolMask<>+56(SB)/8, $0
GLOBL poolMask<>(SB), RODATA|NOPTR, $64

DATA poolEven8<>+0(SB)/4, $0
DATA poolEven8<>+4(SB)/4, $2
DATA poolEven8<>+8(SB)/4, $4
DATA poolEven8<>+12(SB)/4, $6
DATA poolEven8<>+16(SB)/4, $8
DATA poolEven8<>+20(SB)/4, $10
DATA poolEven8<>+24(SB)/4, $12
DATA poolEven8<>+28(SB)/4, $14
GLOBL poolEven8<>(SB), RODATA|NOPTR, $32

DATA poolConst<>+0(SB)/4, $1
DATA poolConst<>+4(SB)/4, $16
GLOBL poolConst<>(SB), RODATA|NOPTR, $8

// Taps of 8 windows from Y0 Y1 (row 0) and Y2 Y3 (row 1) into Y4 (e0), Y5
// (o0), Y6 (e1), Y7 (o1); the value into Y2, the switch (float32) into Y3.
// Constants: Y10 NaN seen, Y11 w+1, Y12 w, Y13 switch of e0, Y15 1.
#define POOL8 \
	VSHUFPS   $0x88, Y1, Y0, Y4; \
	VSHUFPS   $0xdd, Y1, Y0, Y5; \
	VSHUFPS   $0x88, Y3, Y2, Y6; \
	VSHUFPS   $0xdd, Y3, Y2, Y7; \
	VPERMPD   $0xd8, Y4, Y4; \
	VPERMPD   $0xd8, Y5, Y5; \
	VPERMPD   $0xd8, Y6, Y6; \
	VPERMPD   $0xd8, Y7, Y7; \
	VCMPPS    $3, Y5, Y4, Y8; \
	VORPS     Y8, Y10, Y10; \
	VCMPPS    $3, Y7, Y6, Y8; \
	VORPS     Y8, Y10, Y10; \
	VMAXPS    Y5, Y4, Y0; \
	VMAXPS    Y7, Y6, Y1; \
	VMAXPS    Y1, Y0, Y0; \
	VMOVAPS   Y7, Y2; \
	VMOVAPS   Y11, Y3; \
	VCMPPS    $0, Y0, Y6, Y8; \
	VBLENDVPS Y8, Y6, Y2, Y2; \
	VBLENDVPS Y8, Y12, Y3, Y3; \
	VCMPPS    $0, Y0, Y5, Y8; \
	VBLENDVPS Y8, Y5, Y2, Y2; \
	VBLENDVPS Y8, Y15, Y3, Y3; \
	VCMPPS    $0, Y0, Y4, Y8; \
	VBLENDVPS Y8, Y4, Y2, Y2; \
	VANDNPS   Y3, Y8, Y3; \
	VPADDD    Y13, Y3, Y3; \
	VCVTDQ2PS Y3, Y3

TEXT ·maxPool2x2RowAVX2(SB), NOSPLIT, $0-49
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), DX
	MOVQ top+16(FP), AX
	MOVQ n+24(FP), R12
	MOVQ y+32(FP), DI
	MOVQ s+40(FP), R8
	LEAQ (SI)(DX*4), R9

	// Broadcasts from memory: a legacy-SSE MOVQ into an XMM register
	// here cost about 1 µs a call on this EPYC (a state transition).
	VPBROADCASTD w+8(FP), Y12        // w
	VPBROADCASTD poolConst<>+0(SB), Y15 // 1
	VPADDD       Y15, Y12, Y11       // w + 1
	VPBROADCASTD top+16(FP), Y13
	VPADDD       poolEven8<>(SB), Y13, Y13 // switch of e0: top + 2j
	VPBROADCASTD poolConst<>+4(SB), Y14 // switches advance 16 per step
	VXORPS       Y10, Y10, Y10

loop:
	CMPQ R12, $8
	JL   tail
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (R9), Y2
	VMOVUPS 32(R9), Y3
	POOL8
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (R8)
	ADDQ    $64, SI
	ADDQ    $64, R9
	ADDQ    $32, DI
	ADDQ    $32, R8
	VPADDD  Y14, Y13, Y13
	SUBQ    $8, R12
	JMP     loop

tail:
	TESTQ R12, R12
	JLE   done
	// Input columns: min(2n, 8) in the first YMM, the rest in the second.
	MOVQ R12, AX
	SHLQ $1, AX
	MOVQ AX, BX
	CMPQ BX, $8
	JLE  half0
	MOVQ $8, BX

half0:
	SUBQ BX, AX
	LEAQ poolMask<>+32(SB), R10
	SHLQ $2, BX
	MOVQ R10, R11
	SUBQ BX, R11
	VMOVDQU (R11), Y8
	VMASKMOVPS (SI), Y8, Y0
	VMASKMOVPS (R9), Y8, Y2
	SHLQ $2, AX
	MOVQ R10, R11
	SUBQ AX, R11
	VMOVDQU (R11), Y8
	VMASKMOVPS 32(SI), Y8, Y1
	VMASKMOVPS 32(R9), Y8, Y3
	POOL8
	SHLQ $2, R12
	SUBQ R12, R10
	VMOVDQU (R10), Y8
	VMASKMOVPS Y2, Y8, (DI)
	VMASKMOVPS Y3, Y8, (R8)

done:
	VMOVMSKPS Y10, AX
	TESTL     AX, AX
	SETNE     nan+48(FP)
	VZEROUPPER
	RET
