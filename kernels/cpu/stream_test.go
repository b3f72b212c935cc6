package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// TestReLUKernels holds the vector ReLU epilogue and gradient of every path
// to the scalar loops bit for bit (signed zeros; a NaN stays a NaN) on
// lengths around the 8- and 16-lane steps.
func TestReLUKernels(t *testing.T) {
	forEachPath(t, testReLUKernels)
}

func testReLUKernels(t *testing.T, p cpuPath) {
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), -float32(math.NaN()), float32(math.Inf(-1)), 1e-40}
	gen := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			if rng.IntN(4) == 0 {
				v[i] = special[rng.IntN(len(special))]
			} else {
				v[i] = float32(rng.NormFloat64())
			}
		}
		return v
	}
	same := func(what string, n int, got, want []float32) {
		t.Helper()
		for i := range want {
			if got[i] != got[i] && want[i] != want[i] {
				continue // a NaN is a NaN: its sign and payload are not kept
			}
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s n=%d [%d]: vector %v (%#x), scalar %v (%#x)", what, n, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
	for n := 0; n <= 40; n++ {
		for _, b := range []float32{0, -0.5, 0.25} {
			// A guard past n catches a store beyond the slice.
			v := gen(n + 3)
			v0, v1 := cpClone(v), cpClone(v)
			withPath(pathGeneric, func() { biasAct(v0[:n], b, kernels.ActReLU) })
			biasAct(v1[:n], b, kernels.ActReLU)
			same("biasAct", n, v1, v0)
		}
		y, dy := gen(n), gen(n)
		dx0, dx1 := make([]float32, n+3), make([]float32, n+3)
		for i := n; i < n+3; i++ {
			dx0[i], dx1[i] = 7, 7
		}
		withPath(pathGeneric, func() { actGradRange(kernels.ActReLU, dx0, y, dy) })
		actGradRange(kernels.ActReLU, dx1, y, dy)
		same("actGrad", n, dx1, dx0)
	}
}

// TestSum64 checks the row sum, vector part and scalar tail, against an
// exact sum (float64 is exact for these: integers times 2⁻⁸ below 2⁴⁰).
func TestSum64(t *testing.T) {
	forEachPath(t, testSum64)
}

func testSum64(t *testing.T, _ cpuPath) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 31, 32, 33, 63, 64, 100, 784, 1000} {
		x := make([]float32, n)
		var want float64
		for i := range x {
			x[i] = float32(rng.IntN(1<<20)-1<<19) / 256
			want += float64(x[i])
		}
		if got := sum64(x); got != want {
			t.Errorf("n=%d: sum64 = %v, want %v", n, got, want)
		}
	}
}

// TestAddTo holds the vector addTo of every path to the scalar one on
// lengths around the 8- and 16-lane steps, and checks it leaves dst past
// len(src) alone.
func TestAddTo(t *testing.T) {
	forEachPath(t, testAddTo)
}

func testAddTo(t *testing.T, _ cpuPath) {
	rng := rand.New(rand.NewPCG(11, 12))
	for n := 0; n <= 40; n++ {
		src := make([]float32, n)
		dst := make([]float32, n+3)
		for i := range dst {
			dst[i] = float32(rng.NormFloat64())
		}
		for i := range src {
			src[i] = float32(rng.NormFloat64())
		}
		d0, d1 := cpClone(dst), cpClone(dst)
		withPath(pathGeneric, func() { addTo(d0, src) })
		addTo(d1, src)
		for i := range d0 {
			if d0[i] != d1[i] || (i >= n && d1[i] != dst[i]) {
				t.Fatalf("n=%d [%d]: vector %v, scalar %v, before %v", n, i, d1[i], d0[i], dst[i])
			}
		}
	}
}

// sum64Lanes is the vector sum64's arithmetic in Go: 32 float64 lanes,
// lane l over the elements ≡ l mod 32, then the fixed tree of the
// kernels. Every vector path must match it to the bit.
func sum64Lanes(x []float32) float64 {
	var z [32]float64
	for i, v := range x[:len(x)/32*32] {
		z[i%32] += float64(v)
	}
	var a [8]float64
	for l := range a {
		a[l] = (z[l] + z[8+l]) + (z[16+l] + z[24+l])
	}
	b := [4]float64{a[0] + a[4], a[1] + a[5], a[2] + a[6], a[3] + a[7]}
	c := [2]float64{b[0] + b[2], b[1] + b[3]}
	return c[0] + c[1]
}

