package data

import (
	"errors"
	"image"
	"image/color"
	_ "image/gif" // registers GIF with image.Decode
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Image folders: DIR/train/<class>/<image> and DIR/test/<class>/<image>, or DIR/<class>/<image>
// with the test split held out (SourceOptions.TestFraction). Class names are the
// folder names in sorted order, class index = position; a test folder's classes must
// be among the train folder's. Images are PNG, JPEG or GIF, converted to 8-bit gray
// (color.GrayModel: ITU-R BT.601 luma; transparent pixels count as black, the
// background) and resized to InputSize (see fitSizes). Files whose name starts with
// "." are skipped; any other file that does not decode is an error naming it.

// ReadImageFile decodes one PNG, JPEG or GIF file as 8-bit gray.
func ReadImageFile(path string) (*image.Gray, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, fileErr(path, ErrCorrupt, "not a PNG, JPEG or GIF image")
		}
		return nil, fileErr(path, ErrCorrupt, "bad image: %v", err)
	}
	return toGray(img), nil
}

// toGray converts any image to *image.Gray with origin (0, 0).
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	if src, ok := img.(*image.Gray); ok {
		for y := 0; y < b.Dy(); y++ {
			copy(g.Pix[y*g.Stride:], src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:b.Dx()])
		}
		return g
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			g.Pix[y*g.Stride+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return g
}

// ImageFiles lists the visible regular files of dir, sorted.
func ImageFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fileErr(dir, ErrNotFound, "%v", err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || e.IsDir() {
			continue
		}
		out = append(out, filepath.Join(dir, e.Name()))
	}
	return out, nil
}

// readClassFolders reads DIR/<class>/* for the given classes (nil: every subfolder,
// which then defines the classes). An empty class folder is an error.
func readClassFolders(dir string, classes []string) (rawSplit, []string, error) {
	found := subdirs(dir)
	if len(found) == 0 {
		return rawSplit{}, nil, fileErr(dir, ErrNotFound, "no class folders: an image folder is %s/<class>/<image> (or train/<class>/ and test/<class>/); to classify loose images use gabor predict", dir)
	}
	if classes == nil {
		classes = found
	}
	if len(classes) > maxClasses {
		return rawSplit{}, nil, fileErr(dir, ErrMismatch, "%d class folders, at most %d", len(classes), maxClasses)
	}
	var r rawSplit
	for _, c := range found {
		idx := slices.Index(classes, c)
		if idx < 0 {
			return rawSplit{}, nil, fileErr(filepath.Join(dir, c), ErrMismatch, "class %q is not among the training classes (%s)", c, strings.Join(classes, ", "))
		}
		files, err := ImageFiles(filepath.Join(dir, c))
		if err != nil {
			return rawSplit{}, nil, err
		}
		if len(files) == 0 {
			return rawSplit{}, nil, fileErr(filepath.Join(dir, c), ErrMismatch, "class folder %q holds no images", c)
		}
		for _, f := range files {
			g, err := ReadImageFile(f)
			if err != nil {
				return rawSplit{}, nil, err
			}
			r.images = append(r.images, g)
			r.labels = append(r.labels, idx)
			r.names = append(r.names, f)
		}
	}
	return r, classes, nil
}

// loadFolder reads an image folder (see the layout above).
func loadFolder(dir string, o SourceOptions) (*Dataset, error) {
	subs := subdirs(dir)
	split := slices.Contains(subs, "train")
	if split && slices.ContainsFunc(subs, func(s string) bool { return s != "train" && s != "test" }) {
		return nil, fileErr(dir, ErrMismatch, "holds train/ and other folders (%s): use either train/ and test/, or one folder per class", strings.Join(subs, ", "))
	}
	var splits [2]rawSplit
	var classes []string
	var err error
	if !split {
		if splits[0], classes, err = readClassFolders(dir, nil); err != nil {
			return nil, err
		}
		return assembleOwn(FormatFolder, dir, splits, true, o, classes)
	}
	if splits[0], classes, err = readClassFolders(filepath.Join(dir, "train"), nil); err != nil {
		return nil, err
	}
	hasTest := slices.Contains(subs, "test")
	if hasTest {
		if splits[1], _, err = readClassFolders(filepath.Join(dir, "test"), classes); err != nil {
			return nil, err
		}
	}
	return assembleOwn(FormatFolder, dir, splits, !hasTest, o, classes)
}
