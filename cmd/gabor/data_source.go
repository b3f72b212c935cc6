package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/train"
	"github.com/spf13/pflag"
)

// The flags of one's own data (an image folder, .npy/.npz, CSV), shared by train,
// data info and data convert: how the source is read (--test-fraction, --split-seed,
// --no-resize) and, for train, --normalize.

func addSourceFlags(fl *pflag.FlagSet, o *data.SourceOptions) {
	fl.Float64Var(&o.TestFraction, "test-fraction", 0, fmt.Sprintf("share of one's own data held out for testing when it has no test split (0: %g)", data.DefaultTestFraction))
	fl.Uint64Var(&o.SplitSeed, "split-seed", 0, "seed of the held-out test split")
	fl.BoolVar(&o.NoResize, "no-resize", false, fmt.Sprintf("refuse images that are not %d×%d instead of resizing them", data.InputSize, data.InputSize))
}

func checkSource(o data.SourceOptions) error {
	if err := o.Validate(); err != nil {
		return usagef("--%v", err)
	}
	return nil
}

// normalizeUsage is the help of --normalize.
const normalizeUsage = "input normalization: data (mean and std of the training split), fashion-mnist (0.2860, 0.3530), none, or MEAN,STD " +
	"(default: data for one's own data, fashion-mnist for the named sets)"

// checkNormalize validates a --normalize value ("" is the default).
func checkNormalize(s string) error {
	if s == "" {
		return nil
	}
	if _, err := data.ParseNormalize(s); err != nil {
		return usagef("--%v", err)
	}
	return nil
}

// resolveNormalization fixes the run's normalization from --normalize (or the
// dataset's default) and the loaded training split, and records the class names.
func resolveNormalization(cfg *train.Config, flag string, ds *data.Dataset) (string, error) {
	mode := flag
	if mode == "" {
		mode = data.DefaultNormalize(cfg.Dataset)
	}
	n, err := data.ParseNormalize(mode)
	if err != nil {
		return "", usagef("--%v", err)
	}
	cfg.Norm = n.Resolve(ds.Train)
	cfg.ClassNames = strings.Join(ds.ClassNames, "\n")
	msg := "normalization: " + cfg.Norm.String()
	if cfg.Norm.Mode == data.NormData {
		msg += fmt.Sprintf(", from the %d training images", ds.Train.N)
	}
	return msg, nil
}

// isOwnDataPath says whether a positional argument is a path to one's own data rather
// than a dataset name: something that exists and is not a catalog name.
func isOwnDataPath(arg string) bool {
	if slices.Contains(data.Names(), strings.ToLower(arg)) || data.IsFormat(arg) {
		return false
	}
	_, err := os.Stat(arg)
	return err == nil || strings.ContainsAny(arg, `/\.`)
}
