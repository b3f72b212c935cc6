package cpu

import (
	"fmt"

	"github.com/gaborlab/gabor/kernels"
)

// The filter gradient of a stride-1 3×3 correlation by F(2×2, 3×3), the
// adjoint of the forward (conv_winograd.go): from y_t = Aᵀ·[Σ_c U ⊙ V_t]·A
// and U = G·w·Gᵀ,
//
//	∂L/∂w[k,c] = Gᵀ · [ Σ_t (A·dy_t[k]·Aᵀ) ⊙ (Bᵀ·d_t[c]·B) ] · G
//
// so the sum over the tiles of every image is 16 GEMMs
// Z[ξ] [K×C] += Y[ξ] [K×T] · V[ξ]ᵀ [T×C], with depth T, the tiles. V is the
// forward's input transform, Y the output gradient's (winoDyAVX2, which
// reads dy where it lies and counts the outputs past its edges as zero, so
// the tiles there add nothing). Both are written T floats a channel; Y is
// read in place as the GEMM's left operand, and V[ξ] is packed per block
// as a transposed right operand. Each worker sums its share of the batch
// into its own Z and turns it into a partial dWᵀ, which conv2dBwdFilter
// adds up in chunk order as for the other paths.

// winoFilterOctets is the number of octets per block: 32 tiles deep.
const winoFilterOctets = 4

// convWinogradFilter says whether the filter gradient takes this path: the
// shapes and the choice of convWinograd, whatever the activation.
// Alternating medians at batch 32, 2 workers, the rows path
// (conv_rowsfilter.go) → this: convnet 32→32 at 28×28 4.81 → 4.57 ms and
// 6.31 → 5.36 ms (two sittings), 32→64 at 14×14 2.60 → 2.07 ms, 64→64
// 3.69 → 2.92 ms.
func convWinogradFilter(a *kernels.ConvArgs) bool {
	return winoApplies(a) && winoChosen(a)
}

// conv2dBwdFilterWinoChunk fills the partials of chunks [clo, chi) (see
// conv2dBwdFilter for the chunking and the reduction).
func conv2dBwdFilterWinoChunk(j *cpJob, clo, chi int) {
	a, x, dy := &j.conv, j.s[0], j.s[1]
	geo := newWinoGeom(a)
	kohw := a.K * a.OH * a.OW
	tb := 8 * winoFilterOctets
	cp := (a.C + 15) / 16 * 16
	xiV, xiY := a.C*tb+winoSkew, geo.kp*tb+winoSkew
	nch := len(j.parts)
	for ch := clo; ch < chi; ch++ {
		sc := j.parts[ch]
		sc.pad = grow(sc.pad, geo.group*a.C*geo.pad.plane)
		sc.cols = grow(sc.cols, 16*xiV+16*xiY+cp*tb)
		v, yt, bp := sc.cols[:16*xiV], sc.cols[16*xiV:16*(xiV+xiY)], sc.cols[16*(xiV+xiY):]
		clear(yt) // rows K..kp−1 stay zero
		sc.z = grow(sc.z, 16*geo.kp*cp)
		clear(sc.z)
		lo, hi := ch*a.N/nch, (ch+1)*a.N/nch
		winoBlocks(a, &geo, x, sc.pad, lo, hi, winoFilterOctets, func(n0, o0, nb int) {
			for ob := 0; ob < nb; ob++ {
				winoIn(winoPatch(a, &geo, sc.pad, o0+ob), geo.pad.wp, geo.pad.plane, a.C, v[ob*8:], tb, xiV)
				n, ty, xo := winoOctet(&geo, o0+ob)
				rows, cols := min(2, a.OH-2*ty), min(16, a.OW-16*xo)
				winoDy(dy[(n0+n)*kohw+2*ty*a.OW+16*xo:], a.OW, a.OH*a.OW, a.K, yt[ob*8:], tb, xiY, rows, cols)
			}
			kb := 8 * nb
			for q := 0; q < 16; q++ {
				sgemmPackB(true, kb, a.C, 16, v[q*xiV:], tb, 0, 0, bp)
				winoGemm(kb, geo.kp, cp/16, yt[q*xiY:], tb, bp, sc.z[q*geo.kp*cp:], cp, true)
			}
		})
		sc.dw = grow(sc.dw, a.C*9*a.K)
		winoFilterGrad(sc.z, a.K, a.C, geo.kp, cp, sc.dw)
	}
}

// winoFilterGrad turns Z[ξ][k][c] (kp × cp per ξ) into dWᵀ [(c,r,s), k]
// = (Gᵀ·Z[·][k][c]·G)[r][s].
func winoFilterGrad(z []float32, k, c, kp, cp int, dwt []float32) {
	if len(z) < 16*kp*cp || len(dwt) < 9*c*k {
		panic(fmt.Sprintf("cpu.winoFilterGrad: k=%d c=%d: len(z)=%d len(dwt)=%d", k, c, len(z), len(dwt)))
	}
	var t [4][3]float64
	for ko := 0; ko < k; ko++ {
		for ci := 0; ci < c; ci++ {
			for j := 0; j < 4; j++ { // Gᵀ·Z, column by column
				z0 := float64(z[((0+j)*kp+ko)*cp+ci])
				z1 := float64(z[((4+j)*kp+ko)*cp+ci])
				z2 := float64(z[((8+j)*kp+ko)*cp+ci])
				z3 := float64(z[((12+j)*kp+ko)*cp+ci])
				t[j][0], t[j][1], t[j][2] = z0+(z1+z2)/2, (z1-z2)/2, (z1+z2)/2+z3
			}
			for r := 0; r < 3; r++ { // (Gᵀ·Z)·G, row by row
				t0, t1, t2, t3 := t[0][r], t[1][r], t[2][r], t[3][r]
				base := (ci*9 + r*3) * k
				dwt[base+ko] = float32(t0 + (t1+t2)/2)
				dwt[base+k+ko] = float32((t1 - t2) / 2)
				dwt[base+2*k+ko] = float32((t1+t2)/2 + t3)
			}
		}
	}
}
