package report

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serve starts a server for h on a free loopback port and stops it when
// the test ends.
func serve(t *testing.T, h *Hub) *Server {
	t.Helper()
	s, err := Listen("", h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// stream is an open /events connection read event by event.
type stream struct {
	resp *http.Response
	r    *bufio.Reader
}

func openStream(t *testing.T, s *Server, lastID string) *stream {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL()+"events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events Content-Type %q", ct)
	}
	return &stream{resp, bufio.NewReader(resp.Body)}
}

type sse struct {
	id         int
	event, dat string
}

// next reads the next event (comments and the retry line skipped); ok is
// false at the end of the stream.
func (st *stream) next(t *testing.T) (sse, bool) {
	t.Helper()
	var e sse
	for {
		line, err := st.r.ReadString('\n')
		if err != nil {
			return e, false
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if e.event != "" {
				return e, true
			}
		case strings.HasPrefix(line, "id: "):
			e.id, _ = strconv.Atoi(line[4:])
		case strings.HasPrefix(line, "event: "):
			e.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			e.dat = line[6:]
		}
	}
}

func TestEventsReplayAndReconnect(t *testing.T) {
	h := NewHub()
	s := serve(t, h)
	for i := 1; i <= 3; i++ {
		h.Publish("progress", Progress{Run: "r", Step: i, Loss: 1 / float64(i)})
	}
	st := openStream(t, s, "")
	for i := 1; i <= 3; i++ {
		e, ok := st.next(t)
		if !ok || e.id != i || e.event != "progress" {
			t.Fatalf("replayed event %d: %+v, %v", i, e, ok)
		}
		var p Progress
		if err := json.Unmarshal([]byte(e.dat), &p); err != nil || p.Step != i {
			t.Fatalf("event %d data %q: %v", i, e.dat, err)
		}
	}
	h.Publish("epoch", EpochInfo{Run: "r"})
	if e, ok := st.next(t); !ok || e.id != 4 || e.event != "epoch" {
		t.Fatalf("live event: %+v, %v", e, ok)
	}
	// The server drops the stream; what is published meanwhile is sent to
	// the browser that reconnects with the last id it saw.
	s.Kick()
	if _, ok := st.next(t); ok {
		t.Fatal("the stream goes on after Kick")
	}
	h.Publish("progress", Progress{Run: "r", Step: 5})
	h.Publish("done", DoneInfo{Run: "r", Epochs: 1})
	st = openStream(t, s, "4")
	for _, want := range []sse{{5, "progress", ""}, {6, "done", ""}} {
		e, ok := st.next(t)
		if !ok || e.id != want.id || e.event != want.event {
			t.Fatalf("after reconnect: %+v, want id %d %s", e, want.id, want.event)
		}
	}
	// ?last= is the same for a client that cannot set headers.
	resp, err := http.Get(s.URL() + "events?last=5")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	e, ok := (&stream{resp, bufio.NewReader(resp.Body)}).next(t)
	if !ok || e.id != 6 {
		t.Errorf("?last=5: first event %+v", e)
	}
}

// A browser that never reads does not hold up Publish, and the log stays
// bounded.
func TestPublishNeverWaits(t *testing.T) {
	h := &Hub{Max: 200, wake: make(chan struct{})}
	s := serve(t, h)
	conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(s.URL(), "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /events HTTP/1.1\r\nHost: %s\r\n\r\n", strings.TrimSuffix(strings.TrimPrefix(s.URL(), "http://"), "/"))
	big := strings.Repeat("x", 64<<10)
	start := time.Now()
	for i := range 5000 {
		h.Publish("progress", map[string]any{"step": i, "pad": big})
		if i%1000 == 0 {
			h.Publish("epoch", map[string]int{"epoch": i})
		}
	}
	// 320 MB for a reader that reads nothing: the socket's buffers fill
	// after a few MB, so a Publish that waited for the reader would never
	// return. The bound only turns that hang into a failure (it is not a
	// speed goal: the loop takes 1–9 s on 2 shared cores).
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("5000 publishes with a stuck reader took %v", d)
	}
	if n := h.Len(); n > 200 {
		t.Errorf("the hub keeps %d events, max 200", n)
	}
	evs, _ := h.Since(0)
	epochs := 0
	for _, e := range evs {
		if e.Type == "epoch" {
			epochs++
		}
	}
	if epochs != 5 || evs[len(evs)-1].ID != 5005 {
		t.Errorf("after thinning: %d epoch events (want 5), last id %d", epochs, evs[len(evs)-1].ID)
	}
}

