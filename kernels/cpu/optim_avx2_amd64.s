//go:build amd64 && !purego

#include "textflag.h"

// func sgdAVX2(p, grad, v *float32, n int, wd, mom, lr float32, nesterov int)
//
// The momentum SGD update of bindSGD (optim.go) on n elements, n a multiple
// of 8, eight lanes a step: g' = g + wd·p (when wd ≠ 0), v = mom·v + g',
// p -= lr·v, or p -= lr·(g' + mom·v) when nesterov ≠ 0. Every product and
// sum is rounded on its own (no FMA), in the scalar loop's order, so the
// result is the scalar loop's bit for bit. Both vector paths use it: the
// update is bound by memory (five float streams), not by lanes.
TEXT ·sgdAVX2(SB), NOSPLIT, $0-56
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS wd+32(FP), Y8
	VBROADCASTSS mom+36(FP), Y9
	VBROADCASTSS lr+40(FP), Y10
	MOVQ nesterov+48(FP), R9
	XORQ R8, R8
	MOVL wd+32(FP), AX
	ANDL $0x7fffffff, AX // wd = ±0 skips the decay, as the scalar loop's wd != 0
	JZ   loop
	MOVQ $1, R8

loop:
	CMPQ CX, $8
	JL   done
	VMOVUPS (SI), Y0 // g
	VMOVUPS (DI), Y1 // p
	TESTQ R8, R8
	JZ    nowd
	VMULPS Y8, Y1, Y2 // wd·p
	VADDPS Y2, Y0, Y0 // g' = g + wd·p

nowd:
	VMULPS  (DX), Y9, Y3 // mom·v
	VADDPS  Y0, Y3, Y3   // v = mom·v + g'
	VMOVUPS Y3, (DX)
	TESTQ   R9, R9
	JZ      classic
	VMULPS  Y9, Y3, Y4  // mom·v
	VADDPS  Y4, Y0, Y4  // g' + mom·v
	VMULPS  Y10, Y4, Y4 // lr·(g' + mom·v)
	VSUBPS  Y4, Y1, Y1
	JMP     store

classic:
	VMULPS Y10, Y3, Y4 // lr·v
	VSUBPS Y4, Y1, Y1

store:
	VMOVUPS Y1, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	SUBQ    $8, CX
	JMP     loop

done:
	VZEROUPPER
	RET
