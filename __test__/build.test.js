'use strict';

// build() in handler mode: the module layouts, Go versions, handler names
// and entrypoint forms a handler function can have, each a real Go project
// under __test__/fixtures/handler.
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

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const {
  copyFixture,
  tempDir,
  writeFiles,
  goFile,
  buildOk,
  buildAndServe,
  assertServes,
  invokeLambda,
  assertResponse,
  nameUUID,
  UUID_NAMESPACE: NS,
} = require('./helpers');

/**
 * One test per row: a fresh copy of fixtures/handler/<fixture>, whose
 * entries are built in turn (each with a tree check and the handler-mode
 * Lambda fields) and invoked with each check's request. A row is one build
 * ({ entrypoint = 'api/index.go', fn = 'Handler', checks, opts }) or lists
 * several in `builds`; every response must carry the X-Handler header
 * <fixture>/<entrypoint>#<fn> besides what its check says (status, headers,
 * body). `precondition(ws)` runs on the copy before the first build.
 */
function servesEach(rows) {
  for (const row of rows) {
    it(row.title, async () => {
      const ws = copyFixture(`handler/${row.fixture}`);
      if (row.precondition) row.precondition(ws);
      for (const { entrypoint = 'api/index.go', fn = 'Handler', checks, opts } of row.builds || [row]) {
        const handler = `${row.fixture}/${entrypoint}#${fn}`;
        await buildAndServe(ws, { entrypoint, ...opts }, checks.map((c) => ({ handler, ...c })));
      }
    });
  }
}

const TEXT = 'text/plain; charset=utf-8';

