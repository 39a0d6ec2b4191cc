//go:build linux

package main

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// On Linux every user server is started with Pdeathsig SIGKILL: the kernel
// kills it when this process dies, even by SIGKILL, so it never outlives the
// proxy (and never keeps its port). Delve gets SIGTERM instead: it then
// kills the program it debugs (which it started in a process group of its
// own) before it exits.
//
// The kernel sends that signal when the *thread* that forked the child ends,
// not the process. Go may end an OS thread when a goroutine locked to it
// returns, so children are forked from one goroutine that locks its thread
// and never returns: that thread lives exactly as long as the process.
func init() {
	startProcess = startWithPdeathsig
}

var (
	spawnOnce sync.Once
	spawns    = make(chan func())
)

func startWithPdeathsig(cmd *exec.Cmd, gentle bool) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if gentle {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
	}
	spawnOnce.Do(func() { go spawner() })
	done := make(chan error, 1)
	spawns <- func() { done <- cmd.Start() }
	return <-done
}

func spawner() {
	runtime.LockOSThread() // never unlocked, never returns
	for start := range spawns {
		start()
	}
}
