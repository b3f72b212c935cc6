package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gaborlab/gabor/data/datatest"
	"github.com/gaborlab/gabor/train"
)

// ownData writes one toy set (4 classes of bars, 28×28) in every format. The images
// are ordered class by class, the order an image folder lists them in, so every copy
// holds the same images in the same order and training sees the same batches.
func ownData(t *testing.T, nTrain, nTest int) (map[string]string, [][]uint8, []uint8) {
	t.Helper()
	tr, ltr := datatest.Toy(nTrain, 4, 1, 28)
	te, lte := datatest.Toy(nTest, 4, 2, 28)
	tr, ltr = datatest.ByClass(tr, ltr)
	te, lte = datatest.ByClass(te, lte)
	return datatest.WriteAll(t, t.TempDir(), tr, te, ltr, lte), tr, ltr
}

var ownKinds = []string{datatest.KindIDX, datatest.KindFolder, datatest.KindNPZ, datatest.KindNPY, datatest.KindCSV}

// TestOwnDataTrainsLikeIDX is the held-out style check: the same images as IDX files,
// as a PNG folder, an .npz, .npy files and CSV train an mlp (same seed, same
// normalization) to the same weights bit for bit, and to at least 90% test accuracy
// on the toy bars. Then gabor predict on the run's test images agrees with gabor eval.
func TestOwnDataTrainsLikeIDX(t *testing.T) {
	isolateData(t)
	paths, _, _ := ownData(t, 256, 64)
	runs := map[string]string{}
	var ref *train.Checkpoint
	for _, kind := range ownKinds {
		runDir := filepath.Join(t.TempDir(), kind)
		out, errOut, code := runCLI(t, "train", "--model", "mlp", "--data", paths[kind], "--epochs", "2", "--batch", "32",
			"--seed", "5", "--device", "cpu", "--normalize", "data", "--out", runDir, "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", kind, code, errOut)
		}
		if !strings.Contains(errOut, "normalization: data (mean ") {
			t.Errorf("%s: stderr does not state the normalization: %q", kind, errOut)
		}
		lines := jsonLines(t, out)
		done := lines[len(lines)-1]
		acc, _ := done["test_acc"].(float64)
		if acc < 0.9 {
			t.Errorf("%s: test accuracy %.3f, want ≥ 0.9 on the toy bars", kind, acc)
		}
		t.Logf("%s: test accuracy %.4f after 2 epochs", kind, acc)
		ck, err := train.ReadCheckpoint(filepath.Join(runDir, train.CheckpointFile))
		if err != nil {
			t.Fatal(err)
		}
		runs[kind] = runDir
		if ref == nil {
			ref = ck
			if ck.Config.Norm.Mode != "data" || ck.Config.Norm.Std <= 0 {
				t.Fatalf("run config normalization %+v", ck.Config.Norm)
			}
			continue
		}
		if ck.Config.Norm != ref.Config.Norm {
			t.Errorf("%s: normalization %+v, IDX had %+v", kind, ck.Config.Norm, ref.Config.Norm)
		}
		for _, name := range ref.Params {
			a, b := ref.Tensors[name].Data, ck.Tensors[name].Data
			if len(a) != len(b) {
				t.Fatalf("%s: %s has %d values, IDX %d", kind, name, len(b), len(a))
			}
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
					t.Errorf("%s: %s[%d] = %g, IDX run %g: not bit-identical", kind, name, i, b[i], a[i])
					break
				}
			}
		}
	}

	// The normalization reaches the training step: another one gives other weights.
	// Without --normalize, one's own data is normalized by its own statistics and a
	// named set (the IDX folder reads as mnist) by the canonical constants.
	for _, c := range []struct{ kind, flag, mode string }{
		{datatest.KindCSV, "none", "none"}, {datatest.KindFolder, "", "data"}, {datatest.KindIDX, "", "fashion-mnist"},
	} {
		runDir := filepath.Join(t.TempDir(), "norm")
		args := []string{"train", "--model", "mlp", "--data", paths[c.kind], "--epochs", "2", "--batch", "32", "--seed", "5", "--device", "cpu", "--out", runDir}
		if c.flag != "" {
			args = append(args, "--normalize", c.flag)
		}
		if _, errOut, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		ck, err := train.ReadCheckpoint(filepath.Join(runDir, train.CheckpointFile))
		if err != nil {
			t.Fatal(err)
		}
		if ck.Config.Norm.Mode != c.mode {
			t.Errorf("%s --normalize %q: mode %+v, want %s", c.kind, c.flag, ck.Config.Norm, c.mode)
		}
		same := c.mode == "data"
		w0, w1 := ref.Tensors[ref.Params[0]].Data, ck.Tensors[ref.Params[0]].Data
		if slices.Equal(w0, w1) != same {
			t.Errorf("%s normalized by %s: weights equal to the data-normalized run: %v, want %v", c.kind, c.mode, !same, same)
		}
	}

	// gabor predict over the folder run's test images (test/<class>/) and over the
	// .npz's x_test/y_test must agree with gabor eval's accuracy.
	run := runs[datatest.KindFolder]
	out, errOut, code := runCLI(t, "eval", "--checkpoint", run, "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errOut)
	}
	ev := jsonLines(t, out)[0]
	// The same test images in another format, through eval --data.
	out, errOut, code = runCLI(t, "eval", "--checkpoint", run, "--data", paths[datatest.KindNPZ], "--json")
	if ev2 := jsonLines(t, out); code != 0 || ev2[0]["correct"] != ev["correct"] || ev2[0]["dataset"] != "numpy" {
		t.Errorf("eval --data %s: exit %d %v, own test set %v: %s", paths[datatest.KindNPZ], code, ev2, ev, errOut)
	}
	for _, input := range []string{filepath.Join(paths[datatest.KindFolder], "test"), paths[datatest.KindNPZ],
		filepath.Join(paths[datatest.KindCSV], "test.csv")} {
		out, errOut, code = runCLI(t, "predict", run, input, "--json", "--device", "cpu")
		if code != 0 {
			t.Fatalf("predict %s: exit %d: %s", input, code, errOut)
		}
		lines := jsonLines(t, out)
		sum := lines[len(lines)-1]
		if sum["event"] != "summary" || sum["labeled"] != ev["n"] || sum["correct"] != ev["correct"] || sum["accuracy"] != ev["test_acc"] {
			t.Errorf("predict %s: summary %v, eval %v", input, sum, ev)
		}
		if len(lines) != 65 || lines[0]["event"] != "prediction" || len(lines[0]["top"].([]any)) != 3 {
			t.Errorf("predict %s: %d lines, first %v", input, len(lines), lines[0])
		}
		if p, _ := lines[0]["prob"].(float64); !(p > 0 && p <= 1) {
			t.Errorf("probability %v", lines[0]["prob"])
		}
	}

	// The table, and --explain on two images of a class folder.
	figs := filepath.Join(t.TempDir(), "figs")
	imgs, _ := filepath.Glob(filepath.Join(paths[datatest.KindFolder], "test", "c2", "*.png"))
	out, errOut, code = runCLI(t, "predict", run, imgs[0], imgs[1], "--explain", figs, "--rule", "gradient", "--top", "2")
	if code != 0 {
		t.Fatalf("predict --explain: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "INPUT") || !strings.Contains(out, "PROB") || strings.Count(out, "explained in") != 2 {
		t.Errorf("table:\n%s", out)
	}
	pngs, _ := filepath.Glob(filepath.Join(figs, "explain-*.png"))
	if len(pngs) != 2 {
		t.Errorf("explain figures %v, want 2 PNGs", pngs)
	}
}

