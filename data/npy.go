package data

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// NumPy's .npy format (numpy.lib.format, versions 1.0, 2.0 and 3.0):
//
//	6 bytes   magic "\x93NUMPY"
//	1 byte    major version (1, 2 or 3), 1 byte minor version (0)
//	2 bytes   header length, little-endian (4 bytes in versions 2 and 3)
//	header    an ASCII (3.0: UTF-8) Python dict literal, padded with spaces and ended by
//	          '\n', e.g. {'descr': '|u1', 'fortran_order': False, 'shape': (60000, 28, 28), }
//	data      prod(shape) elements of descr, C (row-major) order unless fortran_order
//
// An .npz file is a zip archive of .npy files; each member's name without ".npy" is
// its key (Keras' mnist.npz has x_train, y_train, x_test, y_test).

// maxNPYHeader bounds the header a file may declare (NumPy writes a few hundred bytes).
const maxNPYHeader = 1 << 16

// NPYArray is one decoded .npy array: its raw element bytes as stored.
type NPYArray struct {
	Descr string // dtype as NumPy spells it: "|u1", "<f4", ">i8"…
	Shape []int
	Data  []byte // prod(Shape) · ElemSize bytes, C order
	Kind  byte   // 'u', 'i', 'f' or 'b'
	Size  int    // bytes per element
	Order binary.ByteOrder
}

// Len is the number of elements.
func (a *NPYArray) Len() int { return len(a.Data) / a.Size }

// Float returns element k as a float64.
func (a *NPYArray) Float(k int) float64 {
	b := a.Data[k*a.Size : (k+1)*a.Size]
	switch a.Kind {
	case 'f':
		if a.Size == 4 {
			return float64(math.Float32frombits(a.Order.Uint32(b)))
		}
		return math.Float64frombits(a.Order.Uint64(b))
	case 'i':
		switch a.Size {
		case 1:
			return float64(int8(b[0]))
		case 2:
			return float64(int16(a.Order.Uint16(b)))
		case 4:
			return float64(int32(a.Order.Uint32(b)))
		}
		return float64(int64(a.Order.Uint64(b)))
	}
	switch a.Size { // 'u', 'b'
	case 1:
		return float64(b[0])
	case 2:
		return float64(a.Order.Uint16(b))
	case 4:
		return float64(a.Order.Uint32(b))
	}
	return float64(a.Order.Uint64(b))
}

// npyDtypes are the element types the reader accepts: unsigned and signed integers,
// float32 and float64, and bool.
var npyDtypes = map[string]int{"u1": 1, "u2": 2, "u4": 4, "u8": 8, "i1": 1, "i2": 2, "i4": 4, "i8": 8, "f4": 4, "f8": 8, "b1": 1}

