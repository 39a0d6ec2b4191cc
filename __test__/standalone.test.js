'use strict';

// build() in standalone mode: `framework: "go"` projects whose entrypoint
// is a whole server. Fixtures: __test__/fixtures/standalone.
//
// For every fixture the test
//   - builds a private copy (<tmp>/ws/<name>) and asserts the whole <tmp>/ws
//     tree is unchanged (paths, contents, modes) — except where the user's own
//     buildCommand writes into it, where exactly that change is asserted;
//   - asserts the `executable` Lambda (handler, runtime, streaming, language,
//     architecture, function options, files + modes, includeFiles);
//   - copies the Lambda's files into a fresh directory and plays the platform
//     with __test__/helpers/ipc-platform.js: waits for `server-started`, sends
//     HTTP requests (and a WebSocket round trip) carrying
//     x-vercel-internal-invocation-id / -request-id, asserts the responses,
//     exactly one `end` message per request with those ids, that no
//     x-vercel-internal-* header reaches the user's server, and finally that
//     killing `user-server` yields `unrecoverable-error`.
//
// Then: entrypoint choice among several candidates, go.mod / go.work above
// the project, config.functions matching and CGO_ENABLED, concurrent builds
// with a cold executable cache, the error cases and detectGoEntrypoint().
//
// Build output goes to the TMPDIR beside each fixture copy (meta.env); the
// after hooks stop the servers and remove both. Cold Go build cache: ~3 min on 2 cores
// (gin and the arm64 standard library dominate); warm: ~15-30 s.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const {
  FIXTURES,
  tempDir,
  removeTempDirs,
  copyFixture,
  startPlatform,
  invocationIds,
  invocationHeaders,
  isEndFor,
  request,
  get,
  upgradeWebSocket,
  websocketAccept,
  clientFrame,
  frameReader,
  nameUUID,
  UUID_NAMESPACE,
  loadBuilder,
  buildUtils,
  runBuild,
  buildOk,
  buildFails,
  assertExecutableLambda,
  materializeLambda,
  ELF_MACHINE,
  elfMachine,
} = require('./helpers');

// ---------------------------------------------------------------- helpers --

const platforms = new Set();

