package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

// Debug mode (the builder's dev server with GO_BUILDER_DEBUG=1), through
// the environment:
//
//   - VERCEL_EXECUTABLE_DEBUGGER=<dlv>: every user server runs under Delve's
//     headless server (`dlv exec <server> --headless --accept-multiclient
//     --continue`), which serves DAP and JSON-RPC clients that come and go;
//   - VERCEL_EXECUTABLE_DEBUGGER_LISTEN=<host:port>: where Delve listens.
//
// There is one debugger port, so a swap stops the running server (ending
// its debug session; a request paused at a breakpoint is cut off) before
// it starts the new one; requests that arrive meanwhile wait for it. Delve
// is stopped with SIGTERM, on which it kills the program it runs; it gets
// SIGTERM too when this process dies (Linux).
type debugger struct {
	dlv    string
	listen string
}

// debuggerFromEnv reads the debug mode's settings; nil when it is off.
func debuggerFromEnv() (*debugger, error) {
	dlv, listen := os.Getenv("VERCEL_EXECUTABLE_DEBUGGER"), os.Getenv("VERCEL_EXECUTABLE_DEBUGGER_LISTEN")
	switch {
	case dlv == "" && listen == "":
		return nil, nil
	case dlv == "" || listen == "":
		return nil, errors.New("VERCEL_EXECUTABLE_DEBUGGER and VERCEL_EXECUTABLE_DEBUGGER_LISTEN go together")
	}
	return &debugger{dlv: dlv, listen: listen}, nil
}

// command runs server under Delve.
func (d *debugger) command(server string) *exec.Cmd {
	return exec.Command(d.dlv, "exec", server,
		"--headless",
		"--listen="+d.listen,
		"--accept-multiclient",
		"--api-version=2",
		"--continue",
		"--only-same-user",
	)
}

// swapStoppingFirst is a swap in debug mode: the running server goes first
// (its debugger holds the one port), then the new one starts; requests wait
// for it, and find none (a 500 saying why) when it fails.
func (c *controller) swapStoppingFirst(path string) {
	s := c.s
	gate := make(chan struct{})
	s.gate.Store(&gate)
	defer func() {
		s.gate.Store(nil)
		close(gate)
	}()
	if old := s.current.Swap(nil); old != nil {
		s.status(fmt.Sprintf("executable: stopping pid %d and its debug session: the new server takes the debugger's port", old.cmd.Process.Pid))
		old.retire()
		old.stop()
		old.transport.CloseIdleConnections()
	}
	b, err := c.s.launchReady(path, c.lines, c.duringSwap)
	if err != nil {
		text := c.swapFailed(path, err)
		s.down.Store(&text)
		return
	}
	s.down.Store(nil)
	s.current.Store(b)
	s.status(fmt.Sprintf("executable: swapped to %s (pid %d, port %d) under the debugger on %s", path, b.cmd.Process.Pid, b.port, s.debugger.listen))
	s.checkExit(b)
}

// debuggees are the processes Delve started (the program it debugs, which
// it puts in a process group of its own, and its telemetry sidecar): when
// Delve ends without ending them (it was killed), they are ended with it.
// A process is known by its pid and start time, so a pid the system gave
// to another process since is never signalled.
type debuggees struct {
	mu    sync.Mutex
	procs []process
}

// process identifies a process: its pid and when it started.
type process struct {
	pid   int
	start string
}

// note records the children of Delve (pid), once it serves.
func (d *debuggees) note(pid int) {
	procs := childrenOf(pid)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.procs = procs
}

// end kills the recorded processes that still run.
func (d *debuggees) end() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, p := range d.procs {
		if started, ok := startTime(p.pid); ok && started == p.start {
			if proc, err := os.FindProcess(p.pid); err == nil {
				_ = proc.Kill()
			}
		}
	}
	d.procs = nil
}

// childrenOf and startTime read the process table; debuggee_linux.go
// implements them, elsewhere nothing is known (and nothing is killed).
var (
	childrenOf = func(pid int) []process { return nil }
	startTime  = func(pid int) (string, bool) { return "", false }
)

// waitGate blocks while a debug swap runs; false when the request ended
// first.
func (s *supervisor) waitGate(done <-chan struct{}) bool {
	for {
		gate := s.gate.Load()
		if gate == nil {
			return true
		}
		select {
		case <-*gate:
		case <-done:
			return false
		case <-time.After(time.Second):
		}
	}
}
