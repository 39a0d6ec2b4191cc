package main

// Forwarding to a user server: the reverse proxy that streams responses
// and passes protocol upgrades through.

import (
	"net/http"
	"net/http/httputil"
	"net/url"
)

// newProxy returns a transparent reverse proxy to addr. Responses are flushed
// as they arrive (FlushInterval -1) so streaming works, and ReverseProxy
// itself passes protocol upgrades (WebSocket) through after a 101. The
// request rules are applied before, by handler.
func newProxy(addr string) *httputil.ReverseProxy {
	target := &url.URL{Scheme: "http", Host: addr}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil               // never route to the user server via $HTTP_PROXY
	transport.DisableCompression = true // pass bodies through byte for byte
	transport.MaxIdleConnsPerHost = 100
	return &httputil.ReverseProxy{
		FlushInterval: -1,
		Transport:     transport,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			// The query byte for byte: ReverseProxy re-encodes it (sorted,
			// %20 as +) under older GODEBUG defaults or with a ';' in it.
			r.Out.URL.RawQuery = r.In.URL.RawQuery
			// The Host that handler chose.
			r.Out.Host = r.In.Host
			// Rewrite drops inbound X-Forwarded-*; the platform's are the
			// true ones, so keep them unchanged instead of adding our own.
			for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if v, ok := r.In.Header[h]; ok {
					r.Out.Header[h] = v
				}
			}
		},
	}
}
