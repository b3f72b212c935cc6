package data

import (
	"cmp"
	"fmt"
	"image"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/image/draw"
)

// Formats of one's own data, read from the path given with --data. Every one becomes
// the same Dataset as the IDX files: 28×28 uint8 gray images and uint8 labels.
const (
	FormatFolder = "folder" // DIR/train/<class>/*.png|jpg|gif and DIR/test/<class>/*, or DIR/<class>/*
	FormatNumPy  = "numpy"  // an .npz (x_train, y_train, x_test, y_test) or a folder of those .npy files
	FormatCSV    = "csv"    // label, then the pixels, one row per image; a file, or DIR/train.csv + DIR/test.csv
)

// Formats lists the format names, which are also accepted as dataset names.
func Formats() []string { return []string{FormatFolder, FormatNumPy, FormatCSV} }

// IsFormat says whether name is one of Formats.
func IsFormat(name string) bool { return slices.Contains(Formats(), strings.ToLower(name)) }

// InputSize is the side of the images every model of the zoo takes: datasets of other
// sizes are resized to InputSize×InputSize.
const InputSize = 28

// maxClasses is the most classes a dataset may have: labels are stored as uint8.
const maxClasses = 256

// DefaultTestFraction is the share of images held out for testing when a source has
// no test split of its own.
const DefaultTestFraction = 0.2

// ResizeFilter names the interpolation used to bring images to InputSize.
const ResizeFilter = "Catmull-Rom (golang.org/x/image/draw.CatmullRom)"

// SourceOptions say how one's own data is read; they are kept in the run's config so
// that every later command reads the data the same way.
type SourceOptions struct {
	// TestFraction is the share held out as the test split when the source has none
	// (0: DefaultTestFraction); the split is a seeded shuffle (SplitSeed).
	TestFraction float64 `json:"test_fraction,omitempty"`
	SplitSeed    uint64  `json:"split_seed,omitempty"`
	// NoResize refuses images that are not all InputSize×InputSize instead of
	// resizing them.
	NoResize bool `json:"no_resize,omitempty"`
}

// Validate checks the options.
func (o SourceOptions) Validate() error {
	if !(o.TestFraction >= 0 && o.TestFraction < 1) {
		return fmt.Errorf("test fraction must be in (0, 1), got %g", o.TestFraction)
	}
	return nil
}

// DetectFormat says which of Formats path holds, or "" when it is none of them (an IDX
// folder, or nothing that exists; Load then treats it as IDX files). It looks only at
// names: a file ending in .npz, .npy or .csv; a folder holding x_train.npy or train.csv;
// a folder with subfolders (classes, or train/ and test/) or image files, and no IDX
// files.
func DetectFormat(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	if !st.IsDir() {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".npz", ".npy":
			return FormatNumPy
		case ".csv":
			return FormatCSV
		}
		return ""
	}
	if isFile(filepath.Join(path, KeyXTrain+".npy")) {
		return FormatNumPy
	}
	if isFile(filepath.Join(path, "train.csv")) {
		return FormatCSV
	}
	if _, ok := findFile(path, TrainImages); ok {
		return ""
	}
	if subdirs(path) != nil || hasImageFiles(path) {
		return FormatFolder // loose images get the folder reader's message on layout
	}
	return ""
}

// hasImageFiles says whether dir holds a file named like a PNG, JPEG or GIF image.
func hasImageFiles(dir string) bool {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg", ".gif":
			return true
		}
	}
	return false
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// subdirs lists the visible subfolders of dir, sorted.
func subdirs(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// LoadFormat reads one's own data from path in the given format (one of Formats).
func LoadFormat(format, path string, o SourceOptions) (*Dataset, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fileErr(path, ErrNotFound, "no such file or directory")
	}
	switch strings.ToLower(format) {
	case FormatFolder:
		return loadFolder(path, o)
	case FormatNumPy:
		return loadNumPy(path, o)
	case FormatCSV:
		return loadCSV(path, o)
	}
	return nil, fmt.Errorf("data: %w %q (formats: %s)", ErrUnknownDataset, format, strings.Join(Formats(), ", "))
}

// rawSplit is one split as a reader found it: gray images of any size, class indices,
// and a name per image for messages (a file, "file.npz key x_train[3]", "file.csv line 7").
type rawSplit struct {
	images []*image.Gray
	labels []int
	names  []string
}

