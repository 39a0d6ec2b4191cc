package main

// The dev control protocol (VERCEL_EXECUTABLE_CONTROL=stdin): commands on
// stdin, one status line each on stdout, and swaps to a new user server.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
)

// lineWriter is stdout in control mode: the user servers' output and the
// status lines, which always start at the beginning of a line.
type lineWriter struct {
	mu          sync.Mutex
	w           io.Writer
	atLineStart bool
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.w.Write(p)
	if n > 0 {
		l.atLineStart = p[n-1] == '\n'
	}
	return n, err
}

// Line writes text as one line, after a newline if the last output ended
// mid-line.
func (l *lineWriter) Line(text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := make([]byte, 0, len(text)+2)
	if !l.atLineStart {
		b = append(b, '\n')
	}
	b = append(b, text...)
	b = append(b, '\n')
	_, _ = l.w.Write(b)
	l.atLineStart = true
}

// status prints a status line on stdout (control mode only).
func (s *supervisor) status(text string) {
	if s.out != nil {
		s.out.Line(text)
	}
}

// control reads commands from in, one per line, and runs them in order.
// EOF means the process that controls us is gone (the builder's Node
// exited or crashed): every user server is stopped and the proxy exits, so
// a dev server never outlives its host, on any platform.
func (s *supervisor) control(in io.Reader) {
	defer s.shutdown(syscall.SIGTERM)
	lines := make(chan string)
	go func() {
		r := bufio.NewReader(in)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				lines <- line
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	c := &controller{s: s, lines: lines}
	for {
		line, ok := c.next()
		if !ok {
			return
		}
		c.run(line)
	}
}

type controller struct {
	s       *supervisor
	lines   <-chan string // nil after EOF
	pending []string      // read during a swap, not run yet
}

func (c *controller) next() (string, bool) {
	if len(c.pending) > 0 {
		line := c.pending[0]
		c.pending = c.pending[1:]
		return line, true
	}
	if c.lines == nil {
		return "", false
	}
	line, ok := <-c.lines
	if !ok {
		c.lines = nil
	}
	return line, ok
}

// swapPath returns the path of a "swap <path>" command.
func swapPath(line string) (string, bool) {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "swap ") {
		return "", false
	}
	path := strings.TrimSpace(line[len("swap "):])
	return path, path != ""
}

func (c *controller) run(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	if path, ok := swapPath(line); ok {
		if c.s.debugger != nil {
			c.swapStoppingFirst(path)
		} else {
			c.swap(path)
		}
		return
	}
	text := "unknown command: " + strings.TrimSpace(line)
	logf("%s", text)
	c.s.status("executable: " + text)
}

// swap starts path as a new user server and, once it accepts connections,
// makes it the current one; the old one is stopped when its in-flight
// requests are done. When the new one fails (it exits, times out, or a
// newer swap arrives first) the old one keeps serving.
func (c *controller) swap(path string) {
	s := c.s
	b, err := c.s.launchReady(path, c.lines, c.duringSwap)
	if err != nil {
		c.swapFailed(path, err)
		return
	}
	old := s.current.Swap(b)
	s.status(fmt.Sprintf("executable: swapped to %s (pid %d, port %d)", path, b.cmd.Process.Pid, b.port))
	if old != nil {
		go s.retire(old)
	}
	// An exit between the readiness check and the switch went unwatched.
	s.checkExit(b)
}

// swapFailed says, in the log and to the status reader, that the swap to
// path failed and why; it returns what it said.
func (c *controller) swapFailed(path string, err error) string {
	text := fmt.Sprintf("swap to %s failed: %v", path, err)
	logf("%s", text)
	c.s.status("executable: " + text)
	return text
}

// duringSwap keeps a command that arrives while a swap waits for its server;
// a newer swap makes the waiting one give up.
func (c *controller) duringSwap(line string, ok bool) error {
	if !ok {
		c.lines = nil
		return nil
	}
	c.pending = append(c.pending, line)
	if _, isSwap := swapPath(line); isSwap {
		return errors.New("superseded by a newer swap")
	}
	return nil
}
