package bench

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

// resetPeakRSS asks the kernel to restart the process's resident high-water
// mark from the current RSS (writing "5" to /proc/self/clear_refs, Linux ≥
// 4.0). It reports whether that worked; if not, PeakRSS stays the peak since
// the process started.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// PeakRSS is the process's resident high-water mark in bytes (VmHWM of
// /proc/self/status), or 0 where it cannot be read.
func PeakRSS() int64 {
	v := procField("/proc/self/status", "VmHWM")
	f := strings.Fields(v)
	if len(f) != 2 || f[1] != "kB" {
		return 0
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0
	}
	return n << 10
}

// goMem is a snapshot of the Go allocator's counters.
type goMem struct {
	totalAlloc uint64 // bytes allocated since the process started
	heapInuse  uint64
}

func readGoMem() goMem {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return goMem{totalAlloc: ms.TotalAlloc, heapInuse: ms.HeapInuse}
}
