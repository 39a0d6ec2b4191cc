'use strict';

// A build killed half-way, and concurrent builds.
//
// The builder never writes the user's tree: it compiles through
// `go build -overlay` with an alternate -modfile in a scratch directory of
// its TMPDIR. A build killed at any point therefore leaves the tree as it
// was; its scratch directory stays in TMPDIR until the next build there
// removes it.
//
// Crash: a child `node -e` runs build() on a no-go.mod fixture with a cold
// GOCACHE (so `go build` runs for seconds); once a `go build … -o …/bootstrap`
// descending from the child exists, the child is SIGKILLed. The tree must be
// byte-identical, and the next build() on the same workPath must succeed and
// serve.
//
// Nothing left running: a child Node is SIGKILLed while Go downloads a
// module, while the analyzer runs, while `go build` compiles and while the
// linker runs (the process doing that step frozen, so it would never end on
// its own); within two seconds no process the build started may be left.
//
// Concurrency: two build() calls at once on one workPath (two entrypoints of
// one package; the same entrypoint twice) must both produce correct functions.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { spawn } = require('node:child_process');

const {
  ROOT,
  loadBuilder,
  copyFixture,
  buildOk,
  buildAndServe,
  tempDir,
  assertSameTree,
  assertHandlerLambda,
  assertServes,
  snapshotTree,
  sleep,
  processTable,
  descendants,
} = require('./helpers');

let builder;
before(() => {
  builder = loadBuilder();
});

/** The `go build … -o <program>` process under `root`, if any. */
function findGoBuild(table, root) {
  return descendants(table, root).find((pid) => {
    const argv = table.get(pid).argv;
    return (
      argv.length > 1 &&
      path.basename(argv[0]) === 'go' &&
      argv[1] === 'build' &&
      argv.includes('-o')
    );
  });
}

const pendingKills = new Set();
after(() => {
  for (const pid of pendingKills) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
});

/**
 * Runs `node -e script ...args` (with `env`), collecting what it prints.
 * Returns { child, exited (a promise of { code, signal }), output(),
 * exit() (null while it runs) }.
 */
function startNode(script, args, env = process.env) {
  const child = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  pendingKills.add(child.pid);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let exit = null;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  exited.then((e) => (exit = e));
  return { child, exited, output: () => output, exit: () => exit };
}

describe('crash during build', () => {
  it('SIGKILL of the building process during `go build` leaves the tree identical; the next build works', async () => {
    const ws = copyFixture('handler/no-go-mod-third-party');
    const before = snapshotTree(ws.root);
    const gocache = tempDir('cold-gocache');
    // A private TMPDIR: the killed build's scratch and output dirs land (and stay) there.
    const tmp = tempDir('tmpdir');
    const script = `
      const builder = require(${JSON.stringify(ROOT)});
      builder.build({
        files: {}, entrypoint: 'api/index.go', workPath: process.argv[1], config: {},
        meta: { skipDownload: true, env: { GOCACHE: process.argv[2], TMPDIR: process.argv[3],
          GO_BUILDER_CACHE_DIR: process.argv[2] + '-builder' } },
      }).then(() => console.log('BUILD DONE'), (e) => console.log('BUILD FAILED', e.code, e.message));
    `;
    const { child, exited, output, exit: childExit } = startNode(script, [ws.workPath, gocache, tmp]);

    // Wait for `go build` (of the bootstrap) under the child.
    let goPid;
    const deadline = Date.now() + 120000;
    while (!goPid && Date.now() < deadline && childExit() === null) {
      goPid = findGoBuild(processTable(), child.pid);
      if (!goPid) await sleep(25);
    }
    assert.ok(goPid, `no \`go build\` seen under the child (exit: ${JSON.stringify(childExit())}; output: ${output()})`);
    // Give the compiler a moment to be well into its work, then crash.
    await sleep(500);
    const table = processTable();
    const tree = descendants(table, child.pid);
    child.kill('SIGKILL');
    const exit = await exited;
    pendingKills.delete(child.pid);
    assert.equal(exit.signal, 'SIGKILL');
    assert.doesNotMatch(output(), /BUILD DONE/);

    // Right after the crash (the build's processes may still be dying).
    assertSameTree(before, snapshotTree(ws.root), 'right after SIGKILL');
    // Make sure every process of the killed build is gone (by pid), then check again.
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await sleep(200);
    assertSameTree(before, snapshotTree(ws.root), 'after every process of the killed build stopped');

    // The next build on the same workPath (shared, warm GOCACHE) succeeds and serves.
    await buildAndServe(ws, { entrypoint: 'api/index.go' }, [
      {
        request: { path: '/api?name=after-crash' },
        handler: 'no-go-mod-third-party/api/index.go#Handler',
        body: /^uuid=[0-9a-f-]{36} version=5$/,
      },
    ]);
    assertSameTree(before, snapshotTree(ws.root), 'after the next build');

    // The killed build could not remove its scratch directory; the next
    // build in the same TMPDIR sweeps it (its process no longer exists).
    const scratchOf = (pid) => fs.readdirSync(tmp).filter((n) => n.startsWith(`go-builder-scratch-${pid}-`));
    assert.ok(scratchOf(child.pid).length > 0, `the killed build's scratch dirs in ${tmp}`);
    // Go's own work directory is in one of them, not loose in TMPDIR.
    assert.deepEqual(fs.readdirSync(tmp).filter((n) => /^go-build\d+$/.test(n)), [], `Go's work directories in ${tmp}`);
    await builder.build({
      files: {}, entrypoint: 'api/index.go', workPath: ws.workPath, config: {},
      meta: { skipDownload: true, env: { TMPDIR: tmp } },
    });
    assert.deepEqual(scratchOf(child.pid), [], 'stale scratch dir swept');
    assert.deepEqual(scratchOf(process.pid), [], 'this build removed its own');
  });
});