describe('handler mode: module layouts', () => {
  servesEach([
    {
      title: 'no go.mod, with a third-party import (resolved through the module proxy)',
      fixture: 'no-go-mod-third-party',
      checks: [
        {
          request: { path: '/api?name=abc' },
          body: `uuid=${nameUUID('sha1', NS.URL, 'https://vercel.com/abc')} version=5`,
        },
      ],
    },
    {
      title: 'go.mod in a sub-directory above two entries (two packages of one module)',
      fixture: 'gomod-subdir',
      builds: [
        {
          entrypoint: 'app/api/one.go',
          fn: 'One',
          checks: [{ status: 201, body: 'one owner=subdir-module-data sibling=api-sibling' }],
        },
        {
          entrypoint: 'app/api/two/index.go',
          checks: [
            { request: { path: '/api/two' }, status: 202, body: 'two owner=subdir-module-data path=/api/two' },
            { request: { path: '/api/three' }, status: 404, body: '404 page not found\n' },
          ],
        },
      ],
    },
    {
      title: 'go.mod without a `go` line',
      fixture: 'gomod-no-go-line',
      checks: [{ request: { method: 'POST', body: 'x' }, body: 'no go line, method=POST' }],
    },
    {
      title: 'root module with api/ importing a shared package of the same module (+ third-party dep, go.sum)',
      fixture: 'shared-package',
      checks: [{ body: `hello site ${nameUUID('md5', NS.DNS, 'site')}` }],
    },
    {
      title: 'two independent modules',
      fixture: 'two-modules',
      builds: [
        { entrypoint: 'one/api/index.go', checks: [{ body: 'module=example.com/one' }] },
        {
          entrypoint: 'two/api/index.go',
          checks: [{ headers: { 'x-module': 'example.com/two' }, body: 'module=example.com/two' }],
        },
      ],
    },
    {
      title: 'nested entry api/v1/users/index.go (with a sibling file)',
      fixture: 'nested-entry',
      entrypoint: 'api/v1/users/index.go',
      checks: [
        {
          request: { path: '/api/v1/users' },
          headers: { 'content-type': 'application/json' },
          body: '{"users":["ada","grace"],"version":"v1"}\n',
        },
      ],
    },
    {
      title: 'entry outside any module while a sibling directory has one',
      fixture: 'outside-module',
      checks: [{ body: 'outside any module' }],
    },
    {
      title: 'go.mod inside api/ with a self-require, `replace => ./` and `replace => ./extra`',
      fixture: 'api-gomod-replace',
      checks: [
        {
          headers: { 'x-parts': '3' },
          body: 'util of example.com/apimod | extra module via replace => ./extra | sibling in the module root',
        },
      ],
    },
    {
      title: 'go.work with a shared module (api requires it; go.work uses both, versioned replace)',
      fixture: 'go-work',
      checks: [{ body: `from shared workspace module ${nameUUID('md5', NS.OID, 'shared')}` }],
    },
    {
      title: 'go.work with a shared module required without any replace',
      fixture: 'go-work-plain',
      checks: [{ body: 'plain workspace module example.com/shared (no replace)', headers: { 'content-type': TEXT } }],
    },
    {
      title: 'a broken root main.go does not affect api/',
      fixture: 'broken-root-main',
      checks: [{ body: 'api unaffected by the broken root main.go' }],
    },
    {
      title: 'vendored module (go.mod + vendor/ from `go mod vendor`) builds and serves',
      fixture: 'vendored',
      checks: [{ body: `vendored uuid ${nameUUID('md5', NS.DNS, 'vendored')} version 3` }],
    },
    {
      // go.mod and vendor/modules.txt both say `=> ./greeting`; Go checks
      // that they agree, so the build must see them alike.
      title: 'vendored module with a directory `replace` of a module inside the project builds and serves',
      fixture: 'vendored-replace',
      // A builder cache of its own: a program kept by an earlier build of
      // the same sources would be reused without running Go.
      opts: { env: { GO_BUILDER_CACHE_DIR: tempDir('vendored-replace-cache') } },
      checks: [{ request: { path: '/api?name=gopher' }, body: 'hello, gopher, from the vendored greeting module' }],
    },
    {
      title: 'no go.mod: an entry at the project root and one in a directory below it, both with a third-party import',
      fixture: 'no-go-mod-root',
      builds: [
        {
          entrypoint: 'index.go',
          checks: [{ body: `root ${nameUUID('md5', NS.DNS, 'root.example')}` }],
        },
        {
          entrypoint: 'nested/index.go',
          checks: [{ request: { path: '/nested' }, body: `nested ${nameUUID('sha1', NS.DNS, 'nested.example')}` }],
        },
      ],
    },
    {
      title: 'go.mod inside api/, a handler package in each of two directories (config.parallel is accepted)',
      fixture: 'api-gomod-dirs',
      builds: ['first', 'second'].map((dir) => ({
        entrypoint: `api/${dir}/${dir}.go`,
        opts: { config: { parallel: true } },
        checks: [{ request: { path: `/api/${dir}/${dir}.go` }, body: `the ${dir} directory answers /api/${dir}/${dir}.go` }],
      })),
    },
    {
      title: 'go.mod inside api/ replacing its own sub-path with `./`: a nested entry imports a package under `_pkg/` (and an unused requirement has no go.sum)',
      fixture: 'api-underscore-pkg',
      entrypoint: 'api/v1/routes/route.go',
      checks: [{ request: { path: '/api/v1/routes/route' }, body: 'label from api/_pkg/label, served at /api/v1/routes/route' }],
    },
    {
      title: 'go.work whose module imports another workspace module its go.mod does not require',
      fixture: 'go-work-no-require',
      checks: [{ body: 'HELLO WORKSPACE (from the words module)' }],
    },
  ]);

  it('vendored module: the vendored sources are the ones compiled (as `go build` does locally)', async () => {
    const ws = copyFixture('handler/vendored');
    // A marker only the vendored copy has: with -mod=vendor the init panics.
    fs.appendFileSync(
      path.join(ws.workPath, 'vendor/github.com/google/uuid/uuid.go'),
      '\nfunc init() { panic("vendored copy in use") }\n'
    );
    const lambda = await buildOk(ws, { entrypoint: 'api/index.go' });
    const res = await invokeLambda(lambda, {}, { allowFunctionError: true });
    assert.ok(res.functionError, `expected the vendored copy to run, got: ${JSON.stringify(res.body)}`);
  });
});

