package main

// The supervisor: every user server this proxy started, the current one
// that gets new requests, which exits are fatal, and the shutdown on a
// signal.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// drainGrace bounds the wait for the in-flight requests (upgraded
	// connections included) of a server that a swap replaced.
	drainGrace = 10 * time.Second
)

// supervisor owns the user server processes and routes requests to the
// current one.
type supervisor struct {
	platform     *ipc
	readyTimeout time.Duration
	out          *lineWriter // stdout in control mode (status lines); nil otherwise
	errorPage    *errorPage  // error mode; nil otherwise

	current  atomic.Pointer[backend] // nil only in error mode (or a failed debug swap)
	armed    atomic.Bool             // an exit of the current server is fatal
	stopping atomic.Bool             // a signal asked us to leave

	debugger *debugger                     // debug mode; nil otherwise
	gate     atomic.Pointer[chan struct{}] // a debug swap runs: requests wait until it is closed
	down     atomic.Pointer[string]        // why no server runs (a failed debug swap)

	mu   sync.Mutex
	live map[*backend]bool // started and not yet exited
}

// launch starts path as a user server on a free port. Error texts are the
// ones production has always reported.
func (s *supervisor) launch(path string) (*backend, error) {
	if !filepath.IsAbs(path) {
		// A bare name must not be looked up in $PATH.
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("pick a port for user-server: %v", err)
	}
	cmd := exec.Command(path)
	if s.debugger != nil {
		cmd = s.debugger.command(path)
	}
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	cmd.Stdin = nil
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	var stdout *os.File
	if s.out != nil {
		// Through a pipe, so that status lines never land mid-line.
		r, w, err := os.Pipe()
		if err != nil {
			return nil, fmt.Errorf("start user server: %v", err)
		}
		defer w.Close()
		cmd.Stdout = w
		stdout = r
	}
	s.mu.Lock()
	if s.stopping.Load() {
		s.mu.Unlock()
		if stdout != nil {
			stdout.Close()
		}
		return nil, errors.New("start user server: shutting down")
	}
	if err := startProcess(cmd, s.debugger != nil); err != nil {
		s.mu.Unlock()
		if stdout != nil {
			stdout.Close()
		}
		return nil, fmt.Errorf("start user server: %v", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	proxy := newProxy(addr)
	b := &backend{
		path:      path,
		cmd:       cmd,
		port:      port,
		addr:      addr,
		proxy:     proxy,
		transport: proxy.Transport.(*http.Transport),
		exited:    make(chan struct{}),
		idle:      make(chan struct{}),
		debugged:  s.debugger != nil,
	}
	s.live[b] = true
	s.mu.Unlock()

	if stdout != nil {
		go func() {
			_, _ = io.Copy(s.out, stdout)
			stdout.Close()
		}()
	}
	go func() {
		_ = cmd.Wait()
		b.debuggees.end()
		close(b.exited)
		s.mu.Lock()
		delete(s.live, b)
		s.mu.Unlock()
		s.checkExit(b)
	}()
	return b, nil
}

// checkExit ends the proxy when the server that serves requests is gone.
// Servers being replaced or still starting may exit; a requested shutdown
// is no error either.
func (s *supervisor) checkExit(b *backend) {
	if !s.armed.Load() || s.stopping.Load() || s.current.Load() != b {
		return
	}
	select {
	case <-b.exited:
		fail(s.platform, "user server exited: %s", b.cmd.ProcessState)
	default:
	}
}

// arm makes an exit of the current server fatal from now on, including one
// that happened before.
func (s *supervisor) arm() {
	s.armed.Store(true)
	if b := s.current.Load(); b != nil {
		s.checkExit(b)
	}
}

// shutdown passes sig to every user server, waits up to stopGrace for them
// to exit, kills the rest and exits 0.
func (s *supervisor) shutdown(sig os.Signal) {
	s.mu.Lock()
	s.stopping.Store(true)
	var live []*backend
	for b := range s.live {
		live = append(live, b)
	}
	s.mu.Unlock()
	for _, b := range live {
		_ = b.cmd.Process.Signal(sig)
	}
	timeout := time.After(stopGrace)
	for _, b := range live {
		select {
		case <-b.exited:
		case <-timeout:
			for _, b := range live {
				_ = b.cmd.Process.Kill()
			}
			for _, b := range live {
				<-b.exited
			}
			os.Exit(0)
		}
	}
	os.Exit(0)
}

// killAll kills every user server (before a fatal error).
func (s *supervisor) killAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for b := range s.live {
		_ = b.cmd.Process.Kill()
		b.debuggees.end()
	}
}

// ServeHTTP sends the request to the current user server, or answers with
// the error page in error mode.
func (s *supervisor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for {
		if !s.waitGate(r.Context().Done()) {
			return
		}
		b := s.current.Load()
		if b == nil {
			s.serveError(w)
			return
		}
		// A swap stores the new server before it retires the old one, so
		// a failed acquire finds the new one on the next round.
		if b.acquire() {
			defer b.release()
			b.proxy.ServeHTTP(w, r)
			return
		}
	}
}

// retire stops a replaced server once its in-flight requests are done, or
// after drainGrace.
func (s *supervisor) retire(b *backend) {
	select {
	case <-b.retire():
	case <-b.exited:
	case <-time.After(drainGrace):
	}
	b.stop()
	b.transport.CloseIdleConnections()
}
