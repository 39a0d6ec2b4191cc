#!/usr/bin/env node
'use strict'
// Go's build cache program (GOCACHEPROG) for the remote cache
// (GO_BUILDER_REMOTE_CACHE). A build sets GOCACHEPROG to run this file with
// its own Node; Go starts it once per `go` command and speaks its cache
// protocol on stdin/stdout, which the native core serves
// (src/remote_cache/cacheprog.rs). stdout belongs to the protocol: this
// file writes nothing there.

const native = require('./binding.js')

native.serveGoCacheprog(JSON.stringify({ ...process.env })).then(
  (error) => {
    if (error) process.stderr.write(`@acme/go-builder cache program: ${error}\n`)
    process.exit(error ? 1 : 0)
  },
  (err) => {
    process.stderr.write(`@acme/go-builder cache program: ${err && err.message}\n`)
    process.exit(1)
  },
)
