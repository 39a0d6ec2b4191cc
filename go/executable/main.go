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
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

const (
	readyTimeout = 30 * time.Second
	defaultPort  = 3000
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "executable: "+format+"\n", args...)
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
		b, err := s.launchReady(userServer, nil, nil)
		if err != nil {
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
