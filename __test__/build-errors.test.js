'use strict';

// build() failures: each is a NowBuildError from
// @vercel/build-utils with a stable code and a useful message, and the tree
// (the fixture copy and everything beside it) is left byte-identical.

const { describe, it, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const {
  loadBuilder,
  buildUtils,
  copyFixture,
  buildFails,
  tempDir,
  snapshotTree,
  diffSnapshots,
} = require('./helpers');

const GO_DOCS = 'https://vercel.com/docs/functions/runtimes/go';

let builder;
let NowBuildError;
before(() => {
  builder = loadBuilder();
  NowBuildError = buildUtils().NowBuildError;
});

/**
 * Builds (the tree must be unchanged) and returns the error, which must be a
 * NowBuildError with `code`. The build gets a private TMPDIR (meta.env), which
 * must be empty afterwards: a failed build leaves no scratch or output dir.
 */
async function expectBuildError(fixture, entrypoint, code, opts = {}) {
  const ws = copyFixture(`handler/${fixture}`);
  if (opts.prepare) opts.prepare(ws);
  const tmp = tempDir('tmpdir');
  const env = { TMPDIR: tmp, ...opts.env };
  const { error } = await buildFails(ws, { entrypoint, builder, config: opts.config, env });
  assert.ok(error instanceof NowBuildError, `a NowBuildError, got ${error && error.stack}`);
  assert.equal(error.code, code, `code (message: ${error.message})`);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 10, 'a useful message');
  assert.deepEqual(fs.readdirSync(tmp), [], `the failed build left files in its TMPDIR ${tmp}`);
  return error;
}

