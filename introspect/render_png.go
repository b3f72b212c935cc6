package introspect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
)

// pngSignature opens every PNG file.
var pngSignature = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}

// WritePNG writes the figure as a PNG whose provenance (fig.Meta) is stored in
// tEXt chunks, one per key, prefixed "gabor:" ("gabor:model" = "lenet").
func WritePNG(w io.Writer, fig *Figure) error {
	return EncodePNG(w, fig.Raster(), pngMeta(fig))
}

func pngMeta(fig *Figure) [][2]string {
	kv := [][2]string{{"Software", "gabor"}}
	for _, k := range fig.MetaKeys() {
		kv = append(kv, [2]string{"gabor:" + k, fig.Meta[k]})
	}
	return kv
}

// EncodePNG encodes img with image/png and inserts a tEXt chunk for each
// key/value pair right after the IHDR chunk (the PNG spec allows tEXt
// anywhere between IHDR and IEND). A chunk is length (4 bytes, big-endian),
// type, data, and the CRC-32 of type and data. tEXt data is the keyword
// (1–79 Latin-1 characters), a NUL, then the text; characters outside
// Latin-1 are written as '?'.
func EncodePNG(w io.Writer, img image.Image, text [][2]string) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("introspect: encoding PNG: %w", err)
	}
	b := buf.Bytes()
	// Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC).
	const ihdrEnd = 8 + 25
	if len(b) < ihdrEnd || string(b[12:16]) != "IHDR" {
		return errors.New("introspect: image/png wrote no IHDR chunk first")
	}
	var out bytes.Buffer
	out.Write(b[:ihdrEnd])
	for _, kv := range text {
		key := latin1(kv[0])
		if len(key) == 0 || len(key) > 79 {
			return fmt.Errorf("introspect: PNG text keyword %q must be 1 to 79 characters", kv[0])
		}
		data := append(append(key, 0), latin1(kv[1])...)
		writeChunk(&out, "tEXt", data)
	}
	out.Write(b[ihdrEnd:])
	_, err := w.Write(out.Bytes())
	return err
}

func writeChunk(w *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	w.WriteString(typ)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

// latin1 encodes s in ISO 8859-1, the encoding of tEXt chunks; NUL and runes
// above U+00FF become '?'.
func latin1(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r == 0 || r > 0xff {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return out
}

// ReadPNGText returns the tEXt chunks of a PNG file (keyword → text), checking
// each chunk's CRC on the way.
func ReadPNGText(b []byte) (map[string]string, error) {
	if !bytes.HasPrefix(b, pngSignature) {
		return nil, errors.New("introspect: not a PNG file (bad signature)")
	}
	out := map[string]string{}
	for p := len(pngSignature); p < len(b); {
		if p+8 > len(b) {
			return nil, fmt.Errorf("introspect: PNG chunk header truncated at byte %d", p)
		}
		n := int(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		if p+12+n > len(b) {
			return nil, fmt.Errorf("introspect: PNG chunk %s at byte %d runs past the end", typ, p)
		}
		data := b[p+8 : p+8+n]
		if crc32.ChecksumIEEE(b[p+4:p+8+n]) != binary.BigEndian.Uint32(b[p+8+n:]) {
			return nil, fmt.Errorf("introspect: PNG chunk %s at byte %d has a bad CRC", typ, p)
		}
		if typ == "tEXt" {
			if i := bytes.IndexByte(data, 0); i > 0 {
				runes := make([]rune, 0, n-i-1)
				for _, c := range data[i+1:] {
					runes = append(runes, rune(c))
				}
				out[string(data[:i])] = string(runes)
			}
		}
		if typ == "IEND" {
			break
		}
		p += 12 + n
	}
	return out, nil
}
