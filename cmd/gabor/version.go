package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/gaborlab/gabor/kernels"
	"github.com/spf13/cobra"
)

// version and commit are set at link time by the Makefile:
// -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = ""
)

type versionOptions struct {
	IO   *ioStreams
	JSON bool
}

// versionInfo is the --json output of `gabor version`.
type versionInfo struct {
	Version  string   `json:"version"`
	Commit   string   `json:"commit,omitempty"`
	Go       string   `json:"go"`
	OS       string   `json:"os"`
	Arch     string   `json:"arch"`
	Tags     []string `json:"tags"`
	Backends []string `json:"backends"`
}

func newCmdVersion(f *factory, runF func(*versionOptions) error) *cobra.Command {
	opts := &versionOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the Go toolchain and the backends built in",
		Example: `  gabor version
  gabor version --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runVersion(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object")
	return cmd
}

func currentVersion() versionInfo {
	v := versionInfo{
		Version: version, Commit: commit,
		Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Tags: buildTags(), Backends: kernels.Names(),
	}
	// A `go install` of a tagged module carries its version in the build info.
	if v.Version == "dev" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
	}
	return v
}

func runVersion(opts *versionOptions) error {
	v := currentVersion()
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(v)
	}
	c := ""
	if v.Commit != "" {
		c = " (" + v.Commit + ")"
	}
	tags := "none"
	if len(v.Tags) > 0 {
		tags = strings.Join(v.Tags, ",")
	}
	_, err := fmt.Fprintf(opts.IO.Out, "gabor %s%s\n%s %s/%s, build tags: %s, backends: %s\n",
		v.Version, c, v.Go, v.OS, v.Arch, tags, strings.Join(v.Backends, ", "))
	return err
}
