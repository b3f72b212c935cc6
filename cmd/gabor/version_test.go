package main

import (
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestVersionFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantJSON bool
		wantErr  string
	}{
		{"text", nil, false, ""},
		{"json", []string{"--json"}, true, ""},
		{"argument", []string{"extra"}, false, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *versionOptions
			err := parse(newCmdVersion(f, func(o *versionOptions) error { got = o; return nil }), tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCode(err) != exitUsage {
					t.Fatalf("error %v (exit %d), want a usage error containing %q", err, exitCode(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.JSON != tt.wantJSON {
				t.Errorf("JSON = %v, want %v", got.JSON, tt.wantJSON)
			}
		})
	}
}

func TestVersionRun(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		out, _, code := runCLI(t, "version")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		for _, want := range []string{"gabor " + version, runtime.Version(), "backends: ", "cpu"} {
			if !strings.Contains(out, want) {
				t.Errorf("output %q lacks %q", out, want)
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		out, _, code := runCLI(t, "version", "--json")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("not one JSON object: %v\n%s", err, out)
		}
		for _, k := range []string{"version", "go", "os", "arch", "tags", "backends"} {
			if _, ok := m[k]; !ok {
				t.Errorf("key %q missing in %s", k, out)
			}
		}
		var v versionInfo
		json.Unmarshal([]byte(out), &v)
		if v.Go != runtime.Version() || v.OS != runtime.GOOS || !slices.Contains(v.Backends, "cpu") {
			t.Errorf("version info %+v", v)
		}
		if strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("want exactly one line, got %q", out)
		}
	})
}
