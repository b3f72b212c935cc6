package bench

import (
	"math"
	"slices"
)

// Summary describes a sample of timings: its size, centre and spread.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Q1     float64 `json:"q1"`  // 25th percentile
	Q3     float64 `json:"q3"`  // 75th percentile
	IQR    float64 `json:"iqr"` // Q3 − Q1
	MAD    float64 `json:"mad"` // median absolute deviation from the median
}

// Summarize computes the summary of xs (which it does not modify). The
// quantiles interpolate linearly between order statistics: for a sorted
// sample x₀ ≤ … ≤ xₙ₋₁ the p-quantile is x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋₊₁ − x_⌊h⌋)
// with h = p·(n−1) (the default of R and NumPy), so the median of an even
// sample is the mean of its two middle values. MAD = median |xᵢ − median|,
// unscaled. An empty sample gives NaN everywhere but N.
func Summarize(xs []float64) Summary {
	n := len(xs)
	if n == 0 {
		nan := math.NaN()
		return Summary{Median: nan, Min: nan, Max: nan, Q1: nan, Q3: nan, IQR: nan, MAD: nan}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	sum := Summary{
		N: n, Min: s[0], Max: s[n-1],
		Median: Quantile(s, 0.5), Q1: Quantile(s, 0.25), Q3: Quantile(s, 0.75),
	}
	sum.IQR = sum.Q3 - sum.Q1
	dev := make([]float64, n)
	for i, x := range s {
		dev[i] = math.Abs(x - sum.Median)
	}
	slices.Sort(dev)
	sum.MAD = Quantile(dev, 0.5)
	return sum
}

// Median is the 0.5-quantile of xs (see Summarize); NaN for an empty sample.
func Median(xs []float64) float64 { return Summarize(xs).Median }

// Quantile is the p-quantile (0 ≤ p ≤ 1) of an already sorted sample, by
// linear interpolation between order statistics (see Summarize).
func Quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := p * float64(n-1)
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	if lo < 0 {
		return sorted[0]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}
