package safetensors

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// MaxHeader bounds the JSON header a reader accepts (the bound the reference
// implementation uses), so a corrupt length cannot make it allocate gigabytes.
const MaxHeader = 100 << 20

// metadataKey is the reserved header entry holding string metadata.
const metadataKey = "__metadata__"

// ChecksumPrefix starts the metadata key of a tensor's checksum: "sha256:NAME"
// holds the lowercase hex SHA-256 of the tensor's bytes as stored (little-endian
// float32, row-major: exactly the bytes of its data_offsets range), so any reader
// can check it (Python: hashlib.sha256(t.tobytes()).hexdigest()).
const ChecksumPrefix = "sha256:"

// ChecksumError says that a tensor's bytes do not match the checksum stored in
// the file's metadata: the file was damaged after it was written.
type ChecksumError struct {
	Tensor    string
	Want, Got string // hex SHA-256: stored, computed
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("tensor %q is corrupt: its SHA-256 is %s, the file records %s", e.Tensor, e.Got, e.Want)
}

func checksum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Tensor is one named float32 tensor, row-major.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// File is the decoded content of a safetensors file.
type File struct {
	Tensors  []Tensor          // in the order of their data in the file
	Metadata map[string]string // nil when the file has none
}

// Get returns the tensor with the given name.
func (f *File) Get(name string) (*Tensor, bool) {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i], true
		}
	}
	return nil, false
}

func numel(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d != 0 && n > math.MaxInt32/d {
			return 0, fmt.Errorf("shape %v has too many elements", shape)
		}
		n *= d
	}
	return n, nil
}

