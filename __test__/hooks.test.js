'use strict';

// The hooks the current CLI calls besides build(), driven directly with the
// shapes the CLI passes: detectEntrypoint() (the services layout) and
// diagnostics() (the module manifest: Go modules and versions the function
// is built from), after a good build, after a failed one and without go.mod.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { NowBuildError, sanitizeConsumerName } = require('@vercel/build-utils');

const { loadBuilder, tempDir, writeFiles, removeTempDirs, runBuild, hashTree } = require('./helpers');

let builder;
before(() => {
  builder = loadBuilder();
});
after(() => removeTempDirs());

const HANDLER = 'package handler\n\nimport "net/http"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n';

describe('detectEntrypoint', () => {
  const cases = [
    ['main.go first', ['main.go', 'cmd/api/main.go'], 'main.go'],
    ['then cmd/api/main.go', ['cmd/api/main.go', 'cmd/server/main.go'], 'cmd/api/main.go'],
    ['then cmd/server/main.go', ['cmd/server/main.go', 'server.go'], 'cmd/server/main.go'],
  ];
  for (const [title, files, expected] of cases) {
    it(title, async () => {
      const workPath = tempDir('detect');
      writeFiles(workPath, Object.fromEntries(files.map((f) => [f, 'package main\n\nfunc main() {}\n'])));
      assert.deepEqual(await builder.detectEntrypoint({ workPath }), { kind: 'file', entrypoint: expected });
    });
  }

  it('null when there is no Go server entrypoint', async () => {
    const workPath = tempDir('detect');
    writeFiles(workPath, { 'api/index.go': HANDLER, 'server.go': 'package main\n' });
    assert.equal(await builder.detectEntrypoint({ workPath }), null);
  });
});

/** diagnostics() as the CLI calls it, parsed: the manifest, or null for `{}`. */
async function manifestOf(options) {
  const files = await builder.diagnostics(options);
  const names = Object.keys(files);
  if (names.length === 0) return null;
  assert.deepEqual(names, ['package-manifest.json']);
  return JSON.parse(files['package-manifest.json'].data.toString());
}

describe('diagnostics', () => {
  const GO_MOD = [
    'module example.com/diag',
    '',
    'go 1.22',
    '',
    'require (',
    '\tgithub.com/vercel/go-bridge v0.0.0-20221108222652-296f4c6bdb6d',
    '\texample.com/local v1.0.0',
    '\texample.com/renamed v1.2.0',
    '\tgithub.com/aws/aws-lambda-go v1.47.0 // indirect',
    ')',
    '',
    'replace example.com/local => ./local',
    '',
    'replace example.com/renamed v1.2.0 => example.com/fork v1.2.1',
    '',
  ].join('\n');

  function project(files) {
    const ws = { root: tempDir('diag') };
    ws.workPath = path.join(ws.root, 'app');
    ws.name = 'app';
    writeFiles(ws.workPath, files);
    return ws;
  }

  it('reports the module\'s dependencies after replace, direct before transitive, and the Go versions', async () => {
    const ws = project({ 'go.mod': GO_MOD, 'api/index.go': HANDLER });
    const before = hashTree(ws.workPath);
    const manifest = await manifestOf({ workPath: ws.workPath, entrypoint: 'api/index.go', config: { framework: 'go' }, files: {}, meta: {} });
    assert.equal(hashTree(ws.workPath), before, 'diagnostics writes nothing');
    assert.equal(manifest.runtime, 'go');
    assert.equal(manifest.framework, 'go');
    assert.equal(manifest.runtimeVersion.requested, '1.22');
    assert.match(manifest.runtimeVersion.resolved, /^\d+\.\d+\.\d+$/);
    assert.deepEqual(
      manifest.dependencies.map((d) => [d.name, d.type, d.requested, d.resolved]),
      [
        ['example.com/fork', 'direct', 'v1.2.1', 'v1.2.1'],
        ['github.com/vercel/go-bridge', 'direct', 'v0.0.0-20221108222652-296f4c6bdb6d', 'v0.0.0-20221108222652-296f4c6bdb6d'],
        ['github.com/aws/aws-lambda-go', 'transitive', 'v1.47.0', 'v1.47.0'],
      ],
      'the local replacement is dropped, the versioned one renamed',
    );
    for (const d of manifest.dependencies) {
      assert.deepEqual([d.scopes, d.source, d.sourceUrl], [['prod'], 'registry', 'https://proxy.golang.org']);
    }
  });

  it('still reports the manifest after a failed build', async () => {
    const ws = project({
      'go.mod': 'module example.com/broken\n\ngo 1.22\n',
      'api/index.go': 'package handler\n\nfunc Handler( {\n',
    });
    const { error } = await runBuild(ws, { entrypoint: 'api/index.go' });
    assert.ok(error, 'the build fails');
    const manifest = await manifestOf({ workPath: ws.workPath, entrypoint: 'api/index.go', config: {}, files: {}, meta: {} });
    assert.equal(manifest.runtimeVersion.requested, '1.22');
    assert.deepEqual(manifest.dependencies, []);
  });

  it('returns {} without a go.mod, and for options it cannot read', async () => {
    const ws = project({ 'api/index.go': HANDLER });
    assert.equal(await manifestOf({ workPath: ws.workPath, entrypoint: 'api/index.go', config: {}, files: {}, meta: {} }), null);
    assert.equal(await manifestOf({}), null);
    assert.equal(await manifestOf(null), null);
  });
});

