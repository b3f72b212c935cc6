package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gaborlab/gabor/train"
	"github.com/gaborlab/gabor/train/safetensors"
)

// verbFixture is what the exit-code table runs against: a tiny dataset, a
// trained lenet run directory (with snapshots), copies of it damaged in the
// ways the README's table names, and an ANCHORW1 file that is not one.
type verbFixture struct {
	data, run, corrupt, shapes, stepOff, cfgOff, badInit string
}

var (
	fixOnce sync.Once
	fix     verbFixture
	fixErr  string
)

func verbFixtures(t *testing.T) verbFixture {
	t.Helper()
	fixOnce.Do(func() {
		root, err := os.MkdirTemp("", "gabor-exitcodes-")
		if err != nil {
			fixErr = err.Error()
			return
		}
		fix.data = filepath.Join(root, "data")
		writeTinySet(t, fix.data, 64, 40)
		fix.run = filepath.Join(root, "run")
		_, errOut, code := runCLI(t, "train", "--model", "lenet", "--data", fix.data, "--batch", "16", "--epochs", "1",
			"--device", "cpu", "--snapshot", "every=2steps", "--out", fix.run)
		if code != 0 {
			fixErr = "training the fixture: " + errOut
			return
		}
		copyDir := func(name string, edit func(dir string) error) string {
			dst := filepath.Join(root, name)
			if err := copyTree(fix.run, dst); err != nil {
				fixErr = err.Error()
			} else if err := edit(dst); err != nil {
				fixErr = name + ": " + err.Error()
			}
			return dst
		}
		// A flipped byte at the end of every weights file (checkpoint and snapshots).
		fix.corrupt = copyDir("corrupt", func(dir string) error {
			return filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
				if err != nil || !strings.HasSuffix(p, ".safetensors") {
					return err
				}
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				b[len(b)-1] ^= 0x40
				return os.WriteFile(p, b, 0o644)
			})
		})
		rewrite := func(dir string, edit func(*safetensors.File)) error {
			p := filepath.Join(dir, train.CheckpointFile)
			f, err := safetensors.Read(p)
			if err != nil {
				return err
			}
			edit(f)
			b, err := safetensors.Encode(f.Tensors, f.Metadata)
			if err != nil {
				return err
			}
			return os.WriteFile(p, b, 0o644)
		}
		// A parameter of the wrong shape (checksums recomputed: the file is intact).
		fix.shapes = copyDir("shapes", func(dir string) error {
			return rewrite(dir, func(f *safetensors.File) {
				for i := range f.Tensors {
					if f.Tensors[i].Name == "fc3.bias" {
						f.Tensors[i].Shape, f.Tensors[i].Data = []int{3}, f.Tensors[i].Data[:3]
					}
				}
			})
		})
		// A step count that does not fit the data.
		fix.stepOff = copyDir("stepoff", func(dir string) error {
			return rewrite(dir, func(f *safetensors.File) { f.Metadata["step"] = "3" })
		})
		// config.json disagrees with the checkpoint.
		fix.cfgOff = copyDir("cfgoff", func(dir string) error {
			p := filepath.Join(dir, train.ConfigFile)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, []byte(strings.Replace(string(b), `"seed": 1`, `"seed": 2`, 1)), 0o644)
		})
		fix.badInit = filepath.Join(root, "bad.anchorw1")
		os.WriteFile(fix.badInit, []byte("ANCHORW1\x01\x00\x00\x00\x02\x00\x00\x00\x30\x30\x30\x30\x30\x30\x30\xff"), 0o644)
	})
	if fixErr != "" {
		t.Fatal(fixErr)
	}
	return fix
}

