package handler

import (
	"fmt"
	"net/http"
)

// Handler answers with a greeting built by a helper in a sibling file.
func Handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, greeting(r.URL.Query().Get("name")))
}
