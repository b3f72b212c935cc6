package cuda

// The host side of pipeline.cu's state blocks: how they are laid out,
// written at the start of an epoch and decoded after a read. Pure Go, built
// and tested without the gpu tag.

import (
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/gaborlab/gabor/kernels"
)

// Slots of a training loop's state (ST_* in pipeline.cu), 8 bytes each.
const (
	stK = iota
	stStep
	stSum
	stN
	stLast
	stBad
	stBadLoss
	stPos
	stSlots
)

// Slots of an evaluation loop's state: loss sum, correct count, position.
const (
	esLoss = iota
	esCorrect
	esPos
	esSlots
)

// maxPos is the largest set the kernels can walk: positions travel as exact
// integers in a float (2^24).
const maxPos = 1 << 24

// epochState is a training loop's state at the start of an epoch: step 0
// of the epoch, firstStep of the run, nothing sampled, no bad loss.
func epochState(firstStep int) [stSlots]uint64 {
	var s [stSlots]uint64
	s[stStep] = uint64(firstStep)
	s[stBad] = math.MaxUint64 // −1
	return s
}

// lossStats decodes a training loop's state.
func lossStats(s [stSlots]uint64) kernels.LossStats {
	return kernels.LossStats{
		Sum:     math.Float64frombits(s[stSum]),
		N:       int(int64(s[stN])),
		Last:    math.Float32frombits(uint32(s[stLast])),
		BadStep: int(int64(s[stBad])),
		BadLoss: math.Float32frombits(uint32(s[stBadLoss])),
	}
}

// stepsDone is the epoch step counter of a state (how many steps ran).
func stepsDone(s [stSlots]uint64) int { return int(int64(s[stK])) }

// evalResult decodes an evaluation loop's state.
func evalResult(s [esSlots]uint64) (correct int, loss float64) {
	return int(int64(s[esCorrect])), math.Float64frombits(s[esLoss])
}

// evalBatches is the number of batches of B that cover n images.
func evalBatches(n, batch int) int { return ceilDiv(n, batch) }

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
