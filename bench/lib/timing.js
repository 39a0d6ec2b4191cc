'use strict'
// The clock every measurement uses, and the wait for a dev server's first
// answer (shared by run.js and the worker processes).
const http = require('http')

/** Milliseconds on the monotonic clock. */
function now() {
  return Number(process.hrtime.bigint()) / 1e6
}

/** GETs `/` until a response arrives; resolves with its status. `deadline` is a `now()` value. */
function firstResponse(port, deadline) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const req = http.get({ host: '127.0.0.1', port, path: '/?name=bench', agent: false }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode))
      })
      req.on('error', (err) => {
        if (now() > deadline) return reject(new Error(`no HTTP response on port ${port}: ${err.message}`))
        setTimeout(attempt, 5)
      })
    }
    attempt()
  })
}

module.exports = { now, firstResponse }
