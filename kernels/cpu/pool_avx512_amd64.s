//go:build amd64 && !purego

#include "textflag.h"

// One output row of the 2×2, stride-2 max pool (see maxPool2x2 in pool.go).
//
// func maxPool2x2RowAVX512(x *float32, w, top, n int, y, s *float32) (nan bool)
//
// x points at input row top (row 0 of the pair), x + 4w at row 1; the n
// outputs go to y (values) and s (switches, as float32). 16 outputs per
// step: the 32 floats of each input row are split into even and odd columns
// (VPERMI2PS), giving the four taps e0 o0 e1 o1 of 16 windows; m = max of
// the four, then the switch and the value are chosen by selects in reverse
// scan order (o1, e1, o0, e0), so the first tap equal to m wins, as in the
// scalar scan. The last step is masked (K1 outputs, K2/K3 input halves);
// masked-off lanes load zeros and are not stored. nan reports a NaN in any
// tap; the caller then redoes the plane with the scalar scan.

DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64

TEXT ·maxPool2x2RowAVX512(SB), NOSPLIT, $0-49
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), DX
	MOVQ top+16(FP), AX
	MOVQ n+24(FP), R12
	MOVQ y+32(FP), DI
	MOVQ s+40(FP), R8
	LEAQ (SI)(DX*4), R9

	VMOVDQU32 poolEven<>(SB), Z20 // even columns 0, 2, … 30
	MOVL      $1, R10
	VPBROADCASTD R10, Z23
	VPADDD    Z23, Z20, Z21 // odd columns 1, 3, … 31
	VPBROADCASTD AX, Z22
	VPADDD    Z20, Z22, Z22 // switch of tap e0: top + 2j
	VPBROADCASTD DX, Z24    // offset of e1: w
	VPADDD    Z23, Z24, Z25 // offset of o1: w + 1
	MOVL      $32, R10
	VPBROADCASTD R10, Z26   // switches advance 32 per step
	KXORW     K4, K4, K4    // NaN seen

loop:
	TESTQ R12, R12
	JLE   done
	MOVQ  R12, CX
	CMPQ  CX, $16
	JLE   masks
	MOVQ  $16, CX

masks:
	MOVQ  $1, R11
	SHLQ  CX, R11
	DECQ  R11
	KMOVW R11, K1 // outputs of this step
	SHLQ  $1, CX
	MOVQ  $1, R11
	SHLQ  CX, R11
	DECQ  R11
	KMOVW R11, K2 // input columns 0..15
	SHRQ  $16, R11
	KMOVW R11, K3 // input columns 16..31

	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z 64(SI), K3, Z1
	VMOVUPS.Z (R9), K2, Z2
	VMOVUPS.Z 64(R9), K3, Z3
	VMOVAPS   Z20, Z4
	VPERMI2PS Z1, Z0, Z4 // e0
	VMOVAPS   Z21, Z5
	VPERMI2PS Z1, Z0, Z5 // o0
	VMOVAPS   Z20, Z6
	VPERMI2PS Z3, Z2, Z6 // e1
	VMOVAPS   Z21, Z7
	VPERMI2PS Z3, Z2, Z7 // o1

	VCMPPS $3, Z5, Z4, K5 // unordered: a NaN among e0, o0
	KORW   K5, K4, K4
	VCMPPS $3, Z7, Z6, K5
	KORW   K5, K4, K4

	VMAXPS Z5, Z4, Z8
	VMAXPS Z7, Z6, Z9
	VMAXPS Z9, Z8, Z8 // m

	VMOVAPS   Z7, Z10       // value
	VPADDD    Z25, Z22, Z11 // switch
	VCMPPS    $0, Z8, Z6, K5
	VMOVAPS   Z6, K5, Z10
	VPADDD    Z24, Z22, K5, Z11
	VCMPPS    $0, Z8, Z5, K5
	VMOVAPS   Z5, K5, Z10
	VPADDD    Z23, Z22, K5, Z11
	VCMPPS    $0, Z8, Z4, K5
	VMOVAPS   Z4, K5, Z10
	VMOVDQA32 Z22, K5, Z11
	VCVTDQ2PS Z11, Z11
	VMOVUPS   Z10, K1, (DI)
	VMOVUPS   Z11, K1, (R8)

	ADDQ   $128, SI
	ADDQ   $128, R9
	ADDQ   $64, DI
	ADDQ   $64, R8
	VPADDD Z26, Z22, Z22
	SUBQ   $16, R12
	JMP    loop

done:
	KORTESTW K4, K4
	SETNE    nan+48(FP)
	VZEROUPPER
	RET
