package main

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/kernels"
	"github.com/gaborlab/gabor/models"
)

// The name checks every command shares. Each returns a usage error that lists the
// accepted names, so a typo is answered with the fix.

func checkModelName(name string) error {
	if !slices.Contains(models.Names(), name) {
		return usagef("unknown model %q (known: %s)", name, strings.Join(models.Names(), ", "))
	}
	return nil
}

func checkDatasetName(name string) error {
	if !slices.Contains(data.Names(), strings.ToLower(name)) && !data.IsFormat(name) {
		return usagef("unknown dataset %q (known: %s; formats of one's own data: %s)", name, strings.Join(data.Names(), ", "), strings.Join(data.Formats(), ", "))
	}
	return nil
}

// deviceNames are the values --device accepts: "auto" and every backend a gabor
// binary can have, whether or not this one has it built in ("cuda" in a CPU-only
// binary is a device error, exit 4, with a hint to build with the gpu tag).
func deviceNames() []string {
	names := []string{"auto", "cpu", "cuda"}
	for _, n := range kernels.Names() {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

func checkDeviceName(name string) error {
	if !slices.Contains(deviceNames(), name) {
		return usagef("unknown device %q (known: %s)", name, strings.Join(deviceNames(), ", "))
	}
	return nil
}

// checkOneOf is the check of a flag with a fixed set of values.
func checkOneOf(flag, value string, allowed ...string) error {
	if !slices.Contains(allowed, value) {
		return usagef("--%s must be one of %s, got %q", flag, strings.Join(allowed, ", "), value)
	}
	return nil
}

// defaultDataset is the dataset used when none is named: Fashion-MNIST when its
// files are found (GABOR_DATA, the user cache, Debian's package), else the built-in
// synthetic digits, which need no files.
func defaultDataset() string {
	if dir, _ := data.Locate("fashion-mnist", ""); dir != "" {
		return "fashion-mnist"
	}
	return data.SyntheticName
}

// datasetForDir names the dataset of a --data directory given without a name: the
// directory's own name when it is one of the catalog's (…/fashion-mnist), else
// "mnist", whose spec (28×28, 10 classes, digit class names) fits any MNIST-family set.
func datasetForDir(dir string) string {
	if f := data.DetectFormat(dir); f != "" {
		return f // one's own data: an image folder, NumPy arrays or CSV
	}
	base := strings.ToLower(filepath.Base(filepath.Clean(dir)))
	if _, err := data.Lookup(base); err == nil {
		return base
	}
	return "mnist"
}

// fileDatasetNames lists the datasets that are read from files (all but synthetic).
func fileDatasetNames() []string {
	var out []string
	for _, n := range data.Names() {
		if n != data.SyntheticName {
			out = append(out, n)
		}
	}
	return out
}
