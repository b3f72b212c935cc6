package cuda

import (
	"strings"
	"testing"
)

// TestDriverString: Caps.Driver names the CUDA version the driver API
// reports (1000·major + 10·minor), after the kernel driver's version when
// the system shows one.
func TestDriverString(t *testing.T) {
	for v, want := range map[int]string{12040: "CUDA 12.4", 13000: "CUDA 13.0", 11080: "CUDA 11.8"} {
		got := driverString(v)
		if got != want && !strings.HasSuffix(got, " ("+want+")") {
			t.Errorf("driverString(%d) = %q, want %q or %q", v, got, want, "<driver> ("+want+")")
		}
	}
}
