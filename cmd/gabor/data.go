package main

import (
	"github.com/spf13/cobra"
)

func newCmdData(f *factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data <command>",
		Short: "Find, inspect, check and download datasets",
		Long: `Datasets of the MNIST family are four IDX files (raw or .gz):
train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
t10k-labels-idx1-ubyte. Without --data, gabor looks for NAME in, in order:
$GABOR_DATA/NAME, $GABOR_DATA, ~/.cache/gabor/NAME, and for fashion-mnist
/usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist package).
"synthetic" is generated on the fly and needs no files.`,
		Example: `  gabor data info fashion-mnist
  gabor data verify --data ./my-mnist
  gabor data fetch mnist`,
		Args:                       cobra.ArbitraryArgs,
		RunE:                       helpOrUnknown,
		SuggestionsMinimumDistance: 2,
	}
	cmd.AddCommand(
		newCmdDataInfo(f, nil),
		newCmdDataVerify(f, nil),
		newCmdDataFetch(f, nil),
	)
	return cmd
}

// datasetArg checks an optional dataset name argument against the catalog.
func datasetArg(args []string) (string, error) {
	if len(args) == 0 {
		return "", nil
	}
	if err := checkDatasetName(args[0]); err != nil {
		return "", err
	}
	return args[0], nil
}
