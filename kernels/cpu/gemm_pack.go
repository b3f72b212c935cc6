package cpu

// Packing for Sgemm. A packed B block of kb×nb (rows pc.., columns jc.. of
// op(B)) is a run of micro-panels, each kb×nr with op(B)[pc+p][jc+q·nr+j] at
// dst[q·kb·nr + p·nr + j]; columns past nb are zero so the kernel can always
// run a full nr wide and store only the valid part.

// sgemmPackB packs op(B)[pc:pc+kb, jc:jc+nb] into dst.
func sgemmPackB(transB bool, kb, nb, nr int, b []float32, ldb, pc, jc int, dst []float32) {
	if !transB {
		// Row pc+p of B holds row p of every panel: walk B row by row, so
		// memory is read in order (a panel-by-panel walk would stride
		// through a large B once per panel). The full panels go through
		// one vector call; the loop does what it leaves.
		if full := nb / nr; sgemmPackBN16(kb, full, nr, b[pc*ldb+jc:], ldb, dst, kb*nr) {
			if full*nr == nb {
				return
			}
			jc, nb, dst = jc+full*nr, nb-full*nr, dst[full*kb*nr:]
		}
		for p := 0; p < kb; p++ {
			src := b[(pc+p)*ldb+jc:][:nb]
			for q := 0; q*nr < nb; q++ {
				w := min(nr, nb-q*nr)
				row := dst[q*kb*nr+p*nr:][:nr]
				if w == nr {
					copy(row, src[q*nr:q*nr+nr])
					continue
				}
				// An element loop beats a copy call for the short
				// remainder (N = 6, 10, 25 ...).
				for j, v := range src[q*nr : q*nr+w] {
					row[j] = v
				}
				for j := w; j < nr; j++ {
					row[j] = 0
				}
			}
		}
		return
	}
	for q := 0; q*nr < nb; q++ {
		w := min(nr, nb-q*nr)
		panel := dst[q*kb*nr : (q+1)*kb*nr]
		col := jc + q*nr
		// B is n×k: column j of op(B) is a contiguous run of row j of B.
		// Whole 16-column groups of a full panel go through the vector
		// transpose, eight depths at a time; what it leaves (the last
		// kb mod 8 depths, a partial panel) takes the loop below.
		p0 := 0
		if w == nr && nr%16 == 0 {
			for g := 0; g < nr; g += 16 {
				p0 = sgemmPackBT16(kb, b[(col+g)*ldb+pc:], ldb, panel[g:], nr)
			}
		}
		if p0 > 0 {
			for j := 0; j < w; j++ {
				s := b[(col+j)*ldb+pc:][:kb]
				for p := p0; p < kb; p++ {
					panel[p*nr+j] = s[p]
				}
			}
			continue
		}
		// Four columns at a time halve the loop overhead of the transpose.
		j := 0
		for ; j+4 <= w; j += 4 {
			s0 := b[(col+j)*ldb+pc:][:kb]
			s1 := b[(col+j+1)*ldb+pc:][:kb]
			s2 := b[(col+j+2)*ldb+pc:][:kb]
			s3 := b[(col+j+3)*ldb+pc:][:kb]
			for p := range s0 {
				d := panel[p*nr+j:][:4]
				d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
			}
		}
		for ; j < w; j++ {
			s := b[(col+j)*ldb+pc:][:kb]
			for p, v := range s {
				panel[p*nr+j] = v
			}
		}
		if w < nr {
			for p := 0; p < kb; p++ {
				clear(panel[p*nr+w : p*nr+nr])
			}
		}
	}
}

// sgemmPackA copies rows [i0, i0+rows) × depth [pc, pc+kb) of op(A), with
// A(i, p) = a[i·rsa + p·csa], into dst as an mr×kb tile with A(i0+r, pc+p) at
// dst[p·mr + r], zero for r ≥ rows. It is used for the last, partial row tile
// only, so the kernel never reads rows of A that do not exist.
func sgemmPackA(rows, kb, mr int, a []float32, rsa, csa, i0, pc int, dst []float32) {
	dst = dst[:kb*mr]
	if rsa == 1 {
		// Transposed A: the rows at one depth are contiguous in memory.
		for p := 0; p < kb; p++ {
			d := dst[p*mr : p*mr+mr]
			s := a[i0+(pc+p)*csa:][:rows]
			for r, v := range s {
				d[r] = v
			}
			for r := rows; r < mr; r++ {
				d[r] = 0
			}
		}
		return
	}
	clear(dst)
	for r := 0; r < rows; r++ {
		s := a[(i0+r)*rsa+pc*csa:][:(kb-1)*csa+1]
		for p := 0; p < kb; p++ {
			dst[p*mr+r] = s[p*csa]
		}
	}
}
