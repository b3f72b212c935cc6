package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/gaborlab/gabor/kernels"
	"github.com/spf13/cobra"
)

type devicesOptions struct {
	IO   *ioStreams
	JSON bool
	// open opens a backend by name; kernels.Open unless a test replaces it.
	open func(string) (kernels.Backend, error)
	// names lists the registered backends; kernels.Names unless a test replaces it.
	names func() []string
}

// deviceInfo is one row of `gabor devices` (and one element of its JSON "devices").
type deviceInfo struct {
	Name        string `json:"name"`
	Available   bool   `json:"available"`
	Device      string `json:"device,omitempty"`
	MemoryBytes int64  `json:"memory_bytes,omitempty"`
	Threads     int    `json:"threads,omitempty"`
	Graphs      bool   `json:"graphs"`
	Driver      string `json:"driver,omitempty"`
	// CPUPath is the CPU backend's kernel path (generic, avx2, avx512, neon; GABOR_CPU picks one).
	CPUPath string `json:"cpu_path,omitempty"`
	Error   string `json:"error,omitempty"`
}

// devicesReport is the --json output: every backend built in, and what --device auto picks.
type devicesReport struct {
	Devices []deviceInfo `json:"devices"`
	Auto    string       `json:"auto"`
}

func newCmdDevices(f *factory, runF func(*devicesOptions) error) *cobra.Command {
	opts := &devicesOptions{IO: f.IO, open: kernels.Open, names: kernels.Names}
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List the compute devices this binary can train on",
		Long: `List the backends built into this binary and whether each opens here.

The CPU backend is always present. The CUDA backend is present only in a binary built
with the gpu tag (make gpu); it is listed as unavailable when no NVIDIA GPU or driver
is found, else with the GPU's name, memory, SM count, whether training steps replay
as CUDA graphs, and the driver's version. --device auto picks cuda when it opens,
else cpu.

The CPU backend runs the fastest kernel path this processor supports (avx512,
avx2 with FMA, neon on arm64, or generic Go); the environment variable
GABOR_CPU=generic|avx2|avx512|neon picks another, and a path the processor lacks
makes the CPU backend unavailable with a message saying which paths it has.`,
		Example: `  gabor devices
  gabor devices --json | jq -r .auto
  GABOR_CPU=generic gabor devices`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runDevices(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object")
	return cmd
}

func listDevices(opts *devicesOptions) devicesReport {
	var rep devicesReport
	for _, name := range opts.names() {
		info := deviceInfo{Name: name}
		b, err := opts.open(name)
		if err != nil {
			info.Error = err.Error()
		} else {
			c := b.Caps()
			info.Available = true
			info.Device, info.MemoryBytes, info.Threads = c.Device, c.MemoryBytes, c.Threads
			info.Graphs, info.Driver = c.Graphs, c.Driver
			if kp, ok := b.(interface{ CPUPath() string }); ok {
				info.CPUPath = kp.CPUPath()
			}
			// The same preference as kernels.Open("auto"): cuda first, then cpu.
			if rep.Auto == "" || name == "cuda" {
				rep.Auto = name
			}
		}
		rep.Devices = append(rep.Devices, info)
	}
	return rep
}

func runDevices(opts *devicesOptions) error {
	rep := listDevices(opts)
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(rep)
	}
	if len(rep.Devices) == 0 {
		return fmt.Errorf("no backends are built into this binary")
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tDEVICE\tMEMORY\tTHREADS/SMs\tGRAPHS\tDRIVER")
	for _, d := range rep.Devices {
		if !d.Available {
			fmt.Fprintf(tw, "%s\tunavailable\t%s\t\t\t\t\n", d.Name, d.Error)
			continue
		}
		mem, driver := "-", "-"
		if d.MemoryBytes > 0 {
			mem = fmt.Sprintf("%.1f GiB", float64(d.MemoryBytes)/(1<<30))
		}
		if d.Driver != "" {
			driver = d.Driver
		}
		fmt.Fprintf(tw, "%s\tok\t%s\t%s\t%d\t%v\t%s\n", d.Name, d.Device, mem, d.Threads, d.Graphs, driver)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, d := range rep.Devices {
		if d.CPUPath != "" {
			fmt.Fprintf(opts.IO.Out, "%s kernels: %s (GABOR_CPU=generic|avx2|avx512|neon picks another)\n", d.Name, d.CPUPath)
		}
	}
	if rep.Auto != "" {
		fmt.Fprintf(opts.IO.Out, "--device auto uses %s\n", rep.Auto)
	}
	return nil
}
