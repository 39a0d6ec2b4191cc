package main

// Unit tests of the per-request rules (handler + newProxy) against an
// in-process upstream. The helpers here (the upstream, the platform's end
// of the IPC, raw requests) serve the other unit tests too.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// seen is what the upstream server received.
type seen struct {
	RequestURI string
	Path       string
	Host       string
	Header     http.Header
}

// upstream records every request and answers with it as JSON. Paths under
// /stream and /upgrade behave specially (see the tests using them).
type upstream struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []seen
	release chan struct{}
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{release: make(chan struct{})}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{RequestURI: r.RequestURI, Path: r.URL.Path, Host: r.Host, Header: r.Header.Clone()}
		u.mu.Lock()
		u.got = append(u.got, s)
		u.mu.Unlock()
		switch r.URL.Path {
		case "/stream":
			io.WriteString(w, "chunk-1|")
			w.(http.Flusher).Flush()
			<-u.release
			io.WriteString(w, "chunk-2|")
		case "/upgrade":
			serveLineEcho(w, "echo ")
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(s)
		}
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) addr() string { return strings.TrimPrefix(u.srv.URL, "http://") }

func (u *upstream) requests() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.got...)
}

// platformConn is the platform's end of the IPC connection: it collects the
// NUL-terminated messages.
type platformConn struct {
	msgs chan map[string]any
}

func newPlatform(t *testing.T) (*ipc, *platformConn) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	p := &platformConn{msgs: make(chan map[string]any, 100)}
	go func() {
		r := bufio.NewReader(server)
		for {
			b, err := r.ReadBytes(0)
			if err != nil {
				return
			}
			var m map[string]any
			if err := json.Unmarshal(b[:len(b)-1], &m); err != nil {
				panic(err)
			}
			p.msgs <- m
		}
	}()
	return &ipc{conn: client}, p
}

func (p *platformConn) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m := <-p.msgs:
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("no IPC message")
		return nil
	}
}

// serveRules puts handler (with newProxy to up) behind a test server.
func serveRules(t *testing.T, up http.Handler, platform *ipc, prefix string) string {
	srv := httptest.NewServer(handler(up, platform, prefix))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// sendRaw connects to addr and sends the request line and header lines
// exactly as written, then the blank line. The connection is closed when
// the test ends, if not before.
func sendRaw(t *testing.T, addr, method, target string, headers ...string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, target)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	io.WriteString(conn, b.String())
	return conn, bufio.NewReader(conn)
}

// rawRequest sends the request line and headers exactly as written, plus
// Host (unless given) and Connection: close.
func rawRequest(t *testing.T, addr, method, target string, headers ...string) (*http.Response, string) {
	t.Helper()
	lines := append([]string{}, headers...)
	hasHost := false
	for _, h := range headers {
		if strings.HasPrefix(strings.ToLower(h), "host:") {
			hasHost = true
		}
	}
	if !hasHost {
		lines = append(lines, "Host: incoming.example")
	}
	conn, br := sendRaw(t, addr, method, target, append(lines, "Connection: close")...)
	defer conn.Close()
	res, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// dialUpgrade connects to addr and asks for an echo upgrade of target, with
// extra header lines; it fails the test unless the answer is 101. The
// connection is closed when the test ends, if not before.
func dialUpgrade(t *testing.T, addr, target string, headers ...string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, br := sendRaw(t, addr, "GET", target, append([]string{"Host: x", "Connection: Upgrade", "Upgrade: echo"}, headers...)...)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("%v %v", res, err)
	}
	return conn, br
}

func TestUpstreamPath(t *testing.T) {
	cases := []struct {
		name, target, prefix, strip, want string
	}{
		{"no strip switch", "/api/users?b=2&a=1", "/api", "", "/api/users?b=2&a=1"},
		{"strip 1", "/api/users", "/api", "1", "/users"},
		{"strip TRUE", "/api", "/api", "TRUE", "/"},
		{"strip with spaces, prefix without slash", "/api/", " api/ ", " true ", "/"},
		{"yes does not strip", "/api/x", "/api", "yes", "/api/x"},
		{"outside the prefix", "/apix/y", "/api", "1", "/apix/y"},
		{"nested prefix", "/a/b/c", "/a/b/", "1", "/c"},
		{"root prefix", "/x/y", "/", "1", "/x/y"},
		{"escaped slash when stripped", "/api/a%2Fb", "/api", "1", "/a/b"},
		{"escaped slash kept without strip", "/api/a%2Fb", "/api", "0", "/api/a%2Fb"},
		{"escaped slash outside prefix", "/other/a%2Fb", "/api", "1", "/other/a%2Fb"},
		{"raw query byte for byte", "/api/q?z=1&a=%20+x;y&&b", "/api", "1", "/q?z=1&a=%20+x;y&&b"},
		{"ping inside the prefix", "/api/_vercel/ping", "/api", "1", "/_vercel/ping"},
		{"ping-like path", "/_vercel/ping/x", "/api", "1", "/_vercel/ping/x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			up := newUpstream(t)
			addr := serveRules(t, newProxy(up.addr()), nil, routePrefix(c.prefix, c.strip))
			res, _ := rawRequest(t, addr, "GET", c.target)
			got := up.requests()
			if res.StatusCode != 200 || len(got) != 1 {
				t.Fatalf("status %d, %d upstream requests", res.StatusCode, len(got))
			}
			if got[0].RequestURI != c.want {
				t.Fatalf("upstream got %q, want %q", got[0].RequestURI, c.want)
			}
		})
	}
}

