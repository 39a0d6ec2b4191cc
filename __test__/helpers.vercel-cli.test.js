'use strict';

// Self-test for __test__/helpers/vercel-cli.js: the real Vercel CLI (v64) builds a Go
// project offline with the reference builder @vercel/go@3.10.5 (the newest 3.x that
// exports `version = 3`; 3.11.0 exports -1), then the function is invoked with fun.
// Set SKIP_REFERENCE=1 to skip (needs `npm pack` from the registry or its cache).
// REFERENCE_GO_TARBALL=/path/to/vercel-go-3.10.5.tgz uses a pre-packed tarball.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const {
  vercelBuild, readFunctions, materializeFunction, // under test
  invokeLambdaDir, tempDir, removeTempDirs, writeFiles,
} = require('./helpers');

const REFERENCE_VERSION = '3.10.5';
const skip = process.env.SKIP_REFERENCE === '1' ? 'SKIP_REFERENCE=1' : false;

function goVersion() {
  // e.g. "go1.26.8" -> "1.26.8". The reference builder only uses the Go on PATH when
  // go.mod pins exactly this version; otherwise it downloads Go (impossible offline).
  const v = execFileSync('go', ['env', 'GOVERSION'], {
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local' },
  }).trim();
  return v.replace(/^go/, '').split(/\s/)[0];
}

function writeProject(dir, use) {
  writeFiles(dir, {
    'vercel.json': JSON.stringify({ version: 2, builds: [{ src: 'api/*.go', use }] }, null, 2),
    // go-bridge must be required explicitly: the reference's `go mod tidy` would look up
    // go-bridge@latest, which the module proxy answers with 403 on this machine.
    'go.mod': `module example.com/ref

go ${goVersion()}

require (
	github.com/aws/aws-lambda-go v1.55.1 // indirect
	github.com/vercel/go-bridge v0.0.0-20221108222652-296f4c6bdb6d // indirect
)
`,
    'api/index.go': `package handler

import (
	"fmt"
	"io"
	"net/http"
)

func Handler(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Ref", "yes")
	w.WriteHeader(202)
	fmt.Fprintf(w, "ref %s %s %s", r.Method, r.URL.Path, b)
}
`,
  });
}

describe('vercel-cli helper with the reference @vercel/go', { skip, timeout: 900000 }, () => {
  let tmp;
  let tarball;

  before(() => {
    tmp = tempDir('helpers-vercel-cli');
    tarball = process.env.REFERENCE_GO_TARBALL;
    if (!tarball) {
      const packDir = path.join(tmp, 'pack');
      fs.mkdirSync(packDir);
      const out = execFileSync(
        'npm',
        ['pack', `@vercel/go@${REFERENCE_VERSION}`, '--silent', '--prefer-offline', '--pack-destination', packDir],
        { cwd: packDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' }
      );
      tarball = path.join(packDir, out.trim().split('\n').pop());
    }
    assert.ok(fs.existsSync(tarball), `missing ${tarball}`);
  });

  after(removeTempDirs);

  test('vercel build (offline) produces a provided.al2023 Lambda that fun can invoke', async () => {
    const projectDir = path.join(tmp, 'proj');
    writeProject(projectDir, `@vercel/go@${REFERENCE_VERSION}`);

    const res = await vercelBuild({ projectDir, builderTarballs: [tarball] });
    assert.equal(res.code, 0, `vercel build failed:\n${res.stdout}\n${res.stderr}`);
    assert.equal(res.outputDir, path.join(projectDir, '.vercel', 'output'));
    assert.deepEqual(
      res.builders.map((b) => `${b.name}@${b.version}`),
      [`@vercel/go@${REFERENCE_VERSION}`]
    );
    assert.ok(
      fs.existsSync(path.join(projectDir, '.vercel', 'builders', 'node_modules', '@vercel', 'go', 'package.json'))
    );

    const fns = await readFunctions(res.outputDir);
    assert.deepEqual(fns.map((f) => f.name), ['api/index.go']);
    const [fn] = fns;
    assert.equal(fn.config.handler, 'bootstrap');
    assert.equal(fn.config.runtime, 'provided.al2023');
    assert.equal(fn.config.runtimeLanguage, 'go');
    assert.equal(fn.config.supportsWrapper, true);
    // Without --standalone the bootstrap stays where the builder wrote it (TMPDIR).
    assert.ok(fn.files.bootstrap && fn.files.bootstrap.startsWith(res.tmpDir), JSON.stringify(fn.files));

    const dir = await materializeFunction(fn);
    const [get, post] = await invokeLambdaDir(dir, [
      { method: 'GET', path: '/api/index' },
      { method: 'POST', path: '/api/index?x=1', headers: { 'content-type': 'text/plain' }, body: 'data' },
    ]);
    assert.equal(get.statusCode, 202);
    assert.equal(get.headers['x-ref'], 'yes');
    assert.equal(get.body, 'ref GET /api/index ');
    assert.equal(post.statusCode, 202);
    assert.equal(post.body, 'ref POST /api/index data');
  });

  test('--standalone copies the bootstrap into the .func dir', async () => {
    const projectDir = path.join(tmp, 'proj-standalone');
    writeProject(projectDir, `@vercel/go@${REFERENCE_VERSION}`);
    const res = await vercelBuild({ projectDir, builderTarballs: [tarball], standalone: true });
    assert.equal(res.code, 0, `vercel build failed:\n${res.stdout}\n${res.stderr}`);
    const [fn] = await readFunctions(res.outputDir);
    assert.equal(fn.config.filePathMap, undefined);
    assert.deepEqual(fn.files, {});
    assert.ok(fs.statSync(path.join(fn.dir, 'bootstrap')).mode & 0o111);
    assert.equal(await materializeFunction(fn), fn.dir);
    const r = await invokeLambdaDir(fn.dir, { path: '/x' });
    assert.equal(r.statusCode, 202);
    assert.equal(r.body, 'ref GET /x ');
  });

  test('a bare "use" of a CLI-pinned builder is refused instead of npm-installing the pin', async () => {
    const projectDir = path.join(tmp, 'proj-bare');
    writeProject(projectDir, '@vercel/go');
    await assert.rejects(
      vercelBuild({ projectDir, builderTarballs: [tarball] }),
      /pins @vercel\/go@.*Use "use": "@vercel\/go@3\.10\.5"/s
    );
  });
});
