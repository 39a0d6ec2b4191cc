'use strict';

// build() failures: each is a NowBuildError from
// @vercel/build-utils with a stable code and a useful message, and the tree
// (the fixture copy and everything beside it) is left byte-identical.

const { describe, it, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

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