// TestSum64Lanes pins the lane structure of the vector row sum on values
// whose float64 sums round, so AVX2 and AVX-512 give the same bits.
func TestSum64Lanes(t *testing.T) {
	forEachPath(t, func(t *testing.T, p cpuPath) {
		if !p.vectorLoops() {
			t.Skip(p.String() + ": no vector sum (sum64's scalar loop is TestSum64's)")
		}
		rng := rand.New(rand.NewPCG(13, 14))
		for _, n := range []int{32, 64, 96, 800, 6272} {
			x := make([]float32, n+5)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * math.Exp(4*rng.NormFloat64()))
			}
			got, cnt := sum64Vec(x)
			if want := sum64Lanes(x[:cnt]); cnt != n || got != want {
				t.Errorf("n=%d: sum64Vec = %v over %d, lanes in Go %v", n+5, got, cnt, want)
			}
		}
	})
}

// TestTapDots8 holds the tap dot products to their per-lane arithmetic in
// Go (one float32 FMA per element and lane, in order), and checks x is not
// read past x[n+22]: a NaN there would reach the sums.
func TestTapDots8(t *testing.T) {
	forEachPath(t, func(t *testing.T, p cpuPath) {
		rng := rand.New(rand.NewPCG(15, 16))
		for _, n := range []int{16, 32, 48, 16 * 27} {
			d := make([]float32, n)
			x := make([]float32, n+23+16)
			for i := range d {
				d[i] = float32(rng.NormFloat64())
			}
			for i := range x {
				x[i] = float32(rng.NormFloat64())
				if i > n+22 {
					x[i] = float32(math.NaN())
				}
			}
			out := make([]float32, 128)
			for i := range out {
				out[i] = float32(i) / 8
			}
			want := cpClone(out)
			for s := 0; s < 8; s++ {
				for l := 0; l < 16; l++ {
					var acc float32
					for t := l; t < n; t += 16 {
						acc = float32(math.FMA(float64(d[t]), float64(x[t+s]), float64(acc)))
					}
					want[s*16+l] = acc + want[s*16+l]
				}
			}
			if !tapDots8(d, x, out) {
				if p.vectorLoops() {
					t.Fatalf("n=%d: tapDots8 did not run", n)
				}
				continue
			}
			for i := range want {
				if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d out[%d] (shift %d lane %d) = %v, want %v", n, i, i/16, i%16, out[i], want[i])
				}
			}
		}
	})
}

// TestColSum64 holds the vector column sums of every path to the scalar
// float64 loop bit for bit (the bias gradient of a dense layer), on widths
// around the 16-column step, row strides wider than the sum and a guard
// column that must not be read into the sum.
func TestColSum64(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ cpuPath) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, rows := range []int{0, 1, 3, 128} {
			for _, w := range []int{1, 15, 16, 17, 33, 64} {
				ld := w + rng.IntN(3)
				x := make([]float32, rows*ld+1)
				for i := range x {
					x[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4)))
				}
				want := make([]float64, w)
				for r := 0; r < rows; r++ {
					for j := range want {
						want[j] += float64(x[r*ld+j])
					}
				}
				got := make([]float64, w)
				done := colSum64Vec(x, rows, ld, got)
				if activePath.vectorLoops() && rows > 0 && done != w/16*16 {
					t.Fatalf("rows=%d w=%d: vector columns %d, want %d", rows, w, done, w/16*16)
				}
				for r := 0; r < rows; r++ {
					for j := done; j < w; j++ {
						got[j] += float64(x[r*ld+j])
					}
				}
				for j := range want {
					if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
						t.Fatalf("rows=%d w=%d ld=%d column %d: %v, scalar %v", rows, w, ld, j, got[j], want[j])
					}
				}
			}
		}
	})
}

// TestNormU8 holds the vector u8 normalization of every path to the
// gather's table bit for bit: every byte value, for several mean/std pairs,
// on lengths around the 8-byte step, with a guard element past the end.
func TestNormU8(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ cpuPath) {
		for _, ms := range [][2]float32{{0.286, 0.353}, {0.1307, 0.3081}, {0, 1}, {0.5, 0.25}, {-3, 1e-3}} {
			mean, std := ms[0], ms[1]
			for _, n := range []int{0, 7, 8, 9, 256, 784} {
				src := make([]uint8, n)
				for i := range src {
					src[i] = uint8(i*37 + 11)
				}
				dst := make([]float32, n+1)
				dst[n] = 42
				done := normU8Vec(dst[:n], src, mean, std)
				for i := done; i < n; i++ {
					dst[i] = (float32(src[i])/255 - mean) / std
				}
				for i, v := range src {
					want := (float32(v)/255 - mean) / std
					if math.Float32bits(dst[i]) != math.Float32bits(want) {
						t.Fatalf("mean %v std %v n=%d [%d] byte %d: %v, table %v", mean, std, n, i, v, dst[i], want)
					}
				}
				if dst[n] != 42 {
					t.Fatalf("n=%d: wrote past the end", n)
				}
			}
		}
	})
}
