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
		got, err := parseRanges(c.in)
		if (err != nil) != c.bad || !slices.Equal(got, c.want) {
			t.Errorf("parseRanges(%q) = %v, %v; want %v (error %v)", c.in, got, err, c.want, c.bad)
		}
	}
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
