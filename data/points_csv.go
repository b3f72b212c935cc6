package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Points CSV layout: a header row naming the columns x, y and label (in this
// order, any case, spaces around names ignored), then one row per point:
// two finite numbers and a class index 0..255. Blank lines are skipped.
// There must be at least one point. Classes is the largest label + 1.

// MaxPointsCSV is the most points a points CSV may hold.
const MaxPointsCSV = 1 << 22

// DecodePointsCSV reads a points CSV; name (the file) prefixes messages,
// and an error is a *FileError (Kind ErrCorrupt) whose Problem names the
// line.
func DecodePointsCSV(r io.Reader, name string) (*Points, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	p := &Points{Name: strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))}
	header := false
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fileErr(name, ErrCorrupt, "line %d: %v", pe.Line, pe.Err)
			}
			return nil, fileErr(name, ErrCorrupt, "%v", err)
		}
		if len(rec) == 0 {
			continue
		}
		line, _ := cr.FieldPos(0)
		if !header {
			if len(rec) != 3 || !strings.EqualFold(strings.TrimSpace(rec[0]), "x") ||
				!strings.EqualFold(strings.TrimSpace(rec[1]), "y") || !strings.EqualFold(strings.TrimSpace(rec[2]), "label") {
				return nil, fileErr(name, ErrCorrupt, "line %d: the header must be x,y,label, got %q", line, strings.Join(rec, ","))
			}
			header = true
			continue
		}
		if len(rec) != 3 {
			return nil, fileErr(name, ErrCorrupt, "line %d: %d fields, want 3 (x,y,label)", line, len(rec))
		}
		if p.N >= MaxPointsCSV {
			return nil, fileErr(name, ErrCorrupt, "line %d: more than %d points", line, MaxPointsCSV)
		}
		var xy [2]float64
		for i := 0; i < 2; i++ {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
				return nil, fileErr(name, ErrCorrupt, "line %d: %s = %q is not a finite number", line, [2]string{"x", "y"}[i], rec[i])
			}
			xy[i] = v
		}
		l, err := strconv.Atoi(strings.TrimSpace(rec[2]))
		if err != nil || l < 0 || l > 255 {
			return nil, fileErr(name, ErrCorrupt, "line %d: label %q is not a class index 0..255", line, rec[2])
		}
		p.X = append(p.X, float32(xy[0]), float32(xy[1]))
		p.Labels = append(p.Labels, uint8(l))
		p.N++
		p.Classes = max(p.Classes, l+1)
	}
	if !header {
		return nil, fileErr(name, ErrCorrupt, "empty file: want a header x,y,label and at least one point")
	}
	if p.N == 0 {
		return nil, fileErr(name, ErrCorrupt, "no points after the header")
	}
	return p, nil
}

// ReadPointsCSV reads a points CSV file (see DecodePointsCSV).
func ReadPointsCSV(path string) (*Points, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fileErr(path, ErrNotFound, "no such file")
		}
		return nil, fileErr(path, err, "%v", err)
	}
	defer f.Close()
	return DecodePointsCSV(f, path)
}