describe('build() errors', () => {
  it('handler not found → GO_HANDLER_NOT_FOUND (methods, unexported, wrong signatures do not count)', async () => {
    const err = await expectBuildError('error-handler-not-found', 'api/index.go', 'GO_HANDLER_NOT_FOUND');
    assert.match(err.message, /Could not find an exported function/);
    assert.match(err.message, /api\/index\.go/);
    assert.equal(err.link, GO_DOCS);
  });

  it('parse error → GO_PARSE_ERROR naming the file and line:col', async () => {
    const err = await expectBuildError('error-parse', 'api/index.go', 'GO_PARSE_ERROR');
    assert.match(err.message, /Could not parse Go file/);
    assert.match(err.message, /api\/index\.go/);
    assert.match(err.message, /\b7:20\b/);
  });

  it('`package main` with a go.mod → GO_PACKAGE_MAIN_WITH_GO_MOD', async () => {
    const err = await expectBuildError('error-package-main-gomod', 'api/index.go', 'GO_PACKAGE_MAIN_WITH_GO_MOD');
    assert.match(err.message, /Please change `package main` to `package handler`/);
    assert.match(err.message, /api\/index\.go/);
  });

  it('vendor/ without go.mod → GO_VENDOR_WITHOUT_GO_MOD', async () => {
    const err = await expectBuildError('error-vendor-no-gomod', 'api/index.go', 'GO_VENDOR_WITHOUT_GO_MOD');
    assert.match(err.message, /`go\.mod` is required to use a `vendor` directory/);
  });

  it('`go` missing (PATH is an empty directory) → GO_NOT_FOUND', async () => {
    const empty = tempDir('empty-path');
    const err = await expectBuildError('basic', 'api/index.go', 'GO_NOT_FOUND', {
      env: { PATH: empty },
    });
    assert.match(err.message, /go/i);
    assert.match(err.message, /PATH/);
  });

  it('unresolvable module (example.invalid/nope, with go.mod) → GO_MOD_TIDY_FAILED with go\'s output', async () => {
    const err = await expectBuildError('error-unresolvable-module', 'api/index.go', 'GO_MOD_TIDY_FAILED');
    assert.match(err.message, /example\.invalid\/nope/);
    assert.match(err.message, /index\.go:7:2/, 'go\'s own output, with the importing file');
  });

  it('unresolvable module without go.mod → GO_MOD_TIDY_FAILED with go\'s output', async () => {
    const err = await expectBuildError('error-unresolvable-no-gomod', 'api/index.go', 'GO_MOD_TIDY_FAILED');
    assert.match(err.message, /example\.invalid\/nope/);
  });

  it('type error in the entry → GO_BUILD_FAILED, compiler output naming the user\'s file', async () => {
    const err = await expectBuildError('error-type', 'api/index.go', 'GO_BUILD_FAILED');
    assert.match(err.message, /failed to `go build`/);
    assert.match(err.message, /cannot use "not a number"/);
    // The position must point at the user's file, not at a builder scratch copy.
    assert.match(err.message, /api\/index\.go:9:18/);
  });

  it('type error in a sibling file → GO_BUILD_FAILED naming that file', async () => {
    const err = await expectBuildError('error-type-sibling', 'api/index.go', 'GO_BUILD_FAILED');
    assert.match(err.message, /api\/helper\.go:4:9/);
    assert.match(err.message, /undefined: undefinedThing/);
  });

  it('missing entrypoint → GO_ENTRYPOINT_UNREADABLE', async () => {
    const err = await expectBuildError('basic', 'api/missing.go', 'GO_ENTRYPOINT_UNREADABLE');
    assert.match(err.message, /api\/missing\.go/);
  });

  it('entrypoint outside workPath (`../x.go`, which exists) → GO_ENTRYPOINT_OUTSIDE_WORKPATH', async () => {
    const err = await expectBuildError('basic', '../x.go', 'GO_ENTRYPOINT_OUTSIDE_WORKPATH', {
      prepare: (ws) =>
        fs.writeFileSync(
          path.join(ws.root, 'x.go'),
          'package x\n\nimport "net/http"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n'
        ),
    });
    assert.match(err.message, /\.\.\/x\.go/);
  });

  it('symlinked entrypoint leading outside workPath → GO_ENTRYPOINT_OUTSIDE_WORKPATH', async () => {
    await expectBuildError('basic', 'api/link.go', 'GO_ENTRYPOINT_OUTSIDE_WORKPATH', {
      prepare: (ws) => {
        const outside = path.join(ws.root, 'outside.go');
        fs.writeFileSync(
          outside,
          'package x\n\nimport "net/http"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n'
        );
        fs.symlinkSync(outside, path.join(ws.workPath, 'api', 'link.go'));
      },
    });
  });

  it('standalone entrypoint outside workPath → GO_ENTRYPOINT_OUTSIDE_WORKPATH, as for a handler', async () => {
    const err = await expectBuildError('basic', '../outside/main.go', 'GO_ENTRYPOINT_OUTSIDE_WORKPATH', {
      config: { framework: 'go' },
      prepare: (ws) => {
        fs.mkdirSync(path.join(ws.root, 'outside'));
        fs.writeFileSync(path.join(ws.root, 'outside', 'go.mod'), 'module outside\n\ngo 1.22\n');
        fs.writeFileSync(path.join(ws.root, 'outside', 'main.go'), 'package main\n\nfunc main() {}\n');
      },
    });
    assert.match(err.message, /outside/);
  });

  // Entrypoints Go itself would leave out of the package: said up front.
  const ignored = [
    ['a file for another OS (x_windows.go)', 'api/x_windows.go', 'package handler\n', /windows/],
    ['a build constraint that excludes it', 'api/skip.go', '//go:build ignore\n\npackage handler\n', /build constraint/],
    ['a name starting with `_`', 'api/_hidden.go', 'package handler\n', /_/],
    ['a name starting with `.`', 'api/.dot.go', 'package handler\n', /\./],
    ['a file that is not Go source', 'api/notes.txt', 'hello\n', /\.go/],
  ];
  for (const [title, entrypoint, head, reason] of ignored) {
    it(`an entrypoint Go ignores (${title}) → GO_ENTRYPOINT_IGNORED`, async () => {
      const source = `${head}\nimport "net/http"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n`;
      const err = await expectBuildError('basic', entrypoint, 'GO_ENTRYPOINT_IGNORED', {
        prepare: (ws) => fs.writeFileSync(path.join(ws.workPath, entrypoint), head.startsWith('package') || head.startsWith('//') ? source : head),
      });
      assert.match(err.message, new RegExp(entrypoint.replace(/[.[\]]/g, '\\$&')));
      assert.match(err.message, reason);
    });
  }

  it('config.includeFiles that is not a pattern → GO_INVALID_OPTIONS, no output directory left', async () => {
    const err = await expectBuildError('basic', 'api/index.go', 'GO_INVALID_OPTIONS', {
      config: { includeFiles: 5 },
    });
    assert.match(err.message, /includeFiles/);
  });

  const badPatterns = [
    ['a NUL byte', 'data/\0x', /NUL byte/],
    ['a `..` part', '../outside/**', /inside the project/],
    ['an absolute path', '/etc/*', /inside the project/],
  ];
  for (const [title, pattern, reason] of badPatterns) {
    it(`config.includeFiles / excludeFiles with ${title} → GO_INVALID_OPTIONS naming it, before any work`, async () => {
      for (const [key, config] of [
        ['config.includeFiles', { includeFiles: ['api/*.go', pattern] }],
        ['config.excludeFiles', { includeFiles: 'api/*.go', excludeFiles: pattern }],
        ['functions["api/*.go"].excludeFiles', { includeFiles: 'api/*.go', functions: { 'api/*.go': { excludeFiles: pattern } } }],
      ]) {
        const err = await expectBuildError('basic', 'api/index.go', 'GO_INVALID_OPTIONS', { config });
        assert.ok(err.message.includes(`\`${key}\``), err.message);
        assert.match(err.message, reason);
      }
    });
  }

  it('a builder config maxDuration that is neither a number nor "max" → GO_INVALID_OPTIONS', async () => {
    const err = await expectBuildError('basic', 'api/index.go', 'GO_INVALID_OPTIONS', { config: { maxDuration: 'forever' } });
    assert.match(err.message, /config\.maxDuration/);
  });

  it('a relative workPath is resolved against the current directory', async () => {
    const ws = copyFixture('handler/basic');
    const before = snapshotTree(ws.root);
    const workPath = path.relative(process.cwd(), ws.workPath);
    assert.ok(!path.isAbsolute(workPath));
    const { output } = await builder.build({
      files: {}, entrypoint: 'api/index.go', workPath, config: {}, meta: { skipDownload: true, env: { TMPDIR: ws.tmp } },
    });
    assert.equal(output.handler, 'bootstrap');
    assert.equal(diffSnapshots(before, snapshotTree(ws.root)), '');
  });

  it('a FIFO entrypoint fails fast, twice, and the next good build still completes', { timeout: 120000 }, async () => {
    const ws = copyFixture('handler/basic');
    execFileSync('mkfifo', [path.join(ws.workPath, 'api', 'f.go')]);
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        builder.build({ files: {}, entrypoint: 'api/f.go', workPath: ws.workPath, config: {}, meta: { skipDownload: true, env: { TMPDIR: ws.tmp } } }),
        (err) => err.code === 'GO_ENTRYPOINT_UNREADABLE' && /regular file/.test(err.message),
      );
    }
    fs.rmSync(path.join(ws.workPath, 'api', 'f.go'));
    const { output } = await builder.build({
      files: {}, entrypoint: 'api/index.go', workPath: ws.workPath, config: {}, meta: { skipDownload: true, env: { TMPDIR: ws.tmp } },
    });
    assert.equal(output.handler, 'bootstrap');
  });

  it('unparsable GO_BUILD_FLAGS (unterminated quote) → GO_INVALID_OPTIONS', async () => {
    const err = await expectBuildError('basic', 'api/index.go', 'GO_INVALID_OPTIONS', {
      env: { GO_BUILD_FLAGS: "-tags 'open" },
    });
    assert.match(err.message, /GO_BUILD_FLAGS/);
  });

  it('bad input types are rejections, not synchronous throws', async () => {
    const ws = copyFixture('handler/basic');
    const before = snapshotTree(ws.root);
    const bad = [
      { files: { x: 5 }, entrypoint: 'api/index.go', workPath: ws.workPath, config: {}, meta: { skipDownload: true } },
      { files: {}, entrypoint: 5, workPath: ws.workPath, config: {}, meta: { skipDownload: true } },
      { files: {}, entrypoint: 'api/index.go', workPath: 7, config: {}, meta: { skipDownload: true } },
      null,
      undefined,
    ];
    for (const opts of bad) {
      let promise;
      assert.doesNotThrow(() => {
        promise = builder.build(opts);
      }, `build(${JSON.stringify(opts)}) must not throw synchronously`);
      assert.ok(promise && typeof promise.then === 'function', 'build() returns a promise');
      await assert.rejects(promise, (err) => {
        assert.ok(err instanceof NowBuildError, `rejects with a NowBuildError, got ${err && err.stack}`);
        assert.equal(err.code, 'GO_INVALID_OPTIONS');
        return true;
      });
    }
    assert.equal(diffSnapshots(before, snapshotTree(ws.root)), '');
  });
});
