package cpu

import (
	"strings"
	"testing"
)

// forEachPath runs fn as a subtest per CPU path this machine supports, with
// that path active, and restores the start-up path afterwards. The path is
// global, so fn's subtests must finish inside it (t.Run waits for parallel
// subtests, so they do).
func forEachPath(t *testing.T, fn func(t *testing.T, p cpuPath)) {
	t.Helper()
	saved := activePath
	defer setPath(saved)
	for _, p := range cpuPaths() {
		setPath(p)
		t.Run(p.String(), func(t *testing.T) { fn(t, p) })
	}
}

// withPath runs fn with path p active, then restores the previous one.
func withPath(p cpuPath, fn func()) {
	saved := activePath
	setPath(p)
	defer setPath(saved)
	fn()
}

func TestChoosePath(t *testing.T) {
	have := cpuPaths()
	if len(have) == 0 || have[len(have)-1] != pathGeneric {
		t.Fatalf("cpuPaths() = %v: generic must be last", have)
	}
	for _, env := range []string{"", "auto", " AUTO "} {
		if p, err := choosePath(env); err != nil || p != have[0] {
			t.Errorf("choosePath(%q) = %v, %v; want %v, nil", env, p, err, have[0])
		}
	}
	for _, p := range []cpuPath{pathGeneric, pathAVX2, pathAVX512, pathNEON} {
		got, err := choosePath(p.String())
		if pathSupported(p) {
			if err != nil || got != p {
				t.Errorf("choosePath(%q) = %v, %v; want %v, nil", p, got, err, p)
			}
			continue
		}
		if err == nil || got != have[0] || !strings.Contains(err.Error(), "cannot run the "+p.String()) {
			t.Errorf("choosePath(%q) on a machine without it = %v, %v; want %v and an error", p, got, err, have[0])
		}
	}
	if _, err := choosePath("sse9"); err == nil || !strings.Contains(err.Error(), "not a CPU path") {
		t.Errorf("choosePath(sse9): err = %v", err)
	}
}

// TestPathSwitchesKernels checks that setPath reaches the GEMM kernel and
// what Backend reports.
func TestPathSwitchesKernels(t *testing.T) {
	forEachPath(t, func(t *testing.T, p cpuPath) {
		if got := (Backend{}).CPUPath(); got != p.String() {
			t.Errorf("CPUPath() = %q", got)
		}
		if want := sgemmKernelFor(p); sgemmActive != want {
			t.Errorf("sgemmActive = %s, want %s", sgemmActive.name, want.name)
		}
		if streamVec() != p.vectorLoops() {
			t.Errorf("streamVec() = %v", streamVec())
		}
	})
}

// ForEachPath is forEachPath for the external tests (cpu_test.go).
func ForEachPath(t *testing.T, fn func(t *testing.T)) {
	forEachPath(t, func(t *testing.T, _ cpuPath) { fn(t) })
}

// PathVariant is a CPU path for the external tests: its name, and Use,
// which makes it active and returns the function that restores the last.
type PathVariant struct {
	Name string
	Use  func() (restore func())
}

// PathVariants are the CPU paths this machine supports (BenchmarkKernels in
// cpu_test.go runs every family on each).
func PathVariants() []PathVariant {
	var vs []PathVariant
	for _, p := range cpuPaths() {
		vs = append(vs, PathVariant{Name: p.String(), Use: func() func() {
			saved := activePath
			setPath(p)
			return func() { setPath(saved) }
		}})
	}
	return vs
}

// benchPaths runs fn as a sub-benchmark per CPU path this machine supports
// (the last element of the name: Benchmark<Family>/<shape>/<path>).
func benchPaths(b *testing.B, fn func(b *testing.B)) {
	saved := activePath
	defer setPath(saved)
	for _, p := range cpuPaths() {
		setPath(p)
		b.Run(p.String(), fn)
	}
}