// DecodeNPY reads one .npy stream. It refuses Fortran order, object and structured
// dtypes, and a body shorter or longer than the shape says; memory grows with the
// bytes actually present, never with what the header claims. Errors are *FileError
// with an empty Path (ReadNPY and the .npz reader fill it in).
func DecodeNPY(r io.Reader) (*NPYArray, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var pre [10]byte
	if n, err := io.ReadFull(br, pre[:]); err != nil {
		return nil, fileErr("", ErrCorrupt, "not a .npy file: only %d bytes", n)
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return nil, fileErr("", ErrCorrupt, "not a .npy file: bad magic %q (want \"\\x93NUMPY\")", pre[:6])
	}
	var hlen int
	switch pre[6] {
	case 1:
		hlen = int(binary.LittleEndian.Uint16(pre[8:10]))
	case 2, 3:
		var more [2]byte
		if _, err := io.ReadFull(br, more[:]); err != nil {
			return nil, fileErr("", ErrCorrupt, "truncated .npy preamble")
		}
		hlen = int(binary.LittleEndian.Uint32(append(pre[8:10:10], more[:]...)))
	default:
		return nil, fileErr("", ErrCorrupt, ".npy version %d.%d is not supported (1.0, 2.0, 3.0 are)", pre[6], pre[7])
	}
	if hlen > maxNPYHeader {
		return nil, fileErr("", ErrCorrupt, ".npy header of %d bytes is implausibly long (at most %d)", hlen, maxNPYHeader)
	}
	hdr := make([]byte, hlen)
	if n, err := io.ReadFull(br, hdr); err != nil {
		return nil, fileErr("", ErrCorrupt, "truncated .npy header: %d of %d bytes", n, hlen)
	}
	h, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, fileErr("", ErrCorrupt, "bad .npy header %q: %v", strings.TrimSpace(string(hdr)), err)
	}
	a := &NPYArray{Descr: h.descr, Shape: h.shape}
	if h.fortran {
		return nil, fileErr("", ErrCorrupt, "Fortran-order array (fortran_order: True) is not supported: save it in C order (numpy.ascontiguousarray)")
	}
	if len(h.descr) < 3 || !strings.ContainsRune("<>|=", rune(h.descr[0])) {
		return nil, fileErr("", ErrCorrupt, "dtype %q is not supported (supported: uint8, float32, float64 and integer arrays)", h.descr)
	}
	size, ok := npyDtypes[h.descr[1:]]
	if !ok {
		return nil, fileErr("", ErrCorrupt, "dtype %q is not supported (supported: uint8, float32, float64 and integer arrays)", h.descr)
	}
	a.Kind, a.Size, a.Order = h.descr[1], size, binary.LittleEndian
	if h.descr[0] == '>' {
		a.Order = binary.BigEndian
	}
	total := size
	for _, d := range h.shape {
		if d < 0 {
			return nil, fileErr("", ErrCorrupt, "negative dimension in shape %v", h.shape)
		}
		if d != 0 && total > maxElements/d {
			return nil, fileErr("", ErrCorrupt, "shape %v of %s declares more than %d bytes", h.shape, h.descr, maxElements)
		}
		total *= d
	}
	body, n, err := readUpTo(br, total)
	if err != nil {
		return nil, fileErr("", ErrCorrupt, "truncated body: shape %v of %s needs %d bytes, only %d present", h.shape, h.descr, total, n)
	}
	if k, _ := io.ReadFull(br, make([]byte, 1)); k > 0 {
		return nil, fileErr("", ErrCorrupt, "trailing bytes after the %d bytes of shape %v of %s", total, h.shape, h.descr)
	}
	a.Data = body
	return a, nil
}

type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
	seen    map[string]bool
}

// parseNPYHeader reads the header dict: exactly the keys descr (a string), fortran_order
// (True or False) and shape (a tuple of integers), in any order.
func parseNPYHeader(s string) (*npyHeader, error) {
	p := &pyLex{s: strings.TrimRight(s, " \n\x00")}
	h := &npyHeader{seen: map[string]bool{}}
	if !p.eat('{') {
		return nil, errors.New("does not start with '{'")
	}
	for !p.eat('}') {
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if h.seen[key] {
			return nil, fmt.Errorf("key %q twice", key)
		}
		h.seen[key] = true
		if !p.eat(':') {
			return nil, fmt.Errorf("no ':' after key %q", key)
		}
		switch key {
		case "descr":
			if h.descr, err = p.str(); err != nil {
				return nil, fmt.Errorf("descr: %v (structured dtypes are not supported)", err)
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.fortran = true
			case p.word("False"):
			default:
				return nil, errors.New("fortran_order is neither True nor False")
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return nil, fmt.Errorf("shape: %v", err)
			}
		default:
			return nil, fmt.Errorf("unknown key %q", key)
		}
		if !p.eat(',') {
			if !p.eat('}') {
				return nil, errors.New("expected ',' or '}'")
			}
			break
		}
	}
	if p.skip(); p.i != len(p.s) {
		return nil, errors.New("text after '}'")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !h.seen[k] {
			return nil, fmt.Errorf("no %q key", k)
		}
	}
	return h, nil
}

// pyLex scans the few Python literals an .npy header holds.
type pyLex struct {
	s string
	i int
}