describe('handler mode: Go versions and go.mod formatting', () => {
  let go121;
  it('`go 1.21` in go.mod still builds and serves', async () => {
    const ws = copyFixture('handler/go-version-121');
    go121 = await buildAndServe(ws, { entrypoint: 'api/index.go' }, [
      { handler: 'go-version-121/api/index.go#Handler', body: /^loopvars=\d,\d,\d$/ },
    ]);
  });

  it('`go 1.21` in go.mod is honoured: the handler keeps go1.21 loop-variable semantics', () => {
    assert.ok(go121, 'the go 1.21 fixture built');
    // go <= 1.21: one loop variable shared by all closures -> 3,3,3 (go >= 1.22: 0,1,2).
    assert.equal(go121.responses[0].body, 'loopvars=3,3,3');
  });

  servesEach([
    {
      title: 'exact patch version `go 1.22.5`',
      fixture: 'patch-version',
      checks: [{ body: 'built with go 1.22.5 in go.mod' }],
    },
    {
      title: 'go.mod without a final newline (last line is a require)',
      fixture: 'gomod-no-final-newline',
      precondition: (ws) => assert.ok(!fs.readFileSync(path.join(ws.workPath, 'go.mod'), 'utf8').endsWith('\n')),
      checks: [{ body: `no final newline ${nameUUID('md5', NS.X500, 'nonewline')}` }],
    },
  ]);
});

describe('handler mode: finding and renaming the handler', () => {
  servesEach([
    {
      title: 'three handlers in one package with distinct names (and a shared sibling)',
      fixture: 'three-handlers',
      builds: [['alpha', 'Alpha'], ['beta', 'Beta'], ['gamma', 'Gamma']].map(([file, fn]) => ({
        entrypoint: `api/${file}.go`,
        fn,
        checks: [{ body: `fn=${fn} shared=shared:${file.toUpperCase()}` }],
      })),
    },
    {
      title: 'a non-handler exported function (and wrong signatures) before the handler',
      fixture: 'exported-before-handler',
      checks: [{ body: 'real handler QUIET!' }],
    },
    {
      title: 'leading comments and `var _ http.HandlerFunc = Index` (a field named Index untouched)',
      fixture: 'leading-comments',
      fn: 'Index',
      checks: [{ body: 'index field=7' }],
    },
    {
      title: 'receiver methods named Handler are skipped',
      fixture: 'receiver-methods',
      checks: [{ body: 'function handler, not the method' }],
    },
    {
      title: 'aliased net/http import (`h "net/http"`)',
      fixture: 'aliased-http',
      fn: 'Serve',
      checks: [{ request: { path: '/api/aliased' }, status: 202, body: 'aliased net/http as h, path=/api/aliased' }],
    },
    {
      title: 'duplicate `Handler` names across files of one package and across packages',
      fixture: 'duplicate-handlers',
      builds: [
        ...['a', 'b'].map((f) => ({ entrypoint: `api/${f}.go`, checks: [{ body: `file=${f}.go common=api-common` }] })),
        ...['users', 'posts'].map((p) => ({ entrypoint: `api/${p}/index.go`, checks: [{ body: `package=${p}` }] })),
      ],
    },
    {
      title: 'several handler packages in one directory (api/a.go package a, api/b.go package b)',
      fixture: 'multi-package-dir',
      builds: ['a', 'b'].map((p) => ({
        entrypoint: `api/${p}.go`,
        fn: `Handler${p.toUpperCase()}`,
        checks: [{ body: `package=${p} data=data of package ${p}` }],
      })),
    },
    {
      title: '`package main` handler without go.mod (legacy) builds on current Go',
      fixture: 'package-main-no-gomod',
      checks: [{ body: 'legacy package main handler' }],
    },
    {
      title: 'entries at the root of a `go 1.15` module: `Handler` twice in one package, in another package of the same directory, and twice in a sub-directory',
      fixture: 'root-entries',
      builds: [
        ['index.go', 'answered by index.go at the module root'],
        ['twin.go', 'answered by twin.go, same package and name as index.go'],
        ['elsewhere.go', 'answered by elsewhere.go, package elsewhere beside package handler'],
        ['sub/one.go', 'answered by sub/one.go'],
        ['sub/two.go', 'answered by sub/two.go'],
      ].map(([entrypoint, body]) => ({ entrypoint, checks: [{ body }] })),
    },
    {
      title: 'one handler named `Handler2` and another named `Handler` in one package: each is served by its own file',
      fixture: 'prefix-names',
      builds: [
        { entrypoint: 'api/one.go', fn: 'Handler2', checks: [{ body: "one.go's Handler2" }] },
        { entrypoint: 'api/two.go', checks: [{ body: "two.go's Handler" }] },
      ],
    },
  ]);
});

