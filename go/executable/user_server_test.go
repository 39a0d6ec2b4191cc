package main

import "testing"

func TestBackendRetire(t *testing.T) {
	b := &backend{idle: make(chan struct{})}
	if !b.acquire() || !b.acquire() {
		t.Fatal("acquire failed")
	}
	idle := b.retire()
	if b.acquire() {
		t.Fatal("acquired after retire")
	}
	b.release()
	select {
	case <-idle:
		t.Fatal("idle with a request in flight")
	default:
	}
	b.release()
	<-idle
	if b.retire() != idle {
		t.Fatal("second retire")
	}
	// Retired with nothing in flight: idle at once.
	b2 := &backend{idle: make(chan struct{})}
	<-b2.retire()
}
