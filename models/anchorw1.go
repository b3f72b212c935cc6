package models

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/gaborlab/gabor/graph"
)

// ANCHORW1 is the initial-weights format shared with the reference programs:
//
//	"ANCHORW1" | uint32 count | per tensor: uint32 ndim, uint32 dims[ndim], float32 data
//
// little-endian, C order, PyTorch layout (Linear weight [out, in]).

// Tensor is one array of an ANCHORW1 file.
type Tensor struct {
	Shape []int
	Data  []float32
}

const anchorMagic = "ANCHORW1"

// ReadANCHORW1 reads and validates an ANCHORW1 file.
func ReadANCHORW1(path string) ([]Tensor, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	ts, err := decodeANCHORW1(buf)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", path, err)
	}
	return ts, nil
}

func decodeANCHORW1(buf []byte) ([]Tensor, error) {
	r := bytes.NewReader(buf)
	magic := make([]byte, len(anchorMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != anchorMagic {
		return nil, fmt.Errorf("not an ANCHORW1 file (magic %q)", magic)
	}
	var count uint32
	if err := binary.Read(r, binary.LittleEndian, &count); err != nil {
		return nil, fmt.Errorf("truncated header: %w", err)
	}
	if count > 1<<16 {
		return nil, fmt.Errorf("implausible tensor count %d", count)
	}
	// Every tensor takes at least its 4-byte rank: a count the bytes cannot hold
	// is refused before anything is allocated for it.
	if int64(count)*4 > int64(r.Len()) {
		return nil, fmt.Errorf("header declares %d tensors, but only %d bytes follow", count, r.Len())
	}
	out := make([]Tensor, count)
	for i := range out {
		var nd uint32
		if err := binary.Read(r, binary.LittleEndian, &nd); err != nil {
			return nil, fmt.Errorf("tensor %d: truncated: %w", i, err)
		}
		if nd > 8 {
			return nil, fmt.Errorf("tensor %d: implausible rank %d", i, nd)
		}
		dims := make([]uint32, nd)
		if err := binary.Read(r, binary.LittleEndian, dims); err != nil {
			return nil, fmt.Errorf("tensor %d: truncated shape: %w", i, err)
		}
		// The element count is bounded by the bytes left at every factor, so the
		// product cannot overflow and the allocation is never larger than the file.
		left := int64(r.Len()) / 4
		n := int64(1)
		shape := make([]int, nd)
		for k, d := range dims {
			shape[k] = int(d)
			if d != 0 && n > left/int64(d) {
				return nil, fmt.Errorf("tensor %d of shape %v needs more than the %d bytes left", i, shape, r.Len())
			}
			n *= int64(d)
		}
		data := make([]float32, n)
		if err := binary.Read(r, binary.LittleEndian, data); err != nil {
			return nil, fmt.Errorf("tensor %d: %w", i, err)
		}
		out[i] = Tensor{Shape: shape, Data: data}
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%d trailing bytes after %d tensors", r.Len(), count)
	}
	return out, nil
}

// WriteANCHORW1 writes tensors in the ANCHORW1 format.
func WriteANCHORW1(w io.Writer, ts []Tensor) error {
	var b bytes.Buffer
	b.WriteString(anchorMagic)
	le := binary.LittleEndian
	b.Write(le.AppendUint32(nil, uint32(len(ts))))
	for _, t := range ts {
		b.Write(le.AppendUint32(nil, uint32(len(t.Shape))))
		for _, d := range t.Shape {
			b.Write(le.AppendUint32(nil, uint32(d)))
		}
		for _, v := range t.Data {
			b.Write(le.AppendUint32(nil, math.Float32bits(v)))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// LoadInit replaces a model's parameters with those of an ANCHORW1 file,
// checking the count and every shape.
func LoadInit(m *graph.Model, path string) error {
	ts, err := ReadANCHORW1(path)
	if err != nil {
		return err
	}
	if len(ts) != len(m.Params) {
		return fmt.Errorf("models: %s: %d tensors, model %s has %d parameters", path, len(ts), m.Name, len(m.Params))
	}
	vals := make([][]float32, len(ts))
	for i, t := range ts {
		want := m.Params[i].Shape()
		if !slices.Equal(t.Shape, want) {
			return fmt.Errorf("models: %s: tensor %d has shape %v, parameter %s is %v", path, i, t.Shape, m.Params[i].Name(), []int(want))
		}
		vals[i] = t.Data
	}
	return SetParams(m, vals)
}
