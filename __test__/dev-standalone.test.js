'use strict';

// startDevServer() in standalone mode (`config.framework: "go"`): the user's
// own net/http server behind the same proxy as the deployed function, one
// persistent process group per work path + entrypoint. The proxy (the
// returned pid, leading the group) listens on the returned port and starts
// the server with an internal PORT; the start is ready when the proxy
// accepts TCP connections; `shutdown` stops the whole group.

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const h = require('./helpers');

const linuxOnly = process.platform !== 'linux' && 'inspects process groups through /proc (Linux)';
const config = { framework: 'go' };

h.cleanUpDevTests();

let cacheDir;
before(() => {
  cacheDir = h.tempDir('dev-cache');
});

// Tests that do not edit the sources share one copy of the standalone fixture
// (one build per entrypoint); each stops what it started.
let shared = null;
const sharedCopy = () => (shared ??= h.copyFixture('dev/standalone').workPath);

// Every server a test started is shut down after it (shutdown is idempotent),
// so a failed test cannot hand its server to the next one.
const running = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.shutdown();
});

async function start(workPath, entrypoint, extra = {}) {
  const result = await h.startDev({
    workPath,
    entrypoint,
    config,
    onStdout() {},
    onStderr() {},
    ...extra,
    env: { GO_BUILDER_CACHE_DIR: cacheDir, ...(extra.env || {}) },
  });
  if (result.server.shutdown) running.push(result.server);
  return result;
}

/** The port the user's server saw in PORT, from a `standalone root … port=N` answer. */
function internalPort(body) {
  const m = /port=(\d+)$/.exec(body);
  assert.ok(m, `no port in ${JSON.stringify(body)}`);
  return Number(m[1]);
}

/** The user's server: the proxy's (the returned pid's) own child. */
function userServerOf(proxyPid) {
  const children = h.descendants(h.processTable(), proxyPid);
  assert.ok(children.length > 0, `no user server under the proxy ${proxyPid}`);
  return children[0];
}

/** The live (non-zombie) members of process group `pgid`. */
const liveMembers = (pgid) => h.processGroup(pgid).filter((p) => p.state !== 'Z');

/**
 * Waits until the server (our child) is gone from /proc — exited and reaped
 * by the addon, no zombie — and no live process is left in its group. (Its
 * orphaned children are reaped by init, which may take a moment: a zombie
 * there is dead and does not count.)
 */
async function waitGroupGone(pgid) {
  await h.waitUntil(() => h.procStat(pgid) === null && liveMembers(pgid).length === 0, {
    timeout: 15000,
    describe: () => `for process group ${pgid} to be gone: ${JSON.stringify(h.processGroup(pgid))}`,
  });
  h.untrackDevProcess(pgid);
}

