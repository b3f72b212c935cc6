package cpu

import (
	"math"

	"github.com/gaborlab/gabor/kernels"
)

// References of softmax and the fused softmax cross-entropy.

// refSoftmaxRow returns log softmax of one row: x_j − m − log Σ_k e^{x_k−m}.
func refSoftmaxRow(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	lse := m + math.Log(s)
	out := make([]float64, len(x))
	for j, v := range x {
		out[j] = v - lse
	}
	return out
}

// refSoftmax: y = softmax(x) or log softmax(x) over each row of D.
func refSoftmax(_ kernels.Instr, a kernels.SoftmaxArgs, inputs [][]float64) ([][]float64, error) {
	if err := refWant(inputs, []string{"x"}, a.Rows*a.D); err != nil {
		return nil, err
	}
	y := make([]float64, 0, a.Rows*a.D)
	for r := 0; r < a.Rows; r++ {
		ls := refSoftmaxRow(inputs[0][r*a.D : (r+1)*a.D])
		for _, v := range ls {
			if !a.Log {
				v = math.Exp(v)
			}
			y = append(y, v)
		}
	}
	return [][]float64{y}, nil
}

// refXent: loss = −(1/N) Σ_n log softmax(logits_n)[label_n]; probs =
// softmax(logits), returned when the instruction has two outputs.
func refXent(in kernels.Instr, a kernels.XentArgs, inputs [][]float64) ([][]float64, error) {
	if err := refWant(inputs, []string{"logits", "labels"}, a.N*a.D, a.N); err != nil {
		return nil, err
	}
	var loss float64
	probs := make([]float64, 0, a.N*a.D)
	for r := 0; r < a.N; r++ {
		k, err := refLabel(inputs[1][r], r, a.D)
		if err != nil {
			return nil, err
		}
		ls := refSoftmaxRow(inputs[0][r*a.D : (r+1)*a.D])
		loss -= ls[k]
		for _, v := range ls {
			probs = append(probs, math.Exp(v))
		}
	}
	out := [][]float64{{loss / float64(a.N)}}
	if len(in.Out) != 1 {
		out = append(out, probs)
	}
	return out, nil
}

// refXentBwd: dlogits[n, j] = (probs[n, j] − [j = label_n])·dloss/N, with
// dloss = 1 when the third input is absent.
func refXentBwd(_ kernels.Instr, a kernels.XentArgs, inputs [][]float64) ([][]float64, error) {
	names, lens := []string{"probs", "labels"}, []int{a.N * a.D, a.N}
	if len(inputs) == 3 {
		names, lens = append(names, "dloss"), append(lens, 1)
	}
	if err := refWant(inputs, names, lens...); err != nil {
		return nil, err
	}
	g := 1 / float64(a.N)
	if len(inputs) == 3 {
		g = inputs[2][0] / float64(a.N)
	}
	dx := make([]float64, a.N*a.D)
	for r := 0; r < a.N; r++ {
		k, err := refLabel(inputs[1][r], r, a.D)
		if err != nil {
			return nil, err
		}
		for j := 0; j < a.D; j++ {
			p := inputs[0][r*a.D+j]
			if j == k {
				p--
			}
			dx[r*a.D+j] = p * g
		}
	}
	return [][]float64{dx}, nil
}
