package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to write from the command and read
// from the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var liveURL = regexp.MustCompile(`live page (?:of \d+ run\(s\) )?at (http://127\.0\.0\.1:\d+/)`)

// startCLI runs a command line in the background; stop cancels it and
// returns its exit code.
func startCLI(t *testing.T, args ...string) (errOut *syncBuffer, url string, stop func() int) {
	t.Helper()
	f, _, _ := testFactory()
	errOut = &syncBuffer{}
	f.IO.ErrOut, f.IO.Out = errOut, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- execute(ctx, f, args) }()
	stop = func() int { cancel(); return <-code }
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := liveURL.FindStringSubmatch(errOut.String()); m != nil {
			return errOut, m[1], stop
		}
		select {
		case c := <-code:
			t.Fatalf("%v exited %d before serving: %s", args, c, errOut)
		case <-time.After(20 * time.Millisecond):
		}
	}
	stop()
	t.Fatalf("%v printed no address: %s", args, errOut)
	return
}

// readUntil reads the event stream at url until an event of type typ and
// returns the counts of each type seen.
func readUntil(t *testing.T, url, typ string) map[string]int {
	t.Helper()
	resp, err := http.Get(url + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			n[ev]++
			if ev == typ {
				return n
			}
		}
	}
	t.Fatalf("the stream ended before a %s event: %v", typ, n)
	return n
}

// gabor train --serve: the page follows the run to its end and stays up
// after it until interrupted (exit 0).
func TestTrainServe(t *testing.T) {
	isolateData(t)
	dir := filepath.Join(t.TempDir(), "run")
	errOut, url, stop := startCLI(t, "train", "--model", "lenet", "--dataset", "synthetic", "--limit", "640", "--test-limit", "64",
		"--batch", "16", "--epochs", "2", "--device", "cpu", "--out", dir, "--serve")
	n := readUntil(t, url, "done")
	if n["progress"] < 2 || n["epoch"] != 2 {
		t.Errorf("events before done: %v", n)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(errOut.String(), "stays at") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// After the end: the page is still served, with the snapshots drawn.
	if n := readUntil(t, url, "snapshot"); n["run"] != 1 {
		t.Errorf("replay: %v", n)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d after Ctrl-C at the end: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint.safetensors")); err != nil {
		t.Error(err)
	}

	// gabor serve on the finished run replays it whole.
	errOut, url, stop = startCLI(t, "serve", dir, dir)
	n = readUntil(t, url, "done")
	if n["run"] == 0 || n["epoch"] != 2 {
		t.Errorf("serve events: %v", n)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d: %s", code, errOut)
	}
}

func TestServeBadInput(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve"}, exitUsage, "at least one RUN_DIR"},
		{[]string{"serve", filepath.Join(tmp, "nope")}, exitData, "does not exist"},
		{[]string{"serve", file}, exitData, "is a file"},
		{[]string{"serve", tmp}, exitData, "not a run directory"},
		{[]string{"train", "--resume", tmp, "--serve"}, exitUsage, "--serve cannot be combined"},
		{[]string{"train", "--serve=" + ln.Addr().String(), "--dataset", "synthetic", "--limit", "256", "--out", filepath.Join(tmp, "r")}, exitError, "port is in use"},
	} {
		_, errOut, code := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d (want %d), stderr %q lacks %q", tc.args, code, tc.code, errOut, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(tmp, "r")); err == nil {
		t.Error("a train that could not serve left a run directory")
	}
}

func TestRunNames(t *testing.T) {
	got := runNames([]string{"a/run", "b/run/", "c"})
	if strings.Join(got, "|") != "run|run (2)|c" {
		t.Errorf("runNames: %q", got)
	}
}
