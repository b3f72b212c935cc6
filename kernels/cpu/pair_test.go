package cpu

import (
	"math/rand/v2"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// pairProg is a hand-made Program whose buffers are laid end to end; alias
// adds a buffer over the storage of another.
type pairProg struct{ p *kernels.Program }

func (b *pairProg) buf(n int) kernels.BufID {
	id := kernels.BufID(len(b.p.Buffers))
	b.p.Buffers = append(b.p.Buffers, kernels.Buffer{Shape: []int{n}, Len: n, View: -1, Offset: b.p.ArenaLen})
	b.p.ArenaLen += n
	return id
}

func (b *pairProg) alias(of kernels.BufID, n int) kernels.BufID {
	id := kernels.BufID(len(b.p.Buffers))
	b.p.Buffers = append(b.p.Buffers, kernels.Buffer{Shape: []int{n}, Len: n, View: of, Offset: b.p.Buffers[of].Offset})
	return id
}

func (b *pairProg) gemm(a, w, c kernels.BufID, m, n, k int, transA bool) {
	b.p.Instrs = append(b.p.Instrs, kernels.Instr{Op: kernels.OpGemm, In: []kernels.BufID{a, w}, Out: []kernels.BufID{c},
		Args: kernels.GemmArgs{M: m, N: n, K: k, TransA: transA, Alpha: 1}})
}

// TestPairSteps checks which neighbours are run side by side.
func TestPairSteps(t *testing.T) {
	const n = 16
	paired := func(build func(b *pairProg)) []bool {
		b := &pairProg{p: &kernels.Program{Loss: -1, Logits: -1, Hyper: -1, Ctl: -1}}
		build(b)
		steps := make([]step, len(b.p.Instrs))
		var got []bool
		for _, p := range pairSteps(b.p, steps) {
			got = append(got, p != nil)
		}
		return got
	}
	cases := []struct {
		name  string
		build func(b *pairProg)
		want  []bool
	}{
		{"a layer's dX and dW", func(b *pairProg) {
			dy, w, x, dx, dw := b.buf(n*n), b.buf(n*n), b.buf(n*n), b.buf(n*n), b.buf(n*n)
			b.gemm(dy, w, dx, n, n, n, false)
			b.gemm(dy, x, dw, n, n, n, true)
		}, []bool{true, false}},
		{"the second reads the first's output", func(b *pairProg) {
			x, w, h, y := b.buf(n*n), b.buf(n*n), b.buf(n*n), b.buf(n*n)
			b.gemm(x, w, h, n, n, n, false)
			b.gemm(h, w, y, n, n, n, false)
		}, []bool{false, false}},
		{"the second overwrites the first's input", func(b *pairProg) {
			x, w, h := b.buf(n*n), b.buf(n*n), b.buf(n*n)
			b.gemm(x, w, h, n, n, n, false)
			b.gemm(h, h, x, n, n, n, false)
		}, []bool{false, false}},
		{"outputs share storage through a view", func(b *pairProg) {
			x, w, h := b.buf(n*n), b.buf(n*n), b.buf(n*n)
			v := b.alias(h, n*n)
			b.gemm(x, w, h, n, n, n, false)
			b.gemm(w, x, v, n, n, n, false)
		}, []bool{false, false}},
		{"three independent products: one pair, then one alone", func(b *pairProg) {
			x, w, c1, c2, c3 := b.buf(n*n), b.buf(n*n), b.buf(n*n), b.buf(n*n), b.buf(n*n)
			b.gemm(x, w, c1, n, n, n, false)
			b.gemm(x, w, c2, n, n, n, true)
			b.gemm(w, x, c3, n, n, n, false)
		}, []bool{true, false, false}},
	}
	for _, tc := range cases {
		got := paired(tc.build)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d pair slots, want %d", tc.name, len(got), len(tc.want))
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: pairs %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
}

// TestPairedRunMatchesInOrder runs a layer's backward products side by side
// (one segment) and one at a time (a segment each) on every path: the
// outputs must be bit-identical.
func TestPairedRunMatchesInOrder(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ cpuPath) {
		const batch, in, out = 128, 300, 200
		b := &pairProg{p: &kernels.Program{Loss: -1, Logits: -1, Hyper: -1, Ctl: -1}}
		dy, w, x, dx, dw := b.buf(batch*out), b.buf(out*in), b.buf(batch*in), b.buf(batch*in), b.buf(out*in)
		b.gemm(dy, w, dx, batch, in, out, false)
		b.gemm(dy, x, dw, out, in, batch, true)
		run := func(segs []kernels.Segment) (gx, gw []float32) {
			ex, err := Backend{}.Load(b.p)
			if err != nil {
				t.Fatal(err)
			}
			defer ex.Close()
			if x := ex.(*Executable); x.pairs[0] == nil {
				t.Fatal("the two products were not paired")
			}
			for _, id := range []kernels.BufID{dy, w, x} {
				v := make([]float32, b.p.Buffers[id].Len)
				r := rand.New(rand.NewPCG(uint64(id), 1))
				for i := range v {
					v[i] = float32(r.NormFloat64())
				}
				if err := ex.Write(id, v); err != nil {
					t.Fatal(err)
				}
			}
			for _, s := range segs {
				if err := ex.Run(s); err != nil {
					t.Fatal(err)
				}
			}
			gx, gw = make([]float32, batch*in), make([]float32, out*in)
			if err := ex.Read(dx, gx); err != nil {
				t.Fatal(err)
			}
			if err := ex.Read(dw, gw); err != nil {
				t.Fatal(err)
			}
			return gx, gw
		}
		px, pw := run([]kernels.Segment{{Start: 0, End: 2}})
		sx, sw := run([]kernels.Segment{{Start: 0, End: 1}, {Start: 1, End: 2}})
		for i := range px {
			if px[i] != sx[i] {
				t.Fatalf("dX[%d]: side by side %v, in order %v", i, px[i], sx[i])
			}
		}
		for i := range pw {
			if pw[i] != sw[i] {
				t.Fatalf("dW[%d]: side by side %v, in order %v", i, pw[i], sw[i])
			}
		}
		var nonzero bool
		for _, v := range pw {
			nonzero = nonzero || v != 0
		}
		if !nonzero {
			t.Fatal("dW is all zeros: the products did not run")
		}
	})
}