// Last resort if a test crashes before its after hook: no orphaned servers.
process.on('exit', () => {
  for (const p of platforms) {
    try { process.kill(-p.child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

after(async () => {
  for (const p of platforms) await p.close();
  platforms.clear();
  removeTempDirs();
});

/**
 * build() options in standalone mode: framework "go" unless `config` names
 * another, entrypoint main.go, the build's TMPDIR = ws.tmp (beside the
 * snapshotted tree) and repoRootPath = the work path unless given.
 */
function standalone(ws, { entrypoint = 'main.go', config = {}, env = {}, repoRootPath = ws.workPath, service } = {}) {
  return { entrypoint, config: { framework: 'go', ...config }, env: { TMPDIR: ws.tmp, ...env }, repoRootPath, service };
}

const runStandalone = (ws, opts) => runBuild(ws, standalone(ws, opts));
const buildStandalone = (ws, opts) => buildOk(ws, standalone(ws, opts));
const standaloneFails = (ws, opts, expect) => buildFails(ws, standalone(ws, opts), expect);

/** Starts the materialized Lambda under the fake platform; closed by after hooks. */
async function serve(lambda) {
  const dir = await materializeLambda(lambda, { requireFsPath: true });
  const p = await startPlatform({ dir });
  platforms.add(p);
  const started = p.messages[0];
  assert.equal(started && started.type, 'server-started', 'server-started is the first message');
  assert.equal(started.payload.httpPort, p.port, 'server-started.httpPort');
  assert.ok(Number.isInteger(started.payload.initDuration) && started.payload.initDuration >= 0,
    `server-started.initDuration ${started.payload.initDuration}`);
  return p;
}

async function stop(p) {
  if (!p) return;
  await p.close();
  platforms.delete(p);
}

let nextRequestId = 1000;

/** Fresh platform ids for the next request to `p`, remembered in p.sent. */
function nextIds(p) {
  assert.ok(p, 'the server is running (an earlier step of this suite failed)');
  const ids = invocationIds(nextRequestId++);
  p.sent = p.sent || [];
  p.sent.push(ids);
  return ids;
}

/**
 * One request to the executable with fresh platform ids (plus other
 * x-vercel-internal-* headers the user's server must never see). Resolves to
 * { status, headers, body, bodyBuffer, ids } once the response is complete.
 */
async function platformRequest(p, { method = 'GET', path: urlPath = '/', headers = {}, body } = {}) {
  const ids = nextIds(p);
  const res = await request({
    port: p.port,
    method,
    path: urlPath,
    headers: {
      ...invocationHeaders(ids),
      'x-vercel-internal-span-id': 'span-secret',
      'X-Vercel-Internal-Bot-Check': 'secret',
      ...headers,
    },
    body,
  });
  return { ...res, ids };
}

/** The `end` message for a request (waits for it). */
async function endOf(p, ids) {
  const end = await p.waitFor('end', 10000, isEndFor(ids));
  assert.deepEqual(end.payload, { context: ids }, 'end message payload');
  return end;
}

/** Every request sent got exactly one end message; nothing went wrong. */
async function assertProtocolClean(p) {
  assert.ok(p, 'the server is running (an earlier step of this suite failed)');
  for (const ids of p.sent || []) {
    await p.waitFor('end', 10000, isEndFor(ids));
  }
  for (const ids of p.sent || []) {
    assert.equal(p.messages.filter(isEndFor(ids)).length, 1, `exactly one end message for ${JSON.stringify(ids)}`);
  }
  const ends = p.messages.filter((m) => m.type === 'end').length;
  assert.equal(ends, (p.sent || []).length, 'one end message per request, no others');
  assert.deepEqual(p.messages.filter((m) => !['server-started', 'end'].includes(m.type)), [],
    'no other messages (invalid-json, unrecoverable-error)');
  assert.equal(p.messages.filter((m) => m.type === 'server-started').length, 1);
}

/** GET `urlPath` on a route echoing request headers as JSON { Name: [values] }. */
async function assertHeadersHidden(p, urlPath) {
  const res = await platformRequest(p, {
    path: urlPath,
    headers: { 'x-custom-header': 'kept', host: 'my-app.vercel.app', 'x-forwarded-proto': 'https' },
  });
  assert.equal(res.status, 200, res.body);
  const seen = JSON.parse(res.body);
  const names = Object.keys(seen).map((n) => n.toLowerCase());
  assert.deepEqual(names.filter((n) => n.startsWith('x-vercel-internal-')), [],
    `x-vercel-internal-* headers reached the user's server: ${res.body}`);
  const header = (name) => seen[Object.keys(seen).find((k) => k.toLowerCase() === name)];
  assert.deepEqual(header('x-custom-header'), ['kept']);
  assert.deepEqual(header('x-forwarded-proto'), ['https']);
  assert.deepEqual(header('host'), ['my-app.vercel.app'], 'public Host header kept');
  await endOf(p, res.ids);
}

/** Kills user-server (the executable's child) and expects unrecoverable-error. */
async function assertKillIsUnrecoverable(p) {
  assert.ok(p, 'the server is running (an earlier step of this suite failed)');
  const pids = execFileSync('pgrep', ['-P', String(p.child.pid), '-x', 'user-server'])
    .toString().trim().split(/\s+/).filter(Boolean).map(Number);
  assert.equal(pids.length, 1, `one user-server child of the executable, got [${pids}]`);
  process.kill(pids[0], 'SIGKILL');
  const err = await p.waitFor('unrecoverable-error', 10000);
  assert.equal(typeof err.payload.message, 'string');
  assert.match(err.payload.message, /exited/);
  const { code } = await p.exited;
  assert.notEqual(code, 0, 'the executable exits non-zero');
}

/**
 * Sends `req` (see platformRequest), asserts the status (200 unless given),
 * `headers` and the body, and waits for the request's end message.
 */
async function assertAnswers(p, req, { status = 200, headers = {}, body } = {}) {
  const res = await platformRequest(p, req);
  assert.equal(res.status, status, res.body);
  for (const [name, value] of Object.entries(headers)) assert.equal(res.headers[name], value, `header ${name}`);
  if (body !== undefined) assert.equal(res.body, body);
  await endOf(p, res.ids);
  return res;
}

/** Serves the Lambda, GETs `urlPath`, checks the body and the protocol, stops it. */
async function serveOnce(lambda, urlPath, expectedBody) {
  const p = await serve(lambda);
  try {
    await assertAnswers(p, { path: urlPath }, { body: expectedBody });
    await assertProtocolClean(p);
  } finally {
    await stop(p);
  }
}

/**
 * In the current describe(): a before hook that copies fixture
 * standalone/<fixture> and builds it (`options`, or `options(ws)`), and an
 * after hook that stops its server. Returns what the tests share:
 * { ws, lambda, p } (p once a test started the server).
 */
function servedFixture(fixture, options) {
  const ctx = {};
  before(async () => {
    ctx.ws = copyFixture(`standalone/${fixture}`);
    ctx.lambda = await buildStandalone(ctx.ws, typeof options === 'function' ? options(ctx.ws) : options);
  });
  after(() => stop(ctx.p));
  return ctx;
}

/**
 * A describe() for a fixture served under the platform (see servedFixture):
 * the first test checks the executable Lambda (with the includeFiles
 * `included`) and starts it, `tests(ctx)` adds the fixture's own, and the
 * last checks the protocol and that killing user-server is unrecoverable.
 */
function describeServed(title, { fixture, options, included, builtTitle = 'builds an executable Lambda' }, tests) {
  describe(title, () => {
    const ctx = servedFixture(fixture, options);
    it(builtTitle, async () => {
      assertExecutableLambda(ctx.lambda, ctx.ws, { included });
      ctx.p = await serve(ctx.lambda);
    });
    tests(ctx);
    it('sends exactly one end message per request; killing user-server is unrecoverable', async () => {
      await assertProtocolClean(ctx.p);
      await assertKillIsUnrecoverable(ctx.p);
    });
  });
}

/** A buildCommand that records the GOOS, GOARCH and CGO_ENABLED it ran with in the binary. */
const BUILD_ENV_COMMAND =
  'go build -ldflags "-X main.buildEnv=goos=$GOOS,goarch=$GOARCH,cgo=$CGO_ENABLED" ' +
  '-o "$VERCEL_OUTPUT_FILE" ./cmd/srv';

/** A WebSocket upgrade for `urlPath` with fresh platform ids; resolves to { res, socket, head, key, ids }. */
async function platformUpgrade(p, urlPath) {
  const ids = nextIds(p);
  const headers = { ...invocationHeaders(ids), Origin: 'https://elsewhere.example' };
  return { ...(await upgradeWebSocket({ port: p.port, path: urlPath, headers })), ids };
}

// ------------------------------------------------------------- fixtures --

describe('standalone: net/http server at main.go with go:embed static files', () => {
  const ctx = servedFixture('nethttp-embed', { entrypoint: 'main.go' });

  it('builds an executable Lambda', () => {
    assertExecutableLambda(ctx.lambda, ctx.ws);
    // Without config.functions there are no function options.
    assert.equal(ctx.lambda.memory, undefined);
    assert.equal(ctx.lambda.maxDuration, undefined);
  });

  it('starts under the platform and reports server-started', async () => {
    ctx.p = await serve(ctx.lambda);
  });

  it('serves the root route', async () => {
    await assertAnswers(ctx.p, { path: '/?x=1' }, { headers: { 'x-server': 'nethttp-embed' }, body: 'net/http root /?x=1' });
  });

  it('serves embedded static files', async () => {
    const helloTxt = fs.readFileSync(path.join(FIXTURES, 'standalone', 'nethttp-embed', 'static', 'hello.txt'), 'utf8');
    const hello = await assertAnswers(ctx.p, { path: '/static/hello.txt' }, { body: helloTxt });
    assert.match(hello.headers['content-type'], /^text\/plain/);
    const css = await assertAnswers(ctx.p, { path: '/static/style.css' }, { body: 'body { color: rebeccapurple; }\n' });
    assert.match(css.headers['content-type'], /^text\/css/);
    await assertAnswers(ctx.p, { path: '/static/missing.txt' }, { status: 404 });
  });

  it('passes a 1 MiB request body through unchanged', async () => {
    const body = crypto.randomBytes(1 << 20);
    await assertAnswers(ctx.p, {
      method: 'POST',
      path: '/upload',
      headers: { 'content-type': 'application/octet-stream', 'content-length': body.length },
      body,
    }, { body: `${body.length} ${crypto.createHash('sha256').update(body).digest('hex')}` });
  });

  it('never lets x-vercel-internal-* headers reach the server', async () => {
    await assertHeadersHidden(ctx.p, '/headers');
  });

  it('answers concurrent requests, each with its own end message', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => platformRequest(ctx.p, { path: `/?n=${i}` })));
    results.forEach((res, i) => assert.equal(res.body, `net/http root /?n=${i}`));
    for (const res of results) await endOf(ctx.p, res.ids);
  });

  it('answers /_vercel/ping itself', async () => {
    const res = await get(ctx.p.port, '/_vercel/ping');
    assert.deepEqual({ status: res.status, body: res.body }, { status: 200, body: 'OK' });
  });

  it('sends exactly one end message per request and nothing unexpected', async () => {
    await assertProtocolClean(ctx.p);
  });

  it('reports unrecoverable-error when user-server is killed', async () => {
    await assertKillIsUnrecoverable(ctx.p);
  });
});

// The Vercel CLI passes the Go preset's `useRuntime.src`, `index.go`, which
// does not exist: detection finds cmd/server/main.go.
describeServed('standalone: gin server at cmd/server (detected)', {
  fixture: 'gin-server',
  options: { entrypoint: 'index.go' },
}, (ctx) => {
  it('routes with gin (JSON, params, query, binding)', async () => {
    const ping = await assertAnswers(ctx.p, { path: '/ping' });
    assert.match(ping.headers['content-type'], /^application\/json/);
    assert.deepEqual(JSON.parse(ping.body), { message: 'pong', framework: 'gin' });

    const user = await assertAnswers(ctx.p, { path: '/users/42?q=find%20me' }, { headers: { 'x-server': 'gin' } });
    assert.deepEqual(JSON.parse(user.body), { id: '42', q: 'find me' });

    const postUser = (body) => ({ method: 'POST', path: '/users', headers: { 'content-type': 'application/json' }, body });
    const created = await assertAnswers(ctx.p, postUser(JSON.stringify({ name: 'Ada' })), { status: 201 });
    assert.deepEqual(JSON.parse(created.body), { created: 'Ada' });

    const invalid = await assertAnswers(ctx.p, postUser('{}'), { status: 400 });
    assert.deepEqual(JSON.parse(invalid.body), { error: 'name is required' });

    await assertAnswers(ctx.p, { path: '/nope' }, { status: 404 });
  });

  it('serves an embedded asset through gin StaticFS', async () => {
    await assertAnswers(ctx.p, { path: '/assets/robots.txt' }, { body: 'gin embedded asset\n' });
  });

  it('never lets x-vercel-internal-* headers reach the server', async () => {
    await assertHeadersHidden(ctx.p, '/headers');
  });
});

describeServed('standalone: chi server at cmd/api', {
  fixture: 'chi-api',
  options: { entrypoint: 'cmd/api/main.go' },
}, (ctx) => {
  it('routes with chi (URL params, methods, middleware, not found)', async () => {
    const { p } = ctx;
    await assertAnswers(p, { path: '/api/items/7' }, {
      headers: { 'x-server': 'chi' },
      body: 'item 7 (chi request id set: true)',
    });
    await assertAnswers(p, { method: 'DELETE', path: '/api/items/7' }, { status: 204, body: '' });
    await assertAnswers(p, { path: '/nope' }, { status: 404, body: 'chi: not found /nope\n' });
  });

  it('never lets x-vercel-internal-* headers reach the server', async () => {
    await assertHeadersHidden(ctx.p, '/api/headers');
  });
});

describeServed('standalone: vendored dependencies', {
  fixture: 'vendored',
  // No module proxy and an empty module cache: only vendor/ can provide
  // github.com/google/uuid.
  options: (ws) => {
    const emptyModCache = path.join(ws.tmp, 'empty-gomodcache');
    fs.mkdirSync(emptyModCache);
    return { entrypoint: 'main.go', env: { GOPROXY: 'off', GOMODCACHE: emptyModCache } };
  },
  builtTitle: 'builds offline from vendor/ without touching it',
}, (ctx) => {
  it('runs the vendored module', async () => {
    const name = 'https://vercel.com/standalone';
    await assertAnswers(ctx.p, { path: `/uuid?name=${encodeURIComponent(name)}` }, {
      headers: { 'x-server': 'vendored' },
      body: `uuid=${nameUUID('sha1', UUID_NAMESPACE.URL, name)} version=5`,
    });
  });
});

describeServed('standalone: buildCommand writing $VERCEL_OUTPUT_FILE', {
  fixture: 'build-command-output-file',
  options: { entrypoint: 'cmd/srv/main.go', config: { buildCommand: BUILD_ENV_COMMAND } },
  builtTitle: 'builds an executable Lambda from the command output',
}, (ctx) => {
  it('ran the command with GOOS=linux, GOARCH=amd64 and CGO_ENABLED=0', async () => {
    await assertAnswers(ctx.p, { path: '/' }, {
      headers: { 'x-server': 'build-command-output-file' },
      body: 'built-with goos=linux,goarch=amd64,cgo=0; running linux/amd64',
    });
  });
});

describe('standalone: buildCommand writing ./server (found as the new ELF binary)', () => {
  let ws;
  let result;
  let p;
  before(async () => {
    ws = copyFixture('standalone/build-command-server');
    result = await runStandalone(ws, { entrypoint: 'main.go', config: { buildCommand: 'go build -o ./server .' } });
  });
  after(() => stop(p));

  it('builds; the only change to the tree is the command\'s own ./server', async () => {
    if (result.error) throw result.error;
    const lines = result.diff.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `expected only ./server to be added:\n${result.diff}`);
    assert.match(lines[0], /^\+ file build-command-server\/server \d{4} \d+ [0-9a-f]{64}$/);
    const lambda = result.output;
    assertExecutableLambda(lambda, ws);
    assert.deepEqual(
      fs.readFileSync(lambda.files['user-server'].fsPath),
      fs.readFileSync(path.join(ws.workPath, 'server')),
      'user-server is the ./server the command produced',
    );
    p = await serve(lambda);
  });

  it('serves', async () => {
    await assertAnswers(p, { path: '/hello' }, {
      headers: { 'x-server': 'build-command-server' },
      body: 'server binary built by buildCommand: /hello',
    });
  });

  it('sends exactly one end message per request; killing user-server is unrecoverable', async () => {
    await assertProtocolClean(p);
    await assertKillIsUnrecoverable(p);
  });
});

describeServed('standalone: GOEXPERIMENT from the build environment', {
  fixture: 'goexperiment',
  options: { entrypoint: 'main.go', env: { GOEXPERIMENT: 'jsonv2' } },
}, (ctx) => {
  it('the server is built with the experiment: encoding/json/v2 answers, runtime.Version() names it', async () => {
    const res = await assertAnswers(ctx.p, { path: '/items/42' }, {
      headers: { 'x-server': 'goexperiment', 'content-type': 'application/json' },
    });
    const answer = JSON.parse(res.body);
    assert.equal(answer.path, '/items/42');
    assert.match(answer.version, /^go1\.\d+.*X:jsonv2/);
  });

  it('without GOEXPERIMENT the same server does not build (the package needs the experiment)', async () => {
    const ws = copyFixture('standalone/goexperiment');
    const { error } = await standaloneFails(ws, { entrypoint: 'main.go' });
    assert.equal(error.code, 'GO_BUILD_FAILED', error.message);
    assert.match(error.message, /encoding\/json\/v2/);
  });
});

describeServed('standalone: WebSocket echo server (gorilla/websocket)', {
  fixture: 'websocket',
  options: { entrypoint: 'main.go' },
}, (ctx) => {
  it('serves plain HTTP too', async () => {
    await assertAnswers(ctx.p, { path: '/' }, { body: 'websocket echo server; connect to /ws (got /)' });
    // A non-upgrade request to the WebSocket route is refused by gorilla.
    await assertAnswers(ctx.p, { path: '/ws' }, { status: 400 });
  });

  it('upgrades (RFC 6455 handshake) and echoes text, binary and ping frames, then closes', async () => {
    const { p } = ctx;
    const { res, socket, head, key, ids } = await platformUpgrade(p, '/ws');
    try {
      assert.equal(res.statusCode, 101);
      assert.equal(res.headers.upgrade.toLowerCase(), 'websocket');
      assert.match(res.headers.connection, /upgrade/i);
      assert.equal(res.headers['sec-websocket-accept'], websocketAccept(key));
      assert.equal(res.headers['x-server'], 'websocket-echo');

      const frames = frameReader(socket, head);
      socket.write(clientFrame(0x1, 'hello through the platform'));
      let f = await frames.next();
      assert.deepEqual([f.opcode, f.fin, f.masked], [0x1, true, false]);
      assert.equal(f.payload.toString('utf8'), 'echo: hello through the platform');

      const binary = crypto.randomBytes(300); // 16-bit extended length
      socket.write(clientFrame(0x2, binary));
      f = await frames.next();
      assert.equal(f.opcode, 0x2);
      assert.deepEqual(f.payload, binary);

      socket.write(clientFrame(0x9, 'are you there'));
      f = await frames.next();
      assert.equal(f.opcode, 0xa, 'pong');
      assert.equal(f.payload.toString('utf8'), 'are you there');

      // No end message while the connection is open.
      assert.equal(p.messages.filter(isEndFor(ids)).length, 0, 'no end message before the socket closes');

      socket.write(clientFrame(0x8, Buffer.from([0x03, 0xe8, ...Buffer.from('bye')])));
      f = await frames.next();
      assert.equal(f.opcode, 0x8, 'close frame answered');
      assert.equal(f.payload.readUInt16BE(0), 1000);
    } finally {
      socket.destroy();
    }
    await endOf(p, ids);
  });
});

describeServed('standalone: includeFiles (relative to workPath) read at run time', {
  fixture: 'include-files',
  options: { entrypoint: 'cmd/api/main.go', config: { includeFiles: ['data/**', 'templates/*.tmpl'] } },
  included: ['data/message.txt', 'data/nested/info.json', 'templates/page.tmpl'],
  builtTitle: 'ships the matching files (and nothing else) beside the binaries',
}, (ctx) => {
  it('the server reads them from its working directory', async () => {
    const { p } = ctx;
    await assertAnswers(p, { path: '/file?path=data/message.txt' }, { body: 'message from an included file\n' });
    const json = await platformRequest(p, { path: '/file?path=data/nested/info.json' });
    assert.deepEqual(JSON.parse(json.body), { nested: true });
    await endOf(p, json.ids);
    await assertAnswers(p, { path: '/page?name=Vercel' }, { body: 'Hello, Vercel!\n' });
    const notIncluded = await platformRequest(p, { path: '/file?path=notes/private.txt' });
    assert.equal(notIncluded.status, 404, 'files outside includeFiles are not shipped');
    await endOf(p, notIncluded.ids);
  });

  it('accepts includeFiles as a single string', async () => {
    const ws2 = copyFixture('standalone/include-files');
    const lambda2 = await buildStandalone(ws2, {
      entrypoint: 'cmd/api/main.go',
      config: { includeFiles: 'data/message.txt' },
    });
    assertExecutableLambda(lambda2, ws2, { included: ['data/message.txt'] });
  });
});

describe('standalone: config.functions options', () => {
  let p;
  after(() => stop(p));

  it('memory and maxDuration (and regions) from the matching functions entry', async () => {
    const ws = copyFixture('standalone/functions');
    const options = { memory: 512, maxDuration: 10, regions: ['sfo1'] };
    const lambda = await buildStandalone(ws, { entrypoint: 'main.go', config: { functions: { 'main.go': options } } });
    assertExecutableLambda(lambda, ws, { options });
    p = await serve(lambda);
    await assertAnswers(p, { path: '/' }, { body: 'functions fixture on linux/amd64' });
    await assertProtocolClean(p);
    await assertKillIsUnrecoverable(p);
  });

  it('a functions entry that does not match the entrypoint is ignored', async () => {
    const ws = copyFixture('standalone/functions');
    const lambda = await buildStandalone(ws, {
      entrypoint: 'main.go',
      config: { functions: { 'api/*.go': { memory: 3008, architecture: 'arm64' } } },
    });
    assertExecutableLambda(lambda, ws, { architecture: 'x86_64' });
  });

  it('architecture arm64: Lambda architecture and both binaries are AArch64', async () => {
    const ws = copyFixture('standalone/functions');
    const lambda = await buildStandalone(ws, {
      entrypoint: 'main.go',
      config: { functions: { 'main.go': { architecture: 'arm64' } } },
    });
    // assertExecutableLambda checks e_machine 183 for executable and user-server.
    assertExecutableLambda(lambda, ws, { architecture: 'arm64' });
  });

  it('framework "services" builds the same executable Lambda', async () => {
    const ws = copyFixture('standalone/functions');
    const lambda = await buildStandalone(ws, { entrypoint: 'main.go', config: { framework: 'services' } });
    assertExecutableLambda(lambda, ws);
  });
});

describe('standalone: routes in the build result send every path to the server', () => {
  const everyPathTo = (dest) => [
    { handle: 'filesystem' },
    { src: '/(.*)', dest, transforms: [{ type: 'request.path', op: 'set', args: '/$1' }] },
  ];

  it('a builds entry: to the function at the entrypoint (functions/main.go.func)', async () => {
    const ws = copyFixture('standalone/functions');
    const { routes, error } = await runStandalone(ws, { entrypoint: 'main.go' });
    assert.ifError(error);
    assert.deepEqual(routes, everyPathTo('/main.go'));
  });

  it('zero-config (entrypoint index.go, absent): to functions/index.func, where the CLI writes it', async () => {
    const ws = copyFixture('standalone/functions');
    const { routes, error } = await runStandalone(ws, { entrypoint: 'index.go', config: { zeroConfig: true } });
    assert.ifError(error);
    assert.deepEqual(routes, everyPathTo('/index'));
  });

  it('a service of the second layout (no type): to its index function', async () => {
    const ws = copyFixture('standalone/functions');
    const { routes, error } = await runStandalone(ws, {
      config: { framework: 'services' },
      service: { name: 'api', routePrefix: 'api', workspace: '.' },
    });
    assert.ifError(error);
    assert.deepEqual(routes, everyPathTo('/index'));
  });

  it('a typed service: none — the CLI writes its routes, route prefix included', async () => {
    const ws = copyFixture('standalone/functions');
    const { routes, error } = await runStandalone(ws, {
      service: { name: 'api', type: 'web', routePrefix: 'api', workspace: '.' },
    });
    assert.ifError(error);
    assert.equal(routes, undefined);
  });
});

describe('standalone: entrypoint choice with several candidates', () => {
  it('the CLI\'s entrypoint (index.go, absent) → main.go is built', async () => {
    const ws = copyFixture('standalone/multi-entry');
    const lambda = await buildStandalone(ws, { entrypoint: 'index.go' });
    assertExecutableLambda(lambda, ws);
    await serveOnce(lambda, '/', 'entry main.go');
  });

  it('a configured existing entrypoint wins; its functions entry applies', async () => {
    const ws = copyFixture('standalone/multi-entry');
    const lambda = await buildStandalone(ws, {
      entrypoint: 'cmd/server/main.go',
      config: { functions: { 'main.go': { memory: 3008 }, 'cmd/server/main.go': { memory: 256 } } },
    });
    assertExecutableLambda(lambda, ws, { options: { memory: 256 } });
    await serveOnce(lambda, '/', 'entry cmd/server/main.go');
  });

  it('functions options follow the detected entrypoint (cmd/api/main.go when main.go is absent)', async () => {
    const ws = copyFixture('standalone/multi-entry');
    fs.rmSync(path.join(ws.workPath, 'main.go'));
    const lambda = await buildStandalone(ws, {
      entrypoint: 'index.go',
      config: { functions: { 'cmd/api/main.go': { memory: 1769, maxDuration: 30 } } },
    });
    assertExecutableLambda(lambda, ws, { options: { memory: 1769, maxDuration: 30 } });
    await serveOnce(lambda, '/', 'entry cmd/api/main.go');
  });
});

describe('standalone: modules found above the project', () => {
  it('go.mod at the repository root, project in services/web (repoRootPath)', async () => {
    const ws = copyFixture('standalone/monorepo');
    const workPath = path.join(ws.workPath, 'services', 'web');
    const sub = { ...ws, workPath };
    const output = await buildStandalone(sub, {
      entrypoint: 'main.go',
      config: { includeFiles: 'data/*.txt' },
      repoRootPath: ws.workPath,
    });
    assertExecutableLambda(output, sub, { included: ['data/info.txt'] });
    const p = await serve(output);
    try {
      const res = await platformRequest(p, { path: '/?name=monorepo' });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.body, 'hello monorepo from the repo-root module');
      const data = await platformRequest(p, { path: '/data' });
      assert.equal(data.body, 'web data file\n');
      await assertProtocolClean(p);
    } finally {
      await stop(p);
    }
  });

  it('go.work at the repository root provides a sibling module', async () => {
    const ws = copyFixture('standalone/go-work');
    const sub = { ...ws, workPath: path.join(ws.workPath, 'server') };
    const output = await buildStandalone(sub, { entrypoint: 'main.go', repoRootPath: ws.workPath });
    assertExecutableLambda(output, sub);
    await serveOnce(output, '/', 'message from the go.work module');
  });
});

