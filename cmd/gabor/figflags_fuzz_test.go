package main

import (
	"slices"
	"testing"

	"github.com/gaborlab/gabor/figure"
)

// FuzzParseFormats: any --format value is an error or a non-empty list of
// known formats.
func FuzzParseFormats(f *testing.F) {
	for _, s := range []string{"png", "png,svg,pdf", " PDF ", ",,", "eps", "png,,gif"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := parseFormats(s)
		if err != nil {
			return
		}
		if len(out) == 0 {
			t.Fatalf("parseFormats(%q) accepted an empty list", s)
		}
		for _, x := range out {
			if !slices.Contains(figure.Formats, x) {
				t.Fatalf("parseFormats(%q) = %v: %q is not a known format", s, out, x)
			}
		}
	})
}
