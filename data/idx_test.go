package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes builds an IDX file by hand: magic, dims, payload.
func idxBytes(magic uint32, dims []uint32, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeSmallSet writes a valid 4-file set (20 train, 10 test images of h×w) into dir,
// creating it; tests then break one file.
func writeSmallSet(t *testing.T, dir string, h, w int, compress bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ext := ""
	if compress {
		ext = ".gz"
	}
	for k, n := range []int{20, 10} {
		pix := make([]byte, n*h*w)
		for i := range pix {
			pix[i] = byte(i * 7)
		}
		lab := make([]byte, n)
		for i := range lab {
			lab[i] = byte(i % 10)
		}
		im := idxBytes(MagicImages, []uint32{uint32(n), uint32(h), uint32(w)}, pix)
		lb := idxBytes(MagicLabels, []uint32{uint32(n)}, lab)
		if compress {
			im, lb = gz(im), gz(lb)
		}
		writeFile(t, dir, FileNames[2*k]+ext, im)
		writeFile(t, dir, FileNames[2*k+1]+ext, lb)
	}
}

func TestReadIDXRawAndGzip(t *testing.T) {
	dir := t.TempDir()
	pix := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	raw := idxBytes(MagicImages, []uint32{2, 2, 3}, pix)
	// A gzip file named without .gz and a raw file named .gz: detection is by content.
	for _, c := range []struct {
		name string
		b    []byte
	}{{"a-idx3-ubyte", gz(raw)}, {"b-idx3-ubyte.gz", raw}} {
		p := writeFile(t, dir, c.name, c.b)
		im, err := ReadImages(p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if im.N != 2 || im.H != 2 || im.W != 3 || !bytes.Equal(im.Pix, pix) {
			t.Errorf("%s: got N=%d H=%d W=%d pix %v", c.name, im.N, im.H, im.W, im.Pix)
		}
	}
	lp := writeFile(t, dir, "l", gz(idxBytes(MagicLabels, []uint32{3}, []byte{0, 9, 4})))
	if l, err := ReadLabels(lp); err != nil || !bytes.Equal(l, []byte{0, 9, 4}) {
		t.Errorf("labels: %v, %v", l, err)
	}
}

// TestReadIDXErrors checks that every kind of damage is an error naming the file and the
// problem, of the right kind, and never a panic.
func TestReadIDXErrors(t *testing.T) {
	pix := make([]byte, 2*28*28)
	good := idxBytes(MagicImages, []uint32{2, 28, 28}, pix)
	goodGz := gz(good)
	cases := []struct {
		name   string
		b      []byte
		labels bool
		kind   error
		want   string
	}{
		{"truncated.gz", goodGz[:len(goodGz)/2], false, ErrCorrupt, "gzip stream ends early"},
		{"truncated-tail.gz", goodGz[:len(goodGz)-4], false, ErrCorrupt, "gzip"},
		{"bad-crc.gz", append(append([]byte{}, goodGz[:len(goodGz)-8]...), 1, 2, 3, 4, 5, 6, 7, 8), false, ErrCorrupt, "gzip"},
		{"truncated-raw", good[:100], false, ErrCorrupt, "truncated: header declares dims [2 28 28] = 1568 data bytes, only 84 present"},
		{"short-header", good[:2], false, ErrCorrupt, "only 2 of 4 header bytes"},
		{"empty", nil, false, ErrCorrupt, "only 0 of 4 header bytes"},
		{"cut-dims", good[:9], false, ErrCorrupt, "header cut short"},
		{"trailing", append(append([]byte{}, good...), 0, 0, 0), false, ErrCorrupt, "3 trailing bytes"},
		{"trailing.gz", gz(append(append([]byte{}, good...), 7)), false, ErrCorrupt, "1 trailing bytes"},
		{"labels-as-images", idxBytes(MagicLabels, []uint32{2}, []byte{1, 2}), false, ErrCorrupt, "1 dimensions, want 3"},
		{"images-as-labels", good, true, ErrCorrupt, "3 dimensions, want 1"},
		{"float-type", idxBytes(0x00000D03, []uint32{1, 1, 1}, []byte{0, 0, 0, 0}), false, ErrCorrupt, "element type 0x0D (float32)"},
		{"not-idx", []byte("PK\x03\x04 this is a zip"), false, ErrCorrupt, "bad magic 0x504B0304: not an IDX file"},
		{"zero-dim", idxBytes(MagicImages, []uint32{0, 28, 28}, nil), false, ErrCorrupt, "dimension 0 is zero"},
		{"huge", idxBytes(MagicImages, []uint32{1 << 30, 28, 28}, nil), false, ErrCorrupt, "declare more than"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, dir, c.name, c.b)
			var err error
			if c.labels {
				_, err = ReadLabels(p)
			} else {
				_, err = ReadImages(p)
			}
			if err == nil {
				t.Fatal("no error")
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != p {
				t.Fatalf("error %q is not a *FileError for %s", err, p)
			}
			if !errors.Is(err, c.kind) {
				t.Errorf("error %q is not %v", err, c.kind)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "data: "+p+": ") {
				t.Errorf("error %q: want prefix %q and text %q", err, "data: "+p+": ", c.want)
			}
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope-idx1-ubyte")
	_, err := ReadLabels(p)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), p) {
		t.Errorf("missing file: %v, want ErrNotFound naming %s", err, p)
	}
}

func TestLoadDirValidatesAcrossFiles(t *testing.T) {
	spec, _ := Lookup("mnist")
	t.Run("ok-gz", func(t *testing.T) {
		dir := t.TempDir()
		writeSmallSet(t, dir, 28, 28, true)
		ds, err := LoadDir(spec, dir)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Train.N != 20 || ds.Test.N != 10 || ds.Train.Labels[13] != 3 || ds.Test.Image(1)[1] != byte((784+1)*7%256) {
			t.Errorf("loaded %v", ds)
		}
		if err := ds.Train.Validate(); err != nil {
			t.Error(err)
		}
	})
	t.Run("ok-raw", func(t *testing.T) {
		dir := t.TempDir()
		writeSmallSet(t, dir, 28, 28, false)
		if _, err := LoadDir(spec, dir); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("wrong-size", func(t *testing.T) {
		dir := t.TempDir()
		writeSmallSet(t, dir, 32, 32, true)
		_, err := LoadDir(spec, dir)
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "images are 32×32, mnist expects 28×28") ||
			!strings.Contains(err.Error(), TrainImages) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("count-mismatch", func(t *testing.T) {
		dir := t.TempDir()
		writeSmallSet(t, dir, 28, 28, true)
		writeFile(t, dir, TestLabels+".gz", gz(idxBytes(MagicLabels, []uint32{9}, make([]byte, 9))))
		_, err := LoadDir(spec, dir)
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "9 labels but "+TestImages+".gz has 10 images") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("label-out-of-range", func(t *testing.T) {
		dir := t.TempDir()
		writeSmallSet(t, dir, 28, 28, true)
		lab := make([]byte, 20)
		lab[13] = 12
		p := writeFile(t, dir, TrainLabels+".gz", gz(idxBytes(MagicLabels, []uint32{20}, lab)))
		_, err := LoadDir(spec, dir)
		want := "data: " + p + ": label 12 at index 13 is out of range [0,10)"
		if !errors.Is(err, ErrMismatch) || err.Error() != want {
			t.Errorf("got %v, want %q", err, want)
		}
	})
	t.Run("missing-file", func(t *testing.T) {
		dir := t.TempDir()
		writeSmallSet(t, dir, 28, 28, true)
		os.Remove(filepath.Join(dir, TestImages+".gz"))
		_, err := LoadDir(spec, dir)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "missing "+TestImages) ||
			!strings.Contains(err.Error(), "gabor data fetch mnist") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("missing-dir", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "absent")
		_, err := LoadDir(spec, dir)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), dir) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("corrupt-reported-with-others", func(t *testing.T) {
		dir := t.TempDir()
		writeSmallSet(t, dir, 28, 28, true)
		b, _ := os.ReadFile(filepath.Join(dir, TrainImages+".gz"))
		p := writeFile(t, dir, TrainImages+".gz", b[:len(b)/3])
		_, err := LoadDir(spec, dir)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) {
			t.Errorf("got %v", err)
		}
	})
}

func TestWriteIDXRoundTrip(t *testing.T) {
	ds, err := Synthetic(3, 30, 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, compress := range []bool{false, true} {
		dir := t.TempDir()
		if err := WriteDir(ds, dir, compress); err != nil {
			t.Fatal(err)
		}
		back, err := Load("mnist", dir, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.Train.Images, ds.Train.Images) || !bytes.Equal(back.Test.Labels, ds.Test.Labels) {
			t.Errorf("gz=%v: round trip changed the data", compress)
		}
		if st, _ := os.Stat(back.Files[0]); st.Mode().Perm() != 0o644 {
			t.Errorf("written file mode %v, want 0644", st.Mode().Perm())
		}
	}
}

// FuzzDecodeIDX: arbitrary bytes, raw or gzipped, give a result or an error, never a
// panic, and a result always has prod(dims) bytes.
func FuzzDecodeIDX(f *testing.F) {
	f.Add(idxBytes(MagicImages, []uint32{1, 2, 2}, []byte{1, 2, 3, 4}))
	f.Add(gz(idxBytes(MagicLabels, []uint32{3}, []byte{1, 2, 3})))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, nd := range []int{1, 3} {
			dims, pay, err := DecodeIDX(bytes.NewReader(b), nd)
			if err != nil {
				continue
			}
			total := 1
			for _, d := range dims {
				total *= d
			}
			if total != len(pay) {
				t.Fatalf("dims %v but %d bytes", dims, len(pay))
			}
		}
	})
}
