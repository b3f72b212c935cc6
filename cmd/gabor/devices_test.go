package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/kernels"
)

// fakeBackend is a backend that only describes itself.
type fakeBackend struct {
	name string
	caps kernels.Caps
}

func (b fakeBackend) Name() string       { return b.name }
func (b fakeBackend) Caps() kernels.Caps { return b.caps }
func (b fakeBackend) Load(*kernels.Program) (kernels.Executable, error) {
	return nil, errors.New("fake backend runs nothing")
}

// fakeCPU is a CPU backend that also names its kernel path.
type fakeCPU struct{ fakeBackend }

func (fakeCPU) CPUPath() string { return "avx2" }

// fakeDevices has a CPU and a CUDA backend; cuda opens only when gpuPresent.
func fakeDevices(o *devicesOptions, gpuPresent bool) {
	o.names = func() []string { return []string{"cpu", "cuda"} }
	o.open = func(name string) (kernels.Backend, error) {
		switch {
		case name == "cpu":
			return fakeCPU{fakeBackend{"cpu", kernels.Caps{Device: "4-core CPU (test)", Threads: 4}}}, nil
		case name == "cuda" && gpuPresent:
			return fakeBackend{"cuda", kernels.Caps{Device: "Test GPU", MemoryBytes: 80 << 30, Threads: 132, Graphs: true, Driver: "580.0"}}, nil
		}
		return nil, errors.New("no CUDA device found")
	}
}

func TestDevicesFlags(t *testing.T) {
	f, _, _ := testFactory()
	var got *devicesOptions
	if err := parse(newCmdDevices(f, func(o *devicesOptions) error { got = o; return nil }), "--json"); err != nil {
		t.Fatal(err)
	}
	if !got.JSON {
		t.Error("--json not set")
	}
	err := parse(newCmdDevices(f, func(o *devicesOptions) error { return nil }), "cuda")
	if exitCode(err) != exitUsage {
		t.Errorf("positional argument: err %v, want a usage error", err)
	}
}

func TestDevicesRun(t *testing.T) {
	tests := []struct {
		name       string
		gpu        bool
		json       bool
		wantAuto   string
		wantOut    []string
		wantCUDAOK bool
	}{
		{"no gpu, text", false, false, "cpu", []string{"cpu", "ok", "4-core CPU (test)", "cuda", "unavailable", "no CUDA device found", "cpu kernels: avx2", "--device auto uses cpu"}, false},
		{"gpu, text", true, false, "cuda", []string{"Test GPU", "80.0 GiB", "132", "580.0", "DRIVER", "--device auto uses cuda"}, true},
		{"no gpu, json", false, true, "cpu", nil, false},
		{"gpu, json", true, true, "cuda", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, _ := testFactory()
			args := []string{}
			if tt.json {
				args = append(args, "--json")
			}
			err := parse(newCmdDevices(f, func(o *devicesOptions) error {
				fakeDevices(o, tt.gpu)
				return runDevices(o)
			}), args...)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.json {
				for _, w := range tt.wantOut {
					if !strings.Contains(out.String(), w) {
						t.Errorf("output lacks %q:\n%s", w, out)
					}
				}
				return
			}
			var rep devicesReport
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if rep.Auto != tt.wantAuto || len(rep.Devices) != 2 {
				t.Fatalf("report %+v", rep)
			}
			cuda := rep.Devices[1]
			if cuda.Name != "cuda" || cuda.Available != tt.wantCUDAOK || (cuda.Error == "") == !tt.wantCUDAOK {
				t.Errorf("cuda entry %+v", cuda)
			}
			if cpu := rep.Devices[0]; !cpu.Available || cpu.Threads != 4 || cpu.CPUPath != "avx2" {
				t.Errorf("cpu entry %+v", cpu)
			}
		})
	}
}

// TestDevicesReal runs the command against the backends of this binary: the CPU
// backend is always built in and always opens.
func TestDevicesReal(t *testing.T) {
	out, _, code := runCLI(t, "devices", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var rep devicesReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range rep.Devices {
		if d.Name == "cpu" {
			found = d.Available && d.Threads > 0 && d.Device != ""
			if p := d.CPUPath; p != "generic" && p != "avx2" && p != "avx512" {
				t.Errorf("cpu_path = %q, want generic, avx2 or avx512", p)
			}
		}
	}
	if !found {
		t.Errorf("no usable cpu device in %s", out)
	}
}
