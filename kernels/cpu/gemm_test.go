package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// sgemmGuard is the number of NaN elements placed before and after every
// operand: a kernel that reads past an operand picks up a NaN (and the result
// is wrong), one that writes past it changes a guard.
const sgemmGuard = 19

// sgemmOperand is a matrix stored in the middle of a NaN-guarded buffer.
type sgemmOperand struct {
	buf  []float32 // guard | data | guard
	data []float32 // rows×ld, capacity limited to its length
	orig []float32 // copy of buf taken before the call
}

func sgemmNewOperand(rng *rand.Rand, rows, cols, ld int, fillNaN bool) *sgemmOperand {
	n := 0
	if rows > 0 {
		n = (rows-1)*ld + cols
	}
	buf := make([]float32, n+2*sgemmGuard)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	data := buf[sgemmGuard : sgemmGuard+n : sgemmGuard+n]
	if !fillNaN {
		// Values only in the rows×cols window; the gaps of a wide stride stay
		// NaN, so reading them would show.
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				data[i*ld+j] = float32(rng.Float64()*2 - 1)
			}
		}
	}
	return &sgemmOperand{buf: buf, data: data, orig: append([]float32(nil), buf...)}
}

func sgemmSameBits(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) }

// sgemmCase is one call of Sgemm.
type sgemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // extra stride beyond the minimum, for all three operands
}

func (tc sgemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad)
}

// operands makes the case's A, B and C (C all NaN if cNaN) with their row
// strides: the minimum plus pad.
func (tc sgemmCase) operands(rng *rand.Rand, cNaN bool) (A, B, C *sgemmOperand, lda, ldb, ldc int) {
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc = max(ac, 1)+tc.pad, max(bc, 1)+tc.pad, max(tc.n, 1)+tc.pad
	A = sgemmNewOperand(rng, ar, ac, lda, false)
	B = sgemmNewOperand(rng, br, bc, ldb, false)
	C = sgemmNewOperand(rng, tc.m, tc.n, ldc, cNaN)
	return A, B, C, lda, ldb, ldc
}

