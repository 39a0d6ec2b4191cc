// Command executable is the entry point of a standalone-mode Go function
// (framework "go" / "services"). It sits between the Vercel platform and the
// user's own HTTP server:
//
//   - it starts ./user-server (next to this binary) with PORT=<free port>,
//   - waits for it to accept TCP connections,
//   - listens on 127.0.0.1:3000 and reverse-proxies every request to it,
//   - reports to the platform over the unix socket $VERCEL_IPC_PATH, one JSON
//     object per message, each terminated by a NUL byte:
//     {"type":"server-started","payload":{"initDuration":<ms>,"httpPort":3000}}
//     {"type":"end","payload":{"context":{"invocationId":"..","requestId":".."}}}
//     {"type":"unrecoverable-error","payload":{"message":".."}}
//
// Per request, as the platform's own proxy does: /_vercel/ping is answered
// here; x-vercel-internal-* headers are removed; Host becomes
// X-Forwarded-Host when that is set; and with
// VERCEL_SERVICE_ROUTE_PREFIX_STRIP=1 (or true) the service's route prefix
// ($VERCEL_SERVICE_ROUTE_PREFIX) is cut from the path, so a server mounted
// at /api sees /users for /api/users.
//
// Without $VERCEL_IPC_PATH it still serves, silently (useful for local runs).
// $VERCEL_EXECUTABLE_PORT overrides the listening port (tests).
//
// Dev mode (the builder's dev server), through the environment:
//
//   - VERCEL_EXECUTABLE_USER_SERVER=<path>: the server binary (default
//     ./user-server beside this binary);
//   - VERCEL_EXECUTABLE_READY_TIMEOUT=<Go duration>: the readiness wait
//     (default 30s);
//   - VERCEL_EXECUTABLE_CONTROL=stdin: commands on stdin, one per line.
//     "swap <path>" starts <path> as a new user server, switches new
//     requests to it once it accepts connections, and stops the old one
//     when its in-flight requests are done. Each command is answered by one
//     line on stdout ("executable: swapped to <path> (pid N, port P)",
//     "executable: swap to <path> failed: <reason>"); the user servers'
//     stdout is passed through so that these lines always start a line;
//   - VERCEL_EXECUTABLE_ERROR_FILE=<file>: start no user server and answer
//     every request but /_vercel/ping with 500 and the file's contents
//     (until a swap starts one);
//   - VERCEL_EXECUTABLE_DEBUGGER and VERCEL_EXECUTABLE_DEBUGGER_LISTEN: user
//     servers run under Delve (debugger.go).
//
// On Linux the user server is started with Pdeathsig SIGKILL (SIGTERM for
// Delve, which then kills its program) (pdeathsig_linux.go), so it never
// outlives this process.
//
// Standard library only, Go 1.21 or newer: it is compiled by the builder for
// GOOS=linux with CGO_ENABLED=0 from a throw-away module, and for the
// developer's own platform in dev.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	readyTimeout     = 30 * time.Second
	readyPoll        = 25 * time.Millisecond
	defaultPort      = 3000
	pingPath         = "/_vercel/ping"
	internalPrefix   = "x-vercel-internal-"
	invocationHeader = "x-vercel-internal-invocation-id"
	requestHeader    = "x-vercel-internal-request-id"

	// drainGrace bounds the wait for the in-flight requests (upgraded
	// connections included) of a server that a swap replaced.
	drainGrace = 10 * time.Second
	// stopGrace is the time between SIGTERM and SIGKILL.
	stopGrace = 5 * time.Second
)

// startProcess starts a user server. pdeathsig_linux.go replaces it with a
// start that asks the kernel to kill the child when this process dies
// (gently, with SIGTERM, when gentle); main.go alone (other systems) starts
// it plainly.
var startProcess = func(cmd *exec.Cmd, gentle bool) error { return cmd.Start() }

// ipc is the connection to the platform; nil when $VERCEL_IPC_PATH is unset.
type ipc struct {
	mu   sync.Mutex // one message at a time: requests finish concurrently
	conn net.Conn
}

type message struct {
	Type    string `json:"type"`
	Payload any    `json:"payload"`
}

// send writes one NUL-terminated JSON message. Safe on a nil *ipc (no-op).
func (c *ipc) send(typ string, payload any) {
	if c == nil {
		return
	}
	b, err := json.Marshal(message{Type: typ, Payload: payload})
	if err != nil {
		logf("encode %s message: %v", typ, err)
		return
	}
	b = append(b, 0)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.conn.Write(b); err != nil {
		logf("send %s message: %v", typ, err)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "executable: "+format+"\n", args...)
}

// failing is locked by the first fail and never unlocked: a second
// concurrent fail waits for the first one's exit.
var failing sync.Mutex

