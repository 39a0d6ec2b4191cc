'use strict';

// startDevServer() in handler mode: real Go builds of the fixtures in
// __test__/fixtures/dev (temp copies), real HTTP requests to 127.0.0.1:<port>.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./helpers');

const linuxOnly = process.platform !== 'linux' && 'needs /proc and fd 3 tricks (Linux)';

h.cleanUpDevTests();

// One builder cache for this file: every test works on its own copy of a
// fixture, so each gets its own cache slot (keyed by work path + entrypoint).
let sharedCache = null;
const fileCache = () => (sharedCache ??= h.tempDir('dev-cache'));

/** Starts a handler from a fresh copy of `fixture`. */
async function startFixture(fixture, entrypoint, extra = {}) {
  const workPath = h.copyFixture(`dev/${fixture}`).workPath;
  const cacheDir = fileCache();
  const before = h.snapshotTree(workPath);
  const { server, reused } = await h.startDev({
    workPath,
    entrypoint,
    ...extra,
    env: { GO_BUILDER_CACHE_DIR: cacheDir, ...(extra.env || {}) },
  });
  return { workPath, cacheDir, before, server, reused };
}

/**
 * Starts `entrypoint` of a fresh copy of `fixture`, GETs `urlPath` (status
 * 200, body `expected`), runs `whileRunning(server, reused)`, stops the
 * handler and checks the tree is unchanged.
 */
async function servesOnce(fixture, entrypoint, urlPath, expected, { whileRunning, ...extra } = {}) {
  const { workPath, before, server, reused } = await startFixture(fixture, entrypoint, extra);
  const res = await h.get(server.port, urlPath);
  assert.equal(res.status, 200);
  assert.equal(res.body, expected);
  if (whileRunning) await whileRunning(server, reused);
  await h.stopHandler(server.pid);
  h.assertTreeUnchanged(workPath, before);
}

describe('handler dev server: fixtures are compiled the way build() compiles them', () => {
  it('serves a handler that uses sibling files, another package of its module and an embedded file', async () => {
    const echo = 'hello dev=1 ünïcode';
    // sibling-v1: identifier from a sibling file (which @vercel/go's dev server misses);
    // lib-v1: another package of the module; env: meta.env reaches the handler.
    await servesOnce('module', 'api/index.go', '/api?id=1', `sibling=sibling-v1 lib=lib-v1 embed=banner-v1 tag=off env=${echo}`, {
      env: { DEV_ECHO: echo },
      onStdout() {},
      onStderr() {},
      async whileRunning(server, reused) {
        assert.deepEqual(Object.keys(server).sort(), ['pid', 'port'], 'handler mode returns { port, pid }');
        assert.ok(Number.isInteger(server.port) && server.port > 0, `port: ${server.port}`);
        assert.ok(Number.isInteger(server.pid) && server.pid > 0, `pid: ${server.pid}`);
        assert.equal(reused, false, 'the first start compiles');
        // Every path reaches the one handler.
        assert.equal((await h.get(server.port, '/some/other/path')).status, 200);
      },
    });
  });

  const cases = [
    // go.work uses ./api and ./shared, and replaces example.com/devws/extra => ./extra.
    ['serves a handler of a go.work workspace module that requires another workspace module',
      'workspace', 'api/index.go', '/api', 'workspace shared-v1 extra-v1'],
    ['serves a [param].go entrypoint (with a sibling file) that reads its query parameter',
      'bracket', 'api/users/[id].go', '/api/users/42?id=42', 'user id=42 label-from-sibling'],
    // github.com/google/uuid v1.6.0 (in the module cache, or from the proxy);
    // the unchanged tree shows no go.sum was written.
    ['serves a handler whose module requires a third-party module and has no go.sum',
      'thirdparty', 'api/index.go', '/api', 'thirdparty b290a481-d8cc-3bac-a869-b7300f738776'],
    ['serves a handler without go.mod', 'no-gomod', 'api/hello.go', '/api/hello?name=gopher', 'no-gomod GOPHER'],
    // go.work `use`s ./api/ and ./tools/ (trailing slashes); api/go.mod does not require tools.
    ['serves a handler importing a go.work module that its go.mod does not require',
      'workspace-no-require', 'api/index.go', '/api', 'Workspace without require via tools'],
    // api/index.go and api/[slug].go both declare Handler in package handler; api/other.go is package other.
    ['serves api/index.go beside a same-named handler and a file of another package',
      'several-handlers', 'api/index.go', '/api/index.go', 'index handler at /api/index.go'],
    ['serves api/[slug].go, which shares its handler name with index.go', 'several-handlers', 'api/[slug].go', '/api/anything', 'slug handler at /api/anything'],
    ['serves api/other.go, of another package than its directory neighbours', 'several-handlers', 'api/other.go', '/api/other', 'other package at /api/other'],
  ];
  for (const [title, fixture, entrypoint, urlPath, expected] of cases) {
    it(title, () => servesOnce(fixture, entrypoint, urlPath, expected));
  }
});

