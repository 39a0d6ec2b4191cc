package main

// Answers without a user server: error mode ($VERCEL_EXECUTABLE_ERROR_FILE),
// where every request but /_vercel/ping gets 500 and the file's contents,
// and after a failed debug swap, a 500 that says why.

import (
	"net/http"
	"os"
	"sync"
)

func (s *supervisor) serveError(w http.ResponseWriter) {
	var body []byte
	if s.errorPage != nil {
		body, _ = s.errorPage.body()
	} else if why := s.down.Load(); why != nil {
		body = []byte(*why + "\n")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(body)
}

// errorPage is the body of every response in error mode: the file's
// contents, read for each request so that it can be replaced while the
// proxy runs; the last good read when it cannot be read.
type errorPage struct {
	path string
	mu   sync.Mutex
	last []byte
}

func (e *errorPage) body() ([]byte, error) {
	b, err := os.ReadFile(e.path)
	e.mu.Lock()
	defer e.mu.Unlock()
	if err == nil {
		e.last = b
	}
	return e.last, err
}
