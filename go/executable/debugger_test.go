package main

import (
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"
)

func TestDebuggerSettingsGoTogether(t *testing.T) {
	for _, c := range []struct {
		dlv, listen string
		on, bad     bool
	}{
		{"", "", false, false},
		{"/c/dlv", "127.0.0.1:2345", true, false},
		{"/c/dlv", "", false, true},
		{"", "127.0.0.1:2345", false, true},
	} {
		t.Setenv("VERCEL_EXECUTABLE_DEBUGGER", c.dlv)
		t.Setenv("VERCEL_EXECUTABLE_DEBUGGER_LISTEN", c.listen)
		d, err := debuggerFromEnv()
		if (err != nil) != c.bad || (d != nil) != c.on {
			t.Errorf("%+v: got %+v, %v", c, d, err)
		}
	}
	d := &debugger{dlv: "/c/dlv", listen: "127.0.0.1:2345"}
	args := d.command("/b/server").Args
	want := []string{"/c/dlv", "exec", "/b/server", "--headless", "--listen=127.0.0.1:2345", "--accept-multiclient", "--api-version=2", "--continue", "--only-same-user"}
	if len(args) != len(want) {
		t.Fatalf("%v", args)
	}
	for i := range want {
		if args[i] != want[i] {
			t.Fatalf("%v", args)
		}
	}
}

// A program whose debugger is killed ends with it: its pid and start time
// were noted while the debugger served.
func TestDebuggeesEndWhenTheirDebuggerIsKilled(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the process table is read on Linux only")
	}
	// sh stands in for Delve: it starts the program in a group of its own.
	sh := exec.Command("sh", "-c", "setsid sleep 300 & echo $!; wait")
	out, err := sh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 32)
	n, _ := out.Read(buf)
	child, err := strconv.Atoi(string(buf[:n-1]))
	if err != nil {
		t.Fatalf("child pid %q: %v", buf[:n], err)
	}
	var d debuggees
	deadline := time.Now().Add(10 * time.Second)
	for len(d.procs) == 0 && time.Now().Before(deadline) {
		d.note(sh.Process.Pid)
		time.Sleep(10 * time.Millisecond)
	}
	if len(d.procs) != 1 || d.procs[0].pid != child {
		t.Fatalf("noted %+v, want pid %d", d.procs, child)
	}
	_ = sh.Process.Kill()
	_ = sh.Wait()
	if _, alive := startTime(child); !alive {
		t.Fatal("the program ended with its debugger by itself: nothing to test")
	}
	d.end()
	for time.Now().Before(deadline) {
		if _, alive := startTime(child); !alive {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("pid %d still runs", child)
}

// A pid noted once and since given to another process is never signalled.
func TestDebuggeesNeverSignalAReusedPid(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the process table is read on Linux only")
	}
	other := exec.Command("sleep", "300")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Process.Kill(); _ = other.Wait() }()
	d := debuggees{procs: []process{{pid: other.Process.Pid, start: "1"}}}
	d.end()
	time.Sleep(50 * time.Millisecond)
	if _, alive := startTime(other.Process.Pid); !alive {
		t.Fatal("a process with another start time was killed")
	}
}
