package bench

import (
	"math"
	"testing"
)

func TestSummarizeHandComputed(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want Summary
	}{
		// Sorted: 1 2 3 4 5. h = p·4: Q1 = x₁ = 2, Q3 = x₃ = 4.
		// |x − 3| = 2 1 0 1 2 → sorted 0 1 1 2 2, median 1.
		{"odd", []float64{5, 1, 4, 2, 3}, Summary{N: 5, Median: 3, Min: 1, Max: 5, Q1: 2, Q3: 4, IQR: 2, MAD: 1}},
		// Sorted: 1 2 4 10. Median = (2+4)/2 = 3. h(0.25) = 0.75: 1 + 0.75·1 = 1.75;
		// h(0.75) = 2.25: 4 + 0.25·6 = 5.5. |x − 3| = 2 1 1 7 → 1 1 2 7, median 1.5.
		{"even", []float64{10, 2, 1, 4}, Summary{N: 4, Median: 3, Min: 1, Max: 10, Q1: 1.75, Q3: 5.5, IQR: 3.75, MAD: 1.5}},
		{"one", []float64{2.5}, Summary{N: 1, Median: 2.5, Min: 2.5, Max: 2.5, Q1: 2.5, Q3: 2.5}},
		// An outlier moves the mean, not the median nor the MAD:
		// sorted 1 1 1 2 100; |x − 1| = 0 0 0 1 99, median 0.
		{"outlier", []float64{1, 100, 1, 2, 1}, Summary{N: 5, Median: 1, Min: 1, Max: 100, Q1: 1, Q3: 2, IQR: 1, MAD: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.xs...)
			got := Summarize(tt.xs)
			if !summaryClose(got, tt.want) {
				t.Errorf("Summarize(%v) = %+v, want %+v", tt.xs, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.xs[i] {
					t.Fatalf("Summarize modified its input: %v, was %v", tt.xs, in)
				}
			}
			if m := Median(tt.xs); m != tt.want.Median {
				t.Errorf("Median = %v, want %v", m, tt.want.Median)
			}
		})
	}
}

func TestSummarizeEmpty(t *testing.T) {
	s := Summarize(nil)
	if s.N != 0 || !math.IsNaN(s.Median) || !math.IsNaN(s.MAD) || !math.IsNaN(s.IQR) {
		t.Errorf("Summarize(nil) = %+v, want N 0 and NaN statistics", s)
	}
}

func TestQuantileEnds(t *testing.T) {
	xs := []float64{1, 2, 3, 4}
	for _, c := range []struct{ p, want float64 }{{0, 1}, {1, 4}, {0.5, 2.5}, {1.0 / 3, 2}} {
		if got := Quantile(xs, c.p); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Quantile(%v, %v) = %v, want %v", xs, c.p, got, c.want)
		}
	}
}

func summaryClose(a, b Summary) bool {
	eq := func(x, y float64) bool { return math.Abs(x-y) <= 1e-12 }
	return a.N == b.N && eq(a.Median, b.Median) && eq(a.Min, b.Min) && eq(a.Max, b.Max) &&
		eq(a.Q1, b.Q1) && eq(a.Q3, b.Q3) && eq(a.IQR, b.IQR) && eq(a.MAD, b.MAD)
}
