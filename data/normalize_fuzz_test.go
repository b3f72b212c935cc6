package data

import (
	"math"
	"testing"
)

// FuzzParseNormalize: any --normalize value is an error or a normalization
// whose std is positive and finite (the division every gathered pixel takes).
func FuzzParseNormalize(f *testing.F) {
	for _, s := range []string{"data", "fashion-mnist", "none", "0.1307,0.3081", "0,0", "1e39,1", "NaN,1", ",", "0.5,-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNormalize(s)
		if err != nil {
			return
		}
		if n.Mode == NormData {
			return // filled in from the training split by Resolve
		}
		if !(n.Std > 0) || math.IsInf(float64(n.Std), 0) || math.IsNaN(float64(n.Mean)) || math.IsInf(float64(n.Mean), 0) {
			t.Fatalf("ParseNormalize(%q) = %+v: want a finite mean and a positive, finite std", s, n)
		}
	})
}
