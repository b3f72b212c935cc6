package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// EnvDataDir names the environment variable searched first for datasets: a folder that
// holds either <name>/ subfolders or the four files directly.
const EnvDataDir = "GABOR_DATA"

// LoadOptions tune Load. The zero value loads everything; for the synthetic set it
// generates 60,000 + 10,000 images from seed 0.
type LoadOptions struct {
	// TrainLimit, TestLimit keep only the first n images of each split (0: all).
	TrainLimit, TestLimit int
	// Seed, SyntheticTrain, SyntheticTest configure Load("synthetic", …); the sizes
	// default to 60,000 and 10,000.
	Seed                          uint64
	SyntheticTrain, SyntheticTest int
	// Source configures the Formats of one's own data (folder, numpy, csv).
	Source SourceOptions
}

// Load returns the named dataset. For "synthetic" it generates the built-in set. For a
// file-backed set it reads dir if given (or dir/<name> when dir lacks the files), and
// otherwise the first of SearchDirs(name) that holds the files. A set that is nowhere
// is a *NotFoundError (errors.Is(err, ErrNotFound)) listing where it looked.
func Load(name, dir string, opts LoadOptions) (*Dataset, error) {
	if strings.EqualFold(name, SyntheticName) {
		ds, err := Synthetic(opts.Seed, orDefault(opts.SyntheticTrain, 60000), orDefault(opts.SyntheticTest, 10000))
		if err != nil {
			return nil, err
		}
		ds.Train, ds.Test = ds.Train.Head(opts.TrainLimit), ds.Test.Head(opts.TestLimit)
		return ds, nil
	}
	if IsFormat(name) {
		ds, err := LoadFormat(name, dir, opts.Source)
		if err != nil {
			return nil, err
		}
		ds.Train, ds.Test = ds.Train.Head(opts.TrainLimit), ds.Test.Head(opts.TestLimit)
		return ds, nil
	}
	spec, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	found, looked := Locate(spec.Name, dir)
	if found == "" {
		return nil, &NotFoundError{Name: spec.Name, Looked: looked, Hint: installHint(spec)}
	}
	ds, err := LoadDir(spec, found)
	if err != nil {
		return nil, err
	}
	ds.Train, ds.Test = ds.Train.Head(opts.TrainLimit), ds.Test.Head(opts.TestLimit)
	return ds, nil
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

func installHint(spec *Spec) string {
	h := "gabor data fetch " + spec.Name
	if spec.Install != "" {
		h += "  (or: " + spec.Install + ")"
	}
	return h
}

// CacheDir is where Fetch puts a dataset by default: $XDG_CACHE_HOME/gabor/<name>, that
// is ~/.cache/gabor/<name> on Linux.
func CacheDir(name string) string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = filepath.Join(os.TempDir(), "gabor-cache")
	}
	return filepath.Join(base, "gabor", name)
}

// SearchDirs lists, in order, the directories Load searches when no dir is given:
// $GABOR_DATA/<name>, $GABOR_DATA, CacheDir(name), then the spec's system directories
// (/usr/share/datasets/fashion-mnist for Fashion-MNIST, Debian's package).
func SearchDirs(name string) []string {
	var dirs []string
	if env := os.Getenv(EnvDataDir); env != "" {
		dirs = append(dirs, filepath.Join(env, name), env)
	}
	dirs = append(dirs, CacheDir(name))
	if spec, err := Lookup(name); err == nil {
		dirs = append(dirs, spec.SystemDirs...)
	}
	return dirs
}

// Locate returns the directory holding the named set's files (empty if none) and the
// directories it looked in. With dir given it looks only in dir and dir/<name>.
func Locate(name, dir string) (found string, looked []string) {
	cands := SearchDirs(name)
	if dir != "" {
		cands = []string{dir, filepath.Join(dir, name)}
	}
	for _, d := range cands {
		looked = append(looked, d)
		if _, ok := findFile(d, TrainImages); ok {
			return d, looked
		}
	}
	return "", looked
}

// findFile resolves a base name in dir: raw first (faster to read), then .gz, then the
// ".idx" spellings.
func findFile(dir, base string) (string, bool) {
	dotted := strings.Replace(base, "-idx", ".idx", 1)
	for _, n := range []string{base, base + ".gz", dotted, dotted + ".gz"} {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, true
		}
	}
	return filepath.Join(dir, base+".gz"), false
}

