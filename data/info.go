package data

import (
	"crypto/md5"
	"encoding/hex"
	"io"
	"math"
	"os"
)

// SetStats summarizes one split for `gabor data info`.
type SetStats struct {
	Split       string  `json:"split"`
	N           int     `json:"n"`
	H           int     `json:"h"`
	W           int     `json:"w"`
	Classes     int     `json:"classes"`
	ClassCounts []int   `json:"class_counts"`
	PixelMean   float64 `json:"pixel_mean"` // of v/255 over all pixels
	PixelStd    float64 `json:"pixel_std"`  // population standard deviation of v/255
}

// Stats counts labels per class and computes the pixel mean and standard deviation
// (on the 0..1 scale, the numbers a normalization would use).
func Stats(s *Set) SetStats {
	st := SetStats{Split: s.Name, N: s.N, H: s.H, W: s.W, Classes: s.Classes, ClassCounts: make([]int, s.Classes)}
	for _, l := range s.Labels {
		if int(l) < s.Classes {
			st.ClassCounts[l]++
		}
	}
	// Exact integer sums via a histogram: no float accumulation error on 47M pixels.
	var hist [256]int64
	for _, v := range s.Images {
		hist[v]++
	}
	var n, sum, sum2 float64
	for v, c := range hist {
		x := float64(v) / 255
		n += float64(c)
		sum += float64(c) * x
		sum2 += float64(c) * x * x
	}
	if n > 0 {
		st.PixelMean = sum / n
		st.PixelStd = math.Sqrt(math.Max(0, sum2/n-st.PixelMean*st.PixelMean))
	}
	return st
}

// FileStatus is one file as Verify saw it.
type FileStatus struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	MD5  string `json:"md5"`
	// PublishedMD5 is the checksum of the file as the mirrors serve it ("" if the file is
	// stored raw, or the set has none). A differing checksum with valid content is normal
	// for repackaged copies, e.g. Debian's recompressed Fashion-MNIST.
	PublishedMD5 string `json:"published_md5,omitempty"`
	Published    bool   `json:"published"` // MD5 == PublishedMD5
}

// Info describes a dataset: where it is, its splits, and (from Verify) its files.
type Info struct {
	Name       string       `json:"name"`
	Source     string       `json:"source"`
	ClassNames []string     `json:"class_names"`
	Train      SetStats     `json:"train"`
	Test       SetStats     `json:"test"`
	Files      []FileStatus `json:"files,omitempty"`
}

// Describe summarizes a loaded dataset (no file checksums; see Verify).
func Describe(ds *Dataset) *Info {
	return &Info{Name: ds.Name, Source: ds.Source, ClassNames: ds.ClassNames,
		Train: Stats(ds.Train), Test: Stats(ds.Test)}
}

// Verify fully validates the named dataset's files in dir (or, with dir empty, where
// Load would find them): every check Load makes, plus each file's MD5 against the
// published one. It returns the Info and the first validation error; checksum
// differences are reported in Info.Files, not as errors (see FileStatus).
func Verify(name, dir string) (*Info, error) {
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
	info := Describe(ds)
	for _, p := range ds.Files {
		fs, err := fileStatus(spec, p)
		if err != nil {
			return info, err
		}
		info.Files = append(info.Files, fs)
	}
	return info, nil
}

func fileStatus(spec *Spec, path string) (FileStatus, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileStatus{}, &FileError{Path: path, Problem: err.Error(), Kind: err}
	}
	defer f.Close()
	h := md5.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileStatus{}, &FileError{Path: path, Problem: "read: " + err.Error(), Kind: err}
	}
	st := FileStatus{Path: path, Size: n, MD5: hex.EncodeToString(h.Sum(nil))}
	st.PublishedMD5 = spec.MD5[baseName(path)]
	st.Published = st.PublishedMD5 != "" && st.PublishedMD5 == st.MD5
	return st, nil
}