describe('standalone: config.functions matching and CGO', () => {
  it('the FIRST matching functions entry (in vercel.json order) gives architecture and options', async () => {
    const ws = copyFixture('standalone/functions');
    const lambda = await buildStandalone(ws, {
      entrypoint: 'main.go',
      // Both keys match main.go; the CLI (build-utils findMatchingFunction)
      // takes the first in insertion order: main.go's entry.
      config: { functions: { 'main.go': { architecture: 'arm64', memory: 1024 }, '*.go': { memory: 256 } } },
    });
    assert.equal(lambda.memory, 1024, 'memory from the first matching entry');
    assert.equal(lambda.architecture, 'arm64', 'architecture from the same (first matching) entry');
    assertExecutableLambda(lambda, ws, { architecture: 'arm64', options: { memory: 1024 } });
  });

  it('architecture and options always come from the same functions entry', async () => {
    const ws = copyFixture('standalone/functions');
    const lambda = await buildStandalone(ws, {
      entrypoint: 'main.go',
      config: { functions: { './main.go': { architecture: 'arm64', memory: 1024 } } },
    });
    assert.equal(lambda.architecture === 'arm64', lambda.memory === 1024,
      `architecture ${lambda.architecture} and memory ${lambda.memory} disagree on whether "./main.go" matches`);
    assert.equal(elfMachine(lambda.files['user-server'].fsPath, { endian: 'little' }), ELF_MACHINE[lambda.architecture]);
  });

  it('CGO_ENABLED=1 in the build env is overridden: static binary', async () => {
    const ws = copyFixture('standalone/functions');
    const lambda = await buildStandalone(ws, { entrypoint: 'main.go', env: { CGO_ENABLED: '1' } });
    assertExecutableLambda(lambda, ws);
  });

  it('CGO_ENABLED=1 in the build env does not break an arm64 (cross) build', async () => {
    const ws = copyFixture('standalone/functions');
    const lambda = await buildStandalone(ws, {
      entrypoint: 'main.go',
      env: { CGO_ENABLED: '1' },
      config: { functions: { 'main.go': { architecture: 'arm64' } } },
    });
    assertExecutableLambda(lambda, ws, { architecture: 'arm64' });
  });

  it('buildCommand runs with CGO_ENABLED=0 even when the build env says 1', async () => {
    const ws = copyFixture('standalone/build-command-output-file');
    const lambda = await buildStandalone(ws, {
      entrypoint: 'cmd/srv/main.go',
      env: { CGO_ENABLED: '1' },
      config: { buildCommand: BUILD_ENV_COMMAND },
    });
    const bin = fs.readFileSync(lambda.files['user-server'].fsPath).toString('latin1');
    assert.ok(bin.includes('goos=linux,goarch=amd64,cgo=0'),
      `buildCommand env: ${(bin.match(/goos=linux,goarch=\w+,cgo=\d?/) || ['(not found)'])[0]}`);
    assertExecutableLambda(lambda, ws);
  });
});

