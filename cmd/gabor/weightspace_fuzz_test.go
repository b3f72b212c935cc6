package main

import (
	"math"
	"testing"
)

// FuzzParseFractions: any --fractions value is an error or 1 to 1001
// fractions, each in [0, 1].
func FuzzParseFractions(f *testing.F) {
	for _, s := range []string{"0:1:0.05", "0,0.5,1", "0.2", "1:0:0.1", "0:1:0", "0:1:1e-9", "NaN", "-0,1", "0:1:0.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := parseFractions(s)
		if err != nil {
			return
		}
		if len(out) == 0 || len(out) > 1001 {
			t.Fatalf("parseFractions(%q) gave %d fractions", s, len(out))
		}
		for _, v := range out {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("parseFractions(%q) = %v: %g outside [0, 1]", s, out, v)
			}
		}
	})
}

// FuzzParseAlpha: any --alpha value is an error or a finite LO < HI with 2
// to 1001 points.
func FuzzParseAlpha(f *testing.F) {
	for _, s := range []string{"-0.5,1.5,41", "0,1,2", "1,0,3", "0,1,1", "a,b,c", "0,Inf,3", "0,1", "-1e7,0,5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lo, hi, n, err := parseAlpha(s)
		if err != nil {
			return
		}
		if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || n < 2 || n > 1001 {
			t.Fatalf("parseAlpha(%q) = %g, %g, %d", s, lo, hi, n)
		}
	})
}
