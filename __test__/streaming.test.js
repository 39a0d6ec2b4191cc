'use strict';

// Handlers that stream their response. The analyzer finds http.Flusher,
// http.ResponseController or text/event-stream in the handler's package (or
// a package of its module it imports), and the function is built for the
// executable runtime behind the platform proxy, with response streaming;
// the function config can say otherwise. Order is checked without clocks:
// a handler writes its first event, flushes, then waits for a file the test
// creates only after it has received that event.

const { describe, it, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const h = require('./helpers');

before(() => h.loadBuilder());
h.cleanUpDevTests();

/** Waits for the file named by the env var `name` (or the request to end). */
const WAIT_FOR_SIGNAL = (name) => [
  `\tfor {`,
  `\t\tif _, err := os.Stat(os.Getenv("${name}")); err == nil {`,
  `\t\t\tbreak`,
  `\t\t}`,
  `\t\tselect {`,
  `\t\tcase <-r.Context().Done():`,
  `\t\t\treturn`,
  `\t\tcase <-time.After(20 * time.Millisecond):`,
  `\t\t}`,
  `\t}`,
];

const FILES = {
  'go.mod': 'module example.com/streams\n\ngo 1.22\n',
  // Server-Sent Events with http.Flusher.
  'api/sse.go': h.goFile('api', ['fmt', 'net/http', 'os', 'time'], [
    'func Events(w http.ResponseWriter, r *http.Request) {',
    '\tw.Header().Set("Content-Type", "text/event-stream")',
    '\tfmt.Fprint(w, "data: first\\n\\n")',
    '\tw.(http.Flusher).Flush()',
    ...WAIT_FOR_SIGNAL('SIGNAL_FILE'),
    '\tfmt.Fprint(w, "data: second\\n\\n")',
    '}',
  ]),
  // http.NewResponseController in a package of the module the handler imports.
  'lib/push/push.go': h.goFile('push', ['net/http'], [
    'func Now(w http.ResponseWriter) error { return http.NewResponseController(w).Flush() }',
  ]),
  'api/controller/index.go': h.goFile('controller', ['fmt', 'net/http', 'os', 'time', '', 'example.com/streams/lib/push'], [
    'func Chunks(w http.ResponseWriter, r *http.Request) {',
    '\tfmt.Fprint(w, "chunk-1|")',
    '\tif err := push.Now(w); err != nil {',
    '\t\tfmt.Fprint(w, "flush failed: ", err)',
    '\t\treturn',
    '\t}',
    ...WAIT_FOR_SIGNAL('SIGNAL_FILE'),
    '\tfmt.Fprint(w, "chunk-2|")',
    '}',
  ]),
  // Reports the end of its request's context.
  'api/cancel/index.go': h.goFile('cancel', ['fmt', 'net/http', 'os'], [
    'func Wait(w http.ResponseWriter, r *http.Request) {',
    '\tw.Header().Set("Content-Type", "text/event-stream")',
    '\tfmt.Fprint(w, "data: waiting\\n\\n")',
    '\tw.(http.Flusher).Flush()',
    '\t<-r.Context().Done()',
    '\tos.WriteFile(os.Getenv("CANCEL_FILE"), []byte(r.Context().Err().Error()), 0o644)',
    '}',
  ]),
  // Panics after the first flush; a second request still gets an answer.
  'api/boom/index.go': h.goFile('boom', ['fmt', 'net/http'], [
    'func Boom(w http.ResponseWriter, r *http.Request) {',
    '\tfmt.Fprint(w, "before the panic|")',
    '\tw.(http.Flusher).Flush()',
    '\tif r.URL.Query().Get("panic") == "1" {',
    '\t\tpanic("boom after the first flush")',
    '\t}',
    '\tfmt.Fprint(w, "no panic")',
    '}',
  ]),
  // Echoes its request body as it arrives.
  'api/echo/index.go': h.goFile('echo', ['io', 'net/http'], [
    'func Echo(w http.ResponseWriter, r *http.Request) {',
    '\tw.Header().Set("Content-Type", "text/event-stream")',
    '\tbuf := make([]byte, 64)',
    '\tfor {',
    '\t\tn, err := r.Body.Read(buf)',
    '\t\tif n > 0 {',
    '\t\t\tw.Write(buf[:n])',
    '\t\t\tw.(http.Flusher).Flush()',
    '\t\t}',
    '\t\tif err == io.EOF {',
    '\t\t\treturn',
    '\t\t}',
    '\t}',
    '}',
  ]),
  // No streaming.
  'api/plain/index.go': h.goFile('plain', ['fmt', 'net/http'], [
    'func Plain(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "plain answer") }',
  ]),
};

let ws;
before(() => {
  const base = h.tempDir('streaming');
  ws = { name: 'streams', base, root: path.join(base, 'ws'), workPath: path.join(base, 'ws', 'streams') };
  h.writeFiles(ws.workPath, FILES);
});

async function build(entrypoint, config = {}) {
  return h.buildOk(ws, { entrypoint, config, env: { GO_BUILDER_CACHE_DIR: path.join(ws.base, 'cache') } });
}

/**
 * Starts the built function behind a test platform, runs
 * `fn({ platform, signal })` (`signal`: the file the handler waits for) and
 * closes the platform, whatever `fn` did.
 */
async function withPlatform(lambda, env, fn) {
  const dir = await h.materializeLambda(lambda);
  const signal = path.join(h.tempDir('signal'), 'go');
  const platform = await h.startPlatform({ dir, env: { SIGNAL_FILE: signal, ...env } });
  try {
    return await fn({ platform, signal });
  } finally {
    await platform.close();
  }
}

/** A streaming GET: resolves `until(text)` as soon as the body so far satisfies it. */
function streamingGet(port, urlPath, { headers = {}, method = 'GET', body } = {}) {
  let text = '';
  let ended = false;
  const waiters = [];
  const check = () => {
    for (const w of waiters.splice(0)) {
      if (w.test(text) || ended) w.resolve();
      else waiters.push(w);
    }
  };
  const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers, agent: false });
  const response = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
        check();
      });
      res.on('end', () => {
        ended = true;
        check();
      });
      res.on('aborted', () => {
        ended = true;
        check();
      });
      res.on('error', () => {
        ended = true;
        check();
      });
      resolve(res);
    });
    req.on('error', reject);
  });
  if (body === undefined) req.end();
  return {
    req,
    response,
    text: () => text,
    ended: () => ended,
    until: (test, what) =>
      h.waitUntil(
        () =>
          new Promise((resolve) => {
            if (test(text) || ended) return resolve(true);
            waiters.push({ test, resolve: () => resolve(true) });
            setTimeout(() => resolve(false), 200);
          }),
        { timeout: 30000, describe: () => `for ${what}; got ${JSON.stringify(text)}` },
      ),
  };
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('handlers that stream', () => {
  it('SSE: the executable runtime with streaming; the first event arrives before the handler writes the second', async () => {
    const lambda = await build('api/sse.go', { functions: { 'api/sse.go': { memory: 512, maxDuration: 30, regions: ['iad1'] } } });
    // Per-function options apply as for any other function.
    h.assertExecutableLambda(lambda, ws, { options: { memory: 512, maxDuration: 30, regions: ['iad1'] } });
    await withPlatform(lambda, {}, async ({ platform, signal }) => {
      const s = streamingGet(platform.port, '/api/sse', { headers: h.invocationHeaders(h.invocationIds(1)) });
      const res = await s.response;
      assert.equal(res.headers['content-type'], 'text/event-stream', 'headers go out with the first flush');
      await s.until((t) => t.includes('data: first'), 'the first event');
      assert.ok(!s.text().includes('second'), 'the second is not written yet');
      fs.writeFileSync(signal, 'go');
      await s.until(() => s.ended(), 'the end of the stream');
      assert.equal(s.text(), 'data: first\n\ndata: second\n\n');
      await platform.waitFor('end', 10000, h.isEndFor(h.invocationIds(1)));
    });
  });

  it('http.NewResponseController(w).Flush() in a package the handler imports', async () => {
    const lambda = await build('api/controller/index.go');
    assert.equal(lambda.runtime, 'executable');
    await withPlatform(lambda, {}, async ({ platform, signal }) => {
      const s = streamingGet(platform.port, '/api/controller');
      await s.until((t) => t.includes('chunk-1|'), 'the first chunk');
      assert.equal(s.text(), 'chunk-1|');
      fs.writeFileSync(signal, 'go');
      await s.until(() => s.ended(), 'the end');
      assert.equal(s.text(), 'chunk-1|chunk-2|');
    });
  });

  it('a client that goes away cancels the request context', async () => {
    const lambda = await build('api/cancel/index.go');
    const cancelFile = path.join(h.tempDir('cancel'), 'err');
    await withPlatform(lambda, { CANCEL_FILE: cancelFile }, async ({ platform }) => {
      const s = streamingGet(platform.port, '/api/cancel');
      await s.until((t) => t.includes('waiting'), 'the first event');
      s.req.destroy();
      await h.waitUntil(() => fs.existsSync(cancelFile) && fs.readFileSync(cancelFile, 'utf8'), {
        timeout: 30000,
        describe: () => 'for the handler to see its context end',
      });
      assert.equal(fs.readFileSync(cancelFile, 'utf8'), 'context canceled');
    });
  });

  it('a panic after the first flush ends the stream; the function keeps serving', async () => {
    const lambda = await build('api/boom/index.go');
    await withPlatform(lambda, {}, async ({ platform }) => {
      const s = streamingGet(platform.port, '/api/boom?panic=1');
      await s.until(() => s.ended(), 'the stream to end');
      assert.equal(s.text(), 'before the panic|');
      const next = await h.get(platform.port, '/api/boom');
      assert.equal(next.body, 'before the panic|no panic');
      assert.match(platform.output(), /boom after the first flush/, 'the panic is logged');
    });
  });

  it('the request body reaches the handler as it is sent, not buffered', async () => {
    const lambda = await build('api/echo/index.go');
    await withPlatform(lambda, {}, async ({ platform }) => {
      const s = streamingGet(platform.port, '/api/echo', { method: 'POST', body: true, headers: { 'transfer-encoding': 'chunked' } });
      s.req.write('part-one;');
      await s.until((t) => t.includes('part-one;'), 'the first part echoed before the body ends');
      s.req.end('part-two');
      await s.until(() => s.ended(), 'the end');
      assert.equal(s.text(), 'part-one;part-two');
    });
  });

  it('a handler that does not stream stays on the provided runtime with go-bridge', async () => {
    const lambda = await build('api/plain/index.go');
    h.assertHandlerLambda(lambda);
    assert.ok(!lambda.supportsResponseStreaming);
    const res = await h.invokeLambda(lambda, { method: 'GET', path: '/api/plain' });
    assert.equal(res.body, 'plain answer');
    // The same bytes as in a project where nothing streams.
    const alone = path.join(h.tempDir('plain-alone'), 'ws', 'p');
    h.writeFiles(alone, { 'go.mod': FILES['go.mod'], 'api/plain/index.go': FILES['api/plain/index.go'] });
    const other = await h.buildOk({ name: 'p', root: path.dirname(alone), workPath: alone }, { entrypoint: 'api/plain/index.go' });
    assert.equal(sha256(other.files.bootstrap.fsPath), sha256(lambda.files.bootstrap.fsPath));
  });

  it('the function config decides when it says: supportsResponseStreaming false or true', async () => {
    const off = await build('api/sse.go', { functions: { 'api/sse.go': { supportsResponseStreaming: false } } });
    assert.equal(off.runtime, 'provided.al2023');
    const on = await build('api/plain/index.go', { functions: { 'api/plain/**': { supportsResponseStreaming: true } } });
    assert.equal(on.runtime, 'executable');
    assert.equal(on.supportsResponseStreaming, true);
    await withPlatform(on, {}, async ({ platform }) => {
      assert.equal((await h.get(platform.port, '/api/plain')).body, 'plain answer');
    });
  });

  it('the dev server streams too', async () => {
    const signal = path.join(h.tempDir('dev-signal'), 'go');
    const { server } = await h.startDev({
      workPath: ws.workPath,
      entrypoint: 'api/sse.go',
      env: { SIGNAL_FILE: signal, GO_BUILDER_CACHE_DIR: path.join(ws.base, 'dev-cache') },
    });
    try {
      const s = streamingGet(server.port, '/api/sse');
      await s.until((t) => t.includes('data: first'), 'the first event');
      assert.ok(!s.text().includes('second'));
      fs.writeFileSync(signal, 'go');
      await s.until(() => s.ended(), 'the end');
      assert.equal(s.text(), 'data: first\n\ndata: second\n\n');
    } finally {
      await h.stopHandler(server.pid);
    }
  });
});
