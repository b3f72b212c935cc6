package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

func poolArgs(n, c, h, w, k, stride, pad int) (kernels.PoolArgs, bool) {
	a := kernels.PoolArgs{N: n, C: c, H: h, W: w, KH: k, KW: k, StrideH: stride, StrideW: stride, PadH: pad, PadW: pad}
	a.OH, a.OW = kernels.ConvOut(h, k, stride, pad, 1), kernels.ConvOut(w, k, stride, pad, 1)
	return a, a.OH >= 1 && a.OW >= 1 && pad < k
}

// poolCases: the zoo's pools, hand-picked edges, and a seeded sample of
// N ∈ {1,3}, C ∈ {1,3}, H,W ∈ {1,7,28,33}, window ∈ {1,2,3}, stride ∈ {1,2},
// pad ∈ {0,1} (below the window).
func poolCases() []kernels.PoolArgs {
	var cases []kernels.PoolArgs
	add := func(a kernels.PoolArgs, ok bool) {
		if ok {
			cases = append(cases, a)
		}
	}
	add(poolArgs(3, 6, 28, 28, 2, 2, 0)) // lenet pool1
	add(poolArgs(3, 16, 10, 10, 2, 2, 0))
	add(poolArgs(2, 3, 7, 7, 2, 2, 0))  // odd size: the last row and column are dropped
	add(poolArgs(1, 2, 6, 70, 2, 2, 0)) // 35 outputs a row: two full vector steps and a tail
	add(poolArgs(1, 1, 1, 1, 1, 1, 0))
	add(poolArgs(3, 3, 1, 1, 3, 1, 1)) // the window is mostly padding
	add(poolArgs(1, 3, 33, 33, 3, 2, 1))
	a, ok := poolArgs(3, 3, 33, 7, 3, 2, 1)
	a.KW, a.StrideW, a.PadW = 2, 1, 0
	a.OW = kernels.ConvOut(a.W, a.KW, a.StrideW, a.PadW, 1)
	add(a, ok)
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(v ...int) int { return v[rng.IntN(len(v))] }
	for len(cases) < 40 {
		hw := []int{1, 7, 28, 33}
		add(poolArgs(pick(1, 3), pick(1, 3), pick(hw...), pick(hw...), pick(1, 2, 3), pick(1, 2), pick(0, 1)))
	}
	return cases
}

func poolName(a kernels.PoolArgs) string {
	return fmt.Sprintf("N=%d,C=%d,H=%d,W=%d,K=%dx%d,st=%d/%d,pad=%d/%d", a.N, a.C, a.H, a.W, a.KH, a.KW, a.StrideH, a.StrideW, a.PadH, a.PadW)
}

func runPoolRef(t *testing.T, op kernels.Op, a kernels.PoolArgs, in ...[]float32) [][]float64 {
	t.Helper()
	in64 := make([][]float64, len(in))
	for i, s := range in {
		in64[i] = cpTo64(s)
	}
	out, err := refConvPool(kernels.Instr{Op: op, Args: a}, in64)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPoolAgainstReference(t *testing.T) {
	for i, a := range poolCases() {
		for _, ties := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s,ties=%v", poolName(a), ties), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(i), 8))
				nx, ny := a.N*a.C*a.H*a.W, a.N*a.C*a.OH*a.OW
				x, dy := cpRand(rng, nx), cpRand(rng, ny)
				if ties {
					// Few distinct values, so windows hold equal maxima: the
					// first in row-major order must win.
					for j := range x.s {
						x.s[j] = float32(rng.IntN(3))
					}
				}
				x0, dy0 := cpClone(x.s), cpClone(dy.s)

				y, sw := newCPGuarded(ny), newCPGuarded(ny)
				maxPoolFwd(a, x.s, y.s, sw.s)
				y.check(t, "maxpool y")
				sw.check(t, "maxpool switches")
				cpSame(t, "maxpool x", x.s, x0)
				want := runPoolRef(t, kernels.OpMaxPool, a, x.s)
				if err := cpClose(y.s, want[0], 0, 0); err != nil {
					t.Errorf("maxpool y: %v", err)
				}
				if err := cpClose(sw.s, want[1], 0, 0); err != nil {
					t.Errorf("maxpool switches: %v", err)
				}

				sw0 := cpClone(sw.s)
				dx := newCPGuarded(nx)
				maxPoolBwd(a, dy.s, sw.s, dx.s)
				dx.check(t, "maxpool_bwd dx")
				cpSame(t, "maxpool_bwd dy", dy.s, dy0)
				cpSame(t, "maxpool_bwd switches", sw.s, sw0)
				if err := cpClose(dx.s, runPoolRef(t, kernels.OpMaxPoolBwd, a, dy.s, sw.s)[0], 1e-6, 1e-6); err != nil {
					t.Errorf("maxpool_bwd: %v", err)
				}

				ya := newCPGuarded(ny)
				avgPoolFwd(a, x.s, ya.s)
				ya.check(t, "avgpool y")
				cpSame(t, "avgpool x", x.s, x0)
				if err := cpClose(ya.s, runPoolRef(t, kernels.OpAvgPool, a, x.s)[0], 1e-6, 1e-6); err != nil {
					t.Errorf("avgpool: %v", err)
				}

				dxa := newCPGuarded(nx)
				avgPoolBwd(a, dy.s, dxa.s)
				dxa.check(t, "avgpool_bwd dx")
				cpSame(t, "avgpool_bwd dy", dy.s, dy0)
				if err := cpClose(dxa.s, runPoolRef(t, kernels.OpAvgPoolBwd, a, dy.s)[0], 1e-6, 1e-6); err != nil {
					t.Errorf("avgpool_bwd: %v", err)
				}

				// Adjoints: ⟨avg(x), dy⟩ = ⟨x, avgBwd(dy)⟩, and with the
				// switches fixed max pooling is the linear map x ↦ x[switch].
				if l, r := cpDot(ya.s, dy.s), cpDot(x.s, dxa.s); math.Abs(l-r) > 1e-4*(1+math.Abs(l)) {
					t.Errorf("⟨avgpool(x), dy⟩ = %v but ⟨x, avgpool_bwd(dy)⟩ = %v", l, r)
				}
				if l, r := cpDot(y.s, dy.s), cpDot(x.s, dx.s); math.Abs(l-r) > 1e-4*(1+math.Abs(l)) {
					t.Errorf("⟨maxpool(x), dy⟩ = %v but ⟨x, maxpool_bwd(dy)⟩ = %v", l, r)
				}
			})
		}
	}
}