describe('SIGKILL of Node at any point of a build leaves nothing running', { skip: process.platform !== 'linux' && 'reads /proc (Linux)' }, () => {
  // A child Node runs build() with a marker in its environment, which every
  // process the build starts inherits. At a chosen point the process doing
  // that step is frozen (SIGSTOP: left alone, it would never finish), the
  // child is SIGKILLed, and within GRACE_MS no process with the marker may
  // be left: not `go`, not the compilers and linker `go` started, not the
  // analyzer. The user's tree is unchanged throughout.
  const GRACE_MS = 2000;

  /** Processes whose environment holds `marker` and that still run (zombies are gone). */
  function markedProcesses(marker) {
    const found = [];
    for (const [pid, info] of processTable()) {
      if (info.state === 'Z') continue;
      try {
        if (fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker)) {
          found.push({ pid, state: info.state, argv: info.argv.slice(0, 4).join(' ') });
        }
      } catch {}
    }
    return found;
  }

  /** The first process under `root` whose program's base name is `name` (or matches it). */
  const running = (name) => (table, root) =>
    descendants(table, root).find((pid) => {
      const base = path.basename(table.get(pid).argv[0] || '');
      return name instanceof RegExp ? name.test(base) : base === name;
    });

  /**
   * Builds `entrypoint` of `ws` in a child Node with `env`; once `point`
   * (table, childPid) names a process, freezes it and SIGKILLs the child,
   * then checks that nothing with the marker runs GRACE_MS later.
   */
  async function killDuring(ws, { entrypoint = 'api/index.go', env = {}, point }) {
    const before = snapshotTree(ws.root);
    const marker = `GO_BUILDER_KILL_TEST=${process.pid}-${Math.random().toString(36).slice(2)}`;
    const script = `
      const builder = require(${JSON.stringify(ROOT)});
      const [workPath, entrypoint, env] = process.argv.slice(1);
      builder.build({ files: {}, entrypoint, workPath, config: {},
        meta: { skipDownload: true, env: JSON.parse(env) } })
        .then(() => console.log('BUILD DONE'), (e) => console.log('BUILD FAILED', e.code, e.message));
    `;
    const builderCache = tempDir('kill-builder-cache');
    const childEnv = { ...process.env, [marker.split('=')[0]]: marker.split('=')[1] };
    const buildEnv = JSON.stringify({ GO_BUILDER_CACHE_DIR: builderCache, TMPDIR: ws.tmp, ...env });
    const { child, exited, output, exit: childExit } = startNode(script, [ws.workPath, entrypoint, buildEnv], childEnv);
    try {
      // Freeze the first process found at the point (one that ends before
      // it is frozen does not count: look again).
      let target;
      const deadline = Date.now() + 120000;
      while (!target && Date.now() < deadline && childExit() === null) {
        target = point(processTable(), child.pid);
        try {
          if (target) process.kill(target, 'SIGSTOP');
        } catch {
          target = undefined;
        }
        if (!target) await sleep(5);
      }
      assert.ok(target, `the point was not reached (exit: ${JSON.stringify(childExit())}; output: ${output()})`);
      child.kill('SIGKILL');
      assert.equal((await exited).signal, 'SIGKILL');
      pendingKills.delete(child.pid);
      assert.doesNotMatch(output(), /BUILD DONE/);
      const deadlineGone = Date.now() + GRACE_MS;
      let left = markedProcesses(marker);
      while (left.length && Date.now() < deadlineGone) {
        await sleep(25);
        left = markedProcesses(marker);
      }
      assert.deepEqual(left, [], `still running ${GRACE_MS} ms after the SIGKILL`);
      assertSameTree(before, snapshotTree(ws.root), 'after the SIGKILL');
      // Go's work directories are in the build's scratch directories (which
      // the next build sweeps), not loose in TMPDIR.
      assert.deepEqual(fs.readdirSync(ws.tmp).filter((n) => /^go-build\d+$/.test(n)), [], `in ${ws.tmp}`);
    } finally {
      child.kill('SIGKILL');
      for (const { pid } of markedProcesses(marker)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
  }

  it('while Go downloads a module', async () => {
    // A module proxy on loopback that takes each request and never answers:
    // Go stays in the download until it is killed.
    const requests = [];
    const sockets = new Set();
    const proxy = http.createServer((req) => requests.push(req.url));
    proxy.on('connection', (socket) => sockets.add(socket));
    await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      await killDuring(copyFixture('handler/basic'), {
        env: {
          GOPROXY: `http://127.0.0.1:${proxy.address().port}`,
          GOSUMDB: 'off',
          GOMODCACHE: tempDir('kill-empty-gomodcache'),
          GOFLAGS: '-modcacherw',
        },
        point: (table, root) => requests.length > 0 && running('go')(table, root),
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('while the analyzer reads the handler', async () => {
    // A handler file large enough that the analyzer is seen at work.
    const ws = copyFixture('handler/basic');
    const filler = Array.from({ length: 60000 }, (_, i) => `func filler${i}(a int) int { return a*2 + ${i} }`);
    fs.appendFileSync(path.join(ws.workPath, 'api/index.go'), `\n${filler.join('\n')}\n`);
    await killDuring(ws, { point: running(/^analyze/) });
  });

  it('while `go build` compiles (cold build cache)', async () => {
    await killDuring(copyFixture('handler/basic'), {
      env: { GOCACHE: tempDir('kill-cold-gocache') },
      point: running('compile'),
    });
  });

  it('while the linker runs', async () => {
    await killDuring(copyFixture('handler/basic'), { point: running('link') });
  });
});

describe('concurrent builds on one workPath', () => {
  /**
   * Builds the three-handlers entries `files` (api/<file>.go, handler
   * <File>) of one copy at once: the tree stays unchanged, every build
   * writes its own bootstrap, and each Lambda serves its own handler.
   */
  async function buildAtOnce(files) {
    const ws = copyFixture('handler/three-handlers');
    const before = snapshotTree(ws.root);
    const lambdas = await Promise.all(files.map((file) => buildOk(ws, { entrypoint: `api/${file}.go` })));
    assertSameTree(before, snapshotTree(ws.root), 'after both builds');
    assert.notEqual(lambdas[0].files.bootstrap.fsPath, lambdas[1].files.bootstrap.fsPath);
    for (const [i, file] of files.entries()) {
      const fn = file[0].toUpperCase() + file.slice(1);
      assertHandlerLambda(lambdas[i]);
      await assertServes(lambdas[i], [
        { handler: `three-handlers/api/${file}.go#${fn}`, body: `fn=${fn} shared=shared:${file.toUpperCase()}` },
      ]);
    }
  }

  it('two entrypoints of the same package at once', async () => {
    await buildAtOnce(['alpha', 'beta']);
  });

  it('the same entrypoint twice at once', async () => {
    await buildAtOnce(['gamma', 'gamma']);
  });
});
