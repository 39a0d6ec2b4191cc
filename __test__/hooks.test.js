'use strict';

// The hooks the current CLI calls besides build(), driven directly with the
// shapes the CLI passes: detectEntrypoint() (the services layout) and
// diagnostics() (the module manifest: Go modules and versions the function
// is built from), after a good build, after a failed one and without go.mod.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

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
