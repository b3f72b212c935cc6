package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodePointsCSV(t *testing.T) {
	p, err := DecodePointsCSV(strings.NewReader("x,y,label\n0.5,-1,0\n\n 2e-1 , 3, 2\n-0,0,1\n"), "pts.csv")
	if err != nil {
		t.Fatal(err)
	}
	if p.N != 3 || p.Classes != 3 || p.Name != "pts" {
		t.Fatalf("N=%d classes=%d name=%q, want 3, 3, pts", p.N, p.Classes, p.Name)
	}
	want := []float32{0.5, -1, 0.2, 3, 0, 0}
	for i, v := range want {
		if p.X[i] != v {
			t.Errorf("X[%d] = %g, want %g", i, p.X[i], v)
		}
	}
	if p.Labels[1] != 2 {
		t.Errorf("labels %v", p.Labels)
	}
}

func TestDecodePointsCSVErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty file"},
		{"x,y,label\n", "no points"},
		{"a,b,c\n1,2,0\n", "line 1: the header"},
		{"x,y\n1,2\n", "line 1: the header"},
		{"x,y,label\n1,2,0\n1,2\n", "line 3: 2 fields"},
		{"x,y,label\n1,2,0\n1,nan,0\n", "line 3: y"},
		{"x,y,label\n1,2,0\n\n1e999,0,0\n", "line 4: x"},
		{"x,y,label\n1,2,256\n", "line 2: label"},
		{"x,y,label\n1,2,-1\n", "line 2: label"},
		{"x,y,label\n1,2,0.5\n", "line 2: label"},
		{"x,y,label\n1,\"2,0\n", "line 2"},
	} {
		_, err := DecodePointsCSV(strings.NewReader(tc.in), "bad.csv")
		var fe *FileError
		if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "bad.csv") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want a corrupt-file error naming bad.csv and %q", tc.in, err, tc.want)
		}
	}
}

func TestReadPointsCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.csv")
	if err := os.WriteFile(path, []byte("X, Y, Label\n1,1,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := ReadPointsCSV(path); err != nil || p.N != 1 || p.Classes != 2 {
		t.Fatalf("%v %+v", err, p)
	}
	if _, err := ReadPointsCSV(path + ".missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing file: %v, want ErrNotFound", err)
	}
}

func FuzzDecodePointsCSV(f *testing.F) {
	f.Add("x,y,label\n0.5,-1,0\n1,2,1\n")
	f.Add("x,y,label\n1,\"2,0\n")
	f.Add("x,y,label\n1e308,1e-308,255\n")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := DecodePointsCSV(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.csv") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		if p.N < 1 || len(p.X) != 2*p.N || len(p.Labels) != p.N {
			t.Fatalf("N=%d with %d coordinates and %d labels", p.N, len(p.X), len(p.Labels))
		}
		for _, l := range p.Labels {
			if int(l) >= p.Classes {
				t.Fatalf("label %d with %d classes", l, p.Classes)
			}
		}
	})
}