// fail reports an unrecoverable error to the platform and exits non-zero.
func fail(c *ipc, format string, args ...any) {
	failing.Lock()
	msg := fmt.Sprintf(format, args...)
	logf("%s", msg)
	c.send("unrecoverable-error", map[string]string{"message": msg})
	if c != nil {
		c.conn.Close()
	}
	os.Exit(1)
}

func main() {
	start := time.Now()

	var platform *ipc
	if path := os.Getenv("VERCEL_IPC_PATH"); path != "" {
		conn, err := net.Dial("unix", path)
		if err != nil {
			logf("connect to VERCEL_IPC_PATH %s: %v", path, err)
			os.Exit(1)
		}
		platform = &ipc{conn: conn}
	}

	listenPort := defaultPort
	if v := os.Getenv("VERCEL_EXECUTABLE_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			fail(platform, "invalid VERCEL_EXECUTABLE_PORT %q", v)
		}
		listenPort = p
	}

	s := &supervisor{platform: platform, readyTimeout: readyTimeout, live: map[*backend]bool{}}
	if v := os.Getenv("VERCEL_EXECUTABLE_READY_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			fail(platform, "invalid VERCEL_EXECUTABLE_READY_TIMEOUT %q", v)
		}
		s.readyTimeout = d
	}
	control := false
	switch v := os.Getenv("VERCEL_EXECUTABLE_CONTROL"); v {
	case "":
	case "stdin":
		control = true
		s.out = &lineWriter{w: os.Stdout, atLineStart: true}
	default:
		fail(platform, "invalid VERCEL_EXECUTABLE_CONTROL %q (the only control is stdin)", v)
	}
	d, err := debuggerFromEnv()
	if err != nil {
		fail(platform, "%v", err)
	}
	s.debugger = d
	if path := os.Getenv("VERCEL_EXECUTABLE_ERROR_FILE"); path != "" {
		page := &errorPage{path: path}
		if _, err := page.body(); err != nil {
			fail(platform, "read VERCEL_EXECUTABLE_ERROR_FILE: %v", err)
		}
		s.errorPage = page
	}

	userServer := os.Getenv("VERCEL_EXECUTABLE_USER_SERVER")
	if userServer == "" {
		self, err := os.Executable()
		if err != nil {
			fail(platform, "locate executable: %v", err)
		}
		userServer = filepath.Join(filepath.Dir(self), "user-server")
	}

	// On SIGTERM/SIGINT pass the signal on and leave quietly once the user
	// servers are gone: a requested shutdown is not an unrecoverable error.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() { s.shutdown(<-sigs) }()

	if s.errorPage == nil {
		b, err := s.launch(userServer)
		if err != nil {
			fail(platform, "%v", err)
		}
		err = waitReady(b.addr, b.exited, s.readyTimeout, nil, nil)
		if err == nil && s.debugger != nil {
			b.debuggees.note(b.cmd.Process.Pid)
		}
		if err != nil {
			b.abandon()
			if errors.Is(err, errExitedEarly) {
				// Its own exit status: what the user's program said.
				err = fmt.Errorf("%v (%s)", err, b.cmd.ProcessState)
			}
			fail(platform, "%v", err)
		}
		s.current.Store(b)
	}

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(listenPort)))
	if err != nil {
		s.killAll()
		fail(platform, "listen: %v", err)
	}

	// From here on the current user server must stay up for the function
	// to work.
	s.arm()

	platform.send("server-started", map[string]int64{
		"initDuration": time.Since(start).Milliseconds(),
		"httpPort":     int64(ln.Addr().(*net.TCPAddr).Port),
	})

	if control {
		s.status(fmt.Sprintf("executable: listening on %s", ln.Addr()))
		go s.control(os.Stdin)
	}

	prefix := routePrefix(os.Getenv("VERCEL_SERVICE_ROUTE_PREFIX"), os.Getenv("VERCEL_SERVICE_ROUTE_PREFIX_STRIP"))
	srv := &http.Server{Handler: handler(s, platform, prefix)}
	if err := srv.Serve(ln); err != nil {
		s.killAll()
		fail(platform, "serve: %v", err)
	}
}

// ---- user servers ----

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

