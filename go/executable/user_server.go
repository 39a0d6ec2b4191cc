package main

// One user server: its process, the wait until it accepts connections,
// the requests in flight to it, and how it is stopped.

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

const (
	readyPoll = 25 * time.Millisecond
	// stopGrace is the time between SIGTERM and SIGKILL.
	stopGrace = 5 * time.Second
)

// startProcess starts a user server. pdeathsig_linux.go replaces it with a
// start that asks the kernel to kill the child when this process dies
// (gently, with SIGTERM, when gentle); on other systems it starts it
// plainly.
var startProcess = func(cmd *exec.Cmd, gentle bool) error { return cmd.Start() }

// backend is one user server process and the proxy to it.
type backend struct {
	path      string
	cmd       *exec.Cmd
	port      int
	addr      string
	proxy     *httputil.ReverseProxy
	transport *http.Transport
	exited    chan struct{} // closed once the process has exited; cmd.ProcessState is then set
	debugged  bool          // debug mode: the process is Delve, running the server
	debuggees debuggees     // debug mode: the programs Delve runs, ended with it

	mu      sync.Mutex
	active  int           // requests being proxied to it
	retired bool          // replaced: takes no new requests
	idle    chan struct{} // closed once retired with no active request
}

// acquire counts a request in, unless the backend has been replaced.
func (b *backend) acquire() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.retired {
		return false
	}
	b.active++
	return true
}

func (b *backend) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active--
	if b.retired && b.active == 0 {
		close(b.idle)
	}
}

// retire stops new requests from reaching b; the returned channel is closed
// once its last in-flight request is done.
func (b *backend) retire() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.retired {
		b.retired = true
		if b.active == 0 {
			close(b.idle)
		}
	}
	return b.idle
}

// stop sends SIGTERM (a kill where signals are not supported), then SIGKILL
// after stopGrace, and returns once the process has exited.
func (b *backend) stop() {
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = b.cmd.Process.Kill()
	}
	select {
	case <-b.exited:
	case <-time.After(stopGrace):
		_ = b.cmd.Process.Kill()
		<-b.exited
	}
}

// abandon ends a server that will not serve, and returns once it has
// exited: a plain one is killed; Delve is stopped (SIGTERM first), on which
// it ends the program it runs, and what it started is noted first, so that
// it ends even when Delve dies before it could.
func (b *backend) abandon() {
	if b.debugged {
		b.debuggees.note(b.cmd.Process.Pid)
		b.stop()
		return
	}
	_ = b.cmd.Process.Kill()
	<-b.exited
}

// freePort asks the kernel for an unused port on 127.0.0.1. The port is
// released before user-server binds it; the window for a race is tiny.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var errExitedEarly = errors.New("user server exited before accepting connections")

// launchReady starts path and waits until it accepts connections (passing
// what arrives on interrupt to onLine meanwhile, as waitReady does); a
// server that does not get there is ended, and an early exit is reported
// with its own exit status: what the user's program said.
func (s *supervisor) launchReady(path string, interrupt <-chan string, onLine func(line string, ok bool) error) (*backend, error) {
	b, err := s.launch(path)
	if err != nil {
		return nil, err
	}
	err = waitReady(b.addr, b.exited, s.readyTimeout, interrupt, onLine)
	if err != nil {
		b.abandon()
		if errors.Is(err, errExitedEarly) {
			err = fmt.Errorf("%v (%s)", err, b.cmd.ProcessState)
		}
		return nil, err
	}
	if b.debugged {
		b.debuggees.note(b.cmd.Process.Pid)
	}
	return b, nil
}

// waitReady polls addr until it accepts a TCP connection, the user server
// exits, or timeout passes. Lines arriving on interrupt (nil: none) are
// handed to onLine, which may end the wait with an error.
func waitReady(addr string, exited <-chan struct{}, timeout time.Duration, interrupt <-chan string, onLine func(line string, ok bool) error) error {
	deadline := time.Now().Add(timeout)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("user server did not accept connections on %s within %s", addr, timeout)
		}
		select {
		case <-exited:
			return errExitedEarly
		case line, ok := <-interrupt:
			if !ok {
				interrupt = nil
			}
			if err := onLine(line, ok); err != nil {
				return err
			}
		case <-time.After(readyPoll):
		}
	}
}
