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
// Standard library only: it is compiled by the builder for GOOS=linux with
// CGO_ENABLED=0 from a throw-away module.
package main

import (
	"encoding/json"
	"fmt"
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
)

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

// fail reports an unrecoverable error to the platform and exits non-zero.
func fail(c *ipc, format string, args ...any) {
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

	self, err := os.Executable()
	if err != nil {
		fail(platform, "locate executable: %v", err)
	}
	userServer := filepath.Join(filepath.Dir(self), "user-server")

	upstreamPort, err := freePort()
	if err != nil {
		fail(platform, "pick a port for user-server: %v", err)
	}
	upstream := net.JoinHostPort("127.0.0.1", strconv.Itoa(upstreamPort))

	cmd := exec.Command(userServer)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(upstreamPort))
	cmd.Stdin = nil
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fail(platform, "start user server: %v", err)
	}

	// exited is closed once user-server has exited; cmd.ProcessState is then set.
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()

	// On SIGTERM/SIGINT pass the signal on and leave quietly once the user
	// server is gone: a requested shutdown is not an unrecoverable error.
	var stopping atomic.Bool
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		sig := <-sigs
		stopping.Store(true)
		_ = cmd.Process.Signal(sig)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		os.Exit(0)
	}()

	if err := waitReady(upstream, exited); err != nil {
		_ = cmd.Process.Kill()
		fail(platform, "%v", err)
	}

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(listenPort)))
	if err != nil {
		_ = cmd.Process.Kill()
		fail(platform, "listen: %v", err)
	}

	// From here on the user server must stay up for the function to work.
	go func() {
		<-exited
		if stopping.Load() {
			return // the signal goroutine exits the process
		}
		fail(platform, "user server exited: %s", cmd.ProcessState)
	}()

	platform.send("server-started", map[string]int64{
		"initDuration": time.Since(start).Milliseconds(),
		"httpPort":     int64(ln.Addr().(*net.TCPAddr).Port),
	})

	prefix := routePrefix(os.Getenv("VERCEL_SERVICE_ROUTE_PREFIX"), os.Getenv("VERCEL_SERVICE_ROUTE_PREFIX_STRIP"))
	srv := &http.Server{Handler: handler(newProxy(upstream), platform, prefix)}
	if err := srv.Serve(ln); err != nil {
		_ = cmd.Process.Kill()
		fail(platform, "serve: %v", err)
	}
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

// waitReady polls addr until it accepts a TCP connection, the user server
// exits, or readyTimeout passes.
func waitReady(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("user server did not accept connections on %s within %s", addr, readyTimeout)
		}
		select {
		case <-exited:
			return fmt.Errorf("user server exited before accepting connections")
		case <-time.After(readyPoll):
		}
	}
}

// newProxy returns a transparent reverse proxy to addr. Responses are flushed
// as they arrive (FlushInterval -1) so streaming works, and ReverseProxy
// itself passes protocol upgrades (WebSocket) through after a 101.
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
			// The public Host: the platform's forwarded one when it sends it.
			r.Out.Host = r.In.Host
			if host := r.In.Header.Get("X-Forwarded-Host"); host != "" {
				r.Out.Host = host
			}
			// Rewrite drops inbound X-Forwarded-*; the platform's are the
			// true ones, so keep them unchanged instead of adding our own.
			for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if v, ok := r.In.Header[h]; ok {
					r.Out.Header[h] = v
				}
			}
			for name := range r.Out.Header {
				if strings.HasPrefix(strings.ToLower(name), internalPrefix) {
					delete(r.Out.Header, name)
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

// handler answers the platform's health check itself and proxies everything
// else (without the service's route prefix), reporting the end of each
// request to the platform.
func handler(proxy http.Handler, platform *ipc, prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The health check is the platform's own path, before any prefix.
		if r.URL.Path == pingPath {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("OK"))
			return
		}
		if prefix != "" {
			if stripped := stripPrefix(r.URL.Path, prefix); stripped != r.URL.Path {
				r.URL.Path = stripped
				r.URL.RawPath = ""
			}
		}
		invocationID := r.Header.Get(invocationHeader)
		requestID := r.Header.Get(requestHeader)
		// ServeHTTP returns once the response body (or upgraded connection)
		// has been fully relayed.
		proxy.ServeHTTP(w, r)
		platform.send("end", map[string]any{
			"context": map[string]any{
				"invocationId": invocationID,
				"requestId":    requestIDValue(requestID),
			},
		})
	})
}
