package templates

// The HTTP main template, rendered around a small handler package in a
// throw-away module (go 1.13, the oldest go line a user may have), built
// with the machine's go and run.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"acme.dev/go-builder/go/internal/proctest"
)

// testHandler is the user's package. Requests that must wait do so on gates
// (channels by name) that other requests open, never on a timer.
const testHandler = `package api

import (
	"fmt"
	"io/ioutil"
	"net/http"
	"sync"
)

var (
	mu    sync.Mutex
	gates = map[string]chan struct{}{}
)

func gate(name string) chan struct{} {
	mu.Lock()
	defer mu.Unlock()
	ch, ok := gates[name]
	if !ok {
		ch = make(chan struct{})
		gates[name] = ch
	}
	return ch
}

func open(name string) {
	ch := gate(name)
	mu.Lock()
	defer mu.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// secondEvent sends event 2 once /release opens the gate, unless the client
// has gone first.
func secondEvent(w http.ResponseWriter, r *http.Request, id string) {
	select {
	case <-gate("release-" + id):
	case <-r.Context().Done():
		return
	}
	fmt.Fprint(w, "data: 2\n\n")
}

func Handler(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	switch r.URL.Path {
	case "/sse":
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		secondEvent(w, r, id)
	case "/controller":
		fmt.Fprint(w, "data: 1\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			fmt.Fprintf(w, "flush failed: %v\n", err)
		}
		secondEvent(w, r, id)
	case "/release":
		open("release-" + id)
	case "/hold":
		fmt.Fprint(w, "started\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		open("cancelled-" + id)
	case "/cancelled":
		select {
		case <-gate("cancelled-" + id):
			fmt.Fprint(w, "cancelled")
		case <-r.Context().Done():
		}
	case "/panic":
		fmt.Fprint(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		<-gate("release-" + id)
		panic("handler panics mid-stream")
	default:
		body, _ := ioutil.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Method+" "+r.RequestURI)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.RequestURI, body)
	}
}
`

var binary string // the built server, set by TestMain

func TestMain(m *testing.M) {
	proctest.Main(m, "http-main-test-", func(dir string) (err error) {
		binary, err = build(dir)
		return err
	})
}

// build renders http_main.go.tmpl as the builder does and compiles it.
func build(dir string) (string, error) {
	tmpl, err := os.ReadFile("http_main.go.tmpl")
	if err != nil {
		return "", err
	}
	main := strings.Replace(string(tmpl), "__VC_HANDLER_IMPORT__", `handler "example.com/app/api"`, 1)
	main = strings.Replace(main, "__VC_HANDLER_FUNC__", "handler.Handler", 1)
	if strings.Contains(main, "__VC_") {
		return "", errors.New("a placeholder is left in the rendered template")
	}
	files := map[string]string{
		"go.mod":         "module example.com/app\n\ngo 1.13\n",
		"main.go":        main,
		"api/handler.go": testHandler,
	}
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	out := filepath.Join(dir, "server")
	if err := proctest.GoBuild(dir, out); err != nil {
		return "", fmt.Errorf("the rendered template: %v", err)
	}
	return out, nil
}

// start runs the server with extra environment and returns it with its
// stderr. The process is killed when the test ends.
func start(t *testing.T, env []string, extra []*os.File) (*exec.Cmd, *proctest.Buffer) {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Env = append(withoutPortVars(os.Environ()), env...)
	cmd.ExtraFiles = extra
	stderr := &proctest.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, stderr
}

func withoutPortVars(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PORT=") && !strings.HasPrefix(kv, "VERCEL_DEV_PORT_FILE=") {
			out = append(out, kv)
		}
	}
	return out
}

// startWithPort runs the server in $PORT mode and waits until it accepts.
func startWithPort(t *testing.T) (string, *exec.Cmd, *proctest.Buffer) {
	t.Helper()
	port := proctest.FreePort(t)
	cmd, stderr := start(t, []string{"PORT=" + strconv.Itoa(port)}, nil)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	waitAccepting(t, addr, stderr)
	return addr, cmd, stderr
}

