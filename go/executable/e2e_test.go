//go:build unix

package main

// End-to-end tests: the executable and a tiny user server are built into a
// temporary directory and run as processes.

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
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"acme.dev/go-builder/go/internal/proctest"
)

// userServerSrc behaves by the name it was started as (the same binary is
// copied under several names): crash* exits 3 at once, hang* never
// listens, anything else serves on $PORT. Each writes its pid to
// <argv0>.pid first. Responses are "<name> <pid>", and each request is
// logged on stdout as "<name> request <url>"; /?sleep=<duration> answers
// late; /echo upgrades to a line echo (serveLineEcho, built in from
// lineecho_test.go).
const userServerSrc = `package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	name := filepath.Base(os.Args[0])
	// Write then rename: a reader never sees a half-written pid.
	os.WriteFile(os.Args[0]+".pid.tmp", []byte(strconv.Itoa(os.Getpid())), 0o644)
	os.Rename(os.Args[0]+".pid.tmp", os.Args[0]+".pid")
	switch {
	case strings.HasPrefix(name, "crash"):
		fmt.Println("crashing")
		os.Exit(3)
	case strings.HasPrefix(name, "hang"):
		time.Sleep(time.Hour)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("%s request %s\n", name, r.URL)
		if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil {
			time.Sleep(d)
		}
		fmt.Fprintf(w, "%s %d", name, os.Getpid())
	})
	http.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		serveLineEcho(w, name+" ")
	})
	// No newline: the proxy's status lines must still start a line.
	fmt.Printf("%s listening", name)
	bufio.NewWriter(os.Stdout).Flush()
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

var (
	binDir     string // executable, user-server and the user server under other names
	executable string
)

func TestMain(m *testing.M) {
	proctest.Main(m, "executable-e2e-", buildBinaries)
}

func buildBinaries(dir string) error {
	binDir = filepath.Join(dir, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	// The package as it is: main.go plus the platform's files.
	executable = filepath.Join(binDir, "executable")
	if err := proctest.GoBuild(".", executable); err != nil {
		return err
	}
	src := filepath.Join(dir, "user-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(userServerSrc), 0o644); err != nil {
		return err
	}
	echo, err := os.ReadFile("lineecho_test.go")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(src, "lineecho.go"), echo, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module userserver\n\ngo 1.21\n"), 0o644); err != nil {
		return err
	}
	return proctest.GoBuild(src, filepath.Join(binDir, "user-server"))
}

// server returns a copy of the user server named name in a directory of
// the test's own.
func server(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(binDir, "user-server"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// pidOf reads the pid a user server wrote at start.
func pidOf(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path + ".pid")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// alive: the process exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && b[i+2] == 'Z' {
			return false
		}
	}
	return true
}

// waitGone waits until pid has gone, failing after limit.
func waitGone(t *testing.T, pid int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running after %s", pid, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// proxy is a running executable.
type proxy struct {
	cmd    *exec.Cmd
	addr   string
	stdin  io.WriteCloser
	status chan string // stdout lines that start with "executable: "
	other  *proctest.Buffer
	stderr *proctest.Buffer
	done   chan struct{} // closed once it exited
	err    error         // its Wait result, after done
}

// startProxy runs the executable with env added to the test's environment
// and, when wait is set, waits until it accepts connections.
func startProxy(t *testing.T, env []string, wait bool) *proxy {
	t.Helper()
	port := proctest.FreePort(t)
	p := &proxy{
		addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		status: make(chan string, 100),
		other:  &proctest.Buffer{},
		stderr: &proctest.Buffer{},
		done:   make(chan struct{}),
	}
	p.cmd = exec.Command(executable)
	p.cmd.Env = append(os.Environ(), "VERCEL_EXECUTABLE_PORT="+strconv.Itoa(port))
	p.cmd.Env = append(p.cmd.Env, env...)
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdin = stdin
	// Plain pipes rather than StdoutPipe or a Writer: Wait must return when
	// the proxy exits even if a user server it leaves behind (the bug the
	// Pdeathsig test looks for) still holds its stdout and stderr.
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout = outW
	p.cmd.Stderr = errW
	err = p.cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		t.Fatal(err)
	}
	outDone, errDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(outDone)
		r := bufio.NewReader(outR)
		for {
			line, err := r.ReadString('\n')
			if strings.HasPrefix(line, "executable: ") {
				p.status <- strings.TrimSuffix(line, "\n")
			} else {
				p.other.Write([]byte(line))
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer close(errDone)
		io.Copy(p.stderr, errR)
	}()
	go func() {
		p.err = p.cmd.Wait()
		// Let the readers take in the last output, unless something else
		// keeps the pipes open.
		limit := make(chan struct{})
		timer := time.AfterFunc(5*time.Second, func() { close(limit) })
		defer timer.Stop()
		select {
		case <-outDone:
		case <-limit:
		}
		select {
		case <-errDone:
		case <-limit:
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		outR.Close()
		errR.Close()
		if t.Failed() {
			t.Logf("proxy stderr:\n%s\nother stdout:\n%s", p.stderr.String(), p.other.String())
		}
	})
	if wait {
		deadline := time.Now().Add(60 * time.Second)
		for {
			if c, err := net.Dial("tcp", p.addr); err == nil {
				c.Close()
				break
			}
			select {
			case <-p.done:
				t.Fatalf("the proxy exited: %v\n%s", p.err, p.stderr.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatal("the proxy does not accept connections")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return p
}

func (p *proxy) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// expect waits for the next status line and checks its beginning.
func (p *proxy) expect(t *testing.T, prefix string) string {
	t.Helper()
	select {
	case line := <-p.status:
		if !strings.HasPrefix(line, prefix) {
			t.Fatalf("status line %q, want %q...", line, prefix)
		}
		return line
	case <-p.done:
		t.Fatalf("the proxy exited (%v) instead of printing %q", p.err, prefix)
	case <-time.After(60 * time.Second):
		t.Fatalf("no status line %q", prefix)
	}
	return ""
}

// waitOutput waits until the user servers' stdout shows text.
func (p *proxy) waitOutput(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(p.other.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output: %s", text, p.other.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *proxy) get(path string) (int, string, error) {
	res, err := http.Get("http://" + p.addr + path)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

func (p *proxy) mustGet(t *testing.T, path string) string {
	t.Helper()
	code, body, err := p.get(path)
	if err != nil || code != 200 {
		t.Fatalf("GET %s: %d %q %v", path, code, body, err)
	}
	return body
}

func (p *proxy) waitExit(t *testing.T) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(60 * time.Second):
		t.Fatal("the proxy did not exit")
		return nil
	}
}

func devEnv(userServer string, extra ...string) []string {
	return append([]string{
		"VERCEL_EXECUTABLE_USER_SERVER=" + userServer,
		"VERCEL_EXECUTABLE_CONTROL=stdin",
	}, extra...)
}

func TestProductionServesTheUserServerBesideIt(t *testing.T) {
	// No dev variables: ./user-server next to the executable.
	dir := t.TempDir()
	for _, name := range []string{"executable", "user-server"} {
		b, err := os.ReadFile(filepath.Join(binDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	saved := executable
	executable = filepath.Join(dir, "executable")
	defer func() { executable = saved }()
	p := startProxy(t, nil, true)
	if body := p.mustGet(t, "/x"); !strings.HasPrefix(body, "user-server ") {
		t.Fatalf("%q", body)
	}
	if body := p.mustGet(t, "/_vercel/ping"); body != "OK" {
		t.Fatalf("%q", body)
	}
	// Production prints no status lines.
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.waitExit(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	select {
	case line := <-p.status:
		t.Fatalf("status line in production: %q", line)
	default:
	}
}

func TestSwapUnderLoad(t *testing.T) {
	a, b, c := server(t, "server-a"), server(t, "server-b"), server(t, "server-c")
	p := startProxy(t, devEnv(a), true)
	p.expect(t, "executable: listening on "+p.addr)

	const clients = 10
	var (
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		failures int64
		mu       sync.Mutex
		firstErr error
		served   [clients][]string // the server name of each response, per client
		counts   [clients]int64
	)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
			defer client.CloseIdleConnections()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := client.Get("http://" + p.addr + "/?sleep=3ms")
				var body []byte
				if err == nil {
					body, err = io.ReadAll(res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode != 200 {
						err = fmt.Errorf("status %d: %s", res.StatusCode, body)
					}
				}
				if err != nil {
					atomic.AddInt64(&failures, 1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				name := strings.Fields(string(body))[0]
				if n := len(served[i]); n == 0 || served[i][n-1] != name {
					served[i] = append(served[i], name)
				}
				atomic.AddInt64(&counts[i], 1)
			}
		}(i)
	}
	// waitRequests lets every client complete a few more requests.
	waitRequests := func() {
		var start [clients]int64
		for i := range counts {
			start[i] = atomic.LoadInt64(&counts[i])
		}
		deadline := time.Now().Add(60 * time.Second)
		for i := range counts {
			for atomic.LoadInt64(&counts[i]) < start[i]+5 {
				if time.Now().After(deadline) {
					t.Fatalf("client %d is stuck", i)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}

	waitRequests()
	pidA := pidOf(t, a)
	p.send(t, "swap "+b)
	line := p.expect(t, "executable: swapped to "+b+" (pid ")
	pidB := pidOf(t, b)
	if !strings.Contains(line, fmt.Sprintf("(pid %d, port ", pidB)) {
		t.Fatalf("%q: pid is not %d", line, pidB)
	}
	if body := p.mustGet(t, "/"); !strings.HasPrefix(body, "server-b ") {
		t.Fatalf("after the first swap: %q", body)
	}
	waitRequests()
	p.send(t, "swap "+c)
	p.expect(t, "executable: swapped to "+c+" (pid ")
	if body := p.mustGet(t, "/"); !strings.HasPrefix(body, "server-c ") {
		t.Fatalf("after the second swap: %q", body)
	}
	waitRequests()
	close(stop)
	wg.Wait()

	if failures != 0 {
		t.Fatalf("%d requests failed during the swaps; first: %v", failures, firstErr)
	}
	for i, names := range served {
		if names[len(names)-1] != "server-c" {
			t.Errorf("client %d: %v", i, names)
		}
		order := map[string]int{"server-a": 0, "server-b": 1, "server-c": 2}
		for j := 1; j < len(names); j++ {
			if order[names[j]] < order[names[j-1]] {
				t.Errorf("client %d went back to an older server: %v", i, names)
			}
		}
	}
	// The replaced servers are stopped once their requests are done.
	waitGone(t, pidA, 30*time.Second)
	waitGone(t, pidB, 30*time.Second)
	if !alive(pidOf(t, c)) {
		t.Fatal("the current server is gone")
	}
	if n := strings.Count(p.stderr.String(), "user server exited"); n != 0 {
		t.Fatalf("stderr: %s", p.stderr.String())
	}
}

func TestFailedSwapsKeepTheOldServer(t *testing.T) {
	a := server(t, "server-a")
	crash, hang := server(t, "crash-1"), server(t, "hang-1")
	p := startProxy(t, devEnv(a, "VERCEL_EXECUTABLE_READY_TIMEOUT=1500ms"), true)
	p.expect(t, "executable: listening on ")

	p.send(t, "swap "+crash)
	line := p.expect(t, "executable: swap to "+crash+" failed: ")
	if want := "user server exited before accepting connections (exit status 3)"; !strings.HasSuffix(line, want) {
		t.Fatalf("%q", line)
	}
	if body := p.mustGet(t, "/"); !strings.HasPrefix(body, "server-a ") {
		t.Fatalf("after a crashed swap: %q", body)
	}

	p.send(t, "swap "+hang)
	line = p.expect(t, "executable: swap to "+hang+" failed: ")
	if !strings.Contains(line, "user server did not accept connections on 127.0.0.1:") || !strings.HasSuffix(line, " within 1.5s") {
		t.Fatalf("%q", line)
	}
	waitGone(t, pidOf(t, hang), 10*time.Second)

	missing := filepath.Join(t.TempDir(), "missing")
	p.send(t, "swap "+missing)
	line = p.expect(t, "executable: swap to "+missing+" failed: start user server: ")

	p.send(t, "frobnicate now")
	p.expect(t, "executable: unknown command: frobnicate now")
	p.send(t, "")

	if body := p.mustGet(t, "/"); !strings.HasPrefix(body, "server-a ") {
		t.Fatalf("after the failed swaps: %q", body)
	}
	// Each failure is printed to stderr once, and none ended the proxy.
	errText := p.stderr.String()
	for _, path := range []string{crash, hang, missing} {
		if n := strings.Count(errText, "swap to "+path+" failed"); n != 1 {
			t.Errorf("%d failure lines for %s in stderr:\n%s", n, path, errText)
		}
	}
	if strings.Contains(errText, "user server exited:") {
		t.Errorf("stderr: %s", errText)
	}
	select {
	case <-p.done:
		t.Fatalf("the proxy exited: %v", p.err)
	default:
	}
}

func TestNewerSwapSupersedesAWaitingOne(t *testing.T) {
	a, hang, b := server(t, "server-a"), server(t, "hang-2"), server(t, "server-b")
	p := startProxy(t, devEnv(a, "VERCEL_EXECUTABLE_READY_TIMEOUT=5m"), true)
	p.expect(t, "executable: listening on ")
	p.send(t, "swap "+hang)
	// The hanging server has started once its pid file is there.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(hang + ".pid"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hanging server never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.send(t, "swap "+b)
	p.expect(t, "executable: swap to "+hang+" failed: superseded by a newer swap")
	p.expect(t, "executable: swapped to "+b+" (pid ")
	if body := p.mustGet(t, "/"); !strings.HasPrefix(body, "server-b ") {
		t.Fatalf("%q", body)
	}
	waitGone(t, pidOf(t, hang), 10*time.Second)
}

func TestUpgradedConnectionKeepsTheOldServer(t *testing.T) {
	a, b := server(t, "server-a"), server(t, "server-b")
	p := startProxy(t, devEnv(a), true)
	p.expect(t, "executable: listening on ")
	conn, br := dialUpgrade(t, p.addr, "/echo")
	echo := func(word string) string {
		t.Helper()
		io.WriteString(conn, word+"\n")
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(line)
	}
	if got := echo("before"); got != "server-a before" {
		t.Fatalf("%q", got)
	}
	p.send(t, "swap "+b)
	p.expect(t, "executable: swapped to "+b)
	if body := p.mustGet(t, "/"); !strings.HasPrefix(body, "server-b ") {
		t.Fatalf("%q", body)
	}
	// The old server lives on for the upgraded connection.
	if got := echo("after"); got != "server-a after" {
		t.Fatalf("%q", got)
	}
	pidA := pidOf(t, a)
	if !alive(pidA) {
		t.Fatal("server-a was stopped with an upgraded connection open")
	}
	conn.Close()
	waitGone(t, pidA, 30*time.Second)
}

func TestErrorModeAndSwapOutOfIt(t *testing.T) {
	file := filepath.Join(t.TempDir(), "error.txt")
	if err := os.WriteFile(file, []byte("# command-line-arguments\n./main.go:3:1: syntax error\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	never := server(t, "never-started")
	p := startProxy(t, devEnv(never, "VERCEL_EXECUTABLE_ERROR_FILE="+file), true)
	p.expect(t, "executable: listening on ")
	res, err := http.Post("http://"+p.addr+"/api/x?y=1", "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 500 || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		string(body) != "# command-line-arguments\n./main.go:3:1: syntax error\n" {
		t.Fatalf("%d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if got := p.mustGet(t, "/_vercel/ping"); got != "OK" {
		t.Fatalf("ping: %q", got)
	}
	if _, err := os.Stat(never + ".pid"); !os.IsNotExist(err) {
		t.Fatal("a user server was started in error mode")
	}
	a := server(t, "server-a")
	p.send(t, "swap "+a)
	p.expect(t, "executable: swapped to "+a)
	if got := p.mustGet(t, "/"); !strings.HasPrefix(got, "server-a ") {
		t.Fatalf("%q", got)
	}
}

func TestExitOfTheCurrentServerIsFatal(t *testing.T) {
	a, b := server(t, "server-a"), server(t, "server-b")
	p := startProxy(t, devEnv(a), true)
	p.expect(t, "executable: listening on ")
	p.send(t, "swap "+b)
	p.expect(t, "executable: swapped to "+b)
	waitGone(t, pidOf(t, a), 30*time.Second) // a replaced server's exit is not fatal
	if got := p.mustGet(t, "/"); !strings.HasPrefix(got, "server-b ") {
		t.Fatalf("%q", got)
	}
	syscall.Kill(pidOf(t, b), syscall.SIGKILL)
	err := p.waitExit(t)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	if !strings.Contains(p.stderr.String(), "executable: user server exited: signal: killed") {
		t.Fatalf("stderr: %s", p.stderr.String())
	}
}

func TestSignalStopsEveryServer(t *testing.T) {
	a, b := server(t, "server-a"), server(t, "server-b")
	p := startProxy(t, devEnv(a), true)
	p.expect(t, "executable: listening on ")
	// Keep a busy on a slow request so that it is still draining.
	slow := make(chan error, 1)
	go func() {
		_, _, err := p.get("/?sleep=30s")
		slow <- err
	}()
	p.waitOutput(t, "server-a request /?sleep=30s")
	p.send(t, "swap "+b)
	p.expect(t, "executable: swapped to "+b)
	pidA, pidB := pidOf(t, a), pidOf(t, b)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.waitExit(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v (stderr %s)", err, p.stderr.String())
	}
	waitGone(t, pidA, 10*time.Second)
	waitGone(t, pidB, 10*time.Second)
}

func TestClosedControlStopsEverything(t *testing.T) {
	a := server(t, "server-a")
	p := startProxy(t, devEnv(a), true)
	p.expect(t, "executable: listening on ")
	pidA := pidOf(t, a)
	p.stdin.Close()
	if err := p.waitExit(t); err != nil {
		t.Fatalf("exit after stdin closed: %v (stderr %s)", err, p.stderr.String())
	}
	waitGone(t, pidA, 10*time.Second)
}

func TestUserServerDiesWithTheProxy(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Pdeathsig is Linux only")
	}
	a := server(t, "server-a")
	// Production mode (no control), only the server path overridden.
	p := startProxy(t, []string{"VERCEL_EXECUTABLE_USER_SERVER=" + a}, true)
	p.mustGet(t, "/")
	pid := pidOf(t, a)
	if !alive(pid) {
		t.Fatal("the user server is not running")
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.waitExit(t)
	waitGone(t, pid, 5*time.Second)
}

func TestBadDevSettings(t *testing.T) {
	a := server(t, "server-a")
	for _, c := range []struct{ env, want string }{
		{"VERCEL_EXECUTABLE_READY_TIMEOUT=soon", `invalid VERCEL_EXECUTABLE_READY_TIMEOUT "soon"`},
		{"VERCEL_EXECUTABLE_READY_TIMEOUT=-1s", `invalid VERCEL_EXECUTABLE_READY_TIMEOUT "-1s"`},
		{"VERCEL_EXECUTABLE_CONTROL=tcp", `invalid VERCEL_EXECUTABLE_CONTROL "tcp"`},
		{"VERCEL_EXECUTABLE_ERROR_FILE=" + filepath.Join(t.TempDir(), "none"), "read VERCEL_EXECUTABLE_ERROR_FILE: "},
	} {
		p := startProxy(t, []string{"VERCEL_EXECUTABLE_USER_SERVER=" + a, c.env}, false)
		err := p.waitExit(t)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(p.stderr.String(), c.want) {
			t.Errorf("%s: %v, stderr %q", c.env, err, p.stderr.String())
		}
	}
}

// Requests in flight keep their (old) server until they finish, even when
// they outlast the swap.
func TestInFlightRequestFinishesOnTheOldServer(t *testing.T) {
	a, b := server(t, "server-a"), server(t, "server-b")
	p := startProxy(t, devEnv(a), true)
	p.expect(t, "executable: listening on ")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+p.addr+"/?sleep=1500ms", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		done <- result{string(body), err}
	}()
	p.waitOutput(t, "server-a request /?sleep=1500ms")
	p.send(t, "swap "+b)
	p.expect(t, "executable: swapped to "+b)
	r := <-done
	if r.err != nil || !strings.HasPrefix(r.body, "server-a ") {
		t.Fatalf("%q %v", r.body, r.err)
	}
}