// Encode serializes tensors (data in the given order) and metadata, adding the
// SHA-256 of every tensor to the metadata (ChecksumPrefix; checksum keys in meta
// are replaced by the ones computed here).
func Encode(tensors []Tensor, meta map[string]string) ([]byte, error) {
	sums := make(map[string]string, len(meta)+len(tensors))
	for k, v := range meta {
		if !strings.HasPrefix(k, ChecksumPrefix) {
			sums[k] = v
		}
	}
	for _, t := range tensors {
		raw := make([]byte, 4*len(t.Data))
		for i, v := range t.Data {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		sums[ChecksumPrefix+t.Name] = checksum(raw)
	}
	meta = sums
	var h bytes.Buffer
	h.WriteByte('{')
	first := true
	comma := func() {
		if !first {
			h.WriteByte(',')
		}
		first = false
	}
	if len(meta) > 0 {
		comma()
		keys := make([]string, 0, len(meta))
		for k := range meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		h.WriteString(strconv.Quote(metadataKey))
		h.WriteString(":{")
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			writeJSONString(&h, k)
			h.WriteByte(':')
			writeJSONString(&h, meta[k])
		}
		h.WriteByte('}')
	}
	seen := make(map[string]bool, len(tensors))
	off := 0
	for _, t := range tensors {
		switch {
		case t.Name == "":
			return nil, errors.New("safetensors: tensor with an empty name")
		case t.Name == metadataKey:
			return nil, fmt.Errorf("safetensors: tensor name %q is reserved", t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("safetensors: duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = true
		n, err := numel(t.Shape)
		if err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %v", t.Name, err)
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v holds %d elements, data has %d", t.Name, t.Shape, n, len(t.Data))
		}
		comma()
		writeJSONString(&h, t.Name)
		h.WriteString(`:{"dtype":"F32","shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, off, off+4*n)
		off += 4 * n
	}
	h.WriteByte('}')
	// Pad with spaces so the data starts 8-byte aligned (8 + header ≡ 0 mod 8).
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	out := make([]byte, 8+h.Len()+off)
	binary.LittleEndian.PutUint64(out, uint64(h.Len()))
	copy(out[8:], h.Bytes())
	p := out[8+h.Len():]
	for _, t := range tensors {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(p, math.Float32bits(v))
			p = p[4:]
		}
	}
	return out, nil
}

// writeJSONString writes s as a JSON string (encoding/json escaping, without
// its HTML escapes, which other readers would still accept but need not see).
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode appends a newline
}

// Write encodes tensors and metadata to w.
func Write(w io.Writer, tensors []Tensor, meta map[string]string) error {
	b, err := Encode(tensors, meta)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// header entry of one tensor, as stored.
type entry struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// Decode parses and validates a whole safetensors file held in memory.
func Decode(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeader {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit (not a safetensors file?)", n, MaxHeader)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("header length %d runs past the end of the %d-byte file (truncated?)", n, len(b))
	}
	header := b[8 : 8+n]
	data := b[8+n:]
	if len(header) == 0 || header[0] != '{' {
		return nil, errors.New("header does not start with '{': not a safetensors file")
	}

	entries, meta, err := parseHeader(header)
	if err != nil {
		return nil, err
	}

	// Files written by gabor record a checksum for every tensor; files from
	// elsewhere may record none. A file that records some must record all, and
	// only of tensors it holds.
	checked := false
	for k := range meta {
		if name, ok := strings.CutPrefix(k, ChecksumPrefix); ok {
			checked = true
			if _, held := entries[name]; !held {
				return nil, fmt.Errorf("metadata holds a checksum of %q, which is not a tensor of the file", name)
			}
		}
	}
	type span struct {
		name       string
		begin, end int64
	}
	spans := make([]span, 0, len(entries))
	f := &File{Metadata: meta}
	tensors := make(map[string]Tensor, len(entries))
	for name, e := range entries {
		if e.DType != "F32" {
			return nil, fmt.Errorf("tensor %q: dtype %q is not supported (gabor reads F32 only)", name, e.DType)
		}
		if len(e.DataOffsets) != 2 {
			return nil, fmt.Errorf("tensor %q: data_offsets has %d entries, want 2", name, len(e.DataOffsets))
		}
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		if begin < 0 || end < begin {
			return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] is not a valid range", name, begin, end)
		}
		if end > int64(len(data)) {
			return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the %d data bytes (truncated?)", name, begin, end, len(data))
		}
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 || d > math.MaxInt32 {
				return nil, fmt.Errorf("tensor %q: invalid dimension %d in shape %v", name, d, e.Shape)
			}
			shape[i] = int(d)
		}
		cnt, err := numel(shape)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %v", name, err)
		}
		if int64(cnt)*4 != end-begin {
			return nil, fmt.Errorf("tensor %q: shape %v needs %d bytes of F32, data_offsets [%d, %d] hold %d", name, shape, int64(cnt)*4, begin, end, end-begin)
		}
		spans = append(spans, span{name, begin, end})
		tensors[name] = Tensor{Name: name, Shape: shape}
	}
	// The byte ranges must tile the data: sorted by start, each begins where the
	// previous ended, the first at 0 and the last at the end of the file.
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	var pos int64
	for _, s := range spans {
		switch {
		case s.begin < pos:
			return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap the previous tensor, which ends at %d", s.name, s.begin, s.end, pos)
		case s.begin > pos:
			return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap after byte %d", s.name, s.begin, s.end, pos)
		}
		pos = s.end
		t := tensors[s.name]
		raw := data[s.begin:s.end]
		if want, ok := meta[ChecksumPrefix+s.name]; ok {
			if got := checksum(raw); got != want {
				return nil, &ChecksumError{Tensor: s.name, Want: want, Got: got}
			}
		} else if checked {
			return nil, fmt.Errorf("tensor %q has no checksum in a file that records checksums (%s%s missing)", s.name, ChecksumPrefix, s.name)
		}
		t.Data = make([]float32, len(raw)/4)
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		f.Tensors = append(f.Tensors, t)
	}
	if pos != int64(len(data)) {
		return nil, fmt.Errorf("%d trailing data bytes after the last tensor (tensors cover %d of %d)", int64(len(data))-pos, pos, len(data))
	}
	return f, nil
}

// parseHeader reads the header object strictly: unique keys, known fields only,
// metadata values all strings, nothing but padding after the object.
func parseHeader(header []byte) (map[string]entry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	bad := func(err error) error { return fmt.Errorf("header is not valid JSON: %v", err) }
	if _, err := dec.Token(); err != nil { // the opening '{', checked by the caller
		return nil, nil, bad(err)
	}
	entries := map[string]entry{}
	var meta map[string]string
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, bad(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, bad(fmt.Errorf("key %v is not a string", tok))
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, bad(fmt.Errorf("value of %q: %v", key, err))
		}
		if _, dup := entries[key]; dup || (key == metadataKey && seenMeta) {
			return nil, nil, fmt.Errorf("header names %q twice", key)
		}
		if key == metadataKey {
			seenMeta = true
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, nil, fmt.Errorf("__metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		var e entry
		ed := json.NewDecoder(bytes.NewReader(raw))
		ed.DisallowUnknownFields()
		if err := ed.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: bad header entry %s: %v", key, raw, err)
		}
		if e.Shape == nil {
			return nil, nil, fmt.Errorf("tensor %q: header entry has no shape", key)
		}
		entries[key] = e
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, bad(err)
	}
	rest := header[dec.InputOffset():]
	if len(bytes.TrimRight(rest, " \t\r\n")) != 0 {
		return nil, nil, fmt.Errorf("header has %q after the JSON object (only whitespace padding is allowed)", trim(rest))
	}
	return entries, meta, nil
}

func trim(b []byte) []byte {
	if len(b) > 20 {
		return b[:20]
	}
	return b
}

// Read loads and validates a safetensors file; errors name the file.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return f, nil
}
