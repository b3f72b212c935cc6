//go:build amd64 && !purego

#include "textflag.h"

// Streaming loops over 16 floats a step (see stream_amd64.go): the ReLU
// epilogue and gradient, with a masked tail, and the float64 row sum.

// K1 = the CX (< 16) low bits, for the masked tail; clobbers AX.
#define TAILMASK \
	MOVQ $1, AX; \
	SHLQ CX, AX; \
	DECQ AX; \
	KMOVW AX, K1

// func reluBiasAVX512(v *float32, n int, b float32)
// v[i] = max(v[i]+b, +0), a NaN kept: VMAXPS returns its second source (0)
// for a NaN or two zeros, so the zeros come out +0 as in Go's max, and the
// NaN lanes are put back from the sum.
TEXT ·reluBiasAVX512(SB), NOSPLIT, $0-20
	MOVQ v+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS b+16(FP), Z1
	VPXORD Z2, Z2, Z2

loop:
	CMPQ CX, $16
	JL   tail
	VADDPS (DI), Z1, Z0
	VMAXPS Z2, Z0, Z3
	VCMPPS $3, Z0, Z0, K2
	VMOVAPS Z0, K2, Z3
	VMOVUPS Z3, (DI)
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JZ    done
	TAILMASK
	VMOVUPS.Z (DI), K1, Z0
	VADDPS Z0, Z1, Z0
	VMAXPS Z2, Z0, Z3
	VCMPPS $3, Z0, Z0, K2
	VMOVAPS Z0, K2, Z3
	VMOVUPS Z3, K1, (DI)

done:
	VZEROUPPER
	RET

// func reluGradAVX512(dx, y, dy *float32, n int)
// dx[i] = dy[i] where y[i] > 0 (ordered: not for a NaN), else +0.
TEXT ·reluGradAVX512(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), CX
	VPXORD Z2, Z2, Z2

gloop:
	CMPQ CX, $16
	JL   gtail
	VMOVUPS (SI), Z0
	VCMPPS $0x1e, Z2, Z0, K2 // y > 0, ordered
	VMOVUPS.Z (DX), K2, Z3
	VMOVUPS Z3, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  gloop

gtail:
	TESTQ CX, CX
	JZ    gdone
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VCMPPS $0x1e, Z2, Z0, K1, K2
	VMOVUPS.Z (DX), K2, Z3
	VMOVUPS Z3, K1, (DI)

gdone:
	VZEROUPPER
	RET

// func sum64AVX512(x *float32, n int) float64
// Σ x[i] in float64 over n, a multiple of 32: four accumulators of eight
// doubles, each float widened exactly (VCVTPS2PD), then added pairwise.
TEXT ·sum64AVX512(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3

sloop:
	CMPQ CX, $32
	JL   sdone
	VCVTPS2PD (SI), Z4
	VCVTPS2PD 32(SI), Z5
	VCVTPS2PD 64(SI), Z6
	VCVTPS2PD 96(SI), Z7
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	VADDPD Z6, Z2, Z2
	VADDPD Z7, Z3, Z3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  sloop

sdone:
	VADDPD Z1, Z0, Z0
	VADDPD Z3, Z2, Z2
	VADDPD Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VPERMILPD $1, X0, X1
	VADDSD X1, X0, X0
	VMOVSD X0, ret+16(FP)
	VZEROUPPER
	RET
