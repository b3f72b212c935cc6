package staging

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestHeldUntilClosed(t *testing.T) {
	dir := t.TempDir()
	f, err := CreateTemp(dir, ".x.tmp-")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(filepath.Base(f.Name()), ".x.tmp-"+strconv.Itoa(os.Getpid())+"-") {
		t.Errorf("name %s does not carry the pid", f.Name())
	}
	d, err := MkdirTemp(dir, ".r.partial-", 0o755)
	if err != nil {
		t.Fatal(err)
	}
	all := func(string) bool { return true }
	if removed, err := Clean(dir, all); err != nil || len(removed) != 0 {
		t.Fatalf("Clean removed %v (%v) while both are held", removed, err)
	}
	f.Close()
	d.Release()
	removed, err := Clean(dir, all)
	if err != nil || len(removed) != 2 {
		t.Fatalf("Clean removed %v (%v), want both once released", removed, err)
	}
}

func TestWriteFileLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.bin")
	for _, s := range []string{"one", "two, longer"} {
		if err := WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != s {
			t.Fatalf("read %q, want %q", b, s)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("entries %v", es)
	}
}

// A writer killed with SIGKILL leaves its temporary file and directory; the
// kernel drops its locks, so Clean removes them, and only them.
func TestCleanAfterSIGKILL(t *testing.T) {
	if os.Getenv("STAGING_HELPER_DIR") != "" {
		dir := os.Getenv("STAGING_HELPER_DIR")
		f, err := CreateTemp(dir, ".ck.tmp-")
		if err != nil {
			os.Exit(3)
		}
		f.Write([]byte("half a checkpoint"))
		if _, err := MkdirTemp(dir, ".run.partial-", 0o755); err != nil {
			os.Exit(3)
		}
		os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644)
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCleanAfterSIGKILL$")
	cmd.Env = append(os.Environ(), "STAGING_HELPER_DIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	match := func(n string) bool { return strings.HasPrefix(n, ".ck.tmp-") || strings.HasPrefix(n, ".run.partial-") }
	if removed, _ := Clean(dir, match); len(removed) != 0 {
		t.Errorf("removed %v while the writer lives", removed)
	}
	mine, err := CreateTemp(dir, ".ck.tmp-") // a live writer of this process
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	removed, err := Clean(dir, match)
	if err != nil || len(removed) != 2 {
		t.Fatalf("after SIGKILL Clean removed %v (%v), want the dead writer's file and directory", removed, err)
	}
	for _, p := range removed {
		if !strings.Contains(p, "-"+strconv.Itoa(cmd.Process.Pid)+"-") {
			t.Errorf("removed %s, not the dead writer's (pid %d)", p, cmd.Process.Pid)
		}
	}
	if _, err := os.Stat(mine.Name()); err != nil {
		t.Errorf("the live writer's file was removed: %v", err)
	}
}
