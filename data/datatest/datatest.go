// Package datatest writes the fixtures the tests of one's own data need, each from its
// format's specification rather than through the readers under test: a toy image
// set, .npy files byte by byte, .npz archives, PNG folders and CSV files. It imports
// nothing of gabor's, so the data package's own tests can use it.
package datatest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Toy is a learnable toy set of n side×side images: class c (labels cycle over
// classes) is a bright vertical bar at column (4+5c)·side/28 over seeded noise.
func Toy(n, classes int, seed uint64, side int) ([][]uint8, []uint8) {
	s := seed
	next := func() uint64 { // splitmix64
		s += 0x9E3779B97F4A7C15
		z := s
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		return z ^ (z >> 31)
	}
	imgs := make([][]uint8, n)
	labels := make([]uint8, n)
	for i := range imgs {
		c := i % classes
		labels[i] = uint8(c)
		px := make([]uint8, side*side)
		for k := range px {
			px[k] = uint8(next() % 40)
		}
		col := (4 + 5*c) * side / 28
		for y := 2; y < side-2; y++ {
			px[y*side+col] = 200 + uint8(next()%56)
			px[y*side+col+1] = 180
		}
		imgs[i] = px
	}
	return imgs, labels
}

// NPY writes an .npy file byte by byte as the format's specification has it: the
// magic "\x93NUMPY", version 1.0, a little-endian uint16 header length, the header
// dict padded with spaces so the data starts at a multiple of 64 and ended by '\n',
// then the data as given.
func NPY(descr string, fortran bool, shape []int, data []byte) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	fo := "False"
	if fortran {
		fo = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }", descr, fo, tuple)
	for (10+len(dict)+1)%64 != 0 {
		dict += " "
	}
	dict += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.WriteByte(1)
	b.WriteByte(0)
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	b.Write(data)
	return b.Bytes()
}

// NPZ is a zip archive holding each member as KEY.npy, in sorted key order.
func NPZ(t testing.TB, members map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w, err := zw.Create(k + ".npy")
		if err != nil {
			t.Fatal(err)
		}
		w.Write(members[k])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Flat concatenates images.
func Flat(imgs [][]uint8) []uint8 { return slices.Concat(imgs...) }

// WriteFile writes b to path, creating its folder.
func WriteFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// PNG writes a side×side gray image with image/png.
func PNG(t testing.TB, path string, px []uint8, side int) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, &image.Gray{Pix: px, Stride: side, Rect: image.Rect(0, 0, side, side)}); err != nil {
		t.Fatal(err)
	}
	WriteFile(t, path, b.Bytes())
}

// CSV is one row per image, the label then the pixels, with an optional
// "label,pixel0,…" header.
func CSV(imgs [][]uint8, labels []uint8, header bool) []byte {
	var b bytes.Buffer
	if header {
		b.WriteString("label")
		for k := range imgs[0] {
			fmt.Fprintf(&b, ",pixel%d", k)
		}
		b.WriteString("\n")
	}
	for i, im := range imgs {
		fmt.Fprint(&b, labels[i])
		for _, v := range im {
			fmt.Fprintf(&b, ",%d", v)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// IDX is an unsigned-byte IDX file: magic 0x000008<ndims>, the dims big-endian, data.
func IDX(dims []int, payload []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(payload)
	return b.Bytes()
}

// Paths of WriteAll's copies, by kind.
const (
	KindIDX    = "idx"
	KindFolder = "folder"
	KindNPZ    = "npz"
	KindNPY    = "npy"
	KindCSV    = "csv"
)

// WriteAll writes the same train and test images under dir as four IDX files, a PNG
// folder (train/c<label>/, test/c<label>/), an .npz, a folder of .npy files and a CSV
// folder (train.csv with a header, test.csv without), and returns their paths by kind.
// Images are square.
func WriteAll(t testing.TB, dir string, tr, te [][]uint8, ltr, lte []uint8) map[string]string {
	t.Helper()
	side := int(math.Sqrt(float64(len(tr[0]))))
	for _, split := range []struct {
		name string
		imgs [][]uint8
		lbl  []uint8
	}{{"train", tr, ltr}, {"test", te, lte}} {
		for i, im := range split.imgs {
			PNG(t, filepath.Join(dir, "png", split.name, fmt.Sprintf("c%d", split.lbl[i]), fmt.Sprintf("%05d.png", i)), im, side)
		}
	}
	m := map[string][]byte{
		"x_train": NPY("|u1", false, []int{len(tr), side, side}, Flat(tr)),
		"y_train": NPY("|u1", false, []int{len(tr)}, ltr),
		"x_test":  NPY("|u1", false, []int{len(te), side, side}, Flat(te)),
		"y_test":  NPY("|u1", false, []int{len(te)}, lte),
	}
	WriteFile(t, filepath.Join(dir, "mnist.npz"), NPZ(t, m))
	for k, b := range m {
		WriteFile(t, filepath.Join(dir, "npy", k+".npy"), b)
	}
	WriteFile(t, filepath.Join(dir, "csv", "train.csv"), CSV(tr, ltr, true))
	WriteFile(t, filepath.Join(dir, "csv", "test.csv"), CSV(te, lte, false))
	idx := filepath.Join(dir, "idx")
	WriteFile(t, filepath.Join(idx, "train-images-idx3-ubyte"), IDX([]int{len(tr), side, side}, Flat(tr)))
	WriteFile(t, filepath.Join(idx, "train-labels-idx1-ubyte"), IDX([]int{len(tr)}, ltr))
	WriteFile(t, filepath.Join(idx, "t10k-images-idx3-ubyte"), IDX([]int{len(te), side, side}, Flat(te)))
	WriteFile(t, filepath.Join(idx, "t10k-labels-idx1-ubyte"), IDX([]int{len(te)}, lte))
	return map[string]string{
		KindIDX: idx, KindFolder: filepath.Join(dir, "png"), KindNPZ: filepath.Join(dir, "mnist.npz"),
		KindNPY: filepath.Join(dir, "npy"), KindCSV: filepath.Join(dir, "csv"),
	}
}

// ByClass orders images as a class folder lists them: class by class, each in index
// order (what the folder reader yields for WriteAll's PNGs, named by index).
func ByClass(imgs [][]uint8, lbl []uint8) ([][]uint8, []uint8) {
	var out [][]uint8
	var l []uint8
	for c := 0; c <= int(slices.Max(lbl)); c++ {
		for i := range imgs {
			if int(lbl[i]) == c {
				out = append(out, imgs[i])
				l = append(l, lbl[i])
			}
		}
	}
	return out, l
}
