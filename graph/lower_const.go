package graph

import (
	"github.com/gaborlab/gabor/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// maxConstRuns bounds the constants built on the device: each run costs
// about eight elementwise instructions over the whole constant, every step.
const maxConstRuns = 64

// constantRuns builds a constant tensor of several values on the device,
// since a Program carries no data of its own: the most frequent value b
// fills the buffer, and each maximal run [s, e) of another value v adds
// (v − b)·1[s ≤ i < e], the mask made of exact comparisons with an iota
// (1[i − (s − ½) > 0]·1[(e − ½) − i > 0]). Masks, identity matrices and
// other constants of few runs fold this way; a constant of more than
// maxConstRuns runs is an error that says to declare it as an input.
func (c *compiler) constantRuns(n *G.Node, data []float32) error {
	for _, v := range data {
		if v != v || v-v != 0 { // NaN or ±Inf: (v − b)·mask would spread it
			return c.fail(n, "holds a constant %v value with %v among other values; gabor builds only finite constants of several values: declare it in Model.Inputs", shapeOf(n), v)
		}
	}
	count := map[float32]int{}
	base := data[0]
	for _, v := range data {
		count[v]++
		if count[v] > count[base] {
			base = v
		}
	}
	type run struct {
		s, e int
		v    float32
	}
	var runs []run
	for i := 0; i < len(data); {
		j := i + 1
		for j < len(data) && data[j] == data[i] {
			j++
		}
		if data[i] != base {
			runs = append(runs, run{i, j, data[i]})
		}
		i = j
	}
	if len(runs) > maxConstRuns {
		return c.fail(n, "holds a constant %v value of %d runs of values; gabor builds constants of at most %d runs on the device: declare it in Model.Inputs (written by the host) or Model.Params (trained)", shapeOf(n), len(runs), maxConstRuns)
	}
	size := len(data)
	s := tensor.Shape{size}
	w := c.ew(s)
	out := c.outBuffer(n)
	c.e.Emit(kernels.OpFill, nil, ids1(out), kernels.FillArgs{N: size, Value: base})
	if len(runs) == 0 {
		return nil
	}
	idx, ones := c.iota(size), w.ones()
	for _, r := range runs {
		lo := w.positive(w.bin(kernels.BinarySub, idx, c.constBuf(float64(r.s)-0.5), kernels.BcastScalar, "const.lo"), ones, w.temp("const.after"))
		hi := w.un(kernels.UnaryNeg, w.bin(kernels.BinarySub, idx, c.constBuf(float64(r.e)-0.5), kernels.BcastScalar, "const.hi"), "const.negHi")
		m := w.bin(kernels.BinaryMul, lo, w.positive(hi, ones, w.temp("const.before")), kernels.BcastNone, "const.mask")
		w.unTo(kernels.UnaryScale, m, m, r.v-base)
		w.binTo(kernels.BinaryAdd, out, m, kernels.BcastNone, out)
	}
	return nil
}
