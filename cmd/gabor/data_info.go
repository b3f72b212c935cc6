package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/gaborlab/gabor/data"
	"github.com/spf13/cobra"
)

type dataInfoOptions struct {
	IO      *ioStreams
	Name    string // dataset name; empty: the default dataset (or the --data dir's)
	DataDir string
	Seed    uint64 // synthetic only
	JSON    bool
	Source  data.SourceOptions // one's own data
}

func newCmdDataInfo(f *factory, runF func(*dataInfoOptions) error) *cobra.Command {
	opts := &dataInfoOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "info [NAME | PATH]",
		Short: "Show where a dataset was found, its sizes, classes and pixel statistics",
		Long: `Load a dataset the way gabor train would, validate it, and describe it: where
its files are, image size, number of images per split, images per class and the
mean and standard deviation of its pixels (scaled to [0,1]).

Without NAME and --data it describes the default dataset: fashion-mnist when its
files are found, else synthetic.

A PATH (or --data PATH) may also be one's own data: an image folder, an .npz file or
a folder of x_train.npy…, a CSV file or a folder with train.csv (see 'gabor data
--help'). Its images are described as training sees them: 28×28 gray, resized if
need be (said on stderr), with a held-out test split when it has none.`,
		Example: `  gabor data info
  gabor data info fashion-mnist --json
  gabor data info --data ~/datasets/kmnist
  gabor data info synthetic --seed 3
  gabor data info ./my-pngs
  gabor data info mnist.npz --json
  gabor data info train.csv --test-fraction 0.1`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && isOwnDataPath(args[0]) {
				if opts.DataDir != "" {
					return usagef("give the data as PATH or as --data PATH, not both")
				}
				opts.DataDir, args = args[0], nil
			}
			name, err := datasetArg(args)
			if err != nil {
				return err
			}
			if err := checkSource(opts.Source); err != nil {
				return err
			}
			opts.Name = name
			if runF != nil {
				return runF(opts)
			}
			return runDataInfo(opts)
		},
	}
	cmd.Flags().StringVar(&opts.DataDir, "data", "", "read the four IDX files from `DIR` instead of searching")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 0, "seed of the synthetic set")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object")
	addSourceFlags(cmd.Flags(), &opts.Source) // data_source.go
	return cmd
}

// resolveDataset picks the dataset name from an explicit name, a --data directory, or
// the default; the bool says whether the default was taken (callers announce it).
func resolveDataset(name, dir string) (string, bool) {
	switch {
	case name != "":
		return strings.ToLower(name), false
	case dir != "":
		return datasetForDir(dir), false
	}
	return defaultDataset(), true
}

func runDataInfo(opts *dataInfoOptions) error {
	name, picked := resolveDataset(opts.Name, opts.DataDir)
	if picked {
		fmt.Fprintf(opts.IO.ErrOut, "dataset: %s (default)\n", name)
	}
	if opts.DataDir != "" && name == data.SyntheticName {
		return usagef("--data cannot be used with the synthetic dataset (it is generated, not read)")
	}
	ds, err := data.Load(name, opts.DataDir, data.LoadOptions{Seed: opts.Seed, Source: opts.Source})
	if err != nil {
		return err
	}
	for _, n := range ds.Notes {
		fmt.Fprintln(opts.IO.ErrOut, n)
	}
	info := data.Describe(ds)
	if opts.JSON {
		return json.NewEncoder(opts.IO.Out).Encode(info)
	}
	return printDatasetInfo(opts.IO, info, ds.Files)
}

func printDatasetInfo(io *ioStreams, info *data.Info, files []string) error {
	w := io.Out
	tr, te := info.Train, info.Test
	fmt.Fprintf(w, "%s: %d×%d images, %d classes\n", info.Name, tr.H, tr.W, tr.Classes)
	fmt.Fprintf(w, "source: %s\n", info.Source)
	for _, f := range files {
		fmt.Fprintf(w, "  %s\n", filepath.Base(f))
	}
	fmt.Fprintf(w, "train: %d images, pixel mean %.4f std %.4f\n", tr.N, tr.PixelMean, tr.PixelStd)
	fmt.Fprintf(w, "test:  %d images, pixel mean %.4f std %.4f\n", te.N, te.PixelMean, te.PixelStd)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tNAME\tTRAIN\tTEST")
	for c := 0; c < tr.Classes; c++ {
		name := ""
		if c < len(info.ClassNames) {
			name = info.ClassNames[c]
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\n", c, name, tr.ClassCounts[c], te.ClassCounts[c])
	}
	return tw.Flush()
}
