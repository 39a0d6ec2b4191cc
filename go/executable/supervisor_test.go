package main

import "testing"

func TestSupervisorRoutesToTheNewBackendAfterASwap(t *testing.T) {
	a, b := newUpstream(t), newUpstream(t)
	mk := func(u *upstream) *backend {
		return &backend{proxy: newProxy(u.addr()), idle: make(chan struct{})}
	}
	ba, bb := mk(a), mk(b)
	s := &supervisor{live: map[*backend]bool{}}
	s.current.Store(ba)
	addr := serveRules(t, s, nil, "")
	rawRequest(t, addr, "GET", "/1")
	old := s.current.Swap(bb)
	old.retire()
	rawRequest(t, addr, "GET", "/2")
	if len(a.requests()) != 1 || len(b.requests()) != 1 || b.requests()[0].Path != "/2" {
		t.Fatalf("a %v, b %v", a.requests(), b.requests())
	}
}
