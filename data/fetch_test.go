package data

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gaborlab/gabor/internal/staging"
)

// fakeMirror serves files by name on a loopback server and counts requests.
type fakeMirror struct {
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
}

func (m *fakeMirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name := filepath.Base(r.URL.Path)
	m.hits[name]++
	b, ok := m.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(b)
}

func newMirror(t *testing.T, files map[string][]byte) (*fakeMirror, string) {
	m := &fakeMirror{files: files, hits: map[string]int{}}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return m, srv.URL + "/"
}

// smallSetFiles builds the four .gz files of a tiny valid set and their MD5s.
func smallSetFiles(t *testing.T) (map[string][]byte, map[string]string) {
	dir := t.TempDir()
	writeSmallSet(t, dir, 28, 28, true)
	files, sums := map[string][]byte{}, map[string]string{}
	for _, base := range FileNames {
		b, err := os.ReadFile(filepath.Join(dir, base+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		h := md5.Sum(b)
		files[base+".gz"], sums[base+".gz"] = b, hex.EncodeToString(h[:])
	}
	return files, sums
}

func TestFetchFromMirrors(t *testing.T) {
	files, sums := smallSetFiles(t)
	// First mirror has nothing (404 for all), second serves one corrupt file, third is good.
	empty, emptyURL := newMirror(t, map[string][]byte{})
	corruptFiles := map[string][]byte{TrainLabels + ".gz": []byte("not the file")}
	corrupt, corruptURL := newMirror(t, corruptFiles)
	good, goodURL := newMirror(t, files)

	dir := filepath.Join(t.TempDir(), "mnist")
	var log bytes.Buffer
	opts := FetchOptions{BaseURLs: []string{emptyURL, corruptURL, goodURL}, Checksums: sums, Progress: &log}
	got, err := Fetch(context.Background(), "mnist", dir, opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if got != dir {
		t.Errorf("Fetch returned %s, want %s", got, dir)
	}
	for _, base := range FileNames {
		if empty.hits[base+".gz"] != 1 || good.hits[base+".gz"] != 1 {
			t.Errorf("%s: %d requests to the empty mirror, %d to the good one; want 1 and 1", base, empty.hits[base+".gz"], good.hits[base+".gz"])
		}
	}
	if corrupt.hits[TrainLabels+".gz"] != 1 || !strings.Contains(log.String(), "checksum mismatch") {
		t.Errorf("corrupt mirror not tried or not reported:\n%s", log.String())
	}
	assertOnlyFiles(t, dir)
	if _, err := Load("mnist", dir, LoadOptions{}); err != nil {
		t.Errorf("fetched set does not load: %v", err)
	}

	// Second run: everything present with the right MD5, nothing downloaded.
	_, err = Fetch(context.Background(), "mnist", dir, FetchOptions{BaseURLs: []string{goodURL}, Checksums: sums})
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range FileNames {
		if good.hits[base+".gz"] != 1 {
			t.Errorf("%s downloaded again although present", base)
		}
	}

	// A present file with the wrong content is replaced.
	os.WriteFile(filepath.Join(dir, TestLabels+".gz"), []byte("damaged"), 0o644)
	if _, err := Fetch(context.Background(), "mnist", dir, FetchOptions{BaseURLs: []string{goodURL}, Checksums: sums}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, TestLabels+".gz")); !bytes.Equal(b, files[TestLabels+".gz"]) {
		t.Error("damaged file not replaced")
	}
}

func TestFetchChecksumFailureLeavesNothing(t *testing.T) {
	files, sums := smallSetFiles(t)
	bad := map[string][]byte{}
	for k, v := range files {
		bad[k] = v
	}
	b := append([]byte{}, files[TrainImages+".gz"]...)
	b[len(b)/2] ^= 0xFF
	bad[TrainImages+".gz"] = b
	_, url := newMirror(t, bad)
	dir := t.TempDir()
	_, err := Fetch(context.Background(), "fashion-mnist", dir, FetchOptions{BaseURLs: []string{url}, Checksums: sums})
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), TrainImages+".gz") || !strings.Contains(err.Error(), url) {
		t.Fatalf("got %v, want a checksum error naming the file and URL", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left behind: %v", names)
	}
}

func TestFetchAllMirrorsMissing(t *testing.T) {
	_, sums := smallSetFiles(t)
	_, u1 := newMirror(t, nil)
	_, u2 := newMirror(t, nil)
	dir := t.TempDir()
	_, err := Fetch(context.Background(), "kmnist", dir, FetchOptions{BaseURLs: []string{u1, u2}, Checksums: sums})
	if err == nil || !strings.Contains(err.Error(), "404") || strings.Count(err.Error(), "HTTP") != 2 {
		t.Errorf("got %v, want both 404s listed", err)
	}
	assertOnlyFiles(t, dir)
	if _, err := Fetch(context.Background(), "not-a-set", dir, FetchOptions{}); !errors.Is(err, ErrUnknownDataset) {
		t.Errorf("unknown set: %v", err)
	}
}

func TestFetchCancelled(t *testing.T) {
	files, sums := smallSetFiles(t)
	_, url := newMirror(t, files)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	if _, err := Fetch(ctx, "mnist", dir, FetchOptions{BaseURLs: []string{url, url}, Checksums: sums}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	assertOnlyFiles(t, dir)
}

// assertOnlyFiles fails if dir holds anything but complete dataset files (no temporaries).
func assertOnlyFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || strings.Contains(e.Name(), ".part") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// The catalog's checksums are well-formed and every set has all four.
func TestCatalogChecksums(t *testing.T) {
	for _, name := range Names()[1:] {
		spec, _ := Lookup(name)
		if len(spec.Mirrors) == 0 {
			t.Errorf("%s: no mirrors", name)
		}
		for _, base := range FileNames {
			sum := spec.MD5[base+".gz"]
			if _, err := hex.DecodeString(sum); err != nil || len(sum) != 32 {
				t.Errorf("%s: bad md5 %q for %s", name, sum, base)
			}
		}
	}
}

// A download killed mid-way leaves .<file>.part-<pid>-*; the next fetch removes
// it (nobody holds its lock) and says so, and leaves a live download's alone.
func TestFetchRemovesPartsOfAKilledDownload(t *testing.T) {
	files, sums := smallSetFiles(t)
	_, goodURL := newMirror(t, files)
	dir := filepath.Join(t.TempDir(), "mnist")
	os.MkdirAll(dir, 0o755)
	dead := filepath.Join(dir, "."+TrainImages+".gz.part-999999-12345")
	old := filepath.Join(dir, "."+TestLabels+".gz.part678") // the older spelling, no pid
	for _, p := range []string{dead, old} {
		if err := os.WriteFile(p, []byte("half a download"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	live, err := staging.CreateTemp(dir, "."+TestImages+".gz.part-")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	var log bytes.Buffer
	if _, err := Fetch(context.Background(), "mnist", dir, FetchOptions{BaseURLs: []string{goodURL}, Checksums: sums, Progress: &log}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dead, old} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (%v)", p, err)
		}
		if !strings.Contains(log.String(), p+": removed") {
			t.Errorf("removal of %s not reported:\n%s", p, log.String())
		}
	}
	if _, err := os.Stat(live.Name()); err != nil {
		t.Errorf("a live download's part file was removed: %v", err)
	}
}
