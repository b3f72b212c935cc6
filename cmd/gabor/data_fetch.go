package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/spf13/cobra"
)

type dataFetchOptions struct {
	IO      *ioStreams
	Name    string
	Dir     string   // "": data.CacheDir(Name)
	Mirrors []string // override the catalog's mirrors

	// checksums and client replace the catalog's MD5s and the default HTTP client;
	// only tests set them (a loopback server serving small files).
	checksums map[string]string
	client    *http.Client
}

func newCmdDataFetch(f *factory, runF func(*dataFetchOptions) error) *cobra.Command {
	opts := &dataFetchOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "fetch NAME",
		Short: "Download a dataset and check its files against the published checksums",
		Long: `Download the four .gz files of a dataset from the usual public mirrors into
~/.cache/gabor/NAME (or --dir), trying each mirror in turn. Every file is checked
against its published MD5 and validated as IDX before it is moved into place, so an
interrupted or corrupt download never leaves a file behind that looks complete.
Files already present and valid are not downloaded again.

Datasets: ` + strings.Join(fileDatasetNames(), ", ") + `. Fashion-MNIST is also packaged by
Debian and Ubuntu (apt-get install dataset-fashion-mnist), which needs no fetch.`,
		Example: `  gabor data fetch mnist
  gabor data fetch fashion-mnist --dir ~/datasets/fashion-mnist
  gabor data fetch kmnist --mirror https://example.org/kmnist/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("data fetch takes one dataset name (%s), got %d arguments", strings.Join(fileDatasetNames(), ", "), len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			name := strings.ToLower(args[0])
			if name == data.SyntheticName {
				return usagef("the synthetic dataset is generated on the fly; there is nothing to fetch")
			}
			if err := checkDatasetName(name); err != nil {
				return err
			}
			opts.Name = name
			for _, m := range opts.Mirrors {
				if !strings.HasPrefix(m, "http://") && !strings.HasPrefix(m, "https://") {
					return usagef("--mirror must be an http:// or https:// URL, got %q", m)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return runDataFetch(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "download into `DIR` (default ~/.cache/gabor/NAME)")
	cmd.Flags().StringSliceVar(&opts.Mirrors, "mirror", nil, "base `URL` to download from instead of the known mirrors (repeatable)")
	return cmd
}

func runDataFetch(ctx context.Context, opts *dataFetchOptions) error {
	dir, err := data.Fetch(ctx, opts.Name, opts.Dir, data.FetchOptions{
		BaseURLs: opts.Mirrors, Checksums: opts.checksums, Client: opts.client, Progress: opts.IO.ErrOut,
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &dataError{err}
	}
	// The files are checked for checksums; check their content too, as train will.
	if _, err := data.Verify(opts.Name, dir); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "%s: ready in %s\n", opts.Name, dir)
	return nil
}