// run calls Sgemm on fresh random operands and compares with a float64 loop.
//
// Tolerance: each C element is a float32 sum of k products computed with
// fused multiply-adds, plus a few roundings (the alpha scaling, one add per
// depth block, the beta term). The classic bound for such a sum is
// |fl(s) − s| ≤ γ·Σ|terms| with γ ≈ (number of roundings)·2⁻²⁴, whatever the
// summation order; we allow γ = 2(k+8)·2⁻²⁴ against
// |alpha|·Σ_p|A_ip·B_pj| + |beta·C_ij|. That holds for any correct order of
// accumulation, while a wrong index or a missing term is off by the size of
// a term (~1/k of the scale), far outside it.
func (tc sgemmCase) run(t *testing.T, rng *rand.Rand) {
	t.Helper()
	A, B, C, lda, ldb, ldc := tc.operands(rng, tc.beta == 0)

	// op(A) as m×k and op(B)ᵀ as n×k in float64, so the reference's inner
	// loop runs over contiguous memory.
	opA := make([]float64, tc.m*tc.k)
	opBt := make([]float64, tc.n*tc.k)
	for p := 0; p < tc.k; p++ {
		for i := 0; i < tc.m; i++ {
			if tc.transA {
				opA[i*tc.k+p] = float64(A.data[p*lda+i])
			} else {
				opA[i*tc.k+p] = float64(A.data[i*lda+p])
			}
		}
		for j := 0; j < tc.n; j++ {
			if tc.transB {
				opBt[j*tc.k+p] = float64(B.data[j*ldb+p])
			} else {
				opBt[j*tc.k+p] = float64(B.data[p*ldb+j])
			}
		}
	}

	Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, A.data, lda, B.data, ldb, tc.beta, C.data, ldc)

	for i, v := range A.buf {
		if !sgemmSameBits(v, A.orig[i]) {
			t.Fatalf("%v: A modified at buffer index %d", tc, i)
		}
	}
	for i, v := range B.buf {
		if !sgemmSameBits(v, B.orig[i]) {
			t.Fatalf("%v: B modified at buffer index %d", tc, i)
		}
	}
	inWindow := make([]bool, len(C.buf))
	worst, worstI, worstJ := 0.0, -1, -1
	var worstGot, worstWant, worstTol float64
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			var s, sabs float64
			ai, bj := opA[i*tc.k:][:tc.k], opBt[j*tc.k:][:tc.k]
			for p, x := range ai {
				t := x * bj[p]
				s += t
				sabs += math.Abs(t)
			}
			idx := i*ldc + j
			inWindow[sgemmGuard+idx] = true
			want := float64(tc.alpha) * s
			scale := math.Abs(float64(tc.alpha)) * sabs
			if tc.beta != 0 {
				c0 := float64(C.orig[sgemmGuard+idx])
				want += float64(tc.beta) * c0
				scale += math.Abs(float64(tc.beta) * c0)
			}
			tol := 2*float64(tc.k+8)*0x1p-24*scale + 1e-30
			got := float64(C.data[idx])
			err := math.Abs(got - want)
			if math.IsNaN(got) {
				err = math.Inf(1)
			}
			if r := err / tol; r > worst {
				worst, worstI, worstJ = r, i, j
				worstGot, worstWant, worstTol = got, want, tol
			}
		}
	}
	if worst > 1 {
		t.Fatalf("%v: C[%d][%d] = %g, want %g (|err| = %.3g > tol %.3g)",
			tc, worstI, worstJ, worstGot, worstWant, math.Abs(worstGot-worstWant), worstTol)
	}
	for i, v := range C.buf {
		if !inWindow[i] && !sgemmSameBits(v, C.orig[i]) {
			t.Fatalf("%v: C changed outside the m×n window at buffer index %d (guard %d)", tc, i, sgemmGuard)
		}
	}
}

// sgemmShapes covers empty, tiny, odd and tile-straddling sizes, a depth that
// splits into several blocks, and products big enough to run in parallel
// (split by rows when N is narrow, by depth when K dwarfs M and N, by
// columns otherwise), and a transposed A whose stride makes the driver copy
// its tiles (M = 256).
var sgemmShapes = [][3]int{
	{0, 5, 7}, {5, 0, 7}, {5, 7, 0}, {0, 0, 0},
	{1, 1, 1}, {1, 7, 3}, {7, 1, 3}, {2, 2, 2}, {2, 3, 1},
	{7, 11, 2}, {11, 7, 33}, {12, 32, 5}, {13, 33, 7}, {6, 16, 9}, {5, 15, 3},
	{33, 65, 7}, {65, 33, 129}, {24, 64, 400}, {25, 31, 780},
	{129, 7, 11}, {1025, 6, 25}, {6, 1025, 9}, {3, 5, 1025},
	{100, 70, 129}, {40, 300, 20}, {7, 20, 1200}, {20, 7, 1100},
	{256, 130, 70},
}

func sgemmForEachKernel(t *testing.T, fn func(t *testing.T)) {
	saved := sgemmActive
	defer func() { sgemmActive = saved }()
	for _, kern := range sgemmKernels {
		sgemmActive = kern
		t.Run(kern.name, fn)
	}
}

func TestSgemmAgainstReference(t *testing.T) {
	params := []struct {
		alpha, beta float32
		pad         int
	}{
		{1, 0, 0},      // plain product, C full of NaN must be overwritten
		{0.5, -1.5, 3}, // general alpha, beta and padded strides
		{-2, 1, 1},     // accumulate
	}
	sgemmForEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, s := range sgemmShapes {
			for tr := 0; tr < 4; tr++ {
				for _, p := range params {
					tc := sgemmCase{transA: tr&1 != 0, transB: tr&2 != 0, m: s[0], n: s[1], k: s[2],
						alpha: p.alpha, beta: p.beta, pad: p.pad}
					tc.run(t, rng)
				}
			}
		}
	})
}

