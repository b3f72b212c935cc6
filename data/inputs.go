package data

import (
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Inputs are images to predict, each with a name and, where the source says it, its
// true class.
type Inputs struct {
	// Set holds the images at InputSize×InputSize; Labels are the true classes where
	// known and 0 elsewhere (see Truth).
	Set   *Set
	Names []string // per image: the file, "file.npy[3]", "file.csv line 7"
	Truth []int    // per image: the true class, or -1 when the source does not say
	Notes []string // what was resized
}

// Labeled counts the images whose true class is known.
func (in *Inputs) Labeled() int {
	n := 0
	for _, t := range in.Truth {
		if t >= 0 {
			n++
		}
	}
	return n
}

// ReadInputs reads the images of gabor predict from paths, each one of:
//   - an image file (PNG, JPEG, GIF): one image, class unknown;
//   - a folder: its image files (class unknown) and, in each subfolder named after one
//     of classNames, that class's images (an image folder's test/ split);
//   - an .npy file of images (class unknown);
//   - an .npz file: x_test (or x_train when there is no x_test), with y_test (y_train)
//     as the true classes when present;
//   - a CSV file in the training layout (label first): the labels are the true classes.
//
// Images are made InputSize×InputSize gray as for training (NoResize refuses others).
func ReadInputs(paths []string, classNames []string, o SourceOptions) (*Inputs, error) {
	var raw rawSplit
	var truth []int
	add := func(r rawSplit, t []int) {
		raw.images = append(raw.images, r.images...)
		raw.names = append(raw.names, r.names...)
		raw.labels = append(raw.labels, make([]int, len(r.images))...)
		truth = append(truth, t...)
	}
	unknown := func(n int) []int {
		t := make([]int, n)
		for i := range t {
			t[i] = -1
		}
		return t
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fileErr(p, ErrNotFound, "no such file or directory")
		}
		switch ext := strings.ToLower(filepath.Ext(p)); {
		case st.IsDir():
			r, t, err := readInputDir(p, classNames)
			if err != nil {
				return nil, err
			}
			add(r, t)
		case ext == ".npy":
			a, err := ReadNPY(p)
			if err != nil {
				return nil, err
			}
			r, err := npyImages(a, p, "(the array)")
			if err != nil {
				return nil, err
			}
			add(r, unknown(len(r.images)))
		case ext == ".npz":
			r, t, err := readInputNPZ(p, len(classNames))
			if err != nil {
				return nil, err
			}
			add(r, t)
		case ext == ".csv":
			r, err := readCSVFile(p)
			if err != nil {
				return nil, err
			}
			for i, l := range r.labels {
				if l >= len(classNames) {
					return nil, fileErr(r.names[i], ErrMismatch, "label %d is out of range: the model has %d classes", l, len(classNames))
				}
			}
			add(r, r.labels)
		default:
			g, err := ReadImageFile(p)
			if err != nil {
				return nil, err
			}
			add(rawSplit{images: []*image.Gray{g}, names: []string{p}}, []int{-1})
		}
	}
	if len(raw.images) == 0 {
		return nil, fileErr(strings.Join(paths, " "), ErrNotFound, "no images to predict")
	}
	ds := &Dataset{}
	splits := []rawSplit{raw}
	if err := fitSizes(splits, o.NoResize, ds); err != nil {
		return nil, err
	}
	raw = splits[0]
	set := &Set{Name: "predict", N: len(raw.images), H: InputSize, W: InputSize, Classes: max(1, len(classNames)),
		Labels: make([]uint8, len(raw.images))}
	for i, im := range raw.images {
		set.Images = append(set.Images, im.Pix...)
		if truth[i] >= 0 {
			set.Labels[i] = uint8(truth[i])
		}
	}
	return &Inputs{Set: set, Names: raw.names, Truth: truth, Notes: ds.Notes}, nil
}

// readInputDir reads a folder's image files (class unknown) and its class subfolders.
func readInputDir(dir string, classNames []string) (rawSplit, []int, error) {
	var r rawSplit
	var truth []int
	files, err := ImageFiles(dir)
	if err != nil {
		return r, nil, err
	}
	for _, sub := range subdirs(dir) {
		c := slices.Index(classNames, sub)
		if c < 0 {
			return r, nil, fileErr(filepath.Join(dir, sub), ErrMismatch, "folder %q is not one of the model's classes (%s)", sub, strings.Join(classNames, ", "))
		}
		fs, err := ImageFiles(filepath.Join(dir, sub))
		if err != nil {
			return r, nil, err
		}
		for _, f := range fs {
			g, err := ReadImageFile(f)
			if err != nil {
				return r, nil, err
			}
			r.images, r.names = append(r.images, g), append(r.names, f)
			truth = append(truth, c)
		}
	}
	for _, f := range files {
		g, err := ReadImageFile(f)
		if err != nil {
			return r, nil, err
		}
		r.images, r.names = append(r.images, g), append(r.names, f)
		truth = append(truth, -1)
	}
	if len(r.images) == 0 {
		return r, nil, fileErr(dir, ErrNotFound, "no images in the folder or its class folders")
	}
	return r, truth, nil
}

// readInputNPZ reads x_test (y_test) of an .npz, or x_train (y_train) without x_test.
func readInputNPZ(path string, classes int) (rawSplit, []int, error) {
	m, err := ReadNPZ(path)
	if err != nil {
		return rawSplit{}, nil, err
	}
	xk, yk := KeyXTest, KeyYTest
	if m[xk] == nil {
		xk, yk = KeyXTrain, KeyYTrain
	}
	if m[xk] == nil {
		return rawSplit{}, nil, fileErr(path, ErrNotFound, "no array x_test or x_train")
	}
	r, err := npyImages(m[xk], path, xk)
	if err != nil {
		return rawSplit{}, nil, err
	}
	truth := make([]int, len(r.images))
	for i := range truth {
		truth[i] = -1
	}
	if m[yk] != nil {
		if truth, err = npyLabels(m[yk], path, yk, len(r.images)); err != nil {
			return rawSplit{}, nil, err
		}
		for i, l := range truth {
			if l >= classes {
				return rawSplit{}, nil, fileErr(path, ErrMismatch, "key %s: label %d at index %d is out of range: the model has %d classes", yk, l, i, classes)
			}
		}
	}
	return r, truth, nil
}
