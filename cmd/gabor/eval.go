package main

import (
	"strings"

	"github.com/gaborlab/gabor/data"
	"github.com/gaborlab/gabor/train"
	"github.com/spf13/cobra"
)

type evalOptions struct {
	IO         *ioStreams
	Checkpoint string
	Dataset    string // "": the dataset the checkpoint was trained on
	DataDir    string
	Device     string
	Batch      int // 0: the training batch size
	TestLimit  int
	JSON       bool
}

// evalEvent is the --json output of `gabor eval`: one line.
type evalEvent struct {
	Event      string  `json:"event"` // "eval"
	Checkpoint string  `json:"checkpoint"`
	Model      string  `json:"model"`
	Dataset    string  `json:"dataset"`
	Device     string  `json:"device"`
	N          int     `json:"n"` // test images evaluated
	TestAcc    float64 `json:"test_acc"`
	TestLoss   float64 `json:"test_loss"`
	Epoch      int     `json:"epoch,omitempty"` // epochs trained when the checkpoint was written
}

func newCmdEval(f *factory, runF func(*evalOptions) error) *cobra.Command {
	opts := &evalOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "eval --checkpoint FILE [flags]",
		Short: "Report the test accuracy of a checkpoint",
		Long: `Load a checkpoint written by gabor train (a safetensors file whose metadata holds
the training config) and evaluate it on the test split of the dataset it was trained
on, or of --dataset / --data. A run directory may be given instead of a file: its
latest checkpoint is used.`,
		Example: `  gabor eval --checkpoint runs/lenet-20260101-120000/checkpoint.safetensors
  gabor eval --checkpoint runs/lenet-20260101-120000 --json
  gabor eval --checkpoint mlp.safetensors --dataset mnist --device cuda`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Checkpoint == "" {
				return usagef("--checkpoint is required")
			}
			if opts.Dataset != "" {
				if err := checkDatasetName(opts.Dataset); err != nil {
					return err
				}
				opts.Dataset = strings.ToLower(opts.Dataset)
				if opts.Dataset == data.SyntheticName && opts.DataDir != "" {
					return usagef("--data cannot be used with --dataset synthetic (it is generated, not read)")
				}
			}
			if err := checkDeviceName(opts.Device); err != nil {
				return err
			}
			switch {
			case opts.Batch < 0:
				return usagef("--batch must be ≥ 1 (or 0 for the training batch size), got %d", opts.Batch)
			case opts.TestLimit < 0:
				return usagef("--test-limit must be ≥ 0, got %d", opts.TestLimit)
			}
			if runF != nil {
				return runF(opts)
			}
			return runEval(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Checkpoint, "checkpoint", "", "checkpoint `FILE` (.safetensors) or a run directory")
	fl.StringVar(&opts.Dataset, "dataset", "", "evaluate on this dataset (default: the one trained on)")
	fl.StringVar(&opts.DataDir, "data", "", "read the IDX files from `DIR`")
	fl.StringVar(&opts.Device, "device", train.DefaultConfig("lenet").Device, "device: "+strings.Join(train.Devices(), ", "))
	fl.IntVar(&opts.Batch, "batch", 0, "evaluation batch size (0: the training batch size)")
	fl.IntVar(&opts.TestLimit, "test-limit", 0, "evaluate the first `N` test images only (0: all)")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON object")
	return cmd
}