// TestDataInfoOwnData: gabor data info describes each format as written: counts per
// class, size, and the pixel mean of the bytes written.
func TestDataInfoOwnData(t *testing.T) {
	isolateData(t)
	paths, tr, _ := ownData(t, 40, 12)
	var sum float64
	for _, im := range tr {
		for _, v := range im {
			sum += float64(v) / 255
		}
	}
	wantMean := sum / float64(len(tr)*784)
	for _, kind := range ownKinds {
		out, errOut, code := runCLI(t, "data", "info", paths[kind], "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", kind, code, errOut)
		}
		var info struct {
			Name  string `json:"name"`
			Train struct {
				N           int     `json:"n"`
				H           int     `json:"h"`
				ClassCounts []int   `json:"class_counts"`
				PixelMean   float64 `json:"pixel_mean"`
			} `json:"train"`
			Test struct {
				N           int   `json:"n"`
				ClassCounts []int `json:"class_counts"`
			} `json:"test"`
		}
		if err := json.Unmarshal([]byte(out), &info); err != nil {
			t.Fatal(err)
		}
		counts := info.Train.ClassCounts[:4]
		if info.Train.N != 40 || info.Test.N != 12 || info.Train.H != 28 || !slices.Equal(counts, []int{10, 10, 10, 10}) ||
			!slices.Equal(info.Test.ClassCounts[:4], []int{3, 3, 3, 3}) {
			t.Errorf("%s: %+v", kind, info)
		}
		if math.Abs(info.Train.PixelMean-wantMean) > 1e-12 {
			t.Errorf("%s: pixel mean %v, written %v", kind, info.Train.PixelMean, wantMean)
		}
	}
	// Other sizes are resized, and stderr says so; a lone .npy is refused with the layout.
	big, lbl := datatest.Toy(6, 2, 3, 36)
	dir := t.TempDir()
	for i, px := range big {
		datatest.PNG(t, filepath.Join(dir, fmt.Sprintf("k%d", lbl[i]), fmt.Sprintf("%d.png", i)), px, 36)
	}
	if _, errOut, code := runCLI(t, "data", "info", dir); code != 0 || !strings.Contains(errOut, "resized 6 images (6 of 36×36) to 28×28 gray with Catmull-Rom") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code := runCLI(t, "data", "info", filepath.Join(paths[datatest.KindNPY], "x_train.npy")); code != exitData || !strings.Contains(errOut, "holds no labels") {
		t.Errorf("a lone .npy: exit %d, stderr %q", code, errOut)
	}
	// The table names the classes of a folder.
	out, _, code := runCLI(t, "data", "info", paths[datatest.KindFolder])
	if code != 0 || !strings.Contains(out, "folder: 28×28 images, 4 classes") || !strings.Contains(out, "c3") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// TestDataConvertRoundTrip: each format converted to IDX reads back as the same set.