// A zero alpha still computes the product (0·finite = 0): only beta·C remains.
func TestSgemmAlphaZero(t *testing.T) {
	sgemmForEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		sgemmCase{m: 13, n: 40, k: 9, alpha: 0, beta: 2, pad: 2}.run(t, rng)
		sgemmCase{transA: true, m: 13, n: 40, k: 9, alpha: 0, beta: 0}.run(t, rng)
	})
}

// The MLP and im2col shapes of the benchmarks, at reduced M in -short mode.
func TestSgemmModelShapes(t *testing.T) {
	shapes := []sgemmCase{
		{transB: true, m: 128, n: 512, k: 784, alpha: 1},
		{m: 128, n: 784, k: 512, alpha: 1},
		{transA: true, m: 512, n: 784, k: 128, alpha: 1, beta: 1},
		{transB: true, m: 128, n: 10, k: 512, alpha: 1},
		{transB: true, m: 6272, n: 32, k: 288, alpha: 1},
		{transA: true, m: 32, n: 288, k: 6272, alpha: 1},
		{m: 6272, n: 25, k: 6, alpha: 1},
	}
	if testing.Short() {
		for i := range shapes {
			shapes[i].m = min(shapes[i].m, 300)
			shapes[i].k = min(shapes[i].k, 600)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range shapes {
		tc.run(t, rng)
	}
}

func TestSgemmPanicsOnShortSlices(t *testing.T) {
	a := make([]float32, 6)
	b := make([]float32, 6)
	c := make([]float32, 4)
	for _, tc := range []struct {
		name string
		call func()
		want string
	}{
		{"short a", func() { Sgemm(false, false, 2, 2, 3, 1, a[:5], 3, b, 2, 0, c, 2) }, "len(a)=5"},
		{"short c", func() { Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c[:3], 2) }, "len(c)=3"},
		{"small ldb", func() { Sgemm(false, true, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2) }, "ldb=2"},
	} {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Errorf("%s: panic %v, want one mentioning %q", tc.name, r, tc.want)
				}
			}()
			tc.call()
		}()
	}
}

// A serial-sized call reuses pooled buffers and allocates nothing (a bounded
// amount under the race detector, see sgemmMaxAllocs).
func TestSgemmNoAllocs(t *testing.T) {
	m, n, k := 30, 40, 50
	a := make([]float32, m*k)
	b := make([]float32, k*n)
	c := make([]float32, m*n)
	allocs := testing.AllocsPerRun(50, func() {
		Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
	})
	if allocs > sgemmMaxAllocs {
		t.Errorf("Sgemm(%d×%d×%d) allocates %v times per call, want ≤ %d", m, n, k, allocs, sgemmMaxAllocs)
	}
}

// TestSgemmRowsB checks the GEMM over a row table on every path that has
// it: rows that overlap (as in a padded image), odd m, n, k around the
// 6×16 and 12×32 tiles and a depth split into blocks, against a float64
// loop; C's guard columns and rows must stay NaN.
func TestSgemmRowsB(t *testing.T) {
	forEachPath(t, func(t *testing.T, p cpuPath) {
		if !sgemmRowsReady() {
			t.Skipf("%s: no row-table kernel (the convolutions take the packed path)", p)
		}
		rng := rand.New(rand.NewPCG(21, 22))
		for _, s := range [][3]int{{1, 1, 1}, {5, 15, 3}, {6, 16, 9}, {7, 17, 25}, {12, 32, 5}, {13, 33, 150}, {32, 840, 288}, {16, 100, 700}} {
			m, n, k := s[0], s[1], s[2]
			lda, ldc := k+3, n+2
			a := make([]float32, (m-1)*lda+k)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			boff := make([]int, k)
			for i := range boff {
				boff[i] = (i/3)*(n+5) + i%3 // groups of three rows one float apart
			}
			b := make([]float32, boff[k-1]+(n+31)/32*32)
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
			c := make([]float32, (m+1)*ldc)
			for i := range c {
				c[i] = float32(math.NaN())
			}
			sgemmRowsB(m, n, k, a, lda, b, boff, c, ldc)
			for i := 0; i < m+1; i++ {
				for j := 0; j < ldc; j++ {
					got := c[i*ldc+j]
					if i == m || j >= n {
						if got == got {
							t.Fatalf("m=%d n=%d k=%d: guard C[%d][%d] written: %v", m, n, k, i, j, got)
						}
						continue
					}
					var want, mag float64
					for q := 0; q < k; q++ {
						v := float64(a[i*lda+q]) * float64(b[boff[q]+j])
						want += v
						mag += math.Abs(v)
					}
					if d := math.Abs(float64(got) - want); d > 1e-6*mag+1e-6 {
						t.Fatalf("m=%d n=%d k=%d: C[%d][%d] = %v, want %v (|Σ|a·b|| = %v)", m, n, k, i, j, got, want, mag)
					}
				}
			}
		}
	})
}

