package data

import (
	"fmt"
	"sort"
	"strings"
)

// The four files of every MNIST-family set, by role. On disk each may be raw, or
// gzip-compressed with a ".gz" suffix; the ".idx" spelling (train-images.idx3-ubyte)
// that some unpackers produce is accepted too.
const (
	TrainImages = "train-images-idx3-ubyte"
	TrainLabels = "train-labels-idx1-ubyte"
	TestImages  = "t10k-images-idx3-ubyte"
	TestLabels  = "t10k-labels-idx1-ubyte"
)

// FileNames lists the four base names in the order train images, train labels, test
// images, test labels.
var FileNames = [4]string{TrainImages, TrainLabels, TestImages, TestLabels}

// Normalization of the canonical recipe: pixels/255, then (x − mean)/std with the
// Fashion-MNIST statistics. The canonical workloads use these constants for every
// dataset (MNIST's own would be 0.1307/0.3081), so runs on different sets differ only in
// their data, and so the reference programs' numbers can be matched exactly.
const (
	FashionMean float32 = 0.2860
	FashionStd  float32 = 0.3530
)

// Spec describes one named dataset of the MNIST family.
type Spec struct {
	Name       string
	Title      string
	Classes    int
	H, W       int
	ClassNames []string
	// Mirrors are base URLs tried in order; a file's URL is mirror + name + ".gz".
	Mirrors []string
	// MD5 of each published .gz file, keyed by its name with the ".gz" suffix.
	MD5 map[string]string
	// SystemDirs are searched after $GABOR_DATA and the user cache (distribution packages).
	SystemDirs []string
	// Install says how to get the files besides `gabor data fetch NAME`.
	Install string
}

var digitNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// catalog is the one table of datasets, mirrors and checksums.
var catalog = map[string]*Spec{
	"mnist": {
		Name: "mnist", Title: "MNIST handwritten digits", Classes: 10, H: 28, W: 28,
		ClassNames: digitNames,
		Mirrors: []string{
			"https://ossci-datasets.s3.amazonaws.com/mnist/",
			"http://yann.lecun.com/exdb/mnist/",
		},
		// The MD5s published with the files (yann.lecun.com) and listed per file in
		// torchvision's datasets.MNIST.resources; identical on the ossci-datasets mirror,
		// which serves the same bytes.
		MD5: map[string]string{
			TrainImages + ".gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
			TrainLabels + ".gz": "d53e105ee54ea40749a09fcbcd1e9432",
			TestImages + ".gz":  "9fb629c4189551a2d022fa330f9573f3",
			TestLabels + ".gz":  "ec29112dd5afa0611ce80d1b7f02629c",
		},
	},
	"fashion-mnist": {
		Name: "fashion-mnist", Title: "Fashion-MNIST (Zalando article images)", Classes: 10, H: 28, W: 28,
		ClassNames: []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
			"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
		Mirrors: []string{"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"},
		// The MD5s in the table of the zalandoresearch/fashion-mnist README, also in
		// torchvision's datasets.FashionMNIST.resources. Debian's dataset-fashion-mnist
		// ships recompressed .gz files (other MD5s, same IDX content), which is why
		// Verify reports a checksum difference as information, not as an error.
		MD5: map[string]string{
			TrainImages + ".gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
			TrainLabels + ".gz": "25c81989df183df01b3e8a0aad5dffbe",
			TestImages + ".gz":  "bef4ecab320f06d8554ea6380940ec79",
			TestLabels + ".gz":  "bb300cfdad3c16e7a12a480ee83cd310",
		},
		SystemDirs: []string{"/usr/share/datasets/fashion-mnist"},
		Install:    "apt-get install dataset-fashion-mnist",
	},
	"kmnist": {
		Name: "kmnist", Title: "Kuzushiji-MNIST (cursive Japanese characters)", Classes: 10, H: 28, W: 28,
		ClassNames: []string{"o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"},
		Mirrors:    []string{"http://codh.rois.ac.jp/kmnist/dataset/kmnist/"},
		// The MD5s listed in torchvision's datasets.KMNIST.resources.
		MD5: map[string]string{
			TrainImages + ".gz": "bdb82020997e1d708af4cf47b453dcf7",
			TrainLabels + ".gz": "e144d726b3acfaa3e44228e80efcd344",
			TestImages + ".gz":  "5c965bf0a639b31b8f53240b1b52f4d7",
			TestLabels + ".gz":  "7320c461ea6c1c855c0b718fb2a4b134",
		},
	},
}

// SyntheticName is the name of the built-in generated digits set (see Synthetic).
const SyntheticName = "synthetic"

// Lookup returns the spec of a file-backed dataset.
func Lookup(name string) (*Spec, error) {
	s, ok := catalog[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("data: %w %q (known: %s)", ErrUnknownDataset, name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// Names lists every name Load accepts, the synthetic set first.
func Names() []string {
	out := make([]string, 0, len(catalog)+1)
	for n := range catalog {
		out = append(out, n)
	}
	sort.Strings(out)
	return append([]string{SyntheticName}, out...)
}
