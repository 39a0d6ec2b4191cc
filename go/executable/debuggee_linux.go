//go:build linux

package main

import (
	"os"
	"strconv"
	"strings"
)

// On Linux the children of Delve are read from /proc (every thread's
// children file), and a process's start time from /proc/<pid>/stat.
func init() {
	childrenOf = procChildren
	startTime = procStartTime
}

func procChildren(pid int) []process {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return nil
	}
	var procs []process
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/children")
		if err != nil {
			continue
		}
		for _, field := range strings.Fields(string(b)) {
			child, err := strconv.Atoi(field)
			if err != nil {
				continue
			}
			if start, ok := procStartTime(child); ok {
				procs = append(procs, process{pid: child, start: start})
			}
		}
	}
	return procs
}

// procStartTime is field 22 of /proc/<pid>/stat (after the command name,
// which may hold spaces and parentheses); false once the process is gone
// or only a zombie.
func procStartTime(pid int) (string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", false
	}
	text := string(b)
	fields := strings.Fields(text[strings.LastIndexByte(text, ')')+1:])
	// fields[0] is the state (field 3); the start time is field 22.
	if len(fields) < 20 || fields[0] == "Z" {
		return "", false
	}
	return fields[19], true
}
