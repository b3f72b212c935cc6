package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/spf13/cobra"
)

type dataConvertOptions struct {
	IO     *ioStreams
	Name   string // a catalog name, or "" when Path is one's own data
	Path   string
	Out    string
	Gzip   bool
	Seed   uint64 // synthetic only
	Source data.SourceOptions
}

func newCmdDataConvert(f *factory, runF func(*dataConvertOptions) error) *cobra.Command {
	opts := &dataConvertOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "convert NAME|PATH OUT_DIR",
		Short: "Write a dataset (an image folder, .npz/.npy, CSV, or a named set) as the four IDX files",
		Long: `Read a dataset the way gabor train would and write it to OUT_DIR as the four
standard IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; .gz with --gzip), plus classes.txt
with the class names, one per line (IDX files have no place for them).

One's own data is written as training sees it: 28×28 gray (resized with
Catmull-Rom, said on stderr), with the held-out test split when the source has none
(--test-fraction, --split-seed), so training on OUT_DIR sees the same images.`,
		Example: `  gabor data convert ./my-pngs ./my-idx
  gabor data convert mnist.npz ~/datasets/mnist --gzip
  gabor data convert train.csv ./digits-idx --test-fraction 0.1`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("convert takes a source (NAME or PATH) and OUT_DIR, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if isOwnDataPath(args[0]) {
				opts.Path = args[0]
			} else {
				if err := checkDatasetName(args[0]); err != nil {
					return err
				}
				opts.Name = strings.ToLower(args[0])
			}
			opts.Out = args[1]
			if err := checkSource(opts.Source); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runDataConvert(opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Gzip, "gzip", false, "write .gz files")
	fl.Uint64Var(&opts.Seed, "seed", 0, "seed of the synthetic set")
	addSourceFlags(fl, &opts.Source) // data_source.go
	return cmd
}

func runDataConvert(opts *dataConvertOptions) error {
	name, dir := opts.Name, ""
	if name == "" {
		name, dir = datasetForDir(opts.Path), opts.Path
	}
	ds, err := data.Load(name, dir, data.LoadOptions{Seed: opts.Seed, Source: opts.Source})
	if err != nil {
		return err
	}
	for _, n := range ds.Notes {
		fmt.Fprintln(opts.IO.ErrOut, n)
	}
	if err := data.WriteDir(ds, opts.Out, opts.Gzip); err != nil {
		return err
	}
	if err := data.WriteClassNames(filepath.Join(opts.Out, data.ClassNamesFile), ds.ClassNames); err != nil {
		return err
	}
	_, err = fmt.Fprintf(opts.IO.Out, "wrote %s to %s: train %d, test %d, %d×%d, %d classes\n",
		ds.Name, opts.Out, ds.Train.N, ds.Test.N, ds.Train.H, ds.Train.W, ds.Train.Classes)
	return err
}