// TestSgemmPackB checks the packed layout element by element on every path
// (the vector transpose of a transposed B included): depths that are and
// are not a multiple of 8, full and partial panels, both panel widths.
func TestSgemmPackB(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ cpuPath) {
		for _, transB := range []bool{false, true} {
			for _, nr := range []int{16, 32} {
				for _, kb := range []int{1, 7, 8, 9, 23, 262} {
					for _, nb := range []int{5, 16, 32, 45} {
						pc, jc := 3, 2
						rows, cols := pc+kb+1, jc+nb+3 // B as op(B): k×n
						ldb := cols
						if transB {
							rows, cols = cols, rows
							ldb = cols + 2
						}
						b := make([]float32, rows*ldb)
						for i := range b {
							b[i] = float32(i) + 0.5
						}
						panels := (nb + nr - 1) / nr
						dst := make([]float32, panels*kb*nr)
						for i := range dst {
							dst[i] = -1 // must all be overwritten
						}
						sgemmPackB(transB, kb, nb, nr, b, ldb, pc, jc, dst)
						for q := range panels {
							for p := range kb {
								for j := range nr {
									want := float32(0)
									if col := q*nr + j; col < nb {
										if transB {
											want = b[(jc+col)*ldb+pc+p]
										} else {
											want = b[(pc+p)*ldb+jc+col]
										}
									}
									if got := dst[q*kb*nr+p*nr+j]; got != want {
										t.Fatalf("transB=%v nr=%d kb=%d nb=%d: panel %d depth %d column %d = %v, want %v", transB, nr, kb, nb, q, p, j, got, want)
									}
								}
							}
						}
					}
				}
			}
		}
	})
}

// TestSgemmEpilogue holds the fused epilogue (bias per column, activation,
// applied tile by tile inside the product) to the product followed by a
// plain pass over C, bit for bit, for every kernel and path, in each of
// the ways a product is run: serially, split by columns, by rows (narrow
// N) and by depth (long K), with k = 0, a 4-row remainder tile (M mod 6 of
// 2 and 4), beta ≠ 0 and a padded row stride.
func TestSgemmEpilogue(t *testing.T) {
	shapes := []sgemmCase{
		{m: 7, n: 9, k: 5, alpha: 1},
		{transB: true, m: 128, n: 512, k: 300, alpha: 1},
		{m: 100, n: 70, k: 129, alpha: 0.5, beta: 1.5, pad: 3},
		{transA: true, m: 256, n: 130, k: 70, alpha: 1},
		{m: 1025, n: 6, k: 25, alpha: 1},
		{transA: true, m: 20, n: 7, k: 3000, alpha: 1, beta: 1},
		{m: 5, n: 33, k: 0, alpha: 1, beta: 2},
	}
	acts := []kernels.Act{kernels.ActNone, kernels.ActReLU, kernels.ActSigmoid, kernels.ActTanh}
	forEachPath(t, func(t *testing.T, _ cpuPath) {
		sgemmForEachKernel(t, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(9, 10))
			for _, tc := range shapes {
				for _, act := range acts {
					for _, withBias := range []bool{false, true} {
						testSgemmEpilogue(t, rng, tc, act, withBias)
					}
				}
			}
		})
	})
}