// assembleOwn turns the splits a reader found into a Dataset: every image brought to
// InputSize×InputSize (or refused with NoResize), the test split held out of the train
// split when the source has none, class names from the reader or "0".."K−1".
func assembleOwn(format, path string, splits [2]rawSplit, holdOut bool, o SourceOptions, classNames []string) (*Dataset, error) {
	ds := &Dataset{Name: format, Source: path}
	if err := fitSizes(splits[:], o.NoResize, ds); err != nil {
		return nil, err
	}
	classes := len(classNames)
	for _, s := range splits {
		for i, l := range s.labels {
			if classNames != nil && l >= classes {
				return nil, fileErr(s.names[i], ErrMismatch, "label %d is out of range [0,%d)", l, classes)
			}
			if classNames == nil {
				classes = max(classes, l+1)
			}
		}
	}
	if classNames == nil {
		for c := 0; c < classes; c++ {
			classNames = append(classNames, strconv.Itoa(c))
		}
	}
	ds.ClassNames = classNames
	if holdOut {
		tr, te, err := holdOutSplit(path, splits[0], o)
		if err != nil {
			return nil, err
		}
		splits = [2]rawSplit{tr, te}
		ds.Notes = append(ds.Notes, fmt.Sprintf("no test split in %s: held out %d of %d images (fraction %g, split seed %d)",
			path, len(te.images), len(tr.images)+len(te.images), fraction(o), o.SplitSeed))
	}
	for k, name := range []string{"train", "test"} {
		s := splits[k]
		if len(s.images) == 0 {
			return nil, fileErr(path, ErrNotFound, "the %s split has no images", name)
		}
		set := &Set{Name: name, N: len(s.images), H: InputSize, W: InputSize, Classes: classes,
			Images: make([]uint8, 0, len(s.images)*InputSize*InputSize), Labels: make([]uint8, len(s.images))}
		for i, im := range s.images {
			set.Images = append(set.Images, im.Pix...)
			set.Labels[i] = uint8(s.labels[i])
		}
		if k == 0 {
			ds.Train = set
		} else {
			ds.Test = set
		}
	}
	return ds, nil
}

func fraction(o SourceOptions) float64 {
	if o.TestFraction == 0 {
		return DefaultTestFraction
	}
	return o.TestFraction
}

// holdOutSplit moves a seeded random share of s into a test split; both keep the
// source's order.
func holdOutSplit(path string, s rawSplit, o SourceOptions) (rawSplit, rawSplit, error) {
	n := len(s.images)
	nt := int(float64(n)*fraction(o) + 0.5)
	nt = max(1, min(nt, n-1))
	if n < 2 {
		return rawSplit{}, rawSplit{}, fileErr(path, ErrMismatch, "%d image: too few to hold out a test split", n)
	}
	perm := Permutation(n, o.SplitSeed)
	test := perm[:nt]
	slices.Sort(test)
	isTest := make([]bool, n)
	for _, i := range test {
		isTest[i] = true
	}
	var tr, te rawSplit
	for i := 0; i < n; i++ {
		dst := &tr
		if isTest[i] {
			dst = &te
		}
		dst.images = append(dst.images, s.images[i])
		dst.labels = append(dst.labels, s.labels[i])
		dst.names = append(dst.names, s.names[i])
	}
	return tr, te, nil
}

// fitSizes brings every image to InputSize×InputSize in place, noting what it resized;
// with noResize, images of differing sizes, or all of another size, are an error.
func fitSizes(splits []rawSplit, noResize bool, ds *Dataset) error {
	var first *image.Gray
	firstName := ""
	sizes := map[image.Point]int{}
	resized := 0
	for _, s := range splits {
		for i, im := range s.images {
			sz := im.Rect.Size()
			if first == nil {
				first, firstName = im, s.names[i]
			}
			if noResize {
				if fs := first.Rect.Size(); sz != fs {
					return fileErr(s.names[i], ErrMismatch, "image is %d×%d but %s is %d×%d: sizes differ and --no-resize was given",
						sz.X, sz.Y, firstName, fs.X, fs.Y)
				}
				continue
			}
			if sz.X == InputSize && sz.Y == InputSize && im.Stride == InputSize && im.Rect.Min == (image.Point{}) {
				continue
			}
			sizes[sz]++
			resized++
			s.images[i] = resizeGray(im)
		}
	}
	if noResize && first != nil {
		if fs := first.Rect.Size(); fs.X != InputSize || fs.Y != InputSize {
			return fileErr(firstName, ErrMismatch, "images are %d×%d but the models take %d×%d: drop --no-resize to resize them (%s)",
				fs.X, fs.Y, InputSize, InputSize, ResizeFilter)
		}
		for _, s := range splits {
			for i, im := range s.images {
				if im.Stride != InputSize || im.Rect.Min != (image.Point{}) {
					s.images[i] = resizeGray(im) // a copy into a tight buffer; same size
				}
			}
		}
	}
	if resized > 0 {
		var from []string
		keys := slices.SortedFunc(maps.Keys(sizes), func(a, b image.Point) int {
			return cmp.Or(cmp.Compare(a.X*a.Y, b.X*b.Y), cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y))
		})
		for _, p := range keys {
			from = append(from, fmt.Sprintf("%d of %d×%d", sizes[p], p.X, p.Y))
		}
		ds.Notes = append(ds.Notes, fmt.Sprintf("resized %d images (%s) to %d×%d gray with %s",
			resized, strings.Join(from, ", "), InputSize, InputSize, ResizeFilter))
	}
	return nil
}

// resizeGray scales a gray image to InputSize×InputSize with Catmull-Rom (a copy when
// it already has that size).
func resizeGray(src *image.Gray) *image.Gray {
	dst := image.NewGray(image.Rect(0, 0, InputSize, InputSize))
	if src.Rect.Size() == dst.Rect.Size() {
		draw.Draw(dst, dst.Rect, src, src.Rect.Min, draw.Src)
		return dst
	}
	draw.CatmullRom.Scale(dst, dst.Rect, src, src.Rect, draw.Src, nil)
	return dst
}

// ClassNamesFile is the file `gabor data convert` writes beside the IDX files: the
// class names, one per line, in class order (IDX files have no place for them).
const ClassNamesFile = "classes.txt"

// WriteClassNames writes names one per line.
func WriteClassNames(path string, names []string) error {
	if err := os.WriteFile(path, []byte(strings.Join(names, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	return nil
}