describe('standalone: concurrent builds with a cold executable cache', () => {
  it('three builds at once all get the same working executable', async () => {
    const cache = tempDir('standalone-cache');
    const names = ['functions', 'multi-entry', 'nethttp-embed'];
    const wss = names.map((n) => copyFixture(`standalone/${n}`));
    const lambdas = await Promise.all(wss.map((ws) => buildStandalone(ws, {
      entrypoint: 'main.go',
      env: { GO_BUILDER_CACHE_DIR: cache },
    })));
    lambdas.forEach((l, i) => assertExecutableLambda(l, wss[i]));
    const [a, ...rest] = lambdas.map((l) => fs.readFileSync(l.files.executable.fsPath));
    for (const b of rest) assert.ok(a.equals(b), 'identical executables');
    await serveOnce(lambdas[1], '/', 'entry main.go');
  });
});

// ---------------------------------------------------------------- errors --

/** No go-builder-out-* directory may be left behind in the build's TMPDIR. */
function assertNoOutputLeft(ws) {
  const left = fs.readdirSync(ws.tmp).filter((n) => n.startsWith('go-builder-out-'));
  assert.deepEqual(left, [], 'a failed build removes its output directory');
}

/** A tree diff as sorted '<+|-> <type> <path relative to workPath>' lines. */
function changedEntries(diff, ws) {
  return diff.split('\n').filter(Boolean).map((l) => {
    const [sign, type, name] = l.split(/ +/);
    return `${sign} ${type} ${name.startsWith(`${ws.name}/`) ? name.slice(ws.name.length + 1) : name}`;
  }).sort();
}