/** Asserts that `fn` throws or rejects with a GO_INVALID_OPTIONS NowBuildError whose message matches `names`. */
async function assertInvalid(fn, names) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof NowBuildError, `a NowBuildError, got ${err && err.stack}`);
  assert.equal(err.code, 'GO_INVALID_OPTIONS');
  assert.match(err.message, names);
}

describe('hooks called with arguments they cannot use', () => {
  it('prepareCache() and detectEntrypoint() without options, or without a workPath string', async () => {
    for (const hook of ['prepareCache', 'detectEntrypoint']) {
      await assertInvalid(() => builder[hook](), new RegExp(`${hook}\\(\\) takes an options object`));
      await assertInvalid(() => builder[hook]('/tmp'), new RegExp(`${hook}\\(\\) takes an options object`));
      await assertInvalid(() => builder[hook]({ workPath: 5 }), /`workPath` must be a non-empty string/);
      // Rejections, not synchronous throws: the CLI awaits them.
      assert.ok(typeof builder[hook]().catch(() => {}).then === 'function');
    }
  });

  it('shouldServe() with something that is not its options', async () => {
    await assertInvalid(() => builder.shouldServe('garbage'), /shouldServe\(\) takes an options object/);
    await assertInvalid(() => builder.shouldServe({ requestPath: 'api', files: {} }), /`entrypoint`/);
    await assertInvalid(() => builder.shouldServe({ entrypoint: 'api/index.go', files: {} }), /`requestPath`/);
    await assertInvalid(() => builder.shouldServe({ entrypoint: 'api/index.go', requestPath: 'api' }), /`files`/);
    // Well-formed calls answer as before.
    const files = { 'api/index.go': {} };
    assert.equal(builder.shouldServe({ entrypoint: 'api/index.go', requestPath: 'api', files }), true);
    assert.equal(builder.shouldServe({ entrypoint: 'api/index.go', requestPath: 'other', files }), false);
    assert.equal(builder.shouldServe({ entrypoint: 'main.go', requestPath: 'x', files: {}, config: { framework: 'go' } }), true);
  });

  it('getNewHandlerFunctionName() with names that are not strings', async () => {
    await assertInvalid(() => builder.getNewHandlerFunctionName(5, 7), /`originalFunctionName` must be a non-empty string \(got number 5\)/);
    await assertInvalid(() => builder.getNewHandlerFunctionName('Handler', 7), /`entrypoint` must be a non-empty string/);
    // Empty names keep @vercel/go's messages.
    await assertInvalid(() => builder.getNewHandlerFunctionName('', 'api/x.go'), /^Handler function renaming failed because original function name was empty\.$/);
    await assertInvalid(() => builder.getNewHandlerFunctionName('Handler', ''), /^Handler function renaming failed because entrypoint was empty\.$/);
    assert.equal(builder.getNewHandlerFunctionName('Handler', 'api/[id].go'), 'Handler_api__id__go');
  });

  it('detectGoEntrypoint() without a work path', async () => {
    await assertInvalid(() => builder.detectGoEntrypoint(), /detectGoEntrypoint\(\): `workPath`/);
    await assertInvalid(() => builder.detectGoEntrypoint(5), /detectGoEntrypoint\(\): `workPath`/);
  });

  it('getDevManifest() without its options', async () => {
    await assertInvalid(() => builder.getDevManifest(), /getDevManifest\(\) takes an options object/);
    const workPath = tempDir('dev-manifest');
    await assertInvalid(() => builder.getDevManifest({ workPath, files: [], config: {} }), /`build`/);
    await assertInvalid(() => builder.getDevManifest({ workPath, build: { src: 'api/*.go' }, files: 'api/x.go', config: {} }), /`files`/);
  });
});

