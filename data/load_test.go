package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const debianFashion = "/usr/share/datasets/fashion-mnist"

// TestLoadDebianFashionMNIST reads the real files of Debian's dataset-fashion-mnist
// (installed on the development machines and by CI).
func TestLoadDebianFashionMNIST(t *testing.T) {
	if _, err := os.Stat(filepath.Join(debianFashion, TrainImages+".gz")); err != nil {
		t.Fatalf("%s not installed (apt-get install dataset-fashion-mnist; .ci/run installs it): %v", debianFashion, err)
	}
	t.Setenv(EnvDataDir, "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // an empty cache: discovery must reach the system dir
	ds, err := Load("fashion-mnist", "", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Source != debianFashion {
		t.Errorf("Source %q, want %q", ds.Source, debianFashion)
	}
	if ds.Train.N != 60000 || ds.Test.N != 10000 || ds.Train.H != 28 || ds.Train.W != 28 {
		t.Fatalf("got %v", ds)
	}
	for _, s := range []*Set{ds.Train, ds.Test} {
		st := Stats(s)
		for c, n := range st.ClassCounts {
			if n != s.N/10 {
				t.Errorf("%s: class %d (%s) has %d images, want %d", s.Name, c, ds.ClassNames[c], n, s.N/10)
			}
		}
		t.Logf("%s: pixel mean %.4f std %.4f", s.Name, st.PixelMean, st.PixelStd)
		// The canonical normalization constants are these statistics, rounded.
		if s.Name == "train" && (absf(st.PixelMean-float64(FashionMean)) > 5e-4 || absf(st.PixelStd-float64(FashionStd)) > 5e-4) {
			t.Errorf("train pixel mean/std %.4f/%.4f, want %.4f/%.4f", st.PixelMean, st.PixelStd, FashionMean, FashionStd)
		}
	}
	// Known first labels: 9 (ankle boot), 0, 0, 3 in train; 9, 2, 1, 1 in test.
	if got := ds.Train.Labels[:4]; got[0] != 9 || got[1] != 0 || got[2] != 0 || got[3] != 3 {
		t.Errorf("first train labels %v, want [9 0 0 3]", got)
	}
	if got := ds.Test.Labels[:4]; got[0] != 9 || got[1] != 2 || got[2] != 1 || got[3] != 1 {
		t.Errorf("first test labels %v, want [9 2 1 1]", got)
	}
	info, err := Verify("fashion-mnist", debianFashion)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Files) != 4 || info.Files[0].Size == 0 || len(info.Files[0].MD5) != 32 || info.Files[0].PublishedMD5 == "" {
		t.Errorf("Verify files: %+v", info.Files)
	}
}

func absf(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestLoadDiscoveryOrder(t *testing.T) {
	env, cache := t.TempDir(), t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv(EnvDataDir, env)

	// Nothing anywhere: a NotFoundError listing every place and how to get the files.
	_, err := Load("mnist", "", LoadOptions{})
	var nf *NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want *NotFoundError", err)
	}
	wantLooked := []string{filepath.Join(env, "mnist"), env, filepath.Join(cache, "gabor", "mnist")}
	if strings.Join(nf.Looked, "|") != strings.Join(wantLooked, "|") {
		t.Errorf("looked in %v, want %v", nf.Looked, wantLooked)
	}
	if !strings.Contains(err.Error(), "gabor data fetch mnist") {
		t.Errorf("error lacks the fetch hint: %v", err)
	}
	_, err = Load("fashion-mnist", filepath.Join(env, "nowhere"), LoadOptions{})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "apt-get install dataset-fashion-mnist") {
		t.Errorf("fashion-mnist in a missing dir: %v", err)
	}

	// In the cache only.
	writeSmallSet(t, filepath.Join(cache, "gabor", "mnist"), 28, 28, true)
	mustSource(t, "", filepath.Join(cache, "gabor", "mnist"))
	// $GABOR_DATA holding the files directly wins over the cache.
	writeSmallSet(t, env, 28, 28, false)
	mustSource(t, "", env)
	// $GABOR_DATA/<name> wins over $GABOR_DATA itself.
	writeSmallSet(t, filepath.Join(env, "mnist"), 28, 28, true)
	mustSource(t, "", filepath.Join(env, "mnist"))
	// An explicit dir wins over everything, and dir/<name> is accepted.
	explicit := t.TempDir()
	writeSmallSet(t, filepath.Join(explicit, "mnist"), 28, 28, true)
	mustSource(t, explicit, filepath.Join(explicit, "mnist"))

	ds, err := Load("mnist", explicit, LoadOptions{TrainLimit: 7, TestLimit: 3})
	if err != nil || ds.Train.N != 7 || len(ds.Train.Labels) != 7 || len(ds.Test.Images) != 3*784 {
		t.Errorf("limits: %v %v", ds, err)
	}
}

