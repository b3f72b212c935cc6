package cuda

// The parts of the backend that need no GPU: the driver's version string
// and the out-of-memory advice. Pure Go, built and tested without the gpu
// tag.

import (
	"fmt"
	"os"
	"strings"
)

// nvrmVersion extracts the kernel driver's version from the text of
// /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX x86_64 Kernel
// Module  580.65.06  Sun Jul 27 ..."), or "" when it is not there.
func nvrmVersion(text string) string {
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "NVRM version:") {
			continue
		}
		// The first dotted number: "580.65.06" (the open module's line has
		// "for x86_64" between "Module" and the version).
		for _, f := range strings.Fields(line) {
			if isVersion(f) {
				return f
			}
		}
	}
	return ""
}

// isVersion reports whether s is digits separated by single dots, with at
// least one dot.
func isVersion(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// driverString is Caps.Driver: the kernel driver's version when the
// system shows it, and the CUDA version the driver API reports (v =
// 1000·major + 10·minor).
func driverString(v int) string {
	api := fmt.Sprintf("CUDA %d.%d", v/1000, v%1000/10)
	b, err := os.ReadFile("/proc/driver/nvidia/version")
	if err != nil {
		return api
	}
	if d := nvrmVersion(string(b)); d != "" {
		return d + " (" + api + ")"
	}
	return api
}

// memoryAdvice is what an out-of-memory message adds: the memory this
// executable holds and asks for, what the device has free, and the way out.
func memoryAdvice(arena, asked, free, total int64) string {
	return fmt.Sprintf("this model holds %s on the device (arena and workspace) and asked for %s more; the device has %s free of %s: train with a smaller --batch, or free the GPU of other processes",
		mib(arena), mib(asked), mib(free), mib(total))
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