describe('getDevManifest (vercel dev\'s function discovery, CLI 64)', () => {
  const GO = (pkg) => `package ${pkg}\n\nimport "net/http"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n`;
  const FILES = {
    'go.mod': 'module example.com/dev\n\ngo 1.22\n',
    'api/index.go': GO('handler'),
    'api/[id].go': GO('handler'),
    'api/queue/consume.go': GO('queue'),
    'api/queue/consume_test.go': 'package queue\n',
    'api/_lib/util.go': 'package lib\n',
    'api/.scratch.go': 'package handler\n',
    'api/README.md': '# api\n',
    'main.go': 'package main\n\nfunc main() {}\n',
  };
  const QUEUE = { type: 'queue/v2beta', topic: 'orders' };

  /** A project of FILES and getDevManifest() as CLI 64 calls it for one builder entry. */
  async function manifest(build, config) {
    const workPath = tempDir('dev-manifest');
    writeFiles(workPath, FILES);
    const before = hashTree(workPath);
    const result = await builder.getDevManifest({ workPath, build, files: Object.keys(FILES), config, env: {} });
    assert.equal(hashTree(workPath), before, 'nothing written into the project');
    return result;
  }

  it('a builds entry: its Go functions at their file paths, a queue consumer with its trigger, the patterns matched', async () => {
    const config = { functions: { 'api/queue/*.go': { experimentalTriggers: [QUEUE] }, 'lib/*.go': { memory: 512 } } };
    const result = await manifest({ src: 'api/**/*.go', use: '@acme/go-builder' }, config);
    const bySource = Object.fromEntries(result.functions.map((f) => [f.sourceFile, f]));
    assert.deepEqual(Object.keys(bySource).sort(), ['api/[id].go', 'api/index.go', 'api/queue/consume.go']);
    for (const [sourceFile, fn] of Object.entries(bySource)) {
      assert.equal(fn.outputPath, sourceFile);
      assert.deepEqual(fn.invocation, { type: 'entrypoint', entrypoint: sourceFile });
    }
    assert.deepEqual(bySource['api/queue/consume.go'].experimentalTriggers, [
      { ...QUEUE, consumer: sanitizeConsumerName('api/queue/*.go') },
    ]);
    assert.equal(bySource['api/index.go'].experimentalTriggers, undefined);
    assert.deepEqual(result.matchedFunctionPatterns, ['api/queue/*.go']);
  });

  it('a zero-config entry (one file each): the output path without .go, as vercel build names the function', async () => {
    const config = { zeroConfig: true, functions: { 'api/queue/*.go': { experimentalTriggers: [QUEUE] } } };
    const result = await manifest({ src: 'api/queue/consume.go', use: '@acme/go-builder', config: { zeroConfig: true } }, config);
    assert.deepEqual(result, {
      functions: [
        {
          outputPath: 'api/queue/consume',
          sourceFile: 'api/queue/consume.go',
          invocation: { type: 'entrypoint', entrypoint: 'api/queue/consume.go' },
          experimentalTriggers: [{ ...QUEUE, consumer: sanitizeConsumerName('api/queue/*.go') }],
        },
      ],
      matchedFunctionPatterns: ['api/queue/*.go'],
    });
  });

  it('a standalone server lists no function (the CLI serves it through startDevServer)', async () => {
    const result = await manifest({ src: 'main.go', use: '@acme/go-builder', config: { framework: 'go' } }, { framework: 'go' });
    assert.deepEqual(result, { functions: [], matchedFunctionPatterns: [] });
  });
});
