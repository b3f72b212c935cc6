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

// func tapDots8AVX512(d, x *float32, n int, out *float32)
// out[s·16+l] += Σ_{t ≡ l mod 16, t < n} d[t]·x[t+s] for s < 8: eight dot
// products of d with x shifted by 0..7, lane by lane (n a positive multiple
// of 16; x is read up to x[n+22]). The filter gradient of one-channel layers
// (conv_taps.go).
TEXT ·tapDots8AVX512(SB), NOSPLIT, $0-32
	MOVQ d+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), DX
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7

tloop:
	VMOVUPS     (SI), Z8
	VFMADD231PS (DI), Z8, Z0
	VFMADD231PS 4(DI), Z8, Z1
	VFMADD231PS 8(DI), Z8, Z2
	VFMADD231PS 12(DI), Z8, Z3
	VFMADD231PS 16(DI), Z8, Z4
	VFMADD231PS 20(DI), Z8, Z5
	VFMADD231PS 24(DI), Z8, Z6
	VFMADD231PS 28(DI), Z8, Z7
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JG   tloop

	VADDPS  (DX), Z0, Z0
	VMOVUPS Z0, (DX)
	VADDPS  64(DX), Z1, Z1
	VMOVUPS Z1, 64(DX)
	VADDPS  128(DX), Z2, Z2
	VMOVUPS Z2, 128(DX)
	VADDPS  192(DX), Z3, Z3
	VMOVUPS Z3, 192(DX)
	VADDPS  256(DX), Z4, Z4
	VMOVUPS Z4, 256(DX)
	VADDPS  320(DX), Z5, Z5
	VMOVUPS Z5, 320(DX)
	VADDPS  384(DX), Z6, Z6
	VMOVUPS Z6, 384(DX)
	VADDPS  448(DX), Z7, Z7
	VMOVUPS Z7, 448(DX)
	VZEROUPPER
	RET

// func addToAVX512(dst, src *float32, n int)
// dst[i] += src[i] for i < n, 16 a step, the tail masked.
TEXT ·addToAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

aloop:
	CMPQ CX, $16
	JL   atail
	VMOVUPS (DI), Z0
	VADDPS  (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  aloop

atail:
	TESTQ CX, CX
	JZ    adone
	TAILMASK
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VADDPS  Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)

adone:
	VZEROUPPER
	RET
