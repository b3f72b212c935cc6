package introspect

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPDFStructure checks the hand-written PDF as a reader would: the header,
// startxref pointing at the xref table, every xref offset landing on its
// "N 0 obj", /Size matching, each stream's /Length matching its bytes, and
// the content stream drawing the tiles and the labels.
func TestPDFStructure(t *testing.T) {
	fig, err := Grid(goldenPanels(), GridOptions{Cols: 2, Pad: 1, Scale: 4, Cmap: Diverging, Signed: true, Labels: true, Colorbar: true})
	if err != nil {
		t.Fatal(err)
	}
	fig.Meta = map[string]string{"model": "lenet", "step": "468", "note": "a (b) \\ c"}
	var b bytes.Buffer
	if err := WritePDF(&b, fig); err != nil {
		t.Fatal(err)
	}
	pdf := b.Bytes()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Fatal("no PDF header or end-of-file marker")
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[xref:], []byte("xref\n0 ")) {
		t.Fatalf("startxref %d does not point at the xref table", xref)
	}
	lines := strings.Split(string(pdf[xref:]), "\n")
	var first, count int
	if _, err := fmt.Sscan(lines[1], &first, &count); err != nil || first != 0 {
		t.Fatalf("xref subsection header %q", lines[1])
	}
	if lines[2] != "0000000000 65535 f " {
		t.Errorf("xref entry 0 is %q", lines[2])
	}
	for i := 1; i < count; i++ {
		e := lines[2+i]
		if len(e) != 19 || !strings.HasSuffix(e, " 00000 n ") { // 20 bytes with the \n
			t.Fatalf("xref entry %d is %q", i, e)
		}
		off, _ := strconv.Atoi(e[:10])
		if want := strconv.Itoa(i) + " 0 obj\n"; !bytes.HasPrefix(pdf[off:], []byte(want)) {
			t.Fatalf("xref entry %d: offset %d holds %q, want %q", i, off, pdf[off:off+10], want)
		}
	}
	if !bytes.Contains(pdf, []byte("/Size "+strconv.Itoa(count)+" ")) {
		t.Errorf("trailer /Size is not %d", count)
	}
	// Streams: /Length N then exactly N bytes between "stream\n" and "\nendstream".
	re := regexp.MustCompile(`/Length (\d+)[^>]*>>\nstream\n`)
	var content []byte
	images := 0
	for _, loc := range re.FindAllSubmatchIndex(pdf, -1) {
		n, _ := strconv.Atoi(string(pdf[loc[2]:loc[3]]))
		body := pdf[loc[1] : loc[1]+n]
		if !bytes.HasPrefix(pdf[loc[1]+n:], []byte("\nendstream")) {
			t.Fatalf("stream at %d: /Length %d does not end at endstream", loc[0], n)
		}
		raw, err := io.ReadAll(mustZlib(t, body))
		if err != nil {
			t.Fatalf("stream at %d does not inflate: %v", loc[0], err)
		}
		if bytes.Contains(pdf[loc[0]-200:loc[0]], []byte("/Subtype /Image")) || bytes.Contains(pdf[loc[0]:loc[1]], []byte("/Subtype /Image")) {
			images++
			if len(raw) != 3*2*2 {
				t.Errorf("image stream inflates to %d bytes, want 12 (2×2 RGB)", len(raw))
			}
		} else {
			content = raw
		}
	}
	if images != 4 {
		t.Errorf("%d image XObjects, want 4", images)
	}
	cs := string(content)
	for _, want := range []string{"/Im0 Do", "/Im3 Do", "(0) Tj", "(+max) Tj", " re f"} {
		if !strings.Contains(cs, want) {
			t.Errorf("content stream lacks %q", want)
		}
	}
	if !bytes.Contains(pdf, []byte(`model=lenet`)) || !bytes.Contains(pdf, []byte(`note=a \(b\) \\ c`)) {
		t.Error("Info /Subject lacks the escaped provenance")
	}
}

func mustZlib(t *testing.T, b []byte) io.Reader {
	t.Helper()
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a zlib stream: %v", err)
	}
	return r
}
