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
"synthetic" is generated on the fly and needs no files.

One's own data is given with --data PATH (or as PATH to info and convert):
  an image folder   PATH/train/<class>/*.png|jpg|gif and PATH/test/<class>/*,
                    or PATH/<class>/* (a test split is held out: --test-fraction)
  NumPy             an .npz with x_train, y_train (and x_test, y_test), as Keras'
                    mnist.npz, or a folder of those four .npy files
  CSV               a file with one row per image, the label then the pixels
                    (Kaggle's digit-recognizer layout), or a folder with train.csv
                    and test.csv
Images become 28×28 gray (resized with Catmull-Rom unless --no-resize); inputs are
normalized with the training split's own mean and std unless --normalize says
otherwise. See docs/data.md.`,
		Example: `  gabor data info fashion-mnist
  gabor data verify --data ./my-mnist
  gabor data fetch mnist
  gabor data info ./my-pngs
  gabor data convert mnist.npz ./mnist-idx`,
		Args:                       cobra.ArbitraryArgs,
		RunE:                       helpOrUnknown,
		SuggestionsMinimumDistance: 2,
	}
	cmd.AddCommand(
		newCmdDataInfo(f, nil),
		newCmdDataVerify(f, nil),
		newCmdDataFetch(f, nil),
		newCmdDataConvert(f, nil),
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