func TestServerSecurity(t *testing.T) {
	s := serve(t, NewHub())
	host := strings.TrimSuffix(strings.TrimPrefix(s.URL(), "http://"), "/")
	raw := func(method, target, hostHdr string) (int, string) {
		t.Helper()
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", method, target, hostHdr)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s %s: %v", method, target, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		method, target, host string
		code                 int
		body                 string
	}{
		{"GET", "/", host, 200, "<title>gabor live</title>"},
		{"GET", "/uplot/LICENSE", host, 200, "MIT License"},
		{"GET", "/live.js", "localhost:" + strings.Split(host, ":")[1], 200, "EventSource"},
		{"POST", "/", host, 405, ""},
		{"PUT", "/events", host, 405, ""},
		{"DELETE", "/live.js", host, 405, ""},
		{"GET", "/../live.js", host, 404, ""},
		{"GET", "/uplot/../live.js", host, 404, ""},
		{"GET", "/%2e%2e/live.js", host, 404, ""},
		{"GET", "/uplot%2fLICENSE", host, 404, ""},
		{"GET", "//live.js", host, 404, ""},
		{"GET", "/live.js/", host, 404, ""},
		{"GET", "/etc/passwd", host, 404, ""},
		{"GET", "/assets/live.js", host, 404, ""},
		{"GET", "/report.go", host, 404, ""},
		{"GET", "http://" + host + "/../../etc/passwd", host, 404, ""},
		{"GET", "/", "evil.example:80", 421, ""},
		{"GET", "/events", "attacker.test", 421, ""},
	} {
		code, body := raw(tc.method, tc.target, tc.host)
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("%s %s (Host %s): %d %.80q, want %d with %q", tc.method, tc.target, tc.host, code, body, tc.code, tc.body)
		}
	}
}

func TestListenErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Listen(ln.Addr().String(), NewHub())
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a port in use: %v", err)
	}
	if _, err := Listen("no-port-here", NewHub()); err == nil {
		t.Error("an address without a port is accepted")
	}
	// A bare port and an empty host are the loopback interface.
	s, err := Listen(":0", NewHub())
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	if !s.loopback || !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf(":0 listens on %s", s.URL())
	}
}

// The vendored chart library is the one its README names.
func TestVendoredUPlot(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("assets", "uplot", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"uPlot.iife.min.js", "uPlot.min.css"} {
		b, err := assets.ReadFile("assets/uplot/" + f)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if !strings.Contains(string(readme), "`"+f+"` sha256 `"+hex.EncodeToString(sum[:])+"`") {
			t.Errorf("%s: sha256 %x is not the one in assets/uplot/README.md", f, sum)
		}
	}
	if lic, err := assets.ReadFile("assets/uplot/LICENSE"); err != nil || !strings.Contains(string(lic), "MIT License") {
		t.Errorf("uPlot licence: %v", err)
	}
}