describe('handler dev server: output and processes', () => {
  it('onStdout/onStderr receive what the handler prints, as Buffers', async () => {
    const out = [];
    const err = [];
    const { server } = await startFixture('module', 'api/index.go', {
      onStdout: (chunk) => out.push(chunk),
      onStderr: (chunk) => err.push(chunk),
    });
    for (const id of ['first', 'second']) {
      assert.equal((await h.get(server.port, `/api?id=${id}`)).status, 200);
    }
    const text = (chunks) => Buffer.concat(chunks).toString();
    await h.waitUntil(
      () => text(out).includes('DEV-STDOUT-MARKER id=second') && text(err).includes('DEV-STDERR-MARKER id=second'),
      { describe: () => `stdout=${JSON.stringify(text(out))} stderr=${JSON.stringify(text(err))}` },
    );
    assert.ok(out.length > 0 && out.every((c) => Buffer.isBuffer(c)), 'stdout chunks are Buffers');
    assert.ok(err.length > 0 && err.every((c) => Buffer.isBuffer(c)), 'stderr chunks are Buffers');
    assert.match(text(out), /DEV-STDOUT-MARKER id=first\n/);
    assert.match(text(err), /DEV-STDERR-MARKER id=first\n/);
    assert.ok(!text(out).includes('DEV-STDERR-MARKER'), 'stderr does not go to onStdout');
    assert.ok(!text(err).includes('DEV-STDOUT-MARKER'), 'stdout does not go to onStderr');
    await h.stopHandler(server.pid);
  });

  it("without callbacks the handler's output goes to the parent's stdout/stderr", async () => {
    const workPath = h.copyFixture('dev/module').workPath;
    const cacheDir = fileCache();
    const script = `
      const b = require(${JSON.stringify(h.ROOT)});
      b.startDevServer({ files: {}, entrypoint: 'api/index.go', workPath: ${JSON.stringify(workPath)},
                         config: {}, meta: { isDev: true, env: {} } })
        .then(async (r) => {
          process.stdout.write('\\nPID ' + r.pid + '\\n');
          const res = await fetch('http://127.0.0.1:' + r.port + '/api?id=nocb');
          process.stdout.write('\\nRESULT ' + res.status + ' ' + (await res.text()) + '\\n');
        })
        .catch((e) => { process.stdout.write('\\nFAILED ' + e.code + ' ' + e.message + '\\n'); process.exit(1); });
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['-e', script], {
      // TMPDIR inside the test's temp root: the child is SIGKILLed below, so
      // its handler's port directory is never removed by the addon.
      env: { ...process.env, GO_BUILDER_CACHE_DIR: cacheDir, TMPDIR: h.tempDir('dev-child-tmp'), VERCEL_BUILDER_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let exited = null;
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code, signal) => (exited = { code, signal }));
    let handlerPid = null;
    try {
      await h.waitUntil(
        () => {
          if (exited) throw new Error(`node child exited ${JSON.stringify(exited)}: ${stdout}\n${stderr}`);
          const m = /\nPID (\d+)\n/.exec(stdout);
          if (m && !handlerPid) {
            handlerPid = Number(m[1]);
            h.trackDevProcess(handlerPid, false);
          }
          return (
            stdout.includes('\nRESULT ') &&
            stdout.includes('DEV-STDOUT-MARKER id=nocb') &&
            stderr.includes('DEV-STDERR-MARKER id=nocb')
          );
        },
        { timeout: 60000, describe: () => `stdout=${JSON.stringify(stdout)} stderr=${JSON.stringify(stderr)}` },
      );
      assert.match(stdout, /\nRESULT 200 sibling=sibling-v1 /);
      assert.ok(!stdout.includes('DEV-STDERR-MARKER'), 'handler stderr stays on stderr');
      assert.ok(!stderr.includes('DEV-STDOUT-MARKER'), 'handler stdout stays on stdout');
    } finally {
      if (handlerPid) {
        try {
          process.kill(handlerPid);
        } catch {}
      }
      child.kill('SIGKILL');
    }
    if (handlerPid) await h.waitUntil(() => h.procStat(handlerPid) === null || h.procStat(handlerPid).state === 'Z');
  });

  it('killing the returned pid (SIGTERM, as the CLI does) leaves no zombie and removes temporary files', { skip: linuxOnly }, async () => {
    const tmp = h.tempDir('dev-tmpdir');
    const { server } = await startFixture('module', 'api/index.go', { env: { TMPDIR: tmp } });
    assert.equal((await h.get(server.port, '/api?id=zombie')).status, 200);
    const leftovers = () => fs.readdirSync(tmp).filter((n) => n.startsWith('go-builder-scratch-'));
    assert.ok(leftovers().length > 0, 'the port file lives in TMPDIR while the handler runs');
    const stat = h.procStat(server.pid);
    assert.equal(stat.ppid, process.pid, 'the handler is a child of this process');
    process.kill(server.pid, 'SIGTERM');
    // Gone from /proc entirely: exited and reaped by the addon (no lingering `Z`).
    await h.waitGone(server.pid);
    h.untrackDevProcess(server.pid);
    await h.waitUntil(() => leftovers().length === 0, {
      describe: () => `for ${tmp} to be emptied of ${JSON.stringify(leftovers())}`,
    });
  });

  it('falls back to VERCEL_DEV_PORT_FILE when fd 3 is not writable', { skip: linuxOnly }, async () => {
    // The fixture's init() replaces fd 3 with a read-only /dev/null when DEV_BREAK_FD3=1.
    const stderr = [];
    const { server } = await startFixture('module', 'api/index.go', {
      env: { DEV_BREAK_FD3: '1' },
      onStdout() {},
      onStderr: (c) => stderr.push(c),
    });
    const res = await h.get(server.port, '/api?id=portfile');
    assert.equal(res.status, 200);
    assert.match(res.body, /^sibling=sibling-v1 /);
    await h.waitUntil(() => Buffer.concat(stderr).toString().includes('DEV-FD3-BROKEN'), {
      describe: () => `for the fixture to report that it broke fd 3: ${Buffer.concat(stderr)}`,
    });
    await h.stopHandler(server.pid);
  });
});

describe('handler dev server: errors', () => {
  it('a compile error in a sibling file: the request gets a 500 with the compiler output; fixing it serves', async () => {
    const workPath = h.copyFixture('dev/compile-error').workPath;
    const cacheDir = h.tempDir('dev-cache');
    const tmp = h.tempDir('dev-tmpdir');
    const before = h.snapshotTree(workPath);
    const opts = { workPath, entrypoint: 'api/index.go', env: { GO_BUILDER_CACHE_DIR: cacheDir, TMPDIR: tmp } };
    const broken = await h.startDev(opts);
    const page = await h.get(broken.server.port, '/api');
    assert.equal(page.status, 500);
    assert.match(page.headers['content-type'], /^text\/plain/);
    assert.match(page.body, /failed to `go build`/);
    assert.match(page.body, /broken\.go:4:\d+: cannot use "not a number"/);
    await h.stopHandler(broken.server.pid);
    h.assertTreeUnchanged(workPath, before);
    assert.deepEqual(h.cachedBinaries(cacheDir), [], 'a failed build leaves no binary behind');
    await h.waitUntil(() => fs.readdirSync(tmp).length === 0, {
      describe: () => `no temporary files left: ${fs.readdirSync(tmp)}`,
    });
    // The failure is not cached: once fixed, the next start builds and serves.
    h.editFile(path.join(workPath, 'api/broken.go'), 'package api\n\nfunc broken() string { return "fixed" }\n');
    const { server, reused } = await h.startDev(opts);
    assert.equal(reused, false);
    assert.equal((await h.get(server.port, '/api')).body, 'fixed');
    await h.stopHandler(server.pid);
  });

  it('a handler that exits at startup rejects with GO_DEV_SERVER_FAILED, its exit code and stderr', async () => {
    const workPath = h.copyFixture('dev/exit-at-start').workPath;
    const tmp = h.tempDir('dev-tmpdir');
    const before = h.snapshotTree(workPath);
    const stderr = [];
    await assert.rejects(
      h.startDev({
        workPath,
        entrypoint: 'api/index.go',
        env: { GO_BUILDER_CACHE_DIR: fileCache(), TMPDIR: tmp },
        onStderr: (c) => stderr.push(c),
      }),
      (e) => {
        assert.equal(e.code, 'GO_DEV_SERVER_FAILED', e.message);
        assert.match(e.message, /exit code 3\b/);
        assert.match(e.message, /EXIT-AT-START-MARKER: cannot start, missing configuration/);
        return true;
      },
    );
    assert.match(Buffer.concat(stderr).toString(), /EXIT-AT-START-MARKER/, 'onStderr got it too');
    h.assertTreeUnchanged(workPath, before);
    assert.deepEqual(fs.readdirSync(tmp), [], 'no temporary files are left behind');
  });
});
