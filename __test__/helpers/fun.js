'use strict';

// Test helper: run a built Go Lambda directory (a `bootstrap` built for
// linux/amd64 with github.com/vercel/go-bridge) through @vercel/fun and send it
// HTTP-like requests the way the Vercel platform / `vercel dev` does.
//
// Event shape (copied from what the Vercel CLI's dev server sends, see
// `invokeBuiltLambda` in node_modules/vercel/dist): the Lambda payload is
//   { Action: 'Invoke', body: JSON.stringify({ method, host, path, headers,
//                                             encoding: 'base64', body }) }
// go-bridge unmarshals the payload as events.APIGatewayProxyRequest, parses the
// `body` string as its Request{host,path,method,headers,encoding,body} and
// answers { statusCode, headers: {name: [values]}, encoding: 'base64', body }.
// `Action` is ignored by go-bridge but kept for fidelity with the CLI.

const fs = require('node:fs');
const path = require('node:path');

const DEFAULT_TIMEOUT_MS = 30000;

let funModule;
function loadFun() {
  if (!funModule) {
    // Resolve from the project root so the devDependency is used.
    funModule = require(require.resolve('@vercel/fun', {
      paths: [path.join(__dirname, '..', '..'), __dirname],
    }));
  }
  return funModule;
}

function lowerCaseHeaders(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers || {})) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.map(String) : String(v);
  }
  return out;
}

/**
 * Build the Lambda payload object for one request.
 * request: { method = 'GET', path = '/', headers = {}, body?: string|Buffer|Uint8Array, host? }
 */
function buildEvent(request = {}, opts = {}) {
  const method = (request.method || 'GET').toUpperCase();
  const reqPath = request.path || '/';
  const headers = lowerCaseHeaders(request.headers);
  const host = request.host || headers.host || opts.host || 'localhost:3000';
  if (!headers.host) headers.host = host;

  let bodyBuf;
  if (request.body === undefined || request.body === null) {
    bodyBuf = Buffer.alloc(0);
  } else if (Buffer.isBuffer(request.body)) {
    bodyBuf = request.body;
  } else if (request.body instanceof Uint8Array) {
    bodyBuf = Buffer.from(request.body);
  } else if (typeof request.body === 'string') {
    bodyBuf = Buffer.from(request.body, 'utf8');
  } else {
    bodyBuf = Buffer.from(JSON.stringify(request.body), 'utf8');
    if (!headers['content-type']) headers['content-type'] = 'application/json';
  }
  if (bodyBuf.length > 0 && headers['content-length'] === undefined) {
    headers['content-length'] = String(bodyBuf.length);
  }

  const inner = {
    method,
    host,
    path: reqPath,
    headers,
    encoding: 'base64',
    body: bodyBuf.toString('base64'),
  };
  return { Action: 'Invoke', body: JSON.stringify(inner) };
}

/**
 * Turn go-bridge's response object into { statusCode, headers, rawHeaders, body, bodyBuffer }.
 *  - headers: lower-cased names; a single value stays a string, several values
 *    are joined with ', ' (except set-cookie, which stays an array)
 *  - rawHeaders: exactly what the bridge returned ({ Name: [values] })
 *  - body: utf8 string; bodyBuffer: the raw bytes
 */
function decodeResponse(res) {
  if (!res || typeof res !== 'object' || typeof res.statusCode !== 'number') {
    throw new Error(`Unexpected Lambda response: ${JSON.stringify(res)}`);
  }
  const rawHeaders = res.headers || {};
  const headers = {};
  for (const [k, v] of Object.entries(rawHeaders)) {
    const name = k.toLowerCase();
    const values = Array.isArray(v) ? v.map(String) : [String(v)];
    const prev = headers[name];
    const all = prev === undefined ? values : [].concat(prev, values);
    if (name === 'set-cookie') headers[name] = all;
    else headers[name] = all.join(', ');
  }
  const bodyBuffer =
    res.encoding === 'base64'
      ? Buffer.from(res.body || '', 'base64')
      : Buffer.from(res.body || '', 'utf8');
  return {
    statusCode: res.statusCode,
    headers,
    rawHeaders,
    body: bodyBuffer.toString('utf8'),
    bodyBuffer,
  };
}

