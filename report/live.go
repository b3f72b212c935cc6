package report

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultAddr is where the live page listens unless told otherwise: the
// loopback interface, on a free port.
const DefaultAddr = "127.0.0.1:0"

// liveFiles are the only files the live page serves, by URL path, each
// from the embedded assets.
var liveFiles = map[string]struct{ file, mime string }{
	"/":                        {"assets/live.html", "text/html; charset=utf-8"},
	"/live.js":                 {"assets/live.js", "text/javascript; charset=utf-8"},
	"/live.css":                {"assets/live.css", "text/css; charset=utf-8"},
	"/uplot/uPlot.iife.min.js": {"assets/uplot/uPlot.iife.min.js", "text/javascript; charset=utf-8"},
	"/uplot/uPlot.min.css":     {"assets/uplot/uPlot.min.css", "text/css; charset=utf-8"},
	"/uplot/LICENSE":           {"assets/uplot/LICENSE", "text/plain; charset=utf-8"},
}

// Server serves a Hub's live page: the page and its assets, and the event
// stream at /events. It is read-only: only GET, nothing it serves depends
// on a request's content but the position in the stream.
type Server struct {
	Hub *Hub
	// Heartbeat is how often an idle stream sends a comment (0: 15 s), so a
	// proxy or a dead peer is noticed.
	Heartbeat time.Duration
	// WriteTimeout bounds each write to a browser (0: 30 s): a stuck one
	// loses its stream, never holds anything else.
	WriteTimeout time.Duration

	ln       net.Listener
	srv      *http.Server
	loopback bool
	hosts    map[string]bool // Host header values accepted when on loopback
	mu       sync.Mutex
	kick     chan struct{} // closed to end every open stream (Kick)
}

// Listen opens addr ("" : DefaultAddr; a missing host is 127.0.0.1, so
// another interface is used only when named) and returns the server, not
// yet serving. A port in use is an error that says so.
func Listen(addr string, h *Hub) (*Server, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if _, perr := strconv.Atoi(addr); perr != nil {
			return nil, fmt.Errorf("report: address %q is not HOST:PORT or PORT: %w", addr, err)
		}
		host, port = "", addr
	}
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("report: cannot serve on %s: the port is in use (pick another, or port 0 for a free one)", net.JoinHostPort(host, port))
		}
		return nil, fmt.Errorf("report: cannot serve on %s: %w", net.JoinHostPort(host, port), err)
	}
	s := &Server{Hub: h, ln: ln, kick: make(chan struct{})}
	ta := ln.Addr().(*net.TCPAddr)
	s.loopback = ta.IP.IsLoopback()
	if s.loopback {
		p := strconv.Itoa(ta.Port)
		s.hosts = map[string]bool{}
		for _, n := range []string{"127.0.0.1", "localhost", "[::1]", ta.IP.String()} {
			s.hosts[n+":"+p] = true
		}
		if ta.IP.To4() == nil {
			s.hosts["["+ta.IP.String()+"]:"+p] = true
		}
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// URL is the address of the page.
func (s *Server) URL() string {
	ta := s.ln.Addr().(*net.TCPAddr)
	host := ta.IP.String()
	if ta.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(ta.Port)) + "/"
}

// Serve serves until ctx ends, then closes the server (open streams
// included) and returns nil.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Kick()
	sc, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sc); err != nil {
		s.srv.Close()
	}
	return nil
}

// Kick ends every open event stream; browsers reconnect and are sent what
// they missed.
func (s *Server) Kick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.kick)
	s.kick = make(chan struct{})
}

func (s *Server) kicked() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kick
}

// ServeHTTP answers GET for the page, its assets and the event stream;
// anything else is refused.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'")
	if r.Method != http.MethodGet {
		hd.Set("Allow", "GET")
		http.Error(w, "read-only: only GET", http.StatusMethodNotAllowed)
		return
	}
	// DNS rebinding: a page on another origin that resolves its name to
	// 127.0.0.1 sends its own name as Host.
	if s.loopback && !s.hosts[strings.ToLower(r.Host)] {
		http.Error(w, "unexpected Host header", http.StatusMisdirectedRequest)
		return
	}
	// r.URL.Path is decoded; the raw path must be the same clean path, so
	// that %2e%2e, %2f and doubled slashes name nothing.
	p := r.URL.Path
	if r.URL.RawPath != "" || path.Clean(p) != p && p != "/" {
		http.NotFound(w, r)
		return
	}
	if p == "/events" {
		s.events(w, r)
		return
	}
	f, ok := liveFiles[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(assets, f.file)
	if err != nil {
		http.Error(w, "missing asset", http.StatusInternalServerError)
		return
	}
	hd.Set("Content-Type", f.mime)
	hd.Set("Cache-Control", "no-cache")
	w.Write(b)
}

// events streams the hub's events from after Last-Event-ID (the header a
// reconnecting EventSource sends, or ?last=N) as server-sent events.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	last := 0
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		last, _ = strconv.Atoi(v)
	} else if v := r.URL.Query().Get("last"); v != "" {
		last, _ = strconv.Atoi(v)
	}
	last = max(last, 0)
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	beat := s.Heartbeat
	if beat <= 0 {
		beat = 15 * time.Second
	}
	wt := s.WriteTimeout
	if wt <= 0 {
		wt = 30 * time.Second
	}
	write := func(f string, args ...any) bool {
		rc.SetWriteDeadline(time.Now().Add(wt))
		if _, err := fmt.Fprintf(w, f, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write("retry: 1000\n\n") {
		return
	}
	tick := time.NewTicker(beat)
	defer tick.Stop()
	kick := s.kicked()
	for {
		evs, wake := s.Hub.Since(last)
		for _, e := range evs {
			if !write("id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Type, e.Data) {
				return
			}
			last = e.ID
		}
		select {
		case <-wake:
		case <-tick.C:
			if !write(": ping\n\n") {
				return
			}
		case <-kick:
			return
		case <-r.Context().Done():
			return
		}
	}
}
