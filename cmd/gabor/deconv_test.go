package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
)

func TestParseRanges(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
		bad  bool
	}{
		{"", nil, false},
		{"0-3", []int{0, 1, 2, 3}, false},
		{"1,4-5, 9", []int{1, 4, 5, 9}, false},
		{"7", []int{7}, false},
		{"3-1", nil, true},
		{"a", nil, true},
		{"-2", nil, true},
	} {
		spans, err := parseRanges(c.in)
		var got []int
		if err == nil {
			got, err = expandRanges(spans, 16, "maps", "layer conv1", "maps")
		}
		if (err != nil) != c.bad || !slices.Equal(got, c.want) {
			t.Errorf("parseRanges(%q) = %v, %v; want %v (error %v)", c.in, got, err, c.want, c.bad)
		}
	}
}

// A range is checked against the layer's size before it is expanded: the range
// that once expanded eagerly into an out-of-memory kill is a usage error naming
// the layer's size, at once.
func TestExpandRangesChecksBeforeExpanding(t *testing.T) {
	spans, err := parseRanges("0-9223372036854775806")
	if err != nil {
		t.Fatal(err)
	}
	got, err := expandRanges(spans, 16, "maps", "layer conv2", "maps")
	if err == nil || exitCode(err) != exitUsage || !strings.Contains(err.Error(), "layer conv2 has 16 maps (0 to 15)") {
		t.Fatalf("expandRanges = %d maps, %v; want a usage error naming the 16 maps of conv2", len(got), err)
	}
	if _, err := expandRanges([]mapSpan{{0, 16}}, 16, "maps", "layer conv2", "maps"); err == nil {
		t.Error("map 16 of a 16-map layer accepted")
	}
	if got, err := expandRanges([]mapSpan{{15, 15}}, 16, "maps", "layer conv2", "maps"); err != nil || !slices.Equal(got, []int{15}) {
		t.Errorf("last map: %v, %v", got, err)
	}
}

// FuzzParseRanges: any --maps/--label text parses or fails cleanly, and what
// parses expands (against a small layer) to numbers inside its spans.
func FuzzParseRanges(f *testing.F) {
	for _, s := range []string{"0-15", "0,3,5-7", "0-9223372036854775806", "-", "1-", ",", " 2 , 3-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spans, err := parseRanges(s)
		if err != nil {
			return
		}
		for _, sp := range spans {
			if sp.lo < 0 || sp.hi < sp.lo {
				t.Fatalf("%q: span %v", s, sp)
			}
		}
		got, err := expandRanges(spans, 64, "maps", "layer x", "maps")
		if err != nil {
			return
		}
		for _, m := range got {
			if m < 0 || m >= 64 {
				t.Fatalf("%q: map %d outside the layer", s, m)
			}
		}
	})
}

// Flags are parsed and checked before anything runs.
func TestDeconvAndQueryArgs(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"deconv"}, exitUsage, "needs one RUN_DIR"},
		{[]string{"deconv", "r", "--rule", "lrp"}, exitUsage, "unknown projection rule"},
		{[]string{"deconv", "r", "--maps", "5-2"}, exitUsage, "--maps"},
		{[]string{"deconv", "r", "--top", "0"}, exitUsage, "--top"},
		{[]string{"query", "r", "--method", "dream"}, exitUsage, "--method"},
		{[]string{"query", "r", "--label", "x"}, exitUsage, "--label"},
		{[]string{"deconv", "/nonexistent/run"}, exitData, "does not exist"},
		{[]string{"query", "/nonexistent/run"}, exitData, "does not exist"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		f := &factory{IO: &ioStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}}
		code := execute(context.Background(), f, c.args)
		if code != c.code || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errOut.String(), c.code, c.want)
		}
	}
}