func TestDataConvertRoundTrip(t *testing.T) {
	isolateData(t)
	paths, _, _ := ownData(t, 40, 12)
	ref, err := os.ReadFile(filepath.Join(paths[datatest.KindIDX], "train-images-idx3-ubyte"))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{datatest.KindFolder, datatest.KindNPZ, datatest.KindCSV} {
		dir := filepath.Join(t.TempDir(), "idx")
		out, errOut, code := runCLI(t, "data", "convert", paths[kind], dir)
		if code != 0 || !strings.Contains(out, "train 40, test 12") {
			t.Fatalf("%s: exit %d: %s %s", kind, code, out, errOut)
		}
		got, err := os.ReadFile(filepath.Join(dir, "train-images-idx3-ubyte"))
		if err != nil || string(got) != string(ref) {
			t.Errorf("%s: converted train images differ from the IDX original (%v)", kind, err)
		}
		names, _ := os.ReadFile(filepath.Join(dir, "classes.txt"))
		if kind == datatest.KindFolder && string(names) != "c0\nc1\nc2\nc3\n" {
			t.Errorf("classes.txt %q", names)
		}
	}
}

// TestOwnDataBadInputExit3: what is wrong with one's own data is a data error
// (exit 3) whose message names the file, and the line or key.
func TestOwnDataBadInputExit3(t *testing.T) {
	isolateData(t)
	tr, _ := datatest.Toy(2, 2, 1, 28)
	c8 := make([]byte, 8*2*784)
	cases := []struct {
		name  string
		setup func(dir string) []string // the command line after "gabor"
		want  []string
	}{
		{"empty class folder", func(dir string) []string {
			datatest.PNG(t, filepath.Join(dir, "a", "1.png"), tr[0], 28)
			os.MkdirAll(filepath.Join(dir, "b"), 0o755)
			return []string{"data", "info", dir}
		}, []string{filepath.Join(dir0(), "b"), "holds no images"}},
		{"non-image file", func(dir string) []string {
			datatest.PNG(t, filepath.Join(dir, "a", "1.png"), tr[0], 28)
			datatest.WriteFile(t, filepath.Join(dir, "b", "readme.txt"), []byte("not an image"))
			return []string{"train", "--model", "mlp", "--data", dir, "--out", filepath.Join(dir, "run")}
		}, []string{"readme.txt", "not a PNG, JPEG or GIF image"}},
		{"mixed sizes with --no-resize", func(dir string) []string {
			datatest.PNG(t, filepath.Join(dir, "a", "1.png"), tr[0], 28)
			datatest.PNG(t, filepath.Join(dir, "b", "2.png"), make([]uint8, 32*32), 32)
			return []string{"data", "info", dir, "--no-resize"}
		}, []string{"2.png", "32×32", "--no-resize"}},
		{"npy unsupported dtype", func(dir string) []string {
			datatest.WriteFile(t, filepath.Join(dir, "x_train.npy"), datatest.NPY("<c8", false, []int{2, 28, 28}, c8))
			datatest.WriteFile(t, filepath.Join(dir, "y_train.npy"), datatest.NPY("|u1", false, []int{2}, []byte{0, 1}))
			return []string{"data", "info", dir}
		}, []string{"x_train.npy", `dtype "<c8"`}},
		{"npy Fortran order", func(dir string) []string {
			p := filepath.Join(dir, "d.npz")
			datatest.WriteFile(t, p, datatest.NPZ(t, map[string][]byte{
				"x_train": datatest.NPY("|u1", true, []int{2, 28, 28}, datatest.Flat(tr)),
				"y_train": datatest.NPY("|u1", false, []int{2}, []byte{0, 1})}))
			return []string{"data", "convert", p, filepath.Join(dir, "out")}
		}, []string{"d.npz", "key x_train", "Fortran"}},
		{"npy truncated body", func(dir string) []string {
			b := datatest.NPY("|u1", false, []int{2, 28, 28}, datatest.Flat(tr))
			datatest.WriteFile(t, filepath.Join(dir, "x.npy"), b[:len(b)-100])
			return []string{"predict", filepath.Join(dir, "run"), filepath.Join(dir, "x.npy")}
		}, []string{"x.npy", "truncated body"}},
		{"csv row of the wrong length", func(dir string) []string {
			b := datatest.CSV(tr, []uint8{0, 1}, false)
			b = append(b, "1,0,0\n"...)
			datatest.WriteFile(t, filepath.Join(dir, "all.csv"), b)
			return []string{"data", "info", filepath.Join(dir, "all.csv")}
		}, []string{"all.csv", "line 3", "3 fields, want 785"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := c.setup(dir)
			if strings.HasPrefix(c.name, "npy truncated") {
				// predict needs a trained run first; an untrained run dir is exit 3 too,
				// so train one on good data.
				good := filepath.Join(dir, "good")
				writeTinySet(t, good, 32, 8)
				if _, e, code := runCLI(t, "train", "--model", "mlp", "--data", good, "--batch", "16", "--epochs", "1", "--device", "cpu", "--out", args[1]); code != 0 {
					t.Fatalf("training the run: %s", e)
				}
			}
			_, errOut, code := runCLI(t, args...)
			if code != exitData {
				t.Errorf("exit %d, want %d: %s", code, exitData, errOut)
			}
			for _, w := range c.want {
				w = strings.ReplaceAll(w, dir0(), dir)
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
}

// dir0 is a placeholder for the case's temporary folder in wanted messages.
func dir0() string { return "<dir>" }