function killPoolProcesses(fn) {
  // Last resort when an invocation hangs: kill the runtime processes so that
  // fun's pending promises settle ("Process exited before completing request")
  // and `fn.destroy()` can drain the pool. Relies on generic-pool internals.
  try {
    const all = fn.provider && fn.provider.pool && fn.provider.pool._allObjects;
    if (!all) return;
    for (const res of all) {
      const proc = res && res.obj;
      if (proc && proc.pid && proc.exitCode === null) {
        try { process.kill(proc.pid, 'SIGCONT'); } catch {}
        try { proc.kill('SIGKILL'); } catch {}
      }
    }
  } catch {}
}

function withTimeout(promise, ms, onTimeout) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => {
        onTimeout();
        reject(new Error(`Lambda invocation timed out after ${ms} ms`));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Run the Lambda in `dir` with @vercel/fun and send it `requests` one after the other
 * (the same warm process is reused, like on the platform).
 *
 * @param {string} dir  directory containing an executable `bootstrap` (linux/amd64)
 * @param {object|object[]} requests  { method, path, headers, body, host? } or an array of them
 * @param {object} [opts]
 * @param {object} [opts.env]        extra env for the function (AWS-reserved names are rejected by fun)
 * @param {string} [opts.runtime]    fun runtime, default 'provided'
 * @param {string} [opts.handler]    default 'bootstrap'
 * @param {string} [opts.host]       default Host when a request has none ('localhost:3000')
 * @param {number} [opts.timeoutMs]  per invocation, default 30000
 * @param {boolean} [opts.allowFunctionError] return { functionError, error } instead of throwing
 * @returns {Promise<object|object[]>} one result per request (array iff `requests` is an array):
 *   { statusCode, headers, rawHeaders, body, bodyBuffer }
 */
async function invokeLambdaDir(dir, requests, opts = {}) {
  const single = !Array.isArray(requests);
  const list = single ? [requests || {}] : requests;
  const absDir = path.resolve(dir);
  const handler = opts.handler || 'bootstrap';
  const bootstrap = path.join(absDir, handler);
  const st = fs.statSync(bootstrap); // throws ENOENT with a clear path
  if (!(st.mode & 0o111)) {
    throw new Error(`${bootstrap} is not executable (mode ${(st.mode & 0o777).toString(8)})`);
  }

  const { createFunction } = loadFun();
  const timeoutMs = opts.timeoutMs || DEFAULT_TIMEOUT_MS;
  const fn = await createFunction({
    FunctionName: opts.functionName || path.basename(absDir).replace(/[^A-Za-z0-9_-]/g, '_') || 'fn',
    Code: { Directory: absDir },
    Handler: handler,
    Runtime: opts.runtime || 'provided',
    MemorySize: opts.memorySize || 1024,
    Timeout: Math.ceil(timeoutMs / 1000),
    Environment: { Variables: { ...(opts.env || {}) } },
  });

  const results = [];
  try {
    for (const request of list) {
      const event = buildEvent(request, opts);
      const result = await withTimeout(
        fn.invoke({ InvocationType: 'RequestResponse', Payload: JSON.stringify(event) }),
        timeoutMs,
        () => killPoolProcesses(fn)
      );
      const payloadText =
        typeof result.Payload === 'string' ? result.Payload : String(result.Payload);
      let parsed;
      try {
        parsed = JSON.parse(payloadText);
      } catch {
        throw new Error(`Lambda returned a non-JSON payload: ${payloadText.slice(0, 500)}`);
      }
      if (result.FunctionError) {
        if (opts.allowFunctionError) {
          results.push({ functionError: result.FunctionError, error: parsed });
          continue;
        }
        const err = new Error(
          `Lambda function error (${result.FunctionError}): ${parsed && parsed.errorMessage ? parsed.errorMessage : payloadText}`
        );
        err.functionError = result.FunctionError;
        err.payload = parsed;
        throw err;
      }
      results.push(decodeResponse(parsed));
    }
  } finally {
    await withTimeout(fn.destroy(), 10000, () => killPoolProcesses(fn)).catch(() => {});
  }
  return single ? results[0] : results;
}

module.exports = { invokeLambdaDir, buildEvent, decodeResponse };
