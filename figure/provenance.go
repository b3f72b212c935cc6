package figure

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Software names the program in every file's metadata.
const Software = "gabor"

// pngSignature opens every PNG file.
var pngSignature = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}

func pngText(f *Figure, o Options) [][2]string {
	kv := [][2]string{{"Software", Software}}
	if t := f.Meta["title"]; t != "" {
		kv = append(kv, [2]string{"Title", t})
	}
	if !o.Created.IsZero() {
		kv = append(kv, [2]string{"Creation Time", o.Created.UTC().Format(time.RFC3339)})
	}
	for _, k := range f.MetaKeys() {
		kv = append(kv, [2]string{"gabor:" + k, f.Meta[k]})
	}
	return kv
}

// EncodePNG encodes img with image/png and inserts, right after the IHDR
// chunk, a pHYs chunk recording dpi (0: none) and a tEXt chunk per
// key/value pair (the PNG spec allows both anywhere between IHDR and the
// image data). A chunk is length (4 bytes, big-endian), type, data, and the
// CRC-32 of type and data. tEXt data is the keyword (1–79 Latin-1
// characters), a NUL, then the text; characters outside Latin-1 are
// written as '?'.
func EncodePNG(w io.Writer, img image.Image, dpi int, text [][2]string) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("figure: encoding PNG: %w", err)
	}
	b := buf.Bytes()
	// Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC).
	const ihdrEnd = 8 + 25
	if len(b) < ihdrEnd || string(b[12:16]) != "IHDR" {
		return errors.New("figure: image/png wrote no IHDR chunk first")
	}
	var out bytes.Buffer
	out.Write(b[:ihdrEnd])
	if dpi > 0 {
		ppm := uint32(float64(dpi)/0.0254 + 0.5) // pixels per metre
		var d [9]byte
		binary.BigEndian.PutUint32(d[0:], ppm)
		binary.BigEndian.PutUint32(d[4:], ppm)
		d[8] = 1 // unit: metre
		writeChunk(&out, "pHYs", d[:])
	}
	for _, kv := range text {
		key := latin1(kv[0])
		if len(key) == 0 || len(key) > 79 {
			return fmt.Errorf("figure: PNG text keyword %q must be 1 to 79 characters", kv[0])
		}
		writeChunk(&out, "tEXt", append(append(key, 0), latin1(kv[1])...))
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

// ReadPNGText returns the tEXt chunks of a PNG file (keyword → text),
// checking each chunk's CRC on the way.
func ReadPNGText(b []byte) (map[string]string, error) {
	if !bytes.HasPrefix(b, pngSignature) {
		return nil, errors.New("figure: not a PNG file (bad signature)")
	}
	out := map[string]string{}
	for p := len(pngSignature); p < len(b); {
		if p+8 > len(b) {
			return nil, fmt.Errorf("figure: PNG chunk header truncated at byte %d", p)
		}
		n := int(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		if n < 0 || n > len(b) || p+12+n > len(b) {
			return nil, fmt.Errorf("figure: PNG chunk %q at byte %d runs past the end", typ, p)
		}
		data := b[p+8 : p+8+n]
		if crc32.ChecksumIEEE(b[p+4:p+8+n]) != binary.BigEndian.Uint32(b[p+8+n:]) {
			return nil, fmt.Errorf("figure: PNG chunk %q at byte %d has a bad CRC", typ, p)
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

// addSVGMetadata copies vgsvg's document, inserting after the opening <svg>
// tag a <title> (Meta "title") and a <metadata> element holding one
// <gabor:meta key="…"> per provenance entry.
func addSVGMetadata(w *bytes.Buffer, svg []byte, f *Figure, o Options) error {
	i := bytes.Index(svg, []byte("<svg"))
	if i < 0 {
		return errors.New("figure: vgsvg wrote no <svg> element")
	}
	j := bytes.IndexByte(svg[i:], '>')
	if j < 0 {
		return errors.New("figure: vgsvg's <svg> tag is not closed")
	}
	end := i + j + 1
	w.Write(svg[:end])
	w.WriteString("\n")
	if t := f.Meta["title"]; t != "" {
		fmt.Fprintf(w, "<title>%s</title>\n", xmlEsc(t))
	}
	w.WriteString("<metadata>\n<gabor:provenance xmlns:gabor=\"urn:gabor\">\n")
	fmt.Fprintf(w, "<gabor:meta key=\"software\">%s</gabor:meta>\n", Software)
	if !o.Created.IsZero() {
		fmt.Fprintf(w, "<gabor:meta key=\"created\">%s</gabor:meta>\n", o.Created.UTC().Format(time.RFC3339))
	}
	for _, k := range f.MetaKeys() {
		fmt.Fprintf(w, "<gabor:meta key=\"%s\">%s</gabor:meta>\n", xmlEsc(k), xmlEsc(f.Meta[k]))
	}
	w.WriteString("</gabor:provenance>\n</metadata>\n")
	w.Write(svg[end:])
	return nil
}

func xmlEsc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ReadSVGMetadata returns the gabor:meta entries of an SVG document.
func ReadSVGMetadata(svg []byte) (map[string]string, error) {
	d := xml.NewDecoder(bytes.NewReader(svg))
	out := map[string]string{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("figure: parsing SVG: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "meta" || se.Name.Space != "urn:gabor" {
			continue
		}
		var v struct {
			Key  string `xml:"key,attr"`
			Text string `xml:",chardata"`
		}
		if err := d.DecodeElement(&v, &se); err != nil {
			return nil, fmt.Errorf("figure: parsing SVG metadata: %w", err)
		}
		out[v.Key] = v.Text
	}
}

var (
	reTrailer   = regexp.MustCompile(`trailer\s*<<([\s\S]*?)>>\s*startxref\s*(\d+)\s*%%EOF\s*$`)
	reTrailerKV = regexp.MustCompile(`/(Size|Root|Info)\s+(\d+)`)
)

// addPDFInfo copies fpdf's file and appends an incremental update (PDF 1.4
// §3.4.5) that redefines the Info dictionary: Title, Subject, Keywords
// (key=value; …), Creator, Producer, CreationDate, and one /gabor_<key>
// entry per provenance entry. Readers take the newest definition of an
// object, so the update replaces fpdf's Info without rewriting offsets.
func addPDFInfo(w *bytes.Buffer, pdf []byte, f *Figure, o Options) error {
	m := reTrailer.FindSubmatch(pdf)
	if m == nil {
		return errors.New("figure: fpdf's file has no trailer this post-writer can read")
	}
	kv := map[string]int{}
	for _, e := range reTrailerKV.FindAllSubmatch(m[1], -1) {
		n, _ := strconv.Atoi(string(e[2]))
		kv[string(e[1])] = n
	}
	if kv["Size"] == 0 || kv["Root"] == 0 || kv["Info"] == 0 {
		return fmt.Errorf("figure: fpdf's trailer lacks Size, Root or Info: %q", m[1])
	}
	prev := string(m[2])
	w.Write(pdf)
	if pdf[len(pdf)-1] != '\n' {
		w.WriteByte('\n')
	}
	off := w.Len()
	fmt.Fprintf(w, "%d 0 obj\n<<", kv["Info"])
	entry := func(k, v string) { fmt.Fprintf(w, "\n/%s %s", k, pdfTextString(v)) }
	if t := f.Meta["title"]; t != "" {
		entry("Title", t)
	}
	var pairs []string
	for _, k := range f.MetaKeys() {
		pairs = append(pairs, k+"="+f.Meta[k])
	}
	entry("Subject", "provenance: "+strings.Join(pairs, "; "))
	entry("Keywords", strings.Join(pairs, "; "))
	creator := Software
	if c := f.Meta["command"]; c != "" {
		creator = c
	}
	entry("Creator", creator)
	entry("Producer", Software+" (gonum/plot vgpdf)")
	created := o.Created
	if created.IsZero() {
		created = time.Now()
	}
	entry("CreationDate", "D:"+created.UTC().Format("20060102150405")+"Z")
	for _, k := range f.MetaKeys() {
		entry("gabor_"+pdfName(k), f.Meta[k])
	}
	w.WriteString("\n>>\nendobj\n")
	xref := w.Len()
	fmt.Fprintf(w, "xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %s >>\nstartxref\n%d\n%%%%EOF\n",
		kv["Info"], off, kv["Size"], kv["Root"], kv["Info"], prev, xref)
	return nil
}

// pdfTextString writes s as a PDF text string: UTF-16BE with a byte-order
// mark, in hex, so any character survives.
func pdfTextString(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

// pdfName keeps the characters a PDF name may hold unescaped.
func pdfName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
