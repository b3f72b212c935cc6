package kernels

import "math"

// Argmax is the first index of the largest value of a row of logits (NaN
// never wins): the prediction OpEvalScore counts, and `gabor eval` with it.
func Argmax(row []float32) int {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return best
}

// Xent is −log softmax(row)[label], computed stably in float64 as
// log Σ exp(r_i − max) + max − r_label: the loss OpEvalScore sums.
func Xent(row []float32, label int) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, float64(v))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return math.Log(s) + m - float64(row[label])
}
