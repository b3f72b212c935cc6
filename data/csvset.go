package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CSV layout (Kaggle's digit-recognizer train.csv): one row per image, the label (a
// class index 0..255) first, then the pixels row-major, H·W of them with H = W (784 for
// 28×28). Pixels are integers 0..255; a file whose first data row holds a decimal point
// is read as floats in [0, 1] (scaled by 255 and rounded). An optional header row
// ("label,pixel0,…") is recognized by a first field that is not a number. Every row
// must have as many fields as the first.

// DecodeCSV reads an image CSV. name prefixes messages; errors are *FileError whose
// Problem names the line.
func DecodeCSV(r io.Reader, name string) (images []*image.Gray, labels []int, names []string, err error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	width, side := -1, 0
	floats := false
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nil, nil, fileErr(name, ErrCorrupt, "line %d: %v", pe.Line, pe.Err)
			}
			return nil, nil, nil, fileErr(name, ErrCorrupt, "after %d rows: %v", len(images), err)
		}
		line, _ := cr.FieldPos(0) // after a successful Read only: it panics otherwise
		if first {
			first = false
			if _, err := strconv.ParseFloat(strings.TrimSpace(rec[0]), 64); err != nil {
				continue // a header row
			}
		}
		if width < 0 {
			width = len(rec)
			px := width - 1
			side = int(math.Sqrt(float64(px)))
			if px < 1 || side*side != px {
				hint := ""
				if s := int(math.Sqrt(float64(width))); s*s == width {
					hint = fmt.Sprintf(": %d fields would be a %d×%d image without a label column (as Kaggle's unlabeled test.csv); rows must start with the label", width, s, s)
				}
				return nil, nil, nil, fileErr(name, ErrMismatch, "line %d: %d pixels after the label is not a square image (784 for 28×28)%s", line, px, hint)
			}
			for _, f := range rec[1:] {
				if strings.Contains(f, ".") {
					floats = true
				}
			}
		}
		if len(rec) != width {
			return nil, nil, nil, fileErr(name, ErrMismatch, "line %d: %d fields, want %d (a label and %d pixels, as on the first row)", line, len(rec), width, width-1)
		}
		l, err := strconv.Atoi(strings.TrimSpace(rec[0]))
		if err != nil || l < 0 || l >= maxClasses {
			return nil, nil, nil, fileErr(name, ErrMismatch, "line %d: label %q is not a class index in [0, %d)", line, rec[0], maxClasses)
		}
		im := image.NewGray(image.Rect(0, 0, side, side))
		for k, f := range rec[1:] {
			f = strings.TrimSpace(f)
			var v int
			if floats {
				x, err := strconv.ParseFloat(f, 64)
				if err != nil || !(x >= 0 && x <= 1) {
					return nil, nil, nil, fileErr(name, ErrMismatch, "line %d, field %d: pixel %q is not a number in [0, 1] (this file's pixels are decimals)", line, k+2, f)
				}
				v = int(math.Round(x * 255))
			} else {
				v, err = strconv.Atoi(f)
				if err != nil || v < 0 || v > 255 {
					return nil, nil, nil, fileErr(name, ErrMismatch, "line %d, field %d: pixel %q is not an integer in [0, 255]", line, k+2, f)
				}
			}
			im.Pix[k] = uint8(v)
		}
		images = append(images, im)
		labels = append(labels, l)
		names = append(names, fmt.Sprintf("%s line %d", name, line))
	}
	if len(images) == 0 {
		return nil, nil, nil, fileErr(name, ErrMismatch, "no image rows")
	}
	return images, labels, names, nil
}

// readCSVFile reads one CSV file as a split.
func readCSVFile(path string) (rawSplit, error) {
	f, err := os.Open(path)
	if err != nil {
		return rawSplit{}, fileErr(path, ErrNotFound, "%v", err)
	}
	defer f.Close()
	im, lb, nm, err := DecodeCSV(f, path)
	return rawSplit{images: im, labels: lb, names: nm}, err
}

// loadCSV reads a CSV file (its test split held out) or DIR/train.csv and, when
// present, DIR/test.csv.
func loadCSV(path string, o SourceOptions) (*Dataset, error) {
	trainPath, testPath := path, ""
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		trainPath = filepath.Join(path, "train.csv")
		if p := filepath.Join(path, "test.csv"); isFile(p) {
			testPath = p
		}
	}
	var splits [2]rawSplit
	var err error
	if splits[0], err = readCSVFile(trainPath); err != nil {
		return nil, err
	}
	if testPath != "" {
		if splits[1], err = readCSVFile(testPath); err != nil {
			return nil, err
		}
	}
	return assembleOwn(FormatCSV, path, splits, testPath == "", o, nil)
}
