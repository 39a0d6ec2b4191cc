package main

import (
	"bufio"
	"io"
	"net/http"
	"testing"
)

func TestStreamingIsNotBuffered(t *testing.T) {
	up := newUpstream(t)
	addr := serveRules(t, newProxy(up.addr()), nil, "")
	res, err := http.Get("http://" + addr + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := bufio.NewReader(res.Body)
	// The upstream handler is blocked on release: chunk 1 arrives only if
	// the proxy forwards the flush.
	if chunk, err := r.ReadString('|'); err != nil || chunk != "chunk-1|" {
		t.Fatalf("%q %v", chunk, err)
	}
	close(up.release)
	if rest, err := io.ReadAll(r); err != nil || string(rest) != "chunk-2|" {
		t.Fatalf("%q %v", rest, err)
	}
}

func TestUpgradePassesThrough(t *testing.T) {
	up := newUpstream(t)
	platform, msgs := newPlatform(t)
	addr := serveRules(t, newProxy(up.addr()), platform, routePrefix("/api", "1"))
	conn, br := dialUpgrade(t, addr, "/api/upgrade", "X-Vercel-Internal-Request-Id: ws")
	for _, word := range []string{"one", "two"} {
		io.WriteString(conn, word+"\n")
		if line, err := br.ReadString('\n'); err != nil || line != "echo "+word+"\n" {
			t.Fatalf("%q %v", line, err)
		}
	}
	if got := up.requests()[0].Path; got != "/upgrade" {
		t.Fatalf("upstream path %q", got)
	}
	conn.Close()
	ctx := msgs.next(t)["payload"].(map[string]any)["context"].(map[string]any)
	if ctx["requestId"] != "ws" {
		t.Fatalf("%v", ctx)
	}
}