func (s *supervisor) serveError(w http.ResponseWriter) {
	var body []byte
	if s.errorPage != nil {
		body, _ = s.errorPage.body()
	} else if why := s.down.Load(); why != nil {
		body = []byte(*why + "\n")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(body)
}

// errorPage is the body of every response in error mode: the file's
// contents, read for each request so that it can be replaced while the
// proxy runs; the last good read when it cannot be read.
type errorPage struct {
	path string
	mu   sync.Mutex
	last []byte
}

func (e *errorPage) body() ([]byte, error) {
	b, err := os.ReadFile(e.path)
	e.mu.Lock()
	defer e.mu.Unlock()
	if err == nil {
		e.last = b
	}
	return e.last, err
}

// ---- control (dev) ----

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
	b, err := c.launchReady(path)
	if err != nil {
		text := fmt.Sprintf("swap to %s failed: %v", path, err)
		logf("%s", text)
		s.status("executable: " + text)
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

// ---- networking ----

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

// newProxy returns a transparent reverse proxy to addr. Responses are flushed
// as they arrive (FlushInterval -1) so streaming works, and ReverseProxy
// itself passes protocol upgrades (WebSocket) through after a 101. The
// request rules are applied before, by handler.
func newProxy(addr string) *httputil.ReverseProxy {
	target := &url.URL{Scheme: "http", Host: addr}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil               // never route to the user server via $HTTP_PROXY
	transport.DisableCompression = true // pass bodies through byte for byte
	transport.MaxIdleConnsPerHost = 100
	return &httputil.ReverseProxy{
		FlushInterval: -1,
		Transport:     transport,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			// The query byte for byte: ReverseProxy re-encodes it (sorted,
			// %20 as +) under older GODEBUG defaults or with a ';' in it.
			r.Out.URL.RawQuery = r.In.URL.RawQuery
			// The Host that handler chose.
			r.Out.Host = r.In.Host
			// Rewrite drops inbound X-Forwarded-*; the platform's are the
			// true ones, so keep them unchanged instead of adding our own.
			for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if v, ok := r.In.Header[h]; ok {
					r.Out.Header[h] = v
				}
			}
		},
	}
}

// requestIDValue sends a numeric request id as a JSON number, as Vercel's
// other runtimes (Python, Rust) do; anything else is passed on as received.
func requestIDValue(id string) any {
	if n, err := strconv.ParseUint(id, 10, 64); err == nil {
		return n
	}
	return id
}

// routePrefix is the prefix to cut from request paths: the normalized
// $VERCEL_SERVICE_ROUTE_PREFIX ("api/" → "/api", "/" → "") when strip is
// "1" or "true" (any case, surrounding spaces ignored), else "".
func routePrefix(prefix, strip string) string {
	switch strings.ToLower(strings.TrimSpace(strip)) {
	case "1", "true":
	default:
		return ""
	}
	prefix = strings.TrimSpace(prefix)
	if !strings.HasPrefix(prefix, "/") {
		prefix = "/" + prefix
	}
	return strings.TrimRight(prefix, "/")
}

// stripPrefix cuts prefix from path: "/api" → "/", "/api/x" → "/x"; a path
// outside the prefix ("/apix") and "*" are kept as they are.
func stripPrefix(path, prefix string) string {
	if path == "*" {
		return path
	}
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if prefix == "" {
		return path
	}
	if path == prefix {
		return "/"
	}
	if strings.HasPrefix(path, prefix+"/") {
		return path[len(prefix):]
	}
	return path
}

// handler applies the platform's per-request rules, the same in production
// and in dev, and hands the request to upstream (the current user server):
//
//   - /_vercel/ping is answered here, before any prefix is cut, with no end
//     message;
//   - the x-vercel-internal-* headers are read (invocation and request ids)
//     and removed;
//   - Host becomes X-Forwarded-Host when that is set;
//   - the service's route prefix is cut from the path (RawPath dropped, so
//     an escaped slash reaches the server decoded); the raw query is kept;
//   - the end of each request is reported to the platform once the response
//     (or upgraded connection) has been fully relayed.
func handler(upstream http.Handler, platform *ipc, prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The health check is the platform's own path, before any prefix.
		if r.URL.Path == pingPath {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("OK"))
			return
		}
		invocationID := r.Header.Get(invocationHeader)
		requestID := r.Header.Get(requestHeader)
		for name := range r.Header {
			if strings.HasPrefix(strings.ToLower(name), internalPrefix) {
				delete(r.Header, name)
			}
		}
		// The public Host: the platform's forwarded one when it sends it.
		if host := r.Header.Get("X-Forwarded-Host"); host != "" {
			r.Host = host
		}
		if prefix != "" {
			if stripped := stripPrefix(r.URL.Path, prefix); stripped != r.URL.Path {
				r.URL.Path = stripped
				r.URL.RawPath = ""
			}
		}
		// The request body streams to the server while its response streams
		// back (a server may answer before the body has ended); without
		// this, HTTP/1 holds the body until the response is done.
		_ = http.NewResponseController(w).EnableFullDuplex()
		// ServeHTTP returns once the response body (or upgraded connection)
		// has been fully relayed.
		upstream.ServeHTTP(w, r)
		platform.send("end", map[string]any{
			"context": map[string]any{
				"invocationId": invocationID,
				"requestId":    requestIDValue(requestID),
			},
		})
	})
}
