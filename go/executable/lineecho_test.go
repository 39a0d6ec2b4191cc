package main

import "net/http"

// serveLineEcho takes the connection over from net/http, answers 101
// Switching Protocols (Upgrade: echo), then writes back every line it reads,
// after prefix, until the client closes. The rules tests' upstream uses it,
// and the e2e user server is built with a copy of this file (buildBinaries),
// so both echo the same way. Standard library only, no test code.
func serveLineEcho(w http.ResponseWriter, prefix string) {
	conn, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	rw.Flush()
	for {
		line, err := rw.ReadString('\n')
		if err != nil {
			return
		}
		rw.WriteString(prefix + line)
		rw.Flush()
	}
}
