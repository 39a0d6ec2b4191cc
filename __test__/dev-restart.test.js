'use strict';

// startDevServer() restarts: `vercel dev` kills the handler after every
// response and starts it again for the next request. An unchanged start must
// reuse the compiled binary (no `go build`, no analyzer); any change to the
// sources, go.mod, go.work modules or build env must rebuild.
//
// Whether a start built is observed without timing: the debug line of
// index.js (`(reused build)`) and the binaries in the test's own cache dir
// (path = fingerprint, inode, mtime). The steps of each describe() run in
// order on one temp copy of a fixture.

const { describe, it, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./helpers');

h.cleanUpDevTests();

/**
 * One restart, as the CLI does it: start, request, kill. Checks the tree is
 * untouched and returns { reused, body, binaries, pid }.
 */
async function restart(ctx, { urlPath = '/api', env = {} } = {}) {
  const before = h.snapshotTree(ctx.workPath);
  const { server, reused } = await h.startDev({
    workPath: ctx.workPath,
    entrypoint: ctx.entrypoint,
    env: { GO_BUILDER_CACHE_DIR: ctx.cacheDir, ...env },
    onStdout() {},
    onStderr() {},
  });
  const res = await h.get(server.port, urlPath);
  assert.equal(res.status, 200, res.body);
  await h.stopHandler(server.pid);
  h.assertTreeUnchanged(ctx.workPath, before);
  return { reused, body: res.body, binaries: h.cachedBinaries(ctx.cacheDir), pid: server.pid };
}

function assertBuilt(run, previous) {
  assert.equal(run.reused, false, 'expected a rebuild (debug line without "reused build")');
  assert.equal(run.binaries.length, 1, `one binary in the cache: ${JSON.stringify(run.binaries)}`);
  if (previous) {
    assert.notEqual(run.binaries[0].rel, previous.binaries[0].rel, 'a new fingerprint');
  }
}

function assertReused(run, previous) {
  assert.equal(run.reused, true, 'expected the binary to be reused (no go build)');
  assert.deepEqual(run.binaries, previous.binaries, 'same binary file: same path, inode and mtime');
}

/**
 * The state the restarts of one describe() share, in order: `entrypoint`
 * of a fresh copy of fixtures/dev/<fixture> (made in a `before` hook) and a
 * cache dir of its own.
 */
function restartContext(fixture, entrypoint) {
  const ctx = { entrypoint };
  before(() => {
    ctx.workPath = h.copyFixture(`dev/${fixture}`).workPath;
    ctx.cacheDir = h.tempDir('dev-cache');
  });
  return ctx;
}

const body = ({ sibling = 'sibling-v1', lib = 'lib-v1', embed = 'banner-v1', tag = 'off' } = {}) =>
  `sibling=${sibling} lib=${lib} embed=${embed} tag=${tag} env=`;

describe('restarts of a handler with siblings, an imported package and an embedded file', () => {
  const ctx = restartContext('module', 'api/index.go');
  let last;
  const file = (rel) => path.join(ctx.workPath, rel);
  const edit = (rel, from, to) => {
    const text = fs.readFileSync(file(rel), 'utf8');
    assert.ok(text.includes(from), `${rel} contains ${from}`);
    h.editFile(file(rel), text.replace(from, to));
  };

  it('first start builds and serves', async () => {
    last = await restart(ctx);
    assertBuilt(last);
    assert.equal(last.body, body());
  });

  it('an unchanged start after the pid was killed does not run go build', async () => {
    const run = await restart(ctx);
    assertReused(run, last);
    assert.equal(run.body, body());
    assert.notEqual(run.pid, last.pid, 'a new process');
    last = run;
  });

  it('editing a sibling file rebuilds and serves the new behaviour', async () => {
    edit('api/sibling.go', 'sibling-v1', 'sibling-v2');
    const run = await restart(ctx);
    assertBuilt(run, last);
    assert.equal(run.body, body({ sibling: 'sibling-v2' }));
    last = run;
    const again = await restart(ctx);
    assertReused(again, last);
    assert.equal(again.body, body({ sibling: 'sibling-v2' }));
  });

  it('editing a file of an imported package of the module rebuilds', async () => {
    edit('lib/lib.go', 'lib-v1', 'lib-v2');
    const run = await restart(ctx);
    assertBuilt(run, last);
    assert.equal(run.body, body({ sibling: 'sibling-v2', lib: 'lib-v2' }));
    last = run;
  });

  it('editing an embedded file rebuilds', async () => {
    h.editFile(file('api/banner.txt'), 'banner-v2\n');
    const run = await restart(ctx);
    assertBuilt(run, last);
    assert.equal(run.body, body({ sibling: 'sibling-v2', lib: 'lib-v2', embed: 'banner-v2' }));
    last = run;
  });

  it('adding a file to the package rebuilds; removing it rebuilds', async () => {
    // A new file that changes behaviour through init() (sets lib.Suffix).
    h.editFile(
      file('api/zz_added.go'),
      'package api\n\nimport "example.com/devmodule/lib"\n\nfunc init() { lib.Suffix = "+added" }\n',
    );
    const run = await restart(ctx);
    assertBuilt(run, last);
    assert.equal(run.body, body({ sibling: 'sibling-v2', lib: 'lib-v2+added', embed: 'banner-v2' }));
    last = run;
    fs.rmSync(file('api/zz_added.go'));
    const removed = await restart(ctx);
    assertBuilt(removed, last);
    assert.equal(removed.body, body({ sibling: 'sibling-v2', lib: 'lib-v2', embed: 'banner-v2' }));
    last = removed;
  });

  const current = () => body({ sibling: 'sibling-v2', lib: 'lib-v2', embed: 'banner-v2' });
  let goMod;

  it('editing go.mod (a comment) rebuilds', async () => {
    goMod = fs.readFileSync(file('go.mod'), 'utf8');
    h.editFile(file('go.mod'), `${goMod}// a comment\n`);
    const run = await restart(ctx);
    assertBuilt(run, last);
    assert.equal(run.body, current());
    last = run;
  });

  it('reverting go.mod serves the sources (rebuilt or reused)', async () => {
    h.editFile(file('go.mod'), goMod);
    const run = await restart(ctx);
    assert.equal(run.binaries.length, 1);
    assert.equal(run.body, current());
    last = run;
  });

  it('reverting a file, content and mtime, serves the reverted behaviour', async () => {
    const stat = fs.statSync(file('lib/lib.go'));
    const text = fs.readFileSync(file('lib/lib.go'), 'utf8');
    edit('lib/lib.go', '"lib-v2"', '"lib-v3"');
    const edited = await restart(ctx);
    assertBuilt(edited, last);
    assert.match(edited.body, / lib=lib-v3 /);
    fs.writeFileSync(file('lib/lib.go'), text);
    fs.utimesSync(file('lib/lib.go'), stat.atime, stat.mtime);
    const reverted = await restart(ctx);
    assert.equal(reverted.body, current());
    last = reverted;
  });

  it('a build env change (GO_BUILD_FLAGS build tags) rebuilds; the same env again reuses', async () => {
    const env = { GO_BUILD_FLAGS: '-tags=devtag' };
    const tagged = await restart(ctx, { env });
    assertBuilt(tagged, last);
    assert.equal(tagged.body, body({ sibling: 'sibling-v2', lib: 'lib-v2', embed: 'banner-v2', tag: 'on' }));
    const again = await restart(ctx, { env });
    assertReused(again, tagged);
    const untagged = await restart(ctx);
    assertBuilt(untagged, tagged);
    assert.equal(untagged.body, current());
    last = untagged;
  });

  /** Promise.all of three starts; returns their results after one request each. */
  async function threeAtOnce() {
    const env = { GO_BUILDER_CACHE_DIR: ctx.cacheDir };
    const before = h.snapshotTree(ctx.workPath);
    const starts = await Promise.all(
      [1, 2, 3].map(() =>
        h.startDev({ workPath: ctx.workPath, entrypoint: ctx.entrypoint, env, onStdout() {}, onStderr() {} }),
      ),
    );
    const pids = starts.map((s) => s.server.pid);
    assert.equal(new Set(pids).size, 3, `three processes: ${pids}`);
    const bodies = [];
    for (const { server } of starts) bodies.push((await h.get(server.port, '/api')).body);
    for (const pid of pids) await h.stopHandler(pid);
    h.assertTreeUnchanged(ctx.workPath, before);
    return { reused: starts.map((s) => s.reused), bodies, binaries: h.cachedBinaries(ctx.cacheDir) };
  }

  it('three concurrent starts after an edit build exactly once and all serve the new code', async () => {
    edit('api/sibling.go', 'sibling-v2', 'sibling-v3');
    const run = await threeAtOnce();
    assert.equal(run.reused.filter((r) => !r).length, 1, `exactly one build: reused=${run.reused}`);
    const expected = body({ sibling: 'sibling-v3', lib: 'lib-v2', embed: 'banner-v2' });
    assert.deepEqual(run.bodies, [expected, expected, expected]);
    assert.equal(run.binaries.length, 1, JSON.stringify(run.binaries));
    assert.notEqual(run.binaries[0].rel, last.binaries[0].rel);
    last = run;
  });

  it('three concurrent unchanged starts all reuse the binary', async () => {
    const run = await threeAtOnce();
    assert.deepEqual(run.reused, [true, true, true]);
    assert.deepEqual(run.binaries, last.binaries);
    const expected = body({ sibling: 'sibling-v3', lib: 'lib-v2', embed: 'banner-v2' });
    assert.deepEqual(run.bodies, [expected, expected, expected]);
  });
});

describe('restarts of a go.work workspace handler', () => {
  const ctx = restartContext('workspace', 'api/index.go');
  let last;

  it('first start builds, an unchanged one reuses', async () => {
    last = await restart(ctx);
    assertBuilt(last);
    assert.equal(last.body, 'workspace shared-v1 extra-v1');
    const again = await restart(ctx);
    assertReused(again, last);
    assert.equal(again.body, 'workspace shared-v1 extra-v1');
  });

  it('editing the other workspace module rebuilds', async () => {
    h.editFile(
      path.join(ctx.workPath, 'shared/shared.go'),
      'package shared\n\nfunc Text() string { return "shared-v2" }\n',
    );
    const run = await restart(ctx);
    assertBuilt(run, last);
    assert.equal(run.body, 'workspace shared-v2 extra-v1');
    last = run;
  });

  it('editing go.work rebuilds', async () => {
    const goWork = path.join(ctx.workPath, 'go.work');
    h.editFile(goWork, `${fs.readFileSync(goWork, 'utf8')}// a comment\n`);
    const run = await restart(ctx);
    assertBuilt(run, last);
    assert.equal(run.body, 'workspace shared-v2 extra-v1');
    last = run;
  });

  it('editing a module that go.work replaces to a local directory (not a `use`d module) rebuilds', async () => {
    h.editFile(
      path.join(ctx.workPath, 'extra/extra.go'),
      'package extra\n\nfunc Text() string { return "extra-v2" }\n',
    );
    const run = await restart(ctx);
    assert.equal(run.body, 'workspace shared-v2 extra-v2', 'serves the edited replacement module');
    assertBuilt(run, last);
    last = run;
  });
});

describe('restarts of a handler without go.mod', () => {
  const ctx = restartContext('no-gomod', 'api/hello.go');

  it('reuses while unchanged, rebuilds after the entry file changes', async () => {
    const first = await restart(ctx, { urlPath: '/api/hello?name=a' });
    assertBuilt(first);
    assert.equal(first.body, 'no-gomod A');
    const again = await restart(ctx, { urlPath: '/api/hello?name=a' });
    assertReused(again, first);
    const file = path.join(ctx.workPath, 'api/hello.go');
    h.editFile(file, fs.readFileSync(file, 'utf8').replace('"no-gomod %s"', '"no-gomod v2 %s"'));
    const edited = await restart(ctx, { urlPath: '/api/hello?name=a' });
    assertBuilt(edited, again);
    assert.equal(edited.body, 'no-gomod v2 A');
  });
});

describe('restarts of a handler whose sibling file is a symlink to a file outside the module', () => {
  const ctx = restartContext('module', 'api/index.go');
  let target;

  before(() => {
    // e.g. a file shared between modules of a monorepo, linked into the package
    target = path.join(h.tempDir('dev-shared'), 'sibling.go');
    fs.writeFileSync(target, 'package api\n\nfunc siblingText() string { return "linked-v1" }\n');
    fs.rmSync(path.join(ctx.workPath, 'api/sibling.go'));
    fs.symlinkSync(target, path.join(ctx.workPath, 'api/sibling.go'));
  });

  it('serves the linked file, and rebuilds when the link target changes', async () => {
    const first = await restart(ctx);
    assertBuilt(first);
    assert.equal(first.body, body({ sibling: 'linked-v1' }));
    h.editFile(target, 'package api\n\nfunc siblingText() string { return "linked-v2" }\n');
    const edited = await restart(ctx);
    assert.equal(edited.body, body({ sibling: 'linked-v2' }), 'serves the edited link target');
    assertBuilt(edited, first);
  });
});