func (p *pyLex) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *pyLex) eat(c byte) bool {
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyLex) word(w string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *pyLex) str() (string, error) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", errors.New("expected a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *pyLex) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, errors.New("expected '('")
	}
	out := []int{}
	for !p.eat(')') {
		p.skip()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i || j-p.i > 12 {
			return nil, errors.New("expected a dimension (a non-negative integer)")
		}
		d, _ := strconv.Atoi(p.s[p.i:j])
		out = append(out, d)
		p.i = j
		p.word("L") // Python 2 longs
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, errors.New("expected ',' or ')'")
			}
			break
		}
	}
	return out, nil
}

// ReadNPY reads an .npy file.
func ReadNPY(path string) (*NPYArray, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := DecodeNPY(f)
	return a, withPath(err, path, "")
}

// ReadNPZ reads every array of an .npz archive, keyed by member name without ".npy".
func ReadNPZ(path string) (map[string]*NPYArray, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fileErr(path, ErrNotFound, "no such file")
		}
		return nil, fileErr(path, ErrCorrupt, "not an .npz (zip) archive: %v", err)
	}
	defer zr.Close()
	out := map[string]*NPYArray{}
	for _, m := range zr.File {
		key, ok := strings.CutSuffix(m.Name, ".npy")
		if !ok || strings.HasSuffix(m.Name, "/") {
			continue
		}
		rc, err := m.Open()
		if err != nil {
			return nil, fileErr(path, ErrCorrupt, "key %s: %v", key, err)
		}
		a, err := DecodeNPY(rc)
		rc.Close()
		if err != nil {
			return nil, withPath(err, path, "key "+key+": ")
		}
		out[key] = a
	}
	return out, nil
}

// openData opens a file for reading, with a *FileError naming it on failure.
func openData(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fileErr(path, ErrNotFound, "no such file")
		}
		return nil, &FileError{Path: path, Problem: err.Error(), Kind: err}
	}
	return f, nil
}

// withPath fills in the path (and a prefix such as "key x_train: ") of a decoder's error.
func withPath(err error, path, prefix string) error {
	if err == nil {
		return nil
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return &FileError{Path: path, Problem: prefix + fe.Problem, Kind: fe.Kind}
	}
	return &FileError{Path: path, Problem: prefix + err.Error(), Kind: err}
}

// Keras' names of the four arrays of mnist.npz.
const (
	KeyXTrain = "x_train"
	KeyYTrain = "y_train"
	KeyXTest  = "x_test"
	KeyYTest  = "y_test"
)

// loadNumPy reads an .npz archive or a folder of x_train.npy, y_train.npy, x_test.npy
// and y_test.npy. Without test arrays the training arrays are split (TestFraction).
func loadNumPy(path string, o SourceOptions) (*Dataset, error) {
	arrays := map[string]*NPYArray{}
	where := map[string]string{} // key → file, for messages
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		for _, k := range []string{KeyXTrain, KeyYTrain, KeyXTest, KeyYTest} {
			p := filepath.Join(path, k+".npy")
			if _, err := os.Stat(p); err != nil {
				continue
			}
			a, err := ReadNPY(p)
			if err != nil {
				return nil, err
			}
			arrays[k], where[k] = a, p
		}
	} else if strings.EqualFold(filepath.Ext(path), ".npy") {
		return nil, fileErr(path, ErrMismatch, "one .npy array holds no labels: give an .npz with x_train and y_train, or a folder of x_train.npy, y_train.npy (x_test.npy, y_test.npy); gabor predict takes a lone .npy of images")
	} else {
		m, err := ReadNPZ(path)
		if err != nil {
			return nil, err
		}
		arrays = m
		for k := range m {
			where[k] = path
		}
	}
	for _, k := range []string{KeyXTrain, KeyYTrain} {
		if arrays[k] == nil {
			keys := slices.Sorted(maps.Keys(arrays))
			return nil, fileErr(path, ErrNotFound, "no array %s (found: %s; want x_train, y_train and optionally x_test, y_test)", k, strings.Join(keys, ", "))
		}
	}
	if (arrays[KeyXTest] == nil) != (arrays[KeyYTest] == nil) {
		return nil, fileErr(path, ErrMismatch, "x_test and y_test come together: only one of them is present")
	}
	var splits [2]rawSplit
	for s, ks := range [2][2]string{{KeyXTrain, KeyYTrain}, {KeyXTest, KeyYTest}} {
		if arrays[ks[0]] == nil {
			continue
		}
		r, err := npyImages(arrays[ks[0]], where[ks[0]], ks[0])
		if err != nil {
			return nil, err
		}
		if r.labels, err = npyLabels(arrays[ks[1]], where[ks[1]], ks[1], len(r.images)); err != nil {
			return nil, err
		}
		splits[s] = r
	}
	return assembleOwn(FormatNumPy, path, splits, arrays[KeyXTest] == nil, o, nil)
}