func mustSource(t *testing.T, dir, want string) {
	t.Helper()
	ds, err := Load("MNIST", dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Source != want {
		t.Errorf("Load(dir=%q) read %s, want %s", dir, ds.Source, want)
	}
}

func TestLoadNamesAndSynthetic(t *testing.T) {
	if _, err := Load("cifar-1000", "", LoadOptions{}); !errors.Is(err, ErrUnknownDataset) || !strings.Contains(err.Error(), "fashion-mnist") {
		t.Errorf("unknown name: %v", err)
	}
	names := Names()
	if names[0] != SyntheticName || len(names) != 4 {
		t.Errorf("Names() = %v", names)
	}
	ds, err := Load("synthetic", "", LoadOptions{Seed: 3, SyntheticTrain: 100, SyntheticTest: 50, TestLimit: 20})
	if err != nil || ds.Train.N != 100 || ds.Test.N != 20 || ds.Source != "synthetic(seed=3)" {
		t.Errorf("synthetic: %v %v", ds, err)
	}
	info := Describe(ds)
	if info.Train.N != 100 || info.Train.ClassCounts[0] != 10 {
		t.Errorf("Describe: %+v", info.Train)
	}
}

func TestVerifyReportsChecksums(t *testing.T) {
	dir := t.TempDir()
	writeSmallSet(t, dir, 28, 28, true)
	info, err := Verify("kmnist", dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Files) != 4 || info.Files[0].Published || info.Files[0].PublishedMD5 != "bdb82020997e1d708af4cf47b453dcf7" {
		t.Errorf("files %+v", info.Files)
	}
	got, _ := md5File(filepath.Join(dir, TrainImages+".gz"))
	if info.Files[0].MD5 != got {
		t.Errorf("md5 %s, want %s", info.Files[0].MD5, got)
	}
	// Verify fails on any validation problem.
	writeFile(t, dir, TestLabels+".gz", gz(idxBytes(MagicLabels, []uint32{10}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 10})))
	if _, err := Verify("kmnist", dir); !errors.Is(err, ErrMismatch) {
		t.Errorf("bad label: %v", err)
	}
}

// A gzip bomb: an image file of a few hundred KB whose header declares 300,000
// images (235 MB of zeros, which it really holds) beside a label file of 10. The
// headers are compared before any body is decompressed, so the mismatch is
// reported at once and the load allocates a few MB, not the 235 MB declared.
func TestLoadGzipBombRefusedByHeaders(t *testing.T) {
	dir := t.TempDir()
	const nBomb = 300_000
	var zb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zb, gzip.BestSpeed)
	zw.Write(idxBytes(MagicImages, []uint32{nBomb, 28, 28}, nil))
	zero := make([]byte, 1<<20)
	for left := nBomb * 784; left > 0; left -= len(zero) {
		zw.Write(zero[:min(left, len(zero))])
	}
	zw.Close()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(TrainImages+".gz", zb.Bytes())
	write(TrainLabels+".gz", gz(idxBytes(MagicLabels, []uint32{10}, make([]byte, 10))))
	write(TestImages+".gz", gz(idxBytes(MagicImages, []uint32{10, 28, 28}, make([]byte, 7840))))
	write(TestLabels+".gz", gz(idxBytes(MagicLabels, []uint32{10}, make([]byte, 10))))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Load("fashion-mnist", dir, LoadOptions{})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "10 labels but") || !strings.Contains(err.Error(), "has 300000 images (as their headers declare") {
		t.Fatalf("bomb loaded with error %v; want the header mismatch", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("the refused load allocated %d MB (the body was decompressed)", alloc>>20)
	}
	t.Logf("compressed %d KB, declared %d MB, refused: %v", zb.Len()>>10, nBomb*784>>20, err)
}