func TestPingIsAnsweredBeforeThePrefix(t *testing.T) {
	up := newUpstream(t)
	platform, msgs := newPlatform(t)
	addr := serveRules(t, newProxy(up.addr()), platform, routePrefix("/api", "1"))
	for _, method := range []string{"GET", "HEAD", "POST"} {
		res, body := rawRequest(t, addr, method, "/_vercel/ping")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("%s: %d %q", method, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if method != "HEAD" && body != "OK" {
			t.Fatalf("%s: body %q", method, body)
		}
	}
	if n := len(up.requests()); n != 0 {
		t.Fatalf("ping reached the user server %d times", n)
	}
	// No end message for pings: the next message belongs to this request.
	rawRequest(t, addr, "GET", "/api/x", "X-Vercel-Internal-Request-Id: after-ping")
	ctx := msgs.next(t)["payload"].(map[string]any)["context"].(map[string]any)
	if ctx["requestId"] != "after-ping" {
		t.Fatalf("first message after pings: %v", ctx)
	}
}

func TestHeaders(t *testing.T) {
	up := newUpstream(t)
	platform, msgs := newPlatform(t)
	addr := serveRules(t, newProxy(up.addr()), platform, "")
	rawRequest(t, addr, "GET", "/h",
		"X-Vercel-Internal-Invocation-Id: inv-1",
		"X-Vercel-Internal-Request-Id: 42",
		"X-VERCEL-INTERNAL-SECRET: s",
		"x-vercel-internal-other: o",
		"X-Vercel-Id: keep-me",
		"X-Forwarded-Host: public.example",
		"X-Forwarded-For: 203.0.113.7",
		"X-Forwarded-Proto: https",
		"Accept-Encoding: gzip",
	)
	got := up.requests()[0]
	for name := range got.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-vercel-internal-") {
			t.Errorf("%s reached the user server", name)
		}
	}
	want := map[string]string{
		"X-Vercel-Id":       "keep-me",
		"X-Forwarded-For":   "203.0.113.7",
		"X-Forwarded-Host":  "public.example",
		"X-Forwarded-Proto": "https",
		"Accept-Encoding":   "gzip",
	}
	for name, value := range want {
		if v := got.Header.Values(name); len(v) != 1 || v[0] != value {
			t.Errorf("%s = %q, want %q", name, v, value)
		}
	}
	if got.Host != "public.example" {
		t.Errorf("Host %q, want the forwarded one", got.Host)
	}
	m := msgs.next(t)
	if m["type"] != "end" {
		t.Fatalf("message %v", m)
	}
	ctx := m["payload"].(map[string]any)["context"].(map[string]any)
	if ctx["invocationId"] != "inv-1" || ctx["requestId"] != float64(42) {
		t.Fatalf("end context %v", ctx)
	}

	// Without X-Forwarded-Host the incoming Host is kept, and no
	// X-Forwarded-* of the proxy's own is added.
	rawRequest(t, addr, "GET", "/h2", "Host: direct.example:8080")
	got = up.requests()[1]
	if got.Host != "direct.example:8080" {
		t.Errorf("Host %q", got.Host)
	}
	for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		if v := got.Header.Values(h); len(v) != 0 {
			t.Errorf("%s added: %q", h, v)
		}
	}
}

func TestRequestIDValue(t *testing.T) {
	if v := requestIDValue("123"); v != uint64(123) {
		t.Errorf("%v %T", v, v)
	}
	for _, id := range []string{"", "abc", "-1", "1.5", "99999999999999999999999"} {
		if v := requestIDValue(id); v != id {
			t.Errorf("%q → %v", id, v)
		}
	}
}

func TestRoutePrefixAndStrip(t *testing.T) {
	prefixes := []struct{ prefix, strip, want string }{
		{"/api", "1", "/api"},
		{"api/", "true", "/api"},
		{"/", "1", ""},
		{"", "1", ""},
		{"/api", "", ""},
		{"/api", "yes", ""},
		{"/api", "0", ""},
		{"/a/b//", "True", "/a/b"},
	}
	for _, c := range prefixes {
		if got := routePrefix(c.prefix, c.strip); got != c.want {
			t.Errorf("routePrefix(%q, %q) = %q, want %q", c.prefix, c.strip, got, c.want)
		}
	}
	paths := []struct{ path, prefix, want string }{
		{"*", "/api", "*"},
		{"", "/api", "/"},
		{"x", "", "/x"},
		{"/api", "/api", "/"},
		{"/api/", "/api", "/"},
		{"/api/x/y", "/api", "/x/y"},
		{"/apix", "/api", "/apix"},
		{"/x/api", "/api", "/x/api"},
		{"/x", "", "/x"},
	}
	for _, c := range paths {
		if got := stripPrefix(c.path, c.prefix); got != c.want {
			t.Errorf("stripPrefix(%q, %q) = %q, want %q", c.path, c.prefix, got, c.want)
		}
	}
}