describe('handler mode: [param].go entrypoints', () => {
  servesEach([
    {
      title: 'api/[id].go with go.mod (a bracket sibling and a plain sibling in the package)',
      fixture: 'bracket-gomod',
      builds: [
        {
          entrypoint: 'api/[id].go',
          checks: ['42', 'zeta'].map((id) => ({
            request: { path: `/api/${id}?id=${id}` },
            headers: { 'x-id': id },
            body: `id=${id} label=<${id}>`,
          })),
        },
        {
          entrypoint: 'api/[other].go',
          fn: 'Other',
          checks: [{ request: { path: '/api/o?other=o' }, body: 'other=o label=<x>' }],
        },
      ],
    },
    {
      title: 'api/[slug].go without go.mod',
      fixture: 'bracket-no-gomod',
      entrypoint: 'api/[slug].go',
      checks: [
        { request: { path: '/api/' }, status: 400, body: 'no slug\n' },
        {
          request: { path: '/api/hello-world?slug=hello-world' },
          headers: { 'x-slug': 'hello-world' },
          body: 'slug=hello-world upper=HELLO-WORLD words=2',
        },
      ],
    },
  ]);
});

describe('handler mode: responses', () => {
  servesEach([
    {
      title: 'entries at the project root without go.mod: no Content-Type set, 401 with a late, a declared and no Content-Length',
      fixture: 'response-basics',
      builds: [
        {
          entrypoint: 'index.go',
          // go-bridge (the reference's too) sends only the headers the
          // handler set: no sniffed Content-Type; the platform picks one.
          checks: [{ headers: { 'content-type': undefined }, body: 'plain words without a declared type' }],
        },
        {
          entrypoint: 'late_header.go',
          fn: 'HandlerLateHeader',
          // go-bridge keeps a header set after WriteHeader (net/http would not).
          checks: [{ status: 401, headers: { 'content-length': '35' }, body: 'denied, length set after the status' }],
        },
        {
          entrypoint: 'declared_length.go',
          fn: 'HandlerDeclaredLength',
          checks: [{ status: 401, body: '' }],
        },
        {
          entrypoint: 'status_only.go',
          fn: 'HandlerStatusOnly',
          checks: [{ request: { path: '/status_only.go' }, status: 401, body: 'denied with a body, path /status_only.go' }],
        },
      ],
    },
  ]);
});

describe('handler mode: run-time environment', () => {
  it('the environment the platform sets when it runs the function reaches the handler, values of several KB included', async () => {
    const ws = copyFixture('handler/runtime-env');
    const lambda = await buildOk(ws, { entrypoint: 'api/index.go' });
    assert.deepEqual(lambda.environment, {}, 'nothing of the project environment is baked into the Lambda');
    const env = {
      GREETING_TOKEN: `token-${process.pid}-${Date.now()}`,
      LONG_NOTE: 'lorem ipsum dolor sit amet '.repeat(80).trim(),
      LONGER_NOTE: Array.from({ length: 400 }, (_, i) => `word${i}`).join(' '),
    };
    assert.ok(env.LONG_NOTE.length > 2000 && env.LONGER_NOTE.length > 3000);
    const res = await invokeLambda(lambda, { path: '/api' }, { env });
    assertResponse(res, {
      handler: 'runtime-env/api/index.go#Handler',
      body: Object.entries(env).map(([name, value]) => `${name}=${value}\n`).join(''),
    });
  });
});

describe('handler mode: long paths', () => {
  it('an entrypoint 276 characters long, 45 directories deep, builds and serves', async () => {
    const dirs = ['api', ...Array.from({ length: 44 }, (_, i) => `seg${String(i + 1).padStart(2, '0')}`)];
    const entrypoint = `${dirs.join('/')}/index.go`;
    assert.equal(entrypoint.length, 276);
    const base = tempDir('long-paths');
    const ws = { name: 'deep', base, root: path.join(base, 'ws'), workPath: path.join(base, 'ws', 'deep') };
    writeFiles(ws.workPath, {
      'go.mod': 'module example.com/deep\n\ngo 1.22\n',
      [entrypoint]: goFile('handler', ['fmt', 'net/http'], [
        'func Handler(w http.ResponseWriter, r *http.Request) {',
        '\tw.Header().Set("X-Handler", "deep/" + "index.go#Handler")',
        '\tfmt.Fprintf(w, "deep handler at %s", r.URL.Path)',
        '}',
      ]),
    });
    await buildAndServe(ws, { entrypoint }, [
      { request: { path: '/deep' }, handler: 'deep/index.go#Handler', body: 'deep handler at /deep' },
    ]);
  });
});

