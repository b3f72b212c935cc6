package main

import (
	"errors"
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
		info, err := data.Verify(t.name, t.dir)
		var nf *data.NotFoundError
		switch {
		case errors.As(err, &nf) && !t.named:
			continue // not installed, not asked for
		case errors.As(err, &nf):
			fmt.Fprintf(out, "FAIL  %s: not found; looked in %s\n", t.name, strings.Join(nf.Looked, ", "))
			bad++
			checked++
			continue
		}
		checked++
		if err != nil {
			for _, e := range flattenErrors(err) {
				fmt.Fprintf(out, "FAIL  %s: %v\n", t.name, e)
			}
			bad++
			continue
		}
		for _, fs := range info.Files {
			sum := "md5 " + fs.MD5
			switch {
			case fs.Published:
				sum += " (the published checksum)"
			case fs.PublishedMD5 != "":
				sum += " (not the published " + fs.PublishedMD5 + ": a repackaged copy, content valid)"
			}
			fmt.Fprintf(out, "ok    %s  %s\n", fs.Path, sum)
		}
		fmt.Fprintf(out, "ok    %s: train %d, test %d images, %d×%d, %d classes (%s)\n",
			info.Name, info.Train.N, info.Test.N, info.Train.H, info.Train.W, info.Train.Classes, info.Source)
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