// Watch on a finished run publishes it whole: the run, its sampled losses,
// epochs and end, every snapshot's filters with a score, and the
// activations at the checkpoint.
func TestWatchFinishedRun(t *testing.T) {
	dir := trainRun(t, filepath.Join(t.TempDir(), "<b>run"), "lenet", 2, 1, true)
	// The loss samples gabor train writes beside the run (the loop alone
	// does not), the last line still being written.
	steps := `{"step":1,"epoch":1,"loss":2.3}` + "\n" + `{"step":2,"epoch":1,"loss":2.2}` + "\n" + `{"step":3,"ep`
	if err := os.WriteFile(filepath.Join(dir, "steps.jsonl"), []byte(steps), 0o644); err != nil {
		t.Fatal(err)
	}
	h := NewHub()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Watch(ctx, h, dir, WatchOptions{Steps: true, Interval: 50 * time.Millisecond}); close(done) }()
	deadline := time.Now().Add(60 * time.Second)
	count := map[string]int{}
	for time.Now().Before(deadline) {
		evs, _ := h.Since(0)
		count = map[string]int{}
		for _, e := range evs {
			count[e.Type]++
		}
		if count["activations"] > 0 && count["done"] > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	<-done
	// 2 epochs of 2 steps, a snapshot at every step and at 0.
	if count["run"] != 1 || count["epoch"] != 2 || count["done"] != 1 || count["snapshot"] != 5 || count["activations"] != 1 || count["progress"] != 2 {
		t.Errorf("events by type: %v", count)
	}
	evs, _ := h.Since(0)
	for _, e := range evs {
		if e.Type != "snapshot" {
			continue
		}
		var s SnapshotInfo
		if err := json.Unmarshal(e.Data, &s); err != nil {
			t.Fatal(err)
		}
		if s.Run != "<b>run" || s.Layer != "conv1" || s.GaborScore == nil || !strings.HasPrefix(s.Image, "data:image/png;base64,") {
			t.Errorf("snapshot event: run %q layer %q score %v image %.30q", s.Run, s.Layer, s.GaborScore, s.Image)
		}
	}
}

func TestThinSteps(t *testing.T) {
	got := thinSteps([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 4)
	if fmt.Sprint(got) != "[2 4 6 9]" {
		t.Errorf("thinSteps: %v", got)
	}
	if got := thinSteps([]int{3, 4}, 4); fmt.Sprint(got) != "[3 4]" {
		t.Errorf("thinSteps of fewer: %v", got)
	}
}

// The watcher's drawing, per snapshot and per checkpoint.
func BenchmarkSnapshotEvent(b *testing.B) {
	dir := trainRun(b, filepath.Join(b.TempDir(), "run"), "lenet", 1, 1, true)
	p := filepath.Join(dir, "snapshots", "step-000002.safetensors")
	for b.Loop() {
		if _, err := SnapshotEvent("r", p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkActivationsEvent(b *testing.B) {
	dir := trainRun(b, filepath.Join(b.TempDir(), "run"), "lenet", 1, 1, true)
	var a activationDrawer
	defer a.close()
	ck := filepath.Join(dir, "checkpoint.safetensors")
	for b.Loop() {
		if _, err := a.draw("r", ck, 0, "cpu"); err != nil {
			b.Fatal(err)
		}
	}
}

// Any request line reaches one of the embedded files, 404, 405 or 421:
// nothing else, and nothing from outside the embedded set.
func FuzzServerRequest(f *testing.F) {
	for _, s := range []string{"/", "/live.js", "/../live.js", "/%2e%2e/x", "/uplot%2fLICENSE", "//etc/passwd", "/uplot/LICENSE"} {
		f.Add("GET", s, "127.0.0.1:8080")
	}
	f.Add("POST", "/", "127.0.0.1:8080")
	f.Add("GET", "/", "evil.test")
	s := &Server{Hub: NewHub(), loopback: true, hosts: map[string]bool{"127.0.0.1:8080": true}, kick: make(chan struct{})}
	f.Fuzz(func(t *testing.T, method, target, host string) {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")))
		if err != nil || req.URL.Path == "/events" {
			return // not a request, or the stream (which does not end)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			f, ok := liveFiles[req.URL.Path]
			want, _ := assets.ReadFile(f.file)
			if !ok || req.Method != "GET" || !s.hosts[strings.ToLower(req.Host)] || rec.Body.String() != string(want) {
				t.Errorf("%s %s (Host %q): 200 with %d bytes", method, target, host, rec.Body.Len())
			}
		case 404, 405, 421:
		default:
			t.Errorf("%s %s (Host %q): status %d", method, target, host, rec.Code)
		}
	})
}
