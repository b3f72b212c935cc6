package cuda

import (
	"strings"
	"testing"
)

func TestNVRMVersion(t *testing.T) {
	text := "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 07:09:58 UTC 2025\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"
	if got := nvrmVersion(text); got != "580.65.06" {
		t.Fatalf("nvrmVersion = %q, want 580.65.06", got)
	}
	open := "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.124.06  Release Build  (dvs-builder@U16-I3-B13-4-2)\n"
	if got := nvrmVersion(open); got != "570.124.06" {
		t.Fatalf("open module: nvrmVersion = %q, want 570.124.06", got)
	}
	if got := nvrmVersion("something else\n"); got != "" {
		t.Fatalf("nvrmVersion of unrelated text = %q, want empty", got)
	}
}

func TestMemoryAdvice(t *testing.T) {
	msg := memoryAdvice(3<<20, 1<<30, 512<<20, 80<<30)
	for _, s := range []string{"3.0 MiB", "1024.0 MiB", "512.0 MiB free", "81920.0 MiB", "smaller --batch"} {
		if !strings.Contains(msg, s) {
			t.Errorf("advice %q does not mention %q", msg, s)
		}
	}
}