describe('standalone: errors', () => {
  it('no entrypoint → GO_ENTRYPOINT_NOT_FOUND', async () => {
    const ws = copyFixture('standalone/error-no-entrypoint');
    const { error } = await standaloneFails(ws, { entrypoint: 'main.go' });
    assert.equal(error.code, 'GO_ENTRYPOINT_NOT_FOUND', error.message);
    assert.equal(error.message,
      'No Go entrypoint found. Expected one of: main.go, cmd/api/main.go, cmd/server/main.go');
    assert.ok(error instanceof buildUtils().NowBuildError, 'a NowBuildError');
  });

  it('compile error → GO_BUILD_FAILED with the compiler output', async () => {
    const ws = copyFixture('standalone/error-compile');
    const { error } = await standaloneFails(ws, { entrypoint: 'main.go' });
    assert.equal(error.code, 'GO_BUILD_FAILED', error.message);
    assert.match(error.message, /main\.go:10:\d+: undefined: undefinedGreeting/);
    assertNoOutputLeft(ws);
  });

  /**
   * Builds build-command-errors with `buildCommand` (after `prepare(ws)`),
   * which must fail with GO_BUILD_FAILED; resolves to { error, diff, ws }.
   */
  async function buildCommandFails(buildCommand, { prepare, treeMayChange = false } = {}) {
    const ws = copyFixture('standalone/build-command-errors');
    if (prepare) prepare(ws);
    const { error, diff } = await standaloneFails(ws, { entrypoint: 'main.go', config: { buildCommand } }, { treeMayChange });
    assert.equal(error.code, 'GO_BUILD_FAILED', error.message);
    return { error, diff, ws };
  }

  it('buildCommand that produces nothing → GO_BUILD_FAILED "No compiled Go binary found"', async () => {
    const { error, ws } = await buildCommandFails('echo built nothing');
    assert.match(error.message, /No compiled Go binary found/);
    assertNoOutputLeft(ws);
  });

  it('buildCommand writing a non-ELF ./server → "No compiled Go binary found"', async () => {
    const { error, diff, ws } = await buildCommandFails(
      "printf '#!/bin/sh\\necho hi\\n' > server && chmod +x server",
      { treeMayChange: true },
    );
    assert.match(error.message, /No compiled Go binary found/);
    assert.deepEqual(changedEntries(diff, ws), ['+ file server']);
  });

  it('a stale ELF binary older than the buildCommand is not deployed', async () => {
    const { error } = await buildCommandFails('true', {
      prepare(ws) {
        const stale = path.join(ws.workPath, 'server');
        fs.copyFileSync(fs.realpathSync('/bin/true'), stale); // a (small) ELF binary
        fs.chmodSync(stale, 0o755);
        assert.equal(elfMachine(stale, { endian: 'little' }), ELF_MACHINE.x86_64);
        const old = new Date(Date.now() - 24 * 3600 * 1000);
        fs.utimesSync(stale, old, old);
      },
    });
    assert.match(error.message, /No compiled Go binary found/);
  });

  it('buildCommand producing two ELF binaries → "Found multiple ELF binaries"', async () => {
    const { error, diff, ws } = await buildCommandFails('go build -o alpha . && go build -o beta .', {
      treeMayChange: true,
    });
    assert.match(error.message, /Found multiple ELF binaries/);
    assert.match(error.message, /\balpha\b/);
    assert.match(error.message, /\bbeta\b/);
    assert.deepEqual(changedEntries(diff, ws), ['+ file alpha', '+ file beta']);
    assertNoOutputLeft(ws);
  });

  it('failing buildCommand → GO_BUILD_FAILED with its output', async () => {
    const { error, ws } = await buildCommandFails('echo "custom build went wrong" >&2; exit 3');
    assert.match(error.message, /custom build went wrong/);
    assertNoOutputLeft(ws);
  });
});

