package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data/datatest"
)

func TestEveryFormatReadsTheSameImages(t *testing.T) {
	const classes = 4
	tr, ltr := datatest.Toy(40, classes, 1, 28)
	te, lte := datatest.Toy(12, classes, 2, 28)
	paths := datatest.WriteAll(t, t.TempDir(), tr, te, ltr, lte)
	for _, c := range []struct{ name, format string }{{datatest.KindNPZ, FormatNumPy}, {datatest.KindNPY, FormatNumPy}, {datatest.KindCSV, FormatCSV}, {datatest.KindFolder, FormatFolder}, {datatest.KindIDX, ""}} {
		t.Run(c.name, func(t *testing.T) {
			if got := DetectFormat(paths[c.name]); got != c.format {
				t.Fatalf("DetectFormat(%s) = %q, want %q", paths[c.name], got, c.format)
			}
			name := c.format
			if name == "" {
				name = "mnist"
			}
			ds, err := Load(name, paths[c.name], LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			wantTr, wantLtr, wantTe, wantLte := datatest.Flat(tr), ltr, datatest.Flat(te), lte
			if c.format == FormatFolder { // a folder lists images class by class
				a, b := datatest.ByClass(tr, ltr)
				wantTr, wantLtr = datatest.Flat(a), b
				a, b = datatest.ByClass(te, lte)
				wantTe, wantLte = datatest.Flat(a), b
			}
			for _, s := range []struct {
				set      *Set
				px, lbls []uint8
			}{{ds.Train, wantTr, wantLtr}, {ds.Test, wantTe, wantLte}} {
				if err := s.set.Validate(); err != nil {
					t.Fatal(err)
				}
				if s.set.H != 28 || s.set.W != 28 || (c.format != "" && s.set.Classes != classes) {
					t.Errorf("%s: %d×%d, %d classes", s.set.Name, s.set.H, s.set.W, s.set.Classes)
				}
				if !bytes.Equal(s.set.Images, s.px) || !bytes.Equal(s.set.Labels, s.lbls) {
					t.Errorf("%s split differs from what was written", s.set.Name)
				}
			}
			if len(ds.Notes) != 0 {
				t.Errorf("notes %q for 28×28 images with both splits", ds.Notes)
			}
			if c.format == FormatFolder && strings.Join(ds.ClassNames, ",") != "c0,c1,c2,c3" {
				t.Errorf("class names %q", ds.ClassNames)
			}
			if IsFormat(c.format) && c.format != FormatFolder && strings.Join(ds.ClassNames, ",") != "0,1,2,3" {
				t.Errorf("class names %q", ds.ClassNames)
			}
		})
	}
}

func TestNPYFloat32AndShapes(t *testing.T) {
	tr, ltr := datatest.Toy(6, 2, 3, 28)
	px := datatest.Flat(tr)
	f32 := make([]byte, 4*len(px))
	for k, v := range px {
		binary.LittleEndian.PutUint32(f32[4*k:], math.Float32bits(float32(v)/255))
	}
	be := make([]byte, 4*len(px))
	for k, v := range px {
		binary.BigEndian.PutUint32(be[4*k:], math.Float32bits(float32(v)))
	}
	lbl64 := make([]byte, 8*len(ltr))
	for k, v := range ltr {
		binary.LittleEndian.PutUint64(lbl64[8*k:], uint64(v))
	}
	for _, c := range []struct {
		name  string
		descr string
		shape []int
		data  []byte
	}{
		{"float32 in [0,1], (N,H,W)", "<f4", []int{6, 28, 28}, f32},
		{"big-endian float32 in [0,255], (N,H,W,1)", ">f4", []int{6, 28, 28, 1}, be},
		{"uint8 (N,784)", "|u1", []int{6, 784}, px},
		{"uint8 (N,1,H,W)", "|u1", []int{6, 1, 28, 28}, px},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "d.npz")
			datatest.WriteFile(t, path, datatest.NPZ(t, map[string][]byte{
				"x_train": datatest.NPY(c.descr, false, c.shape, c.data),
				"y_train": datatest.NPY("<i8", false, []int{6}, lbl64),
			}))
			ds, err := Load(FormatNumPy, path, LoadOptions{Source: SourceOptions{TestFraction: 0.5, SplitSeed: 7}})
			if err != nil {
				t.Fatal(err)
			}
			if ds.Train.N != 3 || ds.Test.N != 3 {
				t.Fatalf("split %d/%d, want 3/3", ds.Train.N, ds.Test.N)
			}
			got := append(slices.Clone(ds.Train.Images), ds.Test.Images...)
			gotPx, _ := sortedRows(got, append(slices.Clone(ds.Train.Labels), ds.Test.Labels...), 784)
			wantPx, _ := sortedRows(px, ltr, 784)
			if !bytes.Equal(gotPx, wantPx) {
				t.Error("pixels differ from the uint8 originals")
			}
			if len(ds.Notes) != 1 || !strings.Contains(ds.Notes[0], "held out 3 of 6") {
				t.Errorf("notes %q", ds.Notes)
			}
		})
	}
}