// TestMaxPoolNaN: a NaN in a window wins it (it propagates, as in PyTorch),
// and the switch points at the first NaN.
func TestMaxPoolNaN(t *testing.T) {
	a, _ := poolArgs(1, 1, 2, 4, 2, 2, 0)
	nan := float32(math.NaN())
	x := []float32{
		1, nan, 5, 6,
		nan, 9, 7, 8,
	}
	y, sw := make([]float32, 2), make([]float32, 2)
	maxPoolFwd(a, x, y, sw)
	if !math.IsNaN(float64(y[0])) || sw[0] != 1 {
		t.Errorf("window with NaNs: y=%v switch=%v, want NaN at 1", y[0], sw[0])
	}
	if y[1] != 8 || sw[1] != 7 {
		t.Errorf("window without NaN: y=%v switch=%v, want 8 at 7", y[1], sw[1])
	}
	want, err := refConvPool(kernels.Instr{Op: kernels.OpMaxPool, Args: a}, [][]float64{cpTo64(x)})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(want[0][0]) || want[1][0] != 1 || want[0][1] != 8 || want[1][1] != 7 {
		t.Errorf("reference disagrees: y=%v switches=%v", want[0], want[1])
	}
}

// TestMaxPool2x2Kernels holds the vector row kernel of every path to the
// scalar plane loop bit for bit (values, so the sign of a zero, and
// switches) on ties of ±0, on rows of 1 to 40 outputs (whole steps and
// masked tails of 8 and 16), and on planes holding a NaN; NaN guards past
// the outputs catch a store beyond them.
func TestMaxPool2x2Kernels(t *testing.T) {
	forEachPath(t, testMaxPool2x2Kernels)
}

func testMaxPool2x2Kernels(t *testing.T, _ cpuPath) {
	rng := rand.New(rand.NewPCG(5, 6))
	nan := float32(math.NaN())
	for _, ow := range []int{1, 3, 5, 7, 8, 9, 14, 15, 16, 17, 24, 40} {
		for _, withNaN := range []bool{false, true} {
			a, _ := poolArgs(2, 3, 6, 2*ow+1, 2, 2, 0)
			x := make([]float32, a.N*a.C*a.H*a.W)
			for i := range x {
				x[i] = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 2}[rng.IntN(5)]
			}
			if withNaN {
				x[rng.IntN(len(x))] = nan
			}
			ny := a.N * a.C * a.OH * a.OW
			y0, s0 := make([]float32, ny), make([]float32, ny)
			y1, s1 := make([]float32, ny+8), make([]float32, ny+8)
			for i := ny; i < ny+8; i++ {
				y1[i], s1[i] = nan, nan
			}
			withPath(pathGeneric, func() { maxPoolFwd(a, x, y0, s0) })
			maxPoolFwd(a, x, y1[:ny], s1[:ny])
			for i := range y0 {
				if math.Float32bits(y0[i]) != math.Float32bits(y1[i]) || s0[i] != s1[i] {
					t.Fatalf("ow=%d nan=%v output %d: vector %v at %v, scalar %v at %v", ow, withNaN, i, y1[i], s1[i], y0[i], s0[i])
				}
			}
			for i := ny; i < ny+8; i++ {
				if y1[i] == y1[i] || s1[i] == s1[i] {
					t.Fatalf("ow=%d: guard %d written: %v, %v", ow, i-ny, y1[i], s1[i])
				}
			}
		}
	}
}

func TestPoolRefRejectsBadInstr(t *testing.T) {
	a, _ := poolArgs(1, 1, 4, 4, 2, 2, 0)
	x := make([]float64, 16)
	bad := []struct {
		name string
		in   kernels.Instr
		args [][]float64
	}{
		{"wrong args type", kernels.Instr{Op: kernels.OpMaxPool, Args: kernels.ConvArgs{}}, [][]float64{x}},
		{"short x", kernels.Instr{Op: kernels.OpAvgPool, Args: a}, [][]float64{x[:15]}},
		{"padding as wide as the window", kernels.Instr{Op: kernels.OpAvgPool, Args: func() kernels.PoolArgs { b := a; b.PadH = 2; b.OH = 3; return b }()}, [][]float64{x}},
		{"wrong OW", kernels.Instr{Op: kernels.OpMaxPool, Args: func() kernels.PoolArgs { b := a; b.OW = 3; return b }()}, [][]float64{x}},
		{"window wider than the input", kernels.Instr{Op: kernels.OpMaxPool, Args: func() kernels.PoolArgs {
			b := a
			b.W, b.OW = 1, 1 // (1 − 2)/2 + 1 would truncate to 1
			return b
		}()}, [][]float64{x[:4]}},
		{"switch outside the plane", kernels.Instr{Op: kernels.OpMaxPoolBwd, Args: a}, [][]float64{{1, 1, 1, 1}, {0, 16, 0, 0}}},
	}
	for _, c := range bad {
		if _, err := refConvPool(c.in, c.args); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
