package main

// The platform's per-request rules, the same in production and in dev:
// the health check, the internal headers, Host, the route prefix, and the
// end message after each request.

import (
	"net/http"
	"strconv"
	"strings"
)

const (
	pingPath         = "/_vercel/ping"
	internalPrefix   = "x-vercel-internal-"
	invocationHeader = "x-vercel-internal-invocation-id"
	requestHeader    = "x-vercel-internal-request-id"
)

// requestIDValue sends a numeric request id as a JSON number, as Vercel's
// other runtimes (Python, Rust) do; anything else is passed on as received.
func requestIDValue(id string) any {
	if n, err := strconv.ParseUint(id, 10, 64); err == nil {
		return n
	}
	return id
}

// routePrefix is the prefix to cut from request paths: the normalized
// $VERCEL_SERVICE_ROUTE_PREFIX ("api/" → "/api", "/" → "") when strip is
// "1" or "true" (any case, surrounding spaces ignored), else "".
func routePrefix(prefix, strip string) string {
	switch strings.ToLower(strings.TrimSpace(strip)) {
	case "1", "true":
	default:
		return ""
	}
	prefix = strings.TrimSpace(prefix)
	if !strings.HasPrefix(prefix, "/") {
		prefix = "/" + prefix
	}
	return strings.TrimRight(prefix, "/")
}

// stripPrefix cuts prefix from path: "/api" → "/", "/api/x" → "/x"; a path
// outside the prefix ("/apix") and "*" are kept as they are.
func stripPrefix(path, prefix string) string {
	if path == "*" {
		return path
	}
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if prefix == "" {
		return path
	}
	if path == prefix {
		return "/"
	}
	if strings.HasPrefix(path, prefix+"/") {
		return path[len(prefix):]
	}
	return path
}

// handler applies the platform's per-request rules, the same in production
// and in dev, and hands the request to upstream (the current user server):
//
//   - /_vercel/ping is answered here, before any prefix is cut, with no end
//     message;
//   - the x-vercel-internal-* headers are read (invocation and request ids)
//     and removed;
//   - Host becomes X-Forwarded-Host when that is set;
//   - the service's route prefix is cut from the path (RawPath dropped, so
//     an escaped slash reaches the server decoded); the raw query is kept;
//   - the end of each request is reported to the platform once the response
//     (or upgraded connection) has been fully relayed.
func handler(upstream http.Handler, platform *ipc, prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The health check is the platform's own path, before any prefix.
		if r.URL.Path == pingPath {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("OK"))
			return
		}
		invocationID := r.Header.Get(invocationHeader)
		requestID := r.Header.Get(requestHeader)
		for name := range r.Header {
			if strings.HasPrefix(strings.ToLower(name), internalPrefix) {
				delete(r.Header, name)
			}
		}
		// The public Host: the platform's forwarded one when it sends it.
		if host := r.Header.Get("X-Forwarded-Host"); host != "" {
			r.Host = host
		}
		if prefix != "" {
			if stripped := stripPrefix(r.URL.Path, prefix); stripped != r.URL.Path {
				r.URL.Path = stripped
				r.URL.RawPath = ""
			}
		}
		// The request body streams to the server while its response streams
		// back (a server may answer before the body has ended); without
		// this, HTTP/1 holds the body until the response is done.
		_ = http.NewResponseController(w).EnableFullDuplex()
		// ServeHTTP returns once the response body (or upgraded connection)
		// has been fully relayed.
		upstream.ServeHTTP(w, r)
		platform.send("end", map[string]any{
			"context": map[string]any{
				"invocationId": invocationID,
				"requestId":    requestIDValue(requestID),
			},
		})
	})
}
