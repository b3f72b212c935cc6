package cpu

import "github.com/gaborlab/gabor/kernels"

// Side-by-side products. A dense layer's backward is two GEMMs that read the
// same output gradient and write different buffers (dX = dY·W, dW = dYᵀ·X),
// emitted one after the other. Split across the workers one after the other,
// each product re-reads its operands from the other core's cache and pays a
// hand-off; run side by side, each starts on its own core with its operands
// to itself, and the first to finish helps with what is left of the other
// (each Sgemm still shares its chunks through the pool). Every output
// element is computed the same way either way, so the results are
// bit-identical to running them in order. (A convolution's two backward
// products, also neighbours, were tried too: no faster, as each already
// splits its batch across the workers in large pieces.)

// stepPair runs two independent steps, one per worker.
type stepPair struct {
	a, b   step
	ea, eb error
	body   func(lo, hi int)
}

func newStepPair(a, b step) *stepPair {
	p := &stepPair{a: a, b: b}
	p.body = p.run
	return p
}

func (p *stepPair) run(lo, hi int) {
	for i := lo; i < hi; i++ {
		if i == 0 {
			p.ea = p.a()
		} else {
			p.eb = p.b()
		}
	}
}

// pairSteps finds the instructions that may run side by side with the next
// one: both GEMMs, neither writing what the other reads or writes.
// pairs[i] is set for the first of each pair; pairs do not overlap.
func pairSteps(p *kernels.Program, steps []step) []*stepPair {
	pairs := make([]*stepPair, len(steps))
	for i := 0; i+1 < len(p.Instrs); i++ {
		a, b := p.Instrs[i], p.Instrs[i+1]
		if a.Op != kernels.OpGemm || b.Op != kernels.OpGemm || !independent(p, a, b) {
			continue
		}
		pairs[i] = newStepPair(steps[i], steps[i+1])
		i++
	}
	return pairs
}

// independent says whether a and b touch disjoint storage except where both
// only read.
func independent(p *kernels.Program, a, b kernels.Instr) bool {
	for _, w := range a.Out {
		if touches(p, w, b.In) || touches(p, w, b.Out) {
			return false
		}
	}
	for _, w := range b.Out {
		if touches(p, w, a.In) {
			return false
		}
	}
	return true
}

// touches says whether buffer w's storage overlaps any of ids'.
func touches(p *kernels.Program, w kernels.BufID, ids []kernels.BufID) bool {
	bw := &p.Buffers[w]
	for _, id := range ids {
		bi := &p.Buffers[id]
		if bw.Offset < bi.Offset+bi.Floats() && bi.Offset < bw.Offset+bw.Floats() {
			return true
		}
	}
	return false
}
