'use strict';

// Plain HTTP to a server on 127.0.0.1: one request per fresh connection
// (no keep-alive agent, so no connection outlives the request), and a free
// port to start a server on.

const http = require('node:http');
const net = require('node:net');

/**
 * One HTTP request; resolves once the response body is complete to
 * { status, headers, body (utf8 string), bodyBuffer }.
 */
function request({ port, host = '127.0.0.1', method = 'GET', path = '/', headers = {}, body, timeoutMs = 20000 }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const bodyBuffer = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, body: bodyBuffer.toString('utf8'), bodyBuffer });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} on port ${port} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** GET http://127.0.0.1:<port><urlPath> (see request()). */
function get(port, urlPath = '/', headers = {}) {
  return request({ port, path: urlPath, headers });
}

/** Resolves to a TCP port on 127.0.0.1 that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

module.exports = { request, get, freePort };
