//go:build !gpu

package main

import (
	"strings"
	"testing"
)

// In a CPU-only build, asking for cuda is a device error (exit 4) with the
// registry's reason and the hint to build with the gpu tag.
func TestBenchCUDAInCPUBuild(t *testing.T) {
	out, errOut, code := runCLI(t, "bench", "--devices", "cpu,cuda", "--models", "mlp")
	if code != exitDevice {
		t.Errorf("exit code %d, want %d (stderr %q)", code, exitDevice, errOut)
	}
	for _, want := range []string{`device "cuda" is not available in this build`, "make gpu"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr %q does not contain %q", errOut, want)
		}
	}
	if out != "" {
		t.Errorf("stdout %q, want nothing", out)
	}
}