// LoadDir reads and validates the four files of spec from dir: magic numbers, counts
// against the bytes present, image size spec.H×spec.W, as many labels as images, and
// labels in [0, spec.Classes). The files are read in parallel.
func LoadDir(spec *Spec, dir string) (*Dataset, error) {
	if st, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fileErr(dir, ErrNotFound, "no such directory (to get %s: %s)", spec.Name, installHint(spec))
		}
		return nil, &FileError{Path: dir, Problem: err.Error(), Kind: err}
	} else if !st.IsDir() {
		return nil, fileErr(dir, ErrNotFound, "not a directory")
	}
	paths := make([]string, 4)
	for i, base := range FileNames {
		p, ok := findFile(dir, base)
		if !ok {
			return nil, fileErr(p, ErrNotFound, "missing %s (or .gz) in %s (to get %s: %s)", base, dir, spec.Name, installHint(spec))
		}
		paths[i] = p
	}
	if err := checkHeaders(spec, paths); err != nil {
		return nil, err
	}
	var (
		wg   sync.WaitGroup
		imgs [2]*Images
		lbls [2][]uint8
		errs [4]error
	)
	for k := 0; k < 2; k++ {
		wg.Add(2)
		go func() { defer wg.Done(); imgs[k], errs[2*k] = ReadImages(paths[2*k]) }()
		go func() { defer wg.Done(); lbls[k], errs[2*k+1] = ReadLabels(paths[2*k+1]) }()
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	ds := &Dataset{Name: spec.Name, ClassNames: spec.ClassNames, Source: dir, Files: paths}
	for k, split := range []string{"train", "test"} {
		set, err := assemble(spec, split, paths[2*k], paths[2*k+1], imgs[k], lbls[k])
		if err != nil {
			return nil, err
		}
		if k == 0 {
			ds.Train = set
		} else {
			ds.Test = set
		}
	}
	return ds, nil
}

// checkHeaders reads the headers of the four files (paths in FileNames order)
// and checks them against the spec and each other before any body is
// decompressed: a gzip bomb whose header declares millions of images next to a
// label file of thousands is refused at the cost of a few header bytes, and
// each body read is then bounded by what the consistent headers declare.
func checkHeaders(spec *Spec, paths []string) error {
	for k := 0; k < 2; k++ {
		imgPath, lblPath := paths[2*k], paths[2*k+1]
		im, err := ReadIDXHeader(imgPath, 3)
		if err != nil {
			return err
		}
		lb, err := ReadIDXHeader(lblPath, 1)
		if err != nil {
			return err
		}
		if im[1] != spec.H || im[2] != spec.W {
			return fileErr(imgPath, ErrMismatch, "images are %d×%d, %s expects %d×%d", im[1], im[2], spec.Name, spec.H, spec.W)
		}
		if lb[0] != im[0] {
			return fileErr(lblPath, ErrMismatch, "%d labels but %s has %d images (as their headers declare; no data was read)", lb[0], filepath.Base(imgPath), im[0])
		}
	}
	return nil
}

// assemble cross-checks an image file and a label file and builds the Set.
func assemble(spec *Spec, split, imgPath, lblPath string, im *Images, lb []uint8) (*Set, error) {
	if im.H != spec.H || im.W != spec.W {
		return nil, fileErr(imgPath, ErrMismatch, "images are %d×%d, %s expects %d×%d", im.H, im.W, spec.Name, spec.H, spec.W)
	}
	if len(lb) != im.N {
		return nil, fileErr(lblPath, ErrMismatch, "%d labels but %s has %d images", len(lb), filepath.Base(imgPath), im.N)
	}
	if err := CheckLabels(lblPath, lb, spec.Classes); err != nil {
		return nil, err
	}
	return &Set{Name: split, Images: im.Pix, Labels: lb, N: im.N, H: im.H, W: im.W, Classes: spec.Classes}, nil
}

// String is a one-line summary, e.g. "fashion-mnist: train 60000, test 10000, 28×28, 10 classes (from /usr/share/datasets/fashion-mnist)".
func (d *Dataset) String() string {
	return fmt.Sprintf("%s: train %d, test %d, %d×%d, %d classes (from %s)",
		d.Name, d.Train.N, d.Test.N, d.Train.H, d.Train.W, d.Train.Classes, d.Source)
}