// npyImages converts an image array to 8-bit gray images: uint8 as is, other types
// by value (floats with every value in [0, 1] are scaled by 255; otherwise values must
// lie in [0, 255]; both rounded to the nearest integer). Accepted shapes: (N, H, W),
// (N, H, W, 1), (N, 1, H, W), and (N, D) with D a square. key names the array in errors.
func npyImages(a *NPYArray, path, key string) (rawSplit, error) {
	bad := func(format string, args ...any) (rawSplit, error) {
		return rawSplit{}, fileErr(path, ErrMismatch, "key %s: "+format, append([]any{key}, args...)...)
	}
	s := a.Shape
	var n, h, w int
	switch {
	case len(s) == 3:
		n, h, w = s[0], s[1], s[2]
	case len(s) == 4 && s[3] == 1:
		n, h, w = s[0], s[1], s[2]
	case len(s) == 4 && s[1] == 1:
		n, h, w = s[0], s[2], s[3]
	case len(s) == 2:
		side := int(math.Sqrt(float64(s[1])))
		if side*side != s[1] {
			return bad("shape %v: %d values per image is not a square image (give (N, H, W))", s, s[1])
		}
		n, h, w = s[0], side, side
	default:
		return bad("shape %v is not images: want (N, H, W), (N, H, W, 1), (N, 1, H, W) or (N, H·W) (one gray channel)", s)
	}
	if n == 0 || h == 0 || w == 0 {
		return bad("shape %v holds no images", s)
	}
	if a.Kind == 'b' {
		return bad("dtype %s (bool) is not an image type (use uint8 or float32)", a.Descr)
	}
	px := make([]uint8, n*h*w)
	if a.Descr[1:] == "u1" {
		copy(px, a.Data)
	} else {
		scale := 255.0
		for k := range px {
			v := a.Float(k)
			if math.IsNaN(v) || v < 0 || v > 255 {
				return bad("value %g at flat index %d (image %d) is outside [0, 255]", v, k, k/(h*w))
			}
			if v > 1 || a.Kind != 'f' {
				scale = 1
			}
		}
		for k := range px {
			px[k] = uint8(math.Round(a.Float(k) * scale))
		}
	}
	r := rawSplit{images: make([]*image.Gray, n), names: make([]string, n)}
	for i := range r.images {
		r.images[i] = &image.Gray{Pix: px[i*h*w : (i+1)*h*w : (i+1)*h*w], Stride: w, Rect: image.Rect(0, 0, w, h)}
		r.names[i] = fmt.Sprintf("%s key %s[%d]", path, key, i)
	}
	return r, nil
}

// npyLabels converts a label array of shape (N,) or (N, 1) with integer values.
func npyLabels(a *NPYArray, path, key string, n int) ([]int, error) {
	if !(len(a.Shape) == 1 || len(a.Shape) == 2 && a.Shape[1] == 1) {
		return nil, fileErr(path, ErrMismatch, "key %s: shape %v is not labels: want (N,) or (N, 1)", key, a.Shape)
	}
	if a.Shape[0] != n {
		return nil, fileErr(path, ErrMismatch, "key %s: %d labels for %d images", key, a.Shape[0], n)
	}
	out := make([]int, n)
	for i := range out {
		v := a.Float(i)
		if v != math.Trunc(v) || v < 0 || v >= maxClasses {
			return nil, fileErr(path, ErrMismatch, "key %s: label %g at index %d is not a class index in [0, %d)", key, v, i, maxClasses)
		}
		out[i] = int(v)
	}
	return out, nil
}
