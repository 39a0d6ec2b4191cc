package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestErrorPage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "error.txt")
	if err := os.WriteFile(file, []byte("compile error:\nmain.go:3: oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &supervisor{errorPage: &errorPage{path: file}, live: map[*backend]bool{}}
	addr := serveRules(t, s, nil, "")
	for _, target := range []string{"/", "/api/x?y=1", "/_vercel/ping"} {
		res, body := rawRequest(t, addr, "POST", target)
		if target == "/_vercel/ping" {
			if res.StatusCode != 200 || body != "OK" {
				t.Fatalf("ping: %d %q", res.StatusCode, body)
			}
			continue
		}
		if res.StatusCode != 500 || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
			body != "compile error:\nmain.go:3: oops\n" {
			t.Fatalf("%s: %d %q %q", target, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
	// Read for every request; the last good contents when it is gone.
	os.WriteFile(file, []byte("fixed? no"), 0o644)
	if _, body := rawRequest(t, addr, "GET", "/"); body != "fixed? no" {
		t.Fatalf("%q", body)
	}
	os.Remove(file)
	if _, body := rawRequest(t, addr, "GET", "/"); body != "fixed? no" {
		t.Fatalf("%q", body)
	}
}
