package main

// The platform's IPC ($VERCEL_IPC_PATH): one NUL-terminated JSON message
// per event, and the fatal exit that reports an unrecoverable error.

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sync"
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
