package cpu

import (
	"fmt"
	"runtime"
	"strings"

	xcpu "golang.org/x/sys/cpu"
)

// deviceName describes this machine for kernels.Caps: "2-core CPU (amd64, AVX-512)".
func deviceName() string {
	var feats []string
	switch runtime.GOARCH {
	case "amd64", "386":
		switch {
		case xcpu.X86.HasAVX512F:
			feats = append(feats, "AVX-512")
		case xcpu.X86.HasAVX2:
			feats = append(feats, "AVX2")
		case xcpu.X86.HasAVX:
			feats = append(feats, "AVX")
		}
		if xcpu.X86.HasFMA {
			feats = append(feats, "FMA")
		}
	case "arm64":
		if xcpu.ARM64.HasASIMD {
			feats = append(feats, "NEON")
		}
		if xcpu.ARM64.HasSVE {
			feats = append(feats, "SVE")
		}
	}
	desc := runtime.GOARCH
	if len(feats) > 0 {
		desc += ", " + strings.Join(feats, ", ")
	}
	return fmt.Sprintf("%d-core CPU (%s)", runtime.NumCPU(), desc)
}