func waitAccepting(t *testing.T, addr string, stderr *proctest.Buffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing accepts on %s; stderr: %s", addr, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// guard bounds a test that would otherwise hang forever on a failure; no
// assertion depends on it.
func guard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func get(t *testing.T, ctx context.Context, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func getBody(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	res := get(t, ctx, url)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readEvent reads one "data: N\n\n" event.
func readEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading an event: %v", err)
	}
	if blank, err := r.ReadString('\n'); err != nil || blank != "\n" {
		t.Fatalf("event %q not followed by a blank line: %q %v", line, blank, err)
	}
	return strings.TrimSpace(line)
}

func TestFlushedEventsArriveBeforeTheHandlerGoesOn(t *testing.T) {
	addr, _, _ := startWithPort(t)
	for _, path := range []string{"/sse", "/controller"} {
		t.Run(path, func(t *testing.T) {
			ctx := guard(t)
			res := get(t, ctx, "http://"+addr+path+"?id="+path)
			defer res.Body.Close()
			body := bufio.NewReader(res.Body)
			// The handler is blocked until /release: event 1 can only be
			// here because its Flush sent it.
			if got := readEvent(t, body); got != "data: 1" {
				t.Fatalf("first event %q", got)
			}
			getBody(t, ctx, "http://"+addr+"/release?id="+path)
			if got := readEvent(t, body); got != "data: 2" {
				t.Fatalf("second event %q", got)
			}
			if rest, err := io.ReadAll(body); err != nil || len(rest) != 0 {
				t.Fatalf("after the events: %q %v", rest, err)
			}
		})
	}
}

func TestClientDisconnectCancelsTheRequestContext(t *testing.T) {
	addr, _, _ := startWithPort(t)
	ctx := guard(t)
	reqCtx, hangUp := context.WithCancel(ctx)
	res := get(t, reqCtx, "http://"+addr+"/hold?id=c")
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil || line != "started\n" {
		t.Fatalf("%q %v", line, err)
	}
	hangUp()
	res.Body.Close()
	// /cancelled answers only once /hold has seen its context end.
	if got := getBody(t, ctx, "http://"+addr+"/cancelled?id=c"); got != "cancelled" {
		t.Fatalf("%q", got)
	}
}

func TestPanicAfterFlushEndsTheStream(t *testing.T) {
	addr, cmd, stderr := startWithPort(t)
	ctx := guard(t)
	res := get(t, ctx, "http://"+addr+"/panic?id=p")
	defer res.Body.Close()
	body := bufio.NewReader(res.Body)
	if got := readEvent(t, body); got != "data: 1" {
		t.Fatalf("first event %q", got)
	}
	getBody(t, ctx, "http://"+addr+"/release?id=p")
	// The handler panics now: the response must end, and not as a complete
	// one (the terminating chunk is never sent).
	rest, err := io.ReadAll(body)
	if err == nil {
		t.Fatalf("the stream ended cleanly after a panic (rest %q)", rest)
	}
	if ctx.Err() != nil {
		t.Fatal("the stream did not end after the panic")
	}
	// The process lives on and serves the next request.
	if got := getBody(t, ctx, "http://"+addr+"/after"); got != "GET /after " {
		t.Fatalf("after the panic: %q", got)
	}
	if cmd.ProcessState != nil {
		t.Fatal("the server exited")
	}
	if !strings.Contains(stderr.String(), "handler panics mid-stream") {
		t.Fatalf("the panic was not logged: %s", stderr.String())
	}
}

func TestEveryMethodAndPathReachesTheHandler(t *testing.T) {
	addr, _, _ := startWithPort(t)
	guard(t)
	cases := []struct{ method, target, body string }{
		{"GET", "/", ""},
		{"GET", "/a/b/../c//d?x=1&y=%20+z", ""},
		{"GET", "/%2F%20", ""},
		{"POST", "/api/items", "hello"},
		{"PUT", "/x", "put body"},
		{"PATCH", "/x", "p"},
		{"DELETE", "/x/1", ""},
		{"OPTIONS", "/x", ""},
		{"HEAD", "/head", ""},
		{"PURGE", "/cache/key", ""},
		{"GET", "/_vercel/ping", ""},
	}
	for _, c := range cases {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: example.com\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
			c.method, c.target, len(c.body), c.body)
		res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: c.method})
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.target, err)
		}
		body, _ := io.ReadAll(res.Body)
		conn.Close()
		if seen := res.Header.Get("X-Seen"); res.StatusCode != 200 || seen != c.method+" "+c.target {
			t.Errorf("%s %s: status %d, handler saw %q", c.method, c.target, res.StatusCode, seen)
		}
		if c.method != "HEAD" && string(body) != c.method+" "+c.target+" "+c.body {
			t.Errorf("%s %s: body %q", c.method, c.target, body)
		}
	}
}

func TestPortReportedOnFD3(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	portFile := filepath.Join(t.TempDir(), "port")
	_, stderr := start(t, []string{"VERCEL_DEV_PORT_FILE=" + portFile}, []*os.File{w})
	w.Close()
	// The server closes fd 3 after the number: reading to EOF works.
	done := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	var number []byte
	select {
	case number = <-done:
	case <-guard(t).Done():
		t.Fatalf("no EOF on fd 3; stderr: %s", stderr.String())
	}
	port, err := strconv.Atoi(string(number))
	if err != nil {
		t.Fatalf("fd 3 carried %q", number)
	}
	if got := getBody(t, guard(t), "http://127.0.0.1:"+strconv.Itoa(port)+"/fd3"); got != "GET /fd3 " {
		t.Fatalf("%q", got)
	}
	if _, err := os.Stat(portFile); !os.IsNotExist(err) {
		t.Fatalf("the port file was written too (%v)", err)
	}
}

func TestPortReportedInFileWithoutFD3(t *testing.T) {
	dir := t.TempDir()
	portFile := filepath.Join(dir, "port")
	cmd, stderr := start(t, []string{"VERCEL_DEV_PORT_FILE=" + portFile}, nil)
	ctx := guard(t)
	var number []byte
	for {
		if b, err := os.ReadFile(portFile); err == nil {
			number = b
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no port file; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	port, err := strconv.Atoi(string(number))
	if err != nil {
		t.Fatalf("the port file holds %q", number)
	}
	if got := getBody(t, ctx, "http://127.0.0.1:"+strconv.Itoa(port)+"/file"); got != "GET /file " {
		t.Fatalf("%q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
	if cmd.ProcessState != nil {
		t.Fatal("exited")
	}
}

func TestNoWayToReportThePortIsAnError(t *testing.T) {
	cmd, stderr := start(t, nil, nil)
	err := cmd.Wait()
	if err == nil || !strings.Contains(stderr.String(), "VERCEL_DEV_PORT_FILE is not set") {
		t.Fatalf("exit %v, stderr %q", err, stderr.String())
	}
}

func TestBadPortIsAnError(t *testing.T) {
	cmd, stderr := start(t, []string{"PORT=not-a-port"}, nil)
	err := cmd.Wait()
	if err == nil || !strings.Contains(stderr.String(), "listen on 127.0.0.1:not-a-port") {
		t.Fatalf("exit %v, stderr %q", err, stderr.String())
	}
}