describe('handler mode: includeFiles', () => {
  /** What api/index.go answers for ?f=<name>: the file, or a 404 when it is not in the Lambda. */
  const included = (name, content) => ({ request: { path: `/api?f=${name}` }, body: `file ${name}: ${content}` });
  const CONFIG_JSON = included('data/config.json', '{"greeting":"hello from data/config.json"}\n');

  /**
   * Builds include-files with `includeFiles` (and the rest of `config`);
   * resolves to the Lambda after checking the responses.
   */
  async function buildIncluding(includeFiles, checks, config = {}) {
    const ws = copyFixture('handler/include-files');
    const handler = 'include-files/api/index.go#Handler';
    const opts = { entrypoint: 'api/index.go', config: { ...config, includeFiles } };
    const { lambda } = await buildAndServe(ws, opts, checks.map((c) => ({ handler, ...c })));
    return lambda;
  }

  it('includeFiles as a string: only the matching files are in the Lambda, readable at run time', async () => {
    const lambda = await buildIncluding('data/*.json', [
      CONFIG_JSON,
      { request: { path: '/api?f=templates/page.txt' }, status: 404, body: 'missing templates/page.txt' },
    ]);
    assert.deepEqual(Object.keys(lambda.files).sort(), ['bootstrap', 'data/config.json']);
  });

  it('includeFiles as an array: every pattern is included, modes kept', async () => {
    const lambda = await buildIncluding(['data/**', 'templates/*.txt'], [
      CONFIG_JSON,
      included('templates/page.txt', 'page template v1\n'),
      included('data/tool.sh', '#!/bin/sh\necho tool\n'),
    ]);
    assert.deepEqual(Object.keys(lambda.files).sort(), [
      'bootstrap',
      'data/config.json',
      'data/tool.sh',
      'templates/page.txt',
    ]);
    assert.ok(lambda.files['data/tool.sh'].mode & 0o111, 'tool.sh keeps its executable mode');
    assert.equal(lambda.files['data/config.json'].mode & 0o111, 0, 'config.json is not executable');
  });

  it('excludeFiles (the config\'s and the matching functions entry\'s) leaves out what it matches of includeFiles', async () => {
    const missing = (name) => ({ request: { path: `/api?f=${name}` }, status: 404, body: `missing ${name}` });
    const lambda = await buildIncluding(['data/**', 'templates/*.txt'], [
      CONFIG_JSON,
      missing('data/tool.sh'),
      missing('templates/page.txt'),
    ], {
      excludeFiles: 'data/*.sh',
      functions: { 'api/*.go': { excludeFiles: 'templates/**' } },
    });
    assert.deepEqual(Object.keys(lambda.files).sort(), ['bootstrap', 'data/config.json']);
  });
});

describe('handler mode: function limits', () => {
  /** Builds handler/basic with `config` (meta.isDev when `dev`); resolves to the Lambda. */
  async function lambdaWith(config, { dev = false } = {}) {
    const ws = copyFixture('handler/basic');
    return buildOk(ws, { entrypoint: 'api/index.go', config, meta: dev ? { isDev: true } : {} });
  }

  it('maxDuration "max" from the functions entry, and from the builder config (a service\'s) when no entry sets it', async () => {
    const fromEntry = await lambdaWith({ functions: { 'api/*.go': { maxDuration: 'max', memory: 1769 } } });
    assert.equal(fromEntry.maxDuration, 'max');
    assert.equal(fromEntry.memory, 1769);
    const fromConfig = await lambdaWith({ maxDuration: 'max', memory: 512 });
    assert.equal(fromConfig.maxDuration, 'max');
    assert.equal(fromConfig.memory, 512);
    const entryWins = await lambdaWith({ maxDuration: 'max', functions: { 'api/*.go': { maxDuration: 30 } } });
    assert.equal(entryWins.maxDuration, 30);
    await assertServes(entryWins, [{ handler: 'basic/api/index.go#Handler', body: /^basic linux amd64/ }]);
  });

  it('a dev build carries no memory, maxDuration, affinity or maxConcurrency (vercel dev sets them and refuses them from a builder)', async () => {
    const lambda = await lambdaWith({ maxDuration: 'max', functions: { 'api/*.go': { memory: 1769, maxDuration: 30 } } }, { dev: true });
    for (const key of ['memory', 'maxDuration', 'affinity', 'maxConcurrency']) {
      assert.equal(lambda[key], undefined, key);
    }
  });
});