func testSgemmEpilogue(t *testing.T, rng *rand.Rand, tc sgemmCase, act kernels.Act, withBias bool) {
	t.Helper()
	A, B, C, lda, ldb, ldc := tc.operands(rng, false)
	var bias []float32
	if withBias {
		bias = make([]float32, tc.n)
		for j := range bias {
			bias[j] = float32(rng.NormFloat64())
		}
	}
	want := append([]float32(nil), C.data...)
	Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, A.data, lda, B.data, ldb, tc.beta, want, ldc)
	for i := 0; i < tc.m; i++ {
		row := want[i*ldc : i*ldc+tc.n]
		for j := range row {
			if bias != nil {
				row[j] += bias[j]
			}
			if f, ok := act.Unary(); ok {
				unaryRange(f, 0, row[j:j+1], row[j:j+1])
			}
		}
	}
	sgemmFused(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, A.data, lda, B.data, ldb, tc.beta, C.data, ldc, sgemmEpi{bias: bias, act: act})
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			g, w := C.data[i*ldc+j], want[i*ldc+j]
			if !sgemmSameBits(g, w) && !(g != g && w != w) {
				t.Fatalf("%v act=%v bias=%v: C[%d][%d] = %v fused, %v in a second pass", tc, act, withBias, i, j, g, w)
			}
		}
	}
}

// TestSgemmPackTiles holds the vector copy of a transposed A's tiles (4, 6
// and 12 rows, the AVX2 and AVX-512 tile heights) and sgemmPackTiles' layout
// to the scalar packing, element for element, with a partial last tile.
func TestSgemmPackTiles(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ cpuPath) {
		for _, tr := range []int{4, 6, 12} {
			for _, k := range []int{1, 5, 128} {
				lda := 40
				a := make([]float32, k*lda)
				for i := range a {
					a[i] = float32(i) + 0.25
				}
				got := make([]float32, k*tr+1)
				got[k*tr] = 7
				want := make([]float32, k*tr)
				if !sgemmPackAT(k, a[3:], lda, got, tr) {
					sgemmPackA(tr, k, tr, a, 1, lda, 3, 0, got)
				}
				sgemmPackA(tr, k, tr, a, 1, lda, 3, 0, want)
				for i, w := range want {
					if got[i] != w {
						t.Fatalf("tr=%d k=%d: [%d] = %v, want %v", tr, k, i, got[i], w)
					}
				}
				if got[k*tr] != 7 {
					t.Fatalf("tr=%d k=%d: wrote past the tile", tr, k)
				}
			}
		}
		saved := sgemmActive
		defer func() { sgemmActive = saved }()
		for _, kern := range sgemmKernels {
			sgemmActive = kern
			for _, m := range []int{5, 10, 20, 27, 128} {
				const k, lda = 9, 131
				a := make([]float32, k*lda)
				for i := range a {
					a[i] = float32(i)*0.5 + 1
				}
				apk := sgemmPackTiles(kern, m, k, a, lda, nil)
				m6 := m - kern.rowsIn4(m)
				for ir := 0; ir < m; {
					tr := kern.mr
					if ir >= m6 {
						tr = 4
					}
					for p := 0; p < k; p++ {
						for r := 0; r < tr; r++ {
							want := float32(0)
							if ir+r < m {
								want = a[p*lda+ir+r]
							}
							if got := apk[ir*k+p*tr+r]; got != want {
								t.Fatalf("%s m=%d: tile %d depth %d row %d = %v, want %v", kern.name, m, ir, p, r, got, want)
							}
						}
					}
					ir += tr
				}
			}
		}
	})
}