// ------------------------------------------------------ detectGoEntrypoint --

describe('detectGoEntrypoint(workPath, configured)', () => {
  let dir;
  const touch = (rel) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), 'package main\n');
  };
  before(() => {
    dir = tempDir('detect');
  });

  it('null when there is no candidate', async () => {
    const { detectGoEntrypoint } = loadBuilder();
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module x\n');
    touch('cmd/worker/main.go');
    assert.equal(await detectGoEntrypoint(dir), null);
    assert.equal(await detectGoEntrypoint(dir, 'main.go'), null);
    assert.equal(await detectGoEntrypoint(dir, 'missing/main.go'), null);
  });

  it('candidates in order: main.go, cmd/api/main.go, cmd/server/main.go', async () => {
    const { detectGoEntrypoint } = loadBuilder();
    touch('cmd/server/main.go');
    assert.equal(await detectGoEntrypoint(dir), 'cmd/server/main.go');
    touch('cmd/api/main.go');
    assert.equal(await detectGoEntrypoint(dir), 'cmd/api/main.go');
    touch('main.go');
    assert.equal(await detectGoEntrypoint(dir), 'main.go');
  });

  it('the configured entrypoint when it exists, else the candidates', async () => {
    const { detectGoEntrypoint } = loadBuilder();
    touch('srv/app.go');
    assert.equal(await detectGoEntrypoint(dir, 'srv/app.go'), 'srv/app.go');
    assert.equal(await detectGoEntrypoint(dir, 'cmd/server/main.go'), 'cmd/server/main.go');
    assert.equal(await detectGoEntrypoint(dir, 'srv/missing.go'), 'main.go');
    assert.equal(await detectGoEntrypoint(dir, undefined), 'main.go');
  });
});
