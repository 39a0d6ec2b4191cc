'use strict';

// A handler that does not compile is reported at the user's own file, line
// and column, and under the function name the user wrote — in the streamed
// build log (what a user reads on the platform) and in the error's message
// alike. The builder compiles a renamed copy of the entry (its handler
// function gets a unique name so several handlers can share a package) and
// a generated main; neither may show: no scratch path, no renamed symbol, no
// generated file. The expected positions are what plain `go build` prints
// for the user's own files.

const { describe, it, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');

const h = require('./helpers');

let builder;
before(() => {
  builder = h.loadBuilder();
});

/** What must never appear in a user-facing line. */
const LEAKS = [/go-builder-scratch/, /__vc_go_main__/, /main__vc__go__/, /\bentries\//, /Handler_\w+/, /\$WORK/];

/** A project under a fresh temp dir: { ws, workPath } as copyFixture gives. */
function project(files) {
  const base = h.tempDir('positions');
  const root = path.join(base, 'ws');
  const workPath = path.join(root, 'app');
  h.writeFiles(workPath, files);
  return { name: 'app', base, root, workPath, tmp: path.join(base, 'tmp') };
}

/**
 * The `file:line:col` positions plain `go build` reports for `pkg` of the
 * project at `dir` (its own files, nothing renamed).
 */
function goPositions(dir, pkg) {
  const res = spawnSync('go', ['build', '-o', os.devNull, pkg], {
    cwd: dir,
    env: { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=mod' },
    encoding: 'utf8',
  });
  assert.notEqual(res.status, 0, `plain go build of ${pkg} must fail:\n${res.stdout}${res.stderr}`);
  const positions = [...`${res.stdout}\n${res.stderr}`.matchAll(/^(\S+\.go:\d+:\d+):/gm)].map((m) => m[1]);
  assert.ok(positions.length > 0, `go build names a position:\n${res.stderr}`);
  return positions;
}

/** build() that must fail with GO_BUILD_FAILED; returns { message, log } (log: every line printed). */
async function failedBuild(ws, entrypoint) {
  const { result, lines } = await h.recordStdout(() => h.buildFails(ws, { entrypoint, builder, env: { TMPDIR: ws.base } }));
  const { error } = result;
  assert.equal(error.code, 'GO_BUILD_FAILED', error.message);
  return { message: error.message, log: lines.map((l) => l.line) };
}

/** Both the message and some log line name every one of `positions`; nothing leaks into either. */
function assertUserFacing({ message, log }, positions) {
  for (const position of positions) {
    assert.ok(message.includes(position), `the message names ${position}:\n${message}`);
    assert.ok(log.some((line) => line.includes(position)), `a log line names ${position}:\n${log.join('\n')}`);
  }
  for (const leak of LEAKS) {
    assert.doesNotMatch(message, leak, 'the message');
    for (const line of log) assert.doesNotMatch(line, leak, 'a log line');
  }
}

const GO_MOD = 'module example.com/app\n\ngo 1.22\n';

describe('compile errors name the user\'s files, lines, columns and names', () => {
  it('an error in the entry, on the handler\'s own line after its (renamed) name: the same line:column as plain go build', async () => {
    const ws = project({
      'go.mod': GO_MOD,
      'api/index.go': h.goFile('api', ['net/http'], [
        'func Handler(w http.ResponseWriter, r *http.Request) { var n int = "x"; _ = n }',
      ]),
    });
    const expected = goPositions(ws.workPath, './api');
    assert.deepEqual(expected, ['api/index.go:5:68']);
    assertUserFacing(await failedBuild(ws, 'api/index.go'), expected);
  });

  it('an error in the entry on a later line (the fixture error-type)', async () => {
    const ws = h.copyFixture('handler/error-type');
    const expected = goPositions(ws.workPath, './api');
    assertUserFacing(await failedBuild(ws, 'api/index.go'), expected);
  });

  it('an error in a sibling file of the entry', async () => {
    const ws = h.copyFixture('handler/error-type-sibling');
    const expected = goPositions(ws.workPath, './api');
    assert.deepEqual(expected, ['api/helper.go:4:9']);
    assertUserFacing(await failedBuild(ws, 'api/index.go'), expected);
  });

  it('errors in the entry and in a sibling at once: both named as Go names them for the user\'s own files', async () => {
    const ws = project({
      'go.mod': GO_MOD,
      'api/index.go': h.goFile('api', ['fmt', 'net/http'], [
        'func Handler(w http.ResponseWriter, r *http.Request) {',
        '\tfmt.Fprint(w, helper() + 1)',
        '}',
      ]),
      'api/helper.go': h.goFile('api', ['strings'], ['func helper() string {', '\treturn strings.Repeat("x", "2")', '}']),
    });
    const expected = goPositions(ws.workPath, './api');
    assert.deepEqual(expected.sort(), ['api/helper.go:6:29', 'api/index.go:9:16']);
    assertUserFacing(await failedBuild(ws, 'api/index.go'), expected);
  });

  it('a handler with the wrong signature: reported at its declaration, by the name the user wrote', async () => {
    const ws = project({
      'go.mod': GO_MOD,
      'api/index.go': h.goFile('api', ['net/http'], [
        '// Handler answers, but returns an error too: not a net/http handler.',
        'func Handler(w http.ResponseWriter, r *http.Request) error {',
        '\treturn nil',
        '}',
      ]),
    });
    const failed = await failedBuild(ws, 'api/index.go');
    assertUserFacing(failed, ['api/index.go:6:6']);
    assert.match(failed.message, /\bHandler\b/);
    assert.match(failed.message, /func\(http\.ResponseWriter, \*http\.Request\)/, 'says which signature a handler needs');
  });

  it('a bracket-named entry (`api/[id].go`) is named as such', async () => {
    const body = ['func Handler(w http.ResponseWriter, r *http.Request) {', '\tw.Write(42)', '}'];
    const ws = project({ 'go.mod': GO_MOD, 'api/[id].go': h.goFile('api', ['net/http'], body) });
    // Go itself refuses a `[id].go` name: the position comes from the same file under a plain name.
    const plain = project({ 'go.mod': GO_MOD, 'api/id.go': h.goFile('api', ['net/http'], body) });
    const expected = goPositions(plain.workPath, './api').map((p) => p.replace('api/id.go', 'api/[id].go'));
    assert.deepEqual(expected, ['api/[id].go:6:10']);
    assertUserFacing(await failedBuild(ws, 'api/[id].go'), expected);
  });

  it('a handler without go.mod (built in a module of its own) is named by its own path', async () => {
    const body = ['func Handler(w http.ResponseWriter, r *http.Request) {', '\tw.Write(42)', '}'];
    const ws = project({ 'api/index.go': h.goFile('handler', ['net/http'], body) });
    assertUserFacing(await failedBuild(ws, 'api/index.go'), ['api/index.go:6:10']);
  });

  it('two handlers of one package named alike, one broken: the broken one is reported by its own name and file', async () => {
    const ws = project({
      'go.mod': GO_MOD,
      'api/a.go': h.goFile('api', ['net/http'], ['func Handler(w http.ResponseWriter, r *http.Request) {}']),
      'api/b.go': h.goFile('api', ['net/http'], ['func Handler(w http.ResponseWriter, r *http.Request) { undefinedCall() }']),
    });
    const failed = await failedBuild(ws, 'api/b.go');
    assertUserFacing(failed, ['api/b.go:5:56']);
  });
});

describe('the renamed copy does not depend on where the project is', () => {
  it('two checkouts at different paths, each with a builder cache of its own (no kept program to reuse): the same bytes', async () => {
    const files = {
      'go.mod': GO_MOD,
      'api/index.go': h.goFile('api', ['net/http'], [
        'var _ = Handler',
        'func Handler(w http.ResponseWriter, r *http.Request) { w.Write([]byte("same")) }',
      ]),
    };
    const digests = [];
    for (const label of ['one', 'other-longer-path']) {
      const ws = project(files);
      const checkout = path.join(ws.root, label);
      fs.renameSync(ws.workPath, checkout);
      const lambda = await h.buildOk(
        { ...ws, workPath: checkout },
        { entrypoint: 'api/index.go', builder, env: { GO_BUILDER_CACHE_DIR: h.tempDir('own-cache'), TMPDIR: ws.base } },
      );
      digests.push(crypto.createHash('sha256').update(fs.readFileSync(lambda.files.bootstrap.fsPath)).digest('hex'));
    }
    assert.equal(digests[0], digests[1]);
  });
});
