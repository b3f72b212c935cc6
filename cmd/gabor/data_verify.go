package main

import (
	"fmt"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/spf13/cobra"
)

type dataVerifyOptions struct {
	IO      *ioStreams
	Names   []string // datasets to check; none: every file-backed dataset found
	DataDir string
}

func newCmdDataVerify(f *factory, runF func(*dataVerifyOptions) error) *cobra.Command {
	opts := &dataVerifyOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "verify [NAME...]",
		Short: "Check dataset files: magic numbers, sizes, counts, labels",
		Long: `Read every file of the named datasets and check what gabor train relies on: the
IDX magic numbers, that each file holds exactly the bytes its header declares (a
truncated .gz is caught), 28×28 images, as many labels as images, labels in range.

Without NAME it checks every dataset whose files are found; with --data DIR it checks
the files in DIR. Each problem is printed with the file it concerns, and the exit
status is 3 when any file is bad or a named dataset is missing.`,
		Example: `  gabor data verify
  gabor data verify fashion-mnist
  gabor data verify --data ./my-mnist`,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				if err := checkDatasetName(a); err != nil {
					return err
				}
				opts.Names = append(opts.Names, strings.ToLower(a))
			}
			if len(opts.Names) > 1 && opts.DataDir != "" {
				return usagef("--data checks one directory: give at most one NAME with it")
			}
			if runF != nil {
				return runF(opts)
			}
			return runDataVerify(opts)
		},
	}
	cmd.Flags().StringVar(&opts.DataDir, "data", "", "check the four IDX files in `DIR`")
	return cmd
}

// verifyTarget is one dataset to check and whether it was asked for by name (a named
// dataset that is missing is a failure; an unnamed one is just skipped).
type verifyTarget struct {
	name, dir string
	named     bool
}

func runDataVerify(opts *dataVerifyOptions) error {
	var targets []verifyTarget
	switch {
	case opts.DataDir != "":
		name := datasetForDir(opts.DataDir)
		if len(opts.Names) == 1 {
			name = opts.Names[0]
		}
		targets = append(targets, verifyTarget{name, opts.DataDir, true})
	case len(opts.Names) > 0:
		for _, n := range opts.Names {
			targets = append(targets, verifyTarget{n, "", true})
		}
	default:
		for _, n := range fileDatasetNames() {
			targets = append(targets, verifyTarget{n, "", false})
		}
	}
	out, bad, checked := opts.IO.Out, 0, 0
	for _, t := range targets {
		if t.name == data.SyntheticName {
			fmt.Fprintf(out, "ok    synthetic: generated, no files to check\n")
			checked++
			continue
		}
		spec, err := data.Lookup(t.name)
		if err != nil {
			return err
		}
		dir, looked := data.Locate(spec.Name, t.dir)
		if dir == "" {
			if t.named {
				fmt.Fprintf(out, "FAIL  %s: not found; looked in %s\n", spec.Name, strings.Join(looked, ", "))
				bad++
				checked++
			}
			continue
		}
		checked++
		ds, err := data.LoadDir(spec, dir)
		if err != nil {
			for _, e := range flattenErrors(err) {
				fmt.Fprintf(out, "FAIL  %s: %v\n", spec.Name, e)
			}
			bad++
			continue
		}
		fmt.Fprintf(out, "ok    %s\n", ds)
	}
	switch {
	case checked == 0:
		return &dataError{fmt.Errorf("no dataset files found to verify; looked for %s (see 'gabor data fetch --help')",
			strings.Join(fileDatasetNames(), ", "))}
	case bad > 0:
		fmt.Fprintf(opts.IO.ErrOut, "gabor: %d of %d datasets failed verification\n", bad, checked)
		return errSilentData
	}
	return nil
}

// flattenErrors lists the errors an errors.Join holds, each on its own.
func flattenErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flattenErrors(e)...)
		}
		return out
	}
	return []error{err}
}