// sortedRows orders rows of n bytes (with their labels) lexicographically, to compare
// sets regardless of how a split shuffled them.
func sortedRows(px, lbl []uint8, n int) ([]uint8, []uint8) {
	idx := make([]int, len(lbl))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return bytes.Compare(px[a*n:(a+1)*n], px[b*n:(b+1)*n]) })
	var out, l []uint8
	for _, i := range idx {
		out = append(out, px[i*n:(i+1)*n]...)
		l = append(l, lbl[i])
	}
	return out, l
}

func TestCSVDecimalsAreFractions(t *testing.T) {
	csv := "label,a,b,c,d\n1,0.0,1,0.5,0.25\n0,1,1,1,1\n"
	ims, lbl, names, err := DecodeCSV(strings.NewReader(csv), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ims[0].Pix, []uint8{0, 255, 128, 64}) || !bytes.Equal(ims[1].Pix, []uint8{255, 255, 255, 255}) ||
		!slices.Equal(lbl, []int{1, 0}) || names[1] != "f.csv line 3" {
		t.Errorf("pixels %v %v, labels %v, names %q", ims[0].Pix, ims[1].Pix, lbl, names)
	}
	if _, _, _, err := DecodeCSV(strings.NewReader("1,0.5,2,0,0\n"), "g.csv"); err == nil || !strings.Contains(err.Error(), "line 1, field 3") {
		t.Errorf("a decimal file with 2 in it: %v", err)
	}
}