describe('standalone dev server', { skip: linuxOnly }, () => {
  it('main.go: persistent server on PORT; a second start returns it; a detached shutdown stops the whole group', async () => {
    const workPath = h.copyFixture('dev/standalone').workPath;
    const treeBefore = h.snapshotTree(workPath);
    const out = [];
    const { server, reused } = await start(workPath, 'main.go', { onStdout: (c) => out.push(c) });
    assert.equal(reused, false);
    assert.equal(server.persistent, true);
    assert.equal(typeof server.shutdown, 'function');
    assert.ok(Number.isInteger(server.port) && server.port > 0, `port ${server.port}`);
    assert.equal(h.procStat(server.pid).pgrp, server.pid, 'the server leads a process group of its own');

    const res = await h.get(server.port, '/hello');
    assert.equal(res.status, 200);
    const inner = internalPort(res.body);
    assert.equal(res.body, `standalone root /hello port=${inner}`);
    assert.notEqual(inner, server.port, 'the server listens on an internal PORT, behind the proxy');
    await h.waitUntil(() => Buffer.concat(out).toString().includes(`standalone listening on ${inner}`), {
      describe: () => `onStdout got ${JSON.stringify(Buffer.concat(out).toString())}`,
    });

    // The server's own child process (`sleep 300` via os/exec) is in its group.
    const childPid = Number((await h.get(server.port, '/child')).body);
    assert.ok(childPid > 0);
    assert.equal(h.procStat(childPid).pgrp, server.pid);

    // Same work path + entrypoint while running: the same server.
    const second = await start(workPath, 'main.go');
    assert.equal(second.server.pid, server.pid);
    assert.equal(second.server.port, server.port);

    // The CLI calls shutdown detached from the object.
    const stop = server.shutdown;
    await stop();
    await waitGroupGone(server.pid);
    assert.ok([null, 'Z'].includes(h.procStat(childPid)?.state ?? null), 'the sleep child is dead');
    await assert.rejects(h.get(server.port, '/'), /ECONNREFUSED/);
    await stop(); // a second call is harmless
    h.assertTreeUnchanged(workPath, treeBefore);

    // After shutdown, a start launches a new server, reusing the compiled binary.
    const again = await start(workPath, 'main.go');
    assert.notEqual(again.server.pid, server.pid);
    assert.equal(again.reused, true, 'unchanged sources: no go build');
    assert.match((await h.get(again.server.port, '/')).body, /^standalone root \/ port=\d+$/);
    await again.server.shutdown();
    await waitGroupGone(again.server.pid);
    h.assertTreeUnchanged(workPath, treeBefore);
  });

  it('cmd/api/main.go honours meta.port and runs beside main.go of the same work path', async () => {
    const workPath = sharedCopy();
    const port = await h.freePort();
    const [api, root] = await Promise.all([start(workPath, 'cmd/api/main.go', { port }), start(workPath, 'main.go')]);
    assert.equal(api.server.port, port, 'meta.port is used');
    assert.notEqual(api.server.pid, root.server.pid, 'one server per entrypoint');
    assert.equal((await h.get(port, '/x')).body, 'standalone cmd/api /x');
    assert.match((await h.get(root.server.port, '/')).body, /^standalone root \/ port=\d+$/);
    await Promise.all([api.server.shutdown(), root.server.shutdown()]);
    await waitGroupGone(api.server.pid);
    await waitGroupGone(root.server.pid);
  });

  it('editing the server rebuilds on the next start', async () => {
    const workPath = h.copyFixture('dev/standalone').workPath;
    const first = await start(workPath, 'cmd/api/main.go');
    assert.equal((await h.get(first.server.port, '/')).body, 'standalone cmd/api /');
    await first.server.shutdown();
    await waitGroupGone(first.server.pid);
    const file = path.join(workPath, 'cmd/api/main.go');
    h.editFile(file, fs.readFileSync(file, 'utf8').replace('standalone cmd/api', 'standalone cmd/api v2'));
    const second = await start(workPath, 'cmd/api/main.go');
    assert.equal(second.reused, false);
    assert.equal((await h.get(second.server.port, '/')).body, 'standalone cmd/api v2 /');
    await second.server.shutdown();
    await waitGroupGone(second.server.pid);
  });

  it('rebuilds when a module replaced to a local directory outside the work path changes', async () => {
    // repo/app/go.mod: replace example.com/devgreet => ../greet
    const repo = h.copyFixture('dev/standalone-replace').workPath;
    const workPath = path.join(repo, 'app');
    const run = async () => {
      const { server, reused } = await start(workPath, 'main.go', { repoRootPath: repo });
      const { body } = await h.get(server.port, '/');
      await server.shutdown();
      await waitGroupGone(server.pid);
      return { reused, body };
    };
    assert.deepEqual(await run(), { reused: false, body: 'standalone-replace greet-v1' });
    assert.deepEqual(await run(), { reused: true, body: 'standalone-replace greet-v1' });
    h.editFile(path.join(repo, 'greet/greet.go'), 'package greet\n\nfunc Text() string { return "greet-v2" }\n');
    const edited = await run();
    assert.equal(edited.body, 'standalone-replace greet-v2', 'serves the edited replacement module');
    assert.equal(edited.reused, false);
  });

  it("killing the server's pid (instead of shutdown) leaves no process of its group; the next start runs a new server", async () => {
    const workPath = sharedCopy();
    const { server } = await start(workPath, 'main.go');
    const childPid = Number((await h.get(server.port, '/child')).body);
    process.kill(server.pid, 'SIGTERM');
    await h.waitGone(server.pid);
    h.trackDevProcess(server.pid, true); // the group may outlive its leader: clean it up in after()
    const next = await start(workPath, 'main.go');
    assert.notEqual(next.server.pid, server.pid, 'a dead server is not returned');
    assert.equal((await h.get(next.server.port, '/')).status, 200);
    await next.server.shutdown();
    await waitGroupGone(next.server.pid);
    // What was started by the killed server must not be left running.
    await h.waitUntil(() => liveMembers(server.pid).length === 0, {
      timeout: 3000,
      describe: () =>
        `for process group ${server.pid} (sleep child ${childPid}) to be empty: ${JSON.stringify(h.processGroup(server.pid))}`,
    });
  });

  it('shutdown also stops a server that ignores SIGTERM (and its child)', async () => {
    const workPath = sharedCopy();
    const { server } = await start(workPath, 'main.go', { env: { DEV_IGNORE_SIGTERM: '1' } });
    const childPid = Number((await h.get(server.port, '/child')).body);
    assert.equal(h.procStat(childPid).pgrp, server.pid);
    const userServer = userServerOf(server.pid);
    const sigIgn = /SigIgn:\s*([0-9a-f]+)/.exec(fs.readFileSync(`/proc/${userServer}/status`, 'utf8'))[1];
    assert.ok(BigInt(`0x${sigIgn}`) & (1n << 14n), 'the server ignores SIGTERM (signal 15)');
    await server.shutdown();
    await waitGroupGone(server.pid);
  });

  it('meta.port already taken by another process: rejects instead of returning a server that is not listening', async () => {
    const workPath = sharedCopy();
    const sockets = new Set();
    const squatter = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      socket.end('HTTP/1.1 418 Squatter\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    await new Promise((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address();
    try {
      let result;
      await assert.rejects(
        start(workPath, 'main.go', { port }).then((r) => {
          result = r;
          return r;
        }),
        (e) => {
          assert.equal(e.code, 'GO_DEV_SERVER_FAILED', e.message);
          assert.match(e.message, new RegExp(`${port}|address already in use`));
          return true;
        },
        'a start on an occupied port must fail',
      ).catch(async (e) => {
        if (result) {
          const pid = result.server.pid;
          const alive = h.procStat(pid) !== null;
          const res = await h.get(port, '/').catch((err) => ({ status: err.message }));
          e.message += `\nresolved with pid ${pid} (alive: ${alive}); GET / on the port answered ${res.status}`;
          await result.server.shutdown();
        }
        throw e;
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('a server that exits before listening rejects with GO_DEV_SERVER_FAILED carrying its output', async () => {
    const workPath = h.copyFixture('dev/standalone-exit').workPath;
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(start(workPath, 'main.go'), (e) => {
        assert.equal(e.code, 'GO_DEV_SERVER_FAILED', e.message);
        assert.match(e.message, /exited before accepting connections \(exit status 4\)/);
        assert.match(e.message, /STANDALONE-EXIT-STDOUT: starting/);
        assert.match(e.message, /STANDALONE-EXIT-STDERR: DATABASE_URL is not set/);
        return true;
      });
    }
  });
});
