'use strict';

// build() in handler mode (issue 2): every spec §9 idea that applies to
// handler functions, as a real Go project under __test__/fixtures/handler.
//
// For each build: the fixture (a private copy) is snapshotted before and after
// and must be byte-identical (paths, contents, modes, symlinks), the Lambda
// must have the handler-mode fields, and the produced function directory is
// run with @vercel/fun: status, a header the handler sets (its identity) and
// the body (which includes data only the right handler/package can produce).
//
// Error cases: build-errors.test.js. Options/env (GO_BUILD_FLAGS, arm64,
// GIT_CREDENTIALS, huge env): build-options.test.js. Crash and concurrency:
// build-crash.test.js.

const { describe, it, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const {
  loadBuilder,
  copyFixture,
  buildOk,
  assertHandlerLambda,
  invokeLambda,
  assertResponse,
  nameUUID,
  UUID_NAMESPACE: NS,
} = require('./helpers');

let builder;
before(() => {
  builder = loadBuilder();
});

/**
 * Builds `entrypoint` of an already copied fixture, checks the tree and the
 * Lambda, invokes it with each request and checks each response.
 * checks: [{ request, status, handler, headers, body }]
 */
async function buildAndServe(ws, entrypoint, checks, opts = {}) {
  const lambda = await buildOk(ws, { entrypoint, builder, ...opts });
  assertHandlerLambda(lambda);
  const responses = await invokeLambda(
    lambda,
    checks.map((c) => c.request || {})
  );
  checks.forEach((c, i) => assertResponse(responses[i], c));
  return { lambda, responses };
}

describe('handler mode: module layouts', () => {
  it('no go.mod, with a third-party import (resolved through the module proxy)', async () => {
    const ws = copyFixture('handler/no-go-mod-third-party');
    const expected = nameUUID('sha1', NS.URL, 'https://vercel.com/abc');
    await buildAndServe(ws, 'api/index.go', [
      {
        request: { path: '/api?name=abc' },
        handler: 'no-go-mod-third-party/api/index.go#Handler',
        body: `uuid=${expected} version=5`,
      },
    ]);
  });

  it('go.mod in a sub-directory above two entries (two packages of one module)', async () => {
    const ws = copyFixture('handler/gomod-subdir');
    await buildAndServe(ws, 'app/api/one.go', [
      {
        status: 201,
        handler: 'gomod-subdir/app/api/one.go#One',
        body: 'one owner=subdir-module-data sibling=api-sibling',
      },
    ]);
    await buildAndServe(ws, 'app/api/two/index.go', [
      {
        request: { path: '/api/two' },
        status: 202,
        handler: 'gomod-subdir/app/api/two/index.go#Handler',
        body: 'two owner=subdir-module-data path=/api/two',
      },
    ]);
  });

  it('go.mod without a `go` line', async () => {
    const ws = copyFixture('handler/gomod-no-go-line');
    await buildAndServe(ws, 'api/index.go', [
      {
        request: { method: 'POST', body: 'x' },
        handler: 'gomod-no-go-line/api/index.go#Handler',
        body: 'no go line, method=POST',
      },
    ]);
  });

  it('root module with api/ importing a shared package of the same module (+ third-party dep, go.sum)', async () => {
    const ws = copyFixture('handler/shared-package');
    await buildAndServe(ws, 'api/index.go', [
      {
        handler: 'shared-package/api/index.go#Handler',
        body: `hello site ${nameUUID('md5', NS.DNS, 'site')}`,
      },
    ]);
  });

  it('two independent modules', async () => {
    const ws = copyFixture('handler/two-modules');
    for (const m of ['one', 'two']) {
      await buildAndServe(ws, `${m}/api/index.go`, [
        { handler: `two-modules/${m}/api/index.go#Handler`, body: `module=example.com/${m}` },
      ]);
    }
  });

  it('nested entry api/v1/users/index.go (with a sibling file)', async () => {
    const ws = copyFixture('handler/nested-entry');
    await buildAndServe(ws, 'api/v1/users/index.go', [
      {
        request: { path: '/api/v1/users' },
        handler: 'nested-entry/api/v1/users/index.go#Handler',
        headers: { 'content-type': 'application/json' },
        body: '{"users":["ada","grace"],"version":"v1"}\n',
      },
    ]);
  });

  it('entry outside any module while a sibling directory has one', async () => {
    const ws = copyFixture('handler/outside-module');
    await buildAndServe(ws, 'api/index.go', [
      { handler: 'outside-module/api/index.go#Handler', body: 'outside any module' },
    ]);
  });

  it('go.mod inside api/ with a self-require, `replace => ./` and `replace => ./extra`', async () => {
    const ws = copyFixture('handler/api-gomod-replace');
    await buildAndServe(ws, 'api/index.go', [
      {
        handler: 'api-gomod-replace/api/index.go#Handler',
        body: 'util of example.com/apimod | extra module via replace => ./extra | sibling in the module root',
      },
    ]);
  });

  it('go.work with a shared module (api requires it; go.work uses both, versioned replace)', async () => {
    const ws = copyFixture('handler/go-work');
    await buildAndServe(ws, 'api/index.go', [
      {
        handler: 'go-work/api/index.go#Handler',
        body: `from shared workspace module ${nameUUID('md5', NS.OID, 'shared')}`,
      },
    ]);
  });

  it('go.work with a shared module required without any replace', async () => {
    const ws = copyFixture('handler/go-work-plain');
    await buildAndServe(ws, 'api/index.go', [
      { handler: 'go-work-plain/api/index.go#Handler', body: 'plain workspace module example.com/shared' },
    ]);
  });

  it('a broken root main.go does not affect api/', async () => {
    const ws = copyFixture('handler/broken-root-main');
    await buildAndServe(ws, 'api/index.go', [
      {
        handler: 'broken-root-main/api/index.go#Handler',
        body: 'api unaffected by the broken root main.go',
      },
    ]);
  });

  it('vendored module (go.mod + vendor/ from `go mod vendor`) builds and serves', async () => {
    const ws = copyFixture('handler/vendored');
    await buildAndServe(ws, 'api/index.go', [
      {
        handler: 'vendored/api/index.go#Handler',
        body: `vendored uuid ${nameUUID('md5', NS.DNS, 'vendored')}`,
      },
    ]);
  });

  it(
    'vendored module: the vendored sources are the ones compiled (as `go build` does locally)',
    async () => {
      const ws = copyFixture('handler/vendored');
      // A marker only the vendored copy has: with -mod=vendor the init panics.
      fs.appendFileSync(
        path.join(ws.workPath, 'vendor/github.com/google/uuid/uuid.go'),
        '\nfunc init() { panic("vendored copy in use") }\n'
      );
      const lambda = await buildOk(ws, { entrypoint: 'api/index.go', builder });
      const res = await invokeLambda(lambda, {}, { allowFunctionError: true });
      assert.ok(res.functionError, `expected the vendored copy to run, got: ${JSON.stringify(res.body)}`);
    }
  );
});

describe('handler mode: Go versions and go.mod formatting', () => {
  let go121;
  it('`go 1.21` in go.mod still builds and serves', async () => {
    const ws = copyFixture('handler/go-version-121');
    go121 = await buildAndServe(ws, 'api/index.go', [
      { handler: 'go-version-121/api/index.go#Handler', body: /^loopvars=\d,\d,\d$/ },
    ]);
  });

  it('`go 1.21` in go.mod is honoured: the handler keeps go1.21 loop-variable semantics', () => {
    assert.ok(go121, 'the go 1.21 fixture built');
    // go <= 1.21: one loop variable shared by all closures -> 3,3,3 (go >= 1.22: 0,1,2).
    assert.equal(go121.responses[0].body, 'loopvars=3,3,3');
  });

  it('exact patch version `go 1.22.5`', async () => {
    const ws = copyFixture('handler/patch-version');
    await buildAndServe(ws, 'api/index.go', [
      { handler: 'patch-version/api/index.go#Handler', body: 'built with go 1.22.5 in go.mod' },
    ]);
  });

  it('go.mod without a final newline (last line is a require)', async () => {
    const ws = copyFixture('handler/gomod-no-final-newline');
    assert.ok(!fs.readFileSync(path.join(ws.workPath, 'go.mod'), 'utf8').endsWith('\n'));
    await buildAndServe(ws, 'api/index.go', [
      {
        handler: 'gomod-no-final-newline/api/index.go#Handler',
        body: `no final newline ${nameUUID('md5', NS.X500, 'nonewline')}`,
      },
    ]);
  });
});

describe('handler mode: finding and renaming the handler', () => {
  it('three handlers in one package with distinct names (and a shared sibling)', async () => {
    const ws = copyFixture('handler/three-handlers');
    for (const [file, fn] of [['alpha', 'Alpha'], ['beta', 'Beta'], ['gamma', 'Gamma']]) {
      await buildAndServe(ws, `api/${file}.go`, [
        {
          handler: `three-handlers/api/${file}.go#${fn}`,
          body: `fn=${fn} shared=shared:${file.toUpperCase()}`,
        },
      ]);
    }
  });

  it('a non-handler exported function (and wrong signatures) before the handler', async () => {
    const ws = copyFixture('handler/exported-before-handler');
    await buildAndServe(ws, 'api/index.go', [
      { handler: 'exported-before-handler/api/index.go#Handler', body: 'real handler QUIET!' },
    ]);
  });

  it('leading comments and `var _ http.HandlerFunc = Index` (a field named Index untouched)', async () => {
    const ws = copyFixture('handler/leading-comments');
    await buildAndServe(ws, 'api/index.go', [
      { handler: 'leading-comments/api/index.go#Index', body: 'index field=7' },
    ]);
  });

  it('receiver methods named Handler are skipped', async () => {
    const ws = copyFixture('handler/receiver-methods');
    await buildAndServe(ws, 'api/index.go', [
      { handler: 'receiver-methods/api/index.go#Handler', body: 'function handler, not the method' },
    ]);
  });

  it('aliased net/http import (`h "net/http"`)', async () => {
    const ws = copyFixture('handler/aliased-http');
    await buildAndServe(ws, 'api/index.go', [
      {
        request: { path: '/api/aliased' },
        status: 202,
        handler: 'aliased-http/api/index.go#Serve',
        body: 'aliased net/http as h, path=/api/aliased',
      },
    ]);
  });

  it('duplicate `Handler` names across files of one package and across packages', async () => {
    const ws = copyFixture('handler/duplicate-handlers');
    for (const f of ['a', 'b']) {
      await buildAndServe(ws, `api/${f}.go`, [
        { handler: `duplicate-handlers/api/${f}.go#Handler`, body: `file=${f}.go common=api-common` },
      ]);
    }
    for (const p of ['users', 'posts']) {
      await buildAndServe(ws, `api/${p}/index.go`, [
        { handler: `duplicate-handlers/api/${p}/index.go#Handler`, body: `package=${p}` },
      ]);
    }
  });

  it('several handler packages in one directory (api/a.go package a, api/b.go package b)', async () => {
    const ws = copyFixture('handler/multi-package-dir');
    for (const p of ['a', 'b']) {
      const fn = `Handler${p.toUpperCase()}`;
      await buildAndServe(ws, `api/${p}.go`, [
        { handler: `multi-package-dir/api/${p}.go#${fn}`, body: `package=${p} data=data of package ${p}` },
      ]);
    }
  });

  it('`package main` handler without go.mod (legacy) builds on current Go', async () => {
    const ws = copyFixture('handler/package-main-no-gomod');
    await buildAndServe(ws, 'api/index.go', [
      { handler: 'package-main-no-gomod/api/index.go#Handler', body: 'legacy package main handler' },
    ]);
  });
});

describe('handler mode: [param].go entrypoints', () => {
  it('api/[id].go with go.mod (a bracket sibling and a plain sibling in the package)', async () => {
    const ws = copyFixture('handler/bracket-gomod');
    await buildAndServe(ws, 'api/[id].go', [
      {
        request: { path: '/api/42?id=42' },
        handler: 'bracket-gomod/api/[id].go#Handler',
        headers: { 'x-id': '42' },
        body: 'id=42 label=<42>',
      },
      {
        request: { path: '/api/zeta?id=zeta' },
        handler: 'bracket-gomod/api/[id].go#Handler',
        headers: { 'x-id': 'zeta' },
        body: 'id=zeta label=<zeta>',
      },
    ]);
    await buildAndServe(ws, 'api/[other].go', [
      {
        request: { path: '/api/o?other=o' },
        handler: 'bracket-gomod/api/[other].go#Other',
        body: 'other=o label=<x>',
      },
    ]);
  });

  it('api/[slug].go without go.mod', async () => {
    const ws = copyFixture('handler/bracket-no-gomod');
    await buildAndServe(ws, 'api/[slug].go', [
      {
        request: { path: '/api/hello-world?slug=hello-world' },
        handler: 'bracket-no-gomod/api/[slug].go#Handler',
        headers: { 'x-slug': 'hello-world' },
        body: 'slug=hello-world upper=HELLO-WORLD',
      },
    ]);
  });
});

describe('handler mode: includeFiles', () => {
  it('includeFiles as a string: only the matching files are in the Lambda, readable at run time', async () => {
    const ws = copyFixture('handler/include-files');
    const { lambda } = await buildAndServe(
      ws,
      'api/index.go',
      [
        {
          request: { path: '/api?f=data/config.json' },
          handler: 'include-files/api/index.go#Handler',
          body: 'file data/config.json: {"greeting":"hello from data/config.json"}\n',
        },
        {
          request: { path: '/api?f=templates/page.txt' },
          status: 404,
          handler: 'include-files/api/index.go#Handler',
          body: 'missing templates/page.txt',
        },
      ],
      { config: { includeFiles: 'data/*.json' } }
    );
    assert.deepEqual(Object.keys(lambda.files).sort(), ['bootstrap', 'data/config.json']);
  });

  it('includeFiles as an array: every pattern is included, modes kept', async () => {
    const ws = copyFixture('handler/include-files');
    const { lambda } = await buildAndServe(
      ws,
      'api/index.go',
      [
        {
          request: { path: '/api?f=data/config.json' },
          handler: 'include-files/api/index.go#Handler',
          body: 'file data/config.json: {"greeting":"hello from data/config.json"}\n',
        },
        {
          request: { path: '/api?f=templates/page.txt' },
          handler: 'include-files/api/index.go#Handler',
          body: 'file templates/page.txt: page template v1\n',
        },
        {
          request: { path: '/api?f=data/tool.sh' },
          handler: 'include-files/api/index.go#Handler',
          body: 'file data/tool.sh: #!/bin/sh\necho tool\n',
        },
      ],
      { config: { includeFiles: ['data/**', 'templates/*.txt'] } }
    );
    assert.deepEqual(Object.keys(lambda.files).sort(), [
      'bootstrap',
      'data/config.json',
      'data/tool.sh',
      'templates/page.txt',
    ]);
    assert.ok(lambda.files['data/tool.sh'].mode & 0o111, 'tool.sh keeps its executable mode');
    assert.equal(lambda.files['data/config.json'].mode & 0o111, 0, 'config.json is not executable');
  });
});