func TestHoldOutIsSeeded(t *testing.T) {
	tr, ltr := datatest.Toy(50, 5, 4, 28)
	path := filepath.Join(t.TempDir(), "all.csv")
	datatest.WriteFile(t, path, datatest.CSV(tr, ltr, false))
	a, err := Load(FormatCSV, path, LoadOptions{Source: SourceOptions{SplitSeed: 3}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Load(FormatCSV, path, LoadOptions{Source: SourceOptions{SplitSeed: 3}})
	c, _ := Load(FormatCSV, path, LoadOptions{Source: SourceOptions{SplitSeed: 4}})
	if a.Test.N != 10 || a.Train.N != 40 {
		t.Fatalf("default fraction 0.2 of 50: got train %d test %d", a.Train.N, a.Test.N)
	}
	if !bytes.Equal(a.Test.Images, b.Test.Images) {
		t.Error("same seed, different test split")
	}
	if bytes.Equal(a.Test.Images, c.Test.Images) {
		t.Error("seeds 3 and 4 hold out the same images")
	}
}

func TestFolderResizesAndConverts(t *testing.T) {
	dir := t.TempDir()
	big, lbl := datatest.Toy(8, 2, 5, 40)
	for i, px := range big {
		datatest.PNG(t, filepath.Join(dir, fmt.Sprintf("class%d", lbl[i]), fmt.Sprintf("%d.png", i)), px, 40)
	}
	// An RGBA JPEG-free colour PNG of another size, to check gray conversion.
	rgba := image.NewNRGBA(image.Rect(0, 0, 28, 28))
	for i := range rgba.Pix {
		rgba.Pix[i] = 255
	}
	var b bytes.Buffer
	png.Encode(&b, rgba)
	datatest.WriteFile(t, filepath.Join(dir, "class1", "white.png"), b.Bytes())
	datatest.WriteFile(t, filepath.Join(dir, "class1", ".DS_Store"), []byte("junk"))
	ds, err := Load(FormatFolder, dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.N+ds.Test.N != 9 || ds.Train.H != 28 {
		t.Fatalf("%d+%d images of %d×%d", ds.Train.N, ds.Test.N, ds.Train.H, ds.Train.W)
	}
	joined := strings.Join(ds.Notes, "\n")
	if !strings.Contains(joined, "resized 8 images (8 of 40×40) to 28×28 gray with Catmull-Rom") {
		t.Errorf("notes %q", ds.Notes)
	}
	all := append(slices.Clone(ds.Train.Images), ds.Test.Images...)
	white := 0
	for i := 0; i < len(all)/784; i++ {
		if !slices.ContainsFunc(all[i*784:(i+1)*784], func(v uint8) bool { return v != 255 }) {
			white++
		}
	}
	if white != 1 {
		t.Errorf("%d all-white images, want 1 (the RGBA one in gray)", white)
	}
	// A resized bar stays a bar: the brightest column of the class-0 images is near 4·28/28·(28/40)…
	if _, err := Load(FormatFolder, dir, LoadOptions{Source: SourceOptions{NoResize: true}}); err == nil ||
		!strings.Contains(err.Error(), "sizes differ and --no-resize was given") {
		t.Errorf("mixed sizes with NoResize: %v", err)
	}
}

func TestBadInputsNameTheFile(t *testing.T) {
	good := datatest.Flat(func() [][]uint8 { i, _ := datatest.Toy(4, 2, 1, 28); return i }())
	lbl := []uint8{0, 1, 0, 1}
	c8 := make([]byte, 8*4*784)
	cases := []struct {
		name  string
		setup func(dir string) (format, path string)
		want  []string // substrings of the message
	}{
		{"empty class folder", func(dir string) (string, string) {
			datatest.PNG(t, filepath.Join(dir, "train", "a", "1.png"), good[:784], 28)
			os.MkdirAll(filepath.Join(dir, "train", "b"), 0o755)
			return FormatFolder, dir
		}, []string{filepath.Join("train", "b"), `class folder "b" holds no images`}},
		{"not an image", func(dir string) (string, string) {
			datatest.PNG(t, filepath.Join(dir, "a", "1.png"), good[:784], 28)
			datatest.WriteFile(t, filepath.Join(dir, "a", "notes.txt"), []byte("hello"))
			return FormatFolder, dir
		}, []string{"notes.txt", "not a PNG, JPEG or GIF image"}},
		{"truncated png", func(dir string) (string, string) {
			var b bytes.Buffer
			png.Encode(&b, &image.Gray{Pix: good[:784], Stride: 28, Rect: image.Rect(0, 0, 28, 28)})
			datatest.WriteFile(t, filepath.Join(dir, "a", "cut.png"), b.Bytes()[:b.Len()/2])
			return FormatFolder, dir
		}, []string{"cut.png", "bad image"}},
		{"mixed sizes no-resize", func(dir string) (string, string) {
			datatest.PNG(t, filepath.Join(dir, "a", "1.png"), good[:784], 28)
			datatest.PNG(t, filepath.Join(dir, "b", "2.png"), make([]uint8, 900), 30)
			return "no-resize", dir
		}, []string{"2.png", "30×30", "1.png", "--no-resize"}},
		{"npy unsupported dtype", func(dir string) (string, string) {
			datatest.WriteFile(t, filepath.Join(dir, "x_train.npy"), datatest.NPY("<c8", false, []int{4, 28, 28}, c8))
			datatest.WriteFile(t, filepath.Join(dir, "y_train.npy"), datatest.NPY("|u1", false, []int{4}, lbl))
			return FormatNumPy, dir
		}, []string{"x_train.npy", `dtype "<c8" is not supported`}},
		{"npy fortran order", func(dir string) (string, string) {
			p := filepath.Join(dir, "d.npz")
			datatest.WriteFile(t, p, datatest.NPZ(t, map[string][]byte{
				"x_train": datatest.NPY("|u1", true, []int{4, 28, 28}, good),
				"y_train": datatest.NPY("|u1", false, []int{4}, lbl)}))
			return FormatNumPy, p
		}, []string{"d.npz", "key x_train", "Fortran-order"}},
		{"npy truncated body", func(dir string) (string, string) {
			p := filepath.Join(dir, "d.npz")
			datatest.WriteFile(t, p, datatest.NPZ(t, map[string][]byte{
				"x_train": datatest.NPY("|u1", false, []int{4, 28, 28}, good),
				"y_train": datatest.NPY("|u1", false, []int{4}, lbl[:3])}))
			return FormatNumPy, p
		}, []string{"d.npz", "key y_train", "truncated body", "needs 4 bytes, only 3"}},
		{"npz missing key", func(dir string) (string, string) {
			p := filepath.Join(dir, "d.npz")
			datatest.WriteFile(t, p, datatest.NPZ(t, map[string][]byte{"x_train": datatest.NPY("|u1", false, []int{4, 28, 28}, good)}))
			return FormatNumPy, p
		}, []string{"d.npz", "no array y_train", "found: x_train"}},
		{"csv wrong row length", func(dir string) (string, string) {
			b := datatest.CSV([][]uint8{good[:784], good[784:1568]}, lbl[:2], true)
			b = append(b, []byte("1,2,3\n")...)
			datatest.WriteFile(t, filepath.Join(dir, "train.csv"), b)
			return FormatCSV, dir
		}, []string{"train.csv", "line 4", "3 fields, want 785"}},
		{"csv bad pixel", func(dir string) (string, string) {
			b := datatest.CSV([][]uint8{good[:784]}, lbl[:1], false)
			b = append(b, []byte("1"+strings.Repeat(",300", 784)+"\n")...)
			datatest.WriteFile(t, filepath.Join(dir, "all.csv"), b)
			return FormatCSV, filepath.Join(dir, "all.csv")
		}, []string{"all.csv", "line 2, field 2", `pixel "300"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			format, path := c.setup(t.TempDir())
			opts := LoadOptions{}
			if format == "no-resize" {
				format, opts.Source.NoResize = FormatFolder, true
			}
			_, err := Load(format, path, opts)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *FileError", err, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParseNormalize(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    Normalization
		wantErr bool
	}{
		{"data", Normalization{Mode: NormData}, false},
		{"fashion-mnist", Normalization{NormFashion, FashionMean, FashionStd}, false},
		{"none", Normalization{NormNone, 0, 1}, false},
		{"0.1307,0.3081", Normalization{NormFixed, 0.1307, 0.3081}, false},
		{"0.5,0", Normalization{}, true},
		{"0.5", Normalization{}, true},
		{"x,1", Normalization{}, true},
		{"NaN,1", Normalization{}, true},
	} {
		got, err := ParseNormalize(c.in)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ParseNormalize(%q) = %+v, %v", c.in, got, err)
		}
	}
	set := &Set{Name: "train", N: 2, H: 1, W: 2, Classes: 1, Images: []uint8{0, 255, 0, 255}, Labels: []uint8{0, 0}}
	n := Normalization{Mode: NormData}.Resolve(set)
	if n.Mean != 0.5 || n.Std != 0.5 {
		t.Errorf("resolved %+v, want mean 0.5 std 0.5", n)
	}
}

func FuzzDecodeNPY(f *testing.F) {
	f.Add(datatest.NPY("|u1", false, []int{2, 2}, []byte{1, 2, 3, 4}))
	f.Add(datatest.NPY("<f4", false, []int{1}, []byte{0, 0, 128, 63}))
	f.Add(datatest.NPY(">i8", true, []int{0}, nil))
	f.Add([]byte("\x93NUMPY\x02\x00\x10\x00\x00\x00{'shape': (3,)}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeNPY(bytes.NewReader(b))
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FileError", err)
			}
			return
		}
		n := a.Size
		for _, d := range a.Shape {
			n *= d
		}
		if len(a.Data) != n {
			t.Fatalf("%d data bytes for shape %v of %s", len(a.Data), a.Shape, a.Descr)
		}
		if a.Len() > 0 {
			a.Float(a.Len() - 1)
		}
		// Whatever decodes must convert, or fail cleanly, as images and as labels.
		npyImages(a, "f.npy", "x")
		if len(a.Shape) > 0 {
			npyLabels(a, "f.npy", "y", a.Shape[0])
		}
	})
}

func FuzzDecodeCSV(f *testing.F) {
	tr, ltr := datatest.Toy(2, 2, 1, 2)
	f.Add(datatest.CSV(tr, ltr, true))
	f.Add([]byte("0,0.5,1,0,0.25\n1,1,1,1,1\n"))
	f.Add([]byte("label,p\n\"3,1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ims, lbl, names, err := DecodeCSV(bytes.NewReader(b), "f.csv")
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != "f.csv" {
				t.Fatalf("error %v is not a *FileError naming f.csv", err)
			}
			return
		}
		if len(ims) == 0 || len(ims) != len(lbl) || len(ims) != len(names) {
			t.Fatalf("%d images, %d labels, %d names", len(ims), len(lbl), len(names))
		}
		for i, im := range ims {
			if im.Rect != ims[0].Rect || lbl[i] < 0 || lbl[i] >= maxClasses {
				t.Fatalf("row %d: %v label %d", i, im.Rect, lbl[i])
			}
		}
	})
}