func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// TestExitCodesOfEveryVerb makes the README's exit-code table true for every
// verb: one row per (verb, situation), run through the whole CLI.
func TestExitCodesOfEveryVerb(t *testing.T) {
	isolateData(t)
	fx := verbFixtures(t)
	missing := filepath.Join(t.TempDir(), "no-such-run")
	ck := func(dir string) string { return filepath.Join(dir, train.CheckpointFile) }
	out := func() string { return filepath.Join(t.TempDir(), "out") }
	const unwritable = "/proc/gabor-cannot-write-here"
	cases := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		// 2: the command line.
		{"train unknown flag", []string{"train", "--bogus"}, exitUsage, "unknown flag"},
		{"train bad value", []string{"train", "--epochs", "0"}, exitUsage, "epochs"},
		{"train bad diverge factor", []string{"train", "--diverge-factor", "0.5"}, exitUsage, "--diverge-factor"},
		{"eval no checkpoint", []string{"eval"}, exitUsage, "--checkpoint is required"},
		{"data info unknown set", []string{"data", "info", "cifar-1000"}, exitUsage, "cifar-1000"},
		{"data verify unknown flag", []string{"data", "verify", "--bogus"}, exitUsage, "unknown flag"},
		{"data fetch unknown set", []string{"data", "fetch", "cifar-1000"}, exitUsage, "cifar-1000"},
		{"devices unknown flag", []string{"devices", "--bogus"}, exitUsage, "unknown flag"},
		{"version unknown flag", []string{"version", "--bogus"}, exitUsage, "unknown flag"},
		{"bench unknown flag", []string{"bench", "--bogus"}, exitUsage, "unknown flag"},
		{"deconv map out of range", []string{"deconv", fx.run, "--maps", "0-9223372036854775806"}, exitUsage, "has 16 maps"},
		{"deconv unknown layer", []string{"deconv", fx.run, "--layer", "conv9"}, exitUsage, "conv9"},
		{"query label out of range", []string{"query", fx.run, "--method", "optimize", "--label", "10"}, exitUsage, "has 10 classes"},
		{"activations index out of range", []string{"activations", fx.run, "--index", "100000"}, exitUsage, "100000"},
		{"filters unknown layer", []string{"filters", fx.run, "--layer", "conv9"}, exitUsage, "conv9"},
		{"embed unknown layer", []string{"embed", fx.run, "--layer", "conv9"}, exitUsage, "conv9"},
		// 3: an input file missing, corrupt or inconsistent.
		{"train data missing", []string{"train", "--data", missing, "--out", out()}, exitData, missing},
		{"train init-from missing", []string{"train", "--model", "lenet", "--data", fx.data, "--batch", "16", "--init-from", missing, "--out", out()}, exitData, missing},
		{"train init-from corrupt", []string{"train", "--model", "lenet", "--data", fx.data, "--batch", "16", "--init-from", fx.badInit, "--out", out()}, exitData, "bad.anchorw1"},
		{"resume missing", []string{"train", "--resume", missing}, exitData, missing},
		{"resume corrupt checkpoint", []string{"train", "--resume", fx.corrupt, "--epochs", "2"}, exitData, "is corrupt"},
		{"resume shape mismatch", []string{"train", "--resume", fx.shapes, "--epochs", "2"}, exitData, "fc3.bias"},
		{"resume step mismatch", []string{"train", "--resume", fx.stepOff, "--epochs", "2"}, exitData, "step 3"},
		{"resume config disagrees", []string{"train", "--resume", fx.cfgOff, "--epochs", "2"}, exitData, "disagree"},
		{"eval missing", []string{"eval", "--checkpoint", missing}, exitData, missing},
		{"eval corrupt", []string{"eval", "--checkpoint", ck(fx.corrupt)}, exitData, "is corrupt"},
		{"eval shape mismatch", []string{"eval", "--checkpoint", ck(fx.shapes), "--data", fx.data}, exitData, "fc3.bias"},
		{"data info missing dir", []string{"data", "info", "mnist", "--data", missing}, exitData, missing},
		{"data verify missing dir", []string{"data", "verify", "mnist", "--data", missing}, exitData, ""},
		{"deconv missing", []string{"deconv", missing}, exitData, missing},
		{"deconv corrupt", []string{"deconv", fx.corrupt, "--out", out()}, exitData, "is corrupt"},
		{"query missing", []string{"query", missing}, exitData, missing},
		{"query corrupt", []string{"query", fx.corrupt, "--method", "optimize", "--iters", "1", "--out", out()}, exitData, "is corrupt"},
		{"filters missing", []string{"filters", missing}, exitData, missing},
		{"filters corrupt", []string{"filters", fx.corrupt, "--out", out()}, exitData, "is corrupt"},
		{"activations missing", []string{"activations", missing}, exitData, missing},
		{"activations corrupt", []string{"activations", fx.corrupt, "--out", out()}, exitData, "is corrupt"},
		{"embed missing", []string{"embed", missing}, exitData, missing},
		{"embed corrupt", []string{"embed", fx.corrupt, "--out", out()}, exitData, "is corrupt"},
		// 1: the command failed (an output that cannot be written).
		{"train out unwritable", []string{"train", "--model", "mlp", "--data", fx.data, "--batch", "16", "--epochs", "1", "--device", "cpu", "--out", unwritable + "/run"}, exitError, unwritable},
		{"deconv out unwritable", []string{"deconv", fx.run, "--maps", "0", "--top", "1", "--out", unwritable}, exitError, unwritable},
		{"query out unwritable", []string{"query", fx.run, "--method", "optimize", "--iters", "1", "--label", "0", "--out", unwritable}, exitError, unwritable},
		{"filters out unwritable", []string{"filters", fx.run, "--out", unwritable}, exitError, unwritable},
		{"activations out unwritable", []string{"activations", fx.run, "--out", unwritable}, exitError, unwritable},
		{"embed out unwritable", []string{"embed", fx.run, "--n", "8", "--frames", "0", "--out", unwritable}, exitError, unwritable},
		// 4: the device.
		{"train cuda", []string{"train", "--device", "cuda", "--out", out()}, exitDevice, "cuda"},
		{"eval cuda", []string{"eval", "--checkpoint", ck(fx.run), "--device", "cuda"}, exitDevice, "cuda"},
		{"deconv cuda", []string{"deconv", fx.run, "--device", "cuda"}, exitDevice, "cuda"},
		{"activations cuda", []string{"activations", fx.run, "--device", "cuda"}, exitDevice, "cuda"},
		// 5: training diverged.
		{"train diverged", []string{"train", "--model", "mlp", "--data", fx.data, "--batch", "16", "--epochs", "1", "--device", "cpu",
			"--optimizer", "adam", "--lr", "1e6", "--out", out()}, exitDiverged, "diverged"},
		// 0 for contrast: the fixture is good.
		{"eval ok", []string{"eval", "--checkpoint", ck(fx.run), "--data", fx.data}, exitOK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, c.args...)
			if code != c.code || !strings.Contains(errOut, c.want) {
				t.Errorf("gabor %s: exit %d, want %d; stderr should contain %q:\n%s", strings.Join(c.args, " "), code, c.code, c.want, errOut)
			}
		})
	}
}

// A run killed while writing the snapshot of its last checkpointed step: the
// resume removes the half-written file and writes that snapshot again from the
// checkpoint.
func TestResumeRewritesAKilledSnapshot(t *testing.T) {
	isolateData(t)
	fx := verbFixtures(t)
	dir := filepath.Join(t.TempDir(), "run")
	if _, errOut, code := runCLI(t, "train", "--model", "lenet", "--data", fx.data, "--batch", "16", "--epochs", "1",
		"--device", "cpu", "--snapshot", "every=1epochs", "--out", dir); code != 0 {
		t.Fatal(errOut)
	}
	snap := filepath.Join(dir, "snapshots", "step-000004.safetensors")
	if err := os.Remove(snap); err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(dir, "snapshots", ".step-000004.safetensors.tmp-999999-1")
	os.WriteFile(torn, []byte("half"), 0o644)
	_, errOut, code := runCLI(t, "train", "--resume", dir, "--epochs", "2")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(torn); err == nil {
		t.Errorf("%s left behind", torn)
	}
	for _, p := range []string{snap, filepath.Join(dir, "snapshots", "step-000008.safetensors")} {
		if _, err := safetensors.Read(p); err != nil {
			t.Errorf("snapshot after the resume: %v", err)
		}
	}
}
