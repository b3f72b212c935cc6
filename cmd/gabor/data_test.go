package main

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataFlags(t *testing.T) {
	type parsed struct {
		info   *dataInfoOptions
		verify *dataVerifyOptions
		fetch  *dataFetchOptions
	}
	tests := []struct {
		name    string
		cmd     string // info, verify, fetch
		args    []string
		wantErr string
		check   func(t *testing.T, p parsed)
	}{
		{name: "info default", cmd: "info", check: func(t *testing.T, p parsed) {
			if p.info.Name != "" || p.info.DataDir != "" || p.info.JSON || p.info.Seed != 0 {
				t.Errorf("%+v", p.info)
			}
		}},
		{name: "info all flags", cmd: "info", args: []string{"KMNIST", "--data", "/d", "--seed", "3", "--json"}, check: func(t *testing.T, p parsed) {
			if p.info.Name != "KMNIST" || p.info.DataDir != "/d" || !p.info.JSON || p.info.Seed != 3 {
				t.Errorf("%+v", p.info)
			}
		}},
		{name: "info unknown dataset", cmd: "info", args: []string{"cifar10"}, wantErr: `unknown dataset "cifar10"`},
		{name: "info two names", cmd: "info", args: []string{"mnist", "kmnist"}, wantErr: "accepts at most 1 argument"},
		{name: "verify names", cmd: "verify", args: []string{"mnist", "Fashion-MNIST"}, check: func(t *testing.T, p parsed) {
			if strings.Join(p.verify.Names, ",") != "mnist,fashion-mnist" {
				t.Errorf("names %q", p.verify.Names)
			}
		}},
		{name: "verify dir", cmd: "verify", args: []string{"--data", "/d"}, check: func(t *testing.T, p parsed) {
			if p.verify.DataDir != "/d" || len(p.verify.Names) != 0 {
				t.Errorf("%+v", p.verify)
			}
		}},
		{name: "verify dir with two names", cmd: "verify", args: []string{"--data", "/d", "mnist", "kmnist"}, wantErr: "at most one NAME"},
		{name: "verify unknown", cmd: "verify", args: []string{"emnist"}, wantErr: `unknown dataset "emnist"`},
		{name: "fetch", cmd: "fetch", args: []string{"mnist", "--dir", "/d", "--mirror", "http://127.0.0.1:1/m/"}, check: func(t *testing.T, p parsed) {
			if p.fetch.Name != "mnist" || p.fetch.Dir != "/d" || len(p.fetch.Mirrors) != 1 {
				t.Errorf("%+v", p.fetch)
			}
		}},
		{name: "fetch without name", cmd: "fetch", wantErr: "takes one dataset name"},
		{name: "fetch synthetic", cmd: "fetch", args: []string{"synthetic"}, wantErr: "nothing to fetch"},
		{name: "fetch unknown", cmd: "fetch", args: []string{"cifar10"}, wantErr: `unknown dataset "cifar10"`},
		{name: "fetch bad mirror", cmd: "fetch", args: []string{"mnist", "--mirror", "ftp://x/"}, wantErr: "--mirror must be an http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var p parsed
			called := false
			var err error
			switch tt.cmd {
			case "info":
				err = parse(newCmdDataInfo(f, func(o *dataInfoOptions) error { p.info, called = o, true; return nil }), tt.args...)
			case "verify":
				err = parse(newCmdDataVerify(f, func(o *dataVerifyOptions) error { p.verify, called = o, true; return nil }), tt.args...)
			case "fetch":
				err = parse(newCmdDataFetch(f, func(o *dataFetchOptions) error { p.fetch, called = o, true; return nil }), tt.args...)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if code := exitCode(err); code != exitUsage {
					t.Errorf("exit code %d, want %d", code, exitUsage)
				}
				if called {
					t.Error("run called despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func TestDataInfoRun(t *testing.T) {
	isolateData(t)
	dir := filepath.Join(t.TempDir(), "tiny")
	writeTinySet(t, dir, 30, 20)

	t.Run("json", func(t *testing.T) {
		out, errOut, code := runCLI(t, "data", "info", "--data", dir, "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var info struct {
			Name   string `json:"name"`
			Source string `json:"source"`
			Train  struct {
				N           int     `json:"n"`
				ClassCounts []int   `json:"class_counts"`
				PixelMean   float64 `json:"pixel_mean"`
			} `json:"train"`
			Test struct {
				N int `json:"n"`
			} `json:"test"`
		}
		if err := json.Unmarshal([]byte(out), &info); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if info.Name != "mnist" || info.Source != dir || info.Train.N != 30 || info.Test.N != 20 {
			t.Errorf("info %+v", info)
		}
		if len(info.Train.ClassCounts) != 10 || info.Train.ClassCounts[0] != 3 || info.Train.ClassCounts[9] != 3 {
			t.Errorf("class counts %v, want 3 per class", info.Train.ClassCounts)
		}
		// Each image has one 28-pixel column of 255 out of 784 pixels.
		if want := 28.0 / 784; info.Train.PixelMean < want-1e-9 || info.Train.PixelMean > want+1e-9 {
			t.Errorf("pixel mean %g, want %g", info.Train.PixelMean, want)
		}
	})
	t.Run("text", func(t *testing.T) {
		out, _, code := runCLI(t, "data", "info", "--data", dir)
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		for _, w := range []string{"mnist: 28×28 images, 10 classes", "source: " + dir, "train: 30 images", "test:  20 images", "train-labels-idx1-ubyte.gz"} {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	})
	t.Run("named after its directory", func(t *testing.T) {
		fm := filepath.Join(t.TempDir(), "fashion-mnist")
		writeTinySet(t, fm, 10, 10)
		out, _, code := runCLI(t, "data", "info", "--data", fm)
		if code != 0 || !strings.Contains(out, "fashion-mnist:") || !strings.Contains(out, "Ankle boot") {
			t.Errorf("exit %d, output:\n%s", code, out)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "no-such-dir")
		_, errOut, code := runCLI(t, "data", "info", "--data", missing)
		if code != exitData || !strings.Contains(errOut, missing) {
			t.Errorf("exit %d (want %d), stderr %q should name %s", code, exitData, errOut, missing)
		}
	})
	t.Run("synthetic with a dir", func(t *testing.T) {
		_, errOut, code := runCLI(t, "data", "info", "synthetic", "--data", dir)
		if code != exitUsage {
			t.Errorf("exit %d, want %d: %s", code, exitUsage, errOut)
		}
	})
}

// corruptions are the broken inputs `data verify` and `train` must name: each
// rewrites one file of a valid tiny set and says which file and what words the
// message must contain.
var corruptions = []struct {
	name    string
	file    string // base name, without .gz
	content func(good []byte) []byte
	want    string
}{
	{"truncated gz", "train-images-idx3-ubyte", func(g []byte) []byte { return g[:len(g)/2] }, "truncated"},
	{"wrong magic", "t10k-images-idx3-ubyte", func([]byte) []byte { return gzipBytes(idxBytes([]int{20, 28, 28, 1}, make([]byte, 20*784))) }, "magic"},
	{"count mismatch", "train-labels-idx1-ubyte", func([]byte) []byte { return gzipBytes(idxBytes([]int{29}, make([]byte, 29))) }, "29 labels"},
	{"label out of range", "t10k-labels-idx1-ubyte", func([]byte) []byte {
		l := make([]byte, 20)
		l[7] = 10
		return gzipBytes(idxBytes([]int{20}, l))
	}, "label 10"},
	{"wrong image size", "train-images-idx3-ubyte", func([]byte) []byte { return gzipBytes(idxBytes([]int{30, 32, 32}, make([]byte, 30*32*32))) }, "32×32"},
}

// writeCorrupt writes a tiny set with one corruption applied and returns the
// directory and the corrupted file's path.
func writeCorrupt(t *testing.T, i int) (string, string) {
	t.Helper()
	c := corruptions[i]
	dir := filepath.Join(t.TempDir(), "set")
	paths := writeTinySet(t, dir, 30, 20)
	p := paths[c.file]
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	overwrite(t, p, c.content(good))
	return dir, p
}

func TestDataVerifyRun(t *testing.T) {
	isolateData(t)
	t.Run("valid set", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ok")
		writeTinySet(t, dir, 30, 20)
		out, errOut, code := runCLI(t, "data", "verify", "--data", dir)
		if code != 0 {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
		if strings.Count(out, "ok    ") != 5 || !strings.Contains(out, "train 30, test 20") {
			t.Errorf("want 4 file lines and a summary, got:\n%s", out)
		}
	})
	for i, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			dir, bad := writeCorrupt(t, i)
			out, errOut, code := runCLI(t, "data", "verify", "--data", dir)
			if code != exitData {
				t.Errorf("exit %d, want %d", code, exitData)
			}
			if !strings.Contains(out, "FAIL") || !strings.Contains(out, bad) || !strings.Contains(out, c.want) {
				t.Errorf("output should name %s and say %q:\n%s", bad, c.want, out)
			}
			if !strings.Contains(errOut, "failed verification") {
				t.Errorf("stderr %q", errOut)
			}
		})
	}
	t.Run("named dataset missing", func(t *testing.T) {
		out, _, code := runCLI(t, "data", "verify", "kmnist")
		if code != exitData || !strings.Contains(out, "kmnist: not found") {
			t.Errorf("exit %d, output:\n%s", code, out)
		}
	})
	t.Run("found through GABOR_DATA", func(t *testing.T) {
		root := t.TempDir()
		t.Setenv("GABOR_DATA", root)
		writeTinySet(t, filepath.Join(root, "kmnist"), 10, 10)
		out, _, code := runCLI(t, "data", "verify", "kmnist")
		if code != 0 || !strings.Contains(out, filepath.Join(root, "kmnist")) {
			t.Errorf("exit %d, output:\n%s", code, out)
		}
	})
}

func TestDataFetchRun(t *testing.T) {
	isolateData(t)
	src := filepath.Join(t.TempDir(), "src")
	paths := writeTinySet(t, src, 30, 20)
	sums := map[string]string{}
	for base, p := range paths {
		b, _ := os.ReadFile(p)
		h := md5.Sum(b)
		sums[base+".gz"] = hex.EncodeToString(h[:])
	}
	srv := httptest.NewServer(http.StripPrefix("/mirror/", http.FileServer(http.Dir(src))))
	defer srv.Close()

	fetch := func(t *testing.T, sums map[string]string, args ...string) (string, string, error) {
		f, out, errOut := testFactory()
		err := parse(newCmdDataFetch(f, func(o *dataFetchOptions) error {
			o.checksums, o.client = sums, srv.Client()
			return runDataFetch(t.Context(), o)
		}), args...)
		return out.String(), errOut.String(), err
	}

	t.Run("downloads and checks", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "mnist")
		out, errOut, err := fetch(t, sums, "mnist", "--dir", dst, "--mirror", srv.URL+"/mirror/")
		if err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		if !strings.Contains(out, "mnist: ready in "+dst) {
			t.Errorf("stdout %q", out)
		}
		for base := range paths {
			if _, err := os.Stat(filepath.Join(dst, base+".gz")); err != nil {
				t.Errorf("%s not downloaded: %v", base, err)
			}
		}
		// The downloaded set is usable as it is.
		if _, _, code := runCLI(t, "data", "verify", "--data", dst); code != 0 {
			t.Errorf("verify of the fetched set: exit %d", code)
		}
	})
	t.Run("checksum mismatch leaves nothing", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "mnist")
		bad := map[string]string{}
		for k := range sums {
			bad[k] = strings.Repeat("0", 32)
		}
		_, errOut, err := fetch(t, bad, "mnist", "--dir", dst, "--mirror", srv.URL+"/mirror/")
		if exitCode(err) != exitData || !strings.Contains(err.Error(), "checksum") {
			t.Errorf("err %v (exit %d), want a checksum data error; stderr %s", err, exitCode(err), errOut)
		}
		entries, _ := os.ReadDir(dst)
		if len(entries) != 0 {
			t.Errorf("files left behind: %v", entries)
		}
	})
	t.Run("mirror without the files", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "mnist")
		_, _, err := fetch(t, sums, "mnist", "--dir", dst, "--mirror", srv.URL+"/nothing-here/")
		if exitCode(err) != exitData || !strings.Contains(err.Error(), "404") {
			t.Errorf("err %v (exit %d), want a data error naming the HTTP status", err, exitCode(err))
		}
	})
}
