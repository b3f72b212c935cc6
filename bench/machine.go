package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gaborlab/gabor/kernels"
)

// Machine describes where a report was measured. Timings on a shared machine
// depend on what else runs: the load averages before and after say how busy
// it was.
type Machine struct {
	Date        string       `json:"date"` // RFC 3339, local time
	Hostname    string       `json:"hostname,omitempty"`
	OS          string       `json:"os"`
	Arch        string       `json:"arch"`
	CPU         string       `json:"cpu,omitempty"` // model name from /proc/cpuinfo
	CPUs        int          `json:"cpus"`          // logical CPUs
	GOMAXPROCS  int          `json:"gomaxprocs"`
	GoVersion   string       `json:"go_version"`
	MemoryBytes int64        `json:"memory_bytes,omitempty"`
	LoadBefore  []float64    `json:"load_before,omitempty"` // 1, 5, 15-minute load averages
	LoadAfter   []float64    `json:"load_after,omitempty"`
	Gabor       string       `json:"gabor_version,omitempty"`
	BuildTags   []string     `json:"build_tags"`
	Devices     []DeviceInfo `json:"devices"`
}

// DeviceInfo is one device a report ran on.
type DeviceInfo struct {
	Name        string `json:"name"`
	Device      string `json:"device"`
	Threads     int    `json:"threads"`
	MemoryBytes int64  `json:"memory_bytes,omitempty"`
	Driver      string `json:"driver,omitempty"`
}

// Describe reads the machine's description and the capabilities of the given
// devices (those that do not open are left out).
func Describe(devices []string) Machine {
	host, _ := os.Hostname()
	m := Machine{
		Date: time.Now().Format(time.RFC3339), Hostname: host,
		OS: runtime.GOOS, Arch: runtime.GOARCH,
		CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		CPU: procField("/proc/cpuinfo", "model name"), BuildTags: []string{},
		LoadBefore: LoadAverage(),
	}
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		if n, err := strconv.ParseInt(strings.Fields(kb)[0], 10, 64); err == nil {
			m.MemoryBytes = n << 10
		}
	}
	for _, d := range devices {
		be, err := kernels.Open(d)
		if err != nil {
			continue
		}
		c := be.Caps()
		m.Devices = append(m.Devices, DeviceInfo{Name: d, Device: c.Device, Threads: c.Threads, MemoryBytes: c.MemoryBytes, Driver: c.Driver})
	}
	return m
}

// LoadAverage is the 1, 5 and 15-minute load averages (nil where
// /proc/loadavg cannot be read).
func LoadAverage() []float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return nil
	}
	out := make([]float64, 3)
	for i := range out {
		if out[i], err = strconv.ParseFloat(f[i], 64); err != nil {
			return nil
		}
	}
	return out
}

// procField returns the value of the first "key: value" line of a /proc file,
// trimmed, or "".
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
