package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/report"
)

func TestReportFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
		dpi  int
		fmt  string
	}{
		{[]string{"runs/a"}, true, report.DefaultDPI, "png"},
		{[]string{"runs/a", "runs/b", "--dpi", "200", "--format", "svg"}, true, 200, "svg"},
		{[]string{}, false, 0, ""},
		{[]string{"runs/a", "--format", "pdf"}, false, 0, ""},
		{[]string{"runs/a", "--format", "png,svg"}, false, 0, ""},
		{[]string{"runs/a", "--index", "-1"}, false, 0, ""},
		{[]string{"runs/a", "--embed-n", "3"}, false, 0, ""},
	} {
		f, _, _ := testFactory()
		var got *reportOptions
		err := parse(newCmdReport(f, func(o *reportOptions) error { got = o; return nil }), tc.args...)
		if tc.ok != (err == nil) {
			t.Errorf("%v: error %v, want ok %v", tc.args, err, tc.ok)
			continue
		}
		if !tc.ok {
			if exitCode(err) != exitUsage {
				t.Errorf("%v: exit %d, want usage", tc.args, exitCode(err))
			}
			continue
		}
		if got.opts.Output.DPI != tc.dpi || got.opts.Output.Formats[0] != tc.fmt || len(got.Runs) != len(tc.args)-strings.Count(strings.Join(tc.args, " "), "--")*2 {
			t.Errorf("%v: dpi %d, formats %v, runs %v", tc.args, got.opts.Output.DPI, got.opts.Output.Formats, got.Runs)
		}
	}
}

func TestReportNotARun(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := runCLI(t, "report", dir, "--out", filepath.Join(dir, "out"))
	if code != exitData || !strings.Contains(errOut, "not a run directory") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
