'use strict';

// Build + materialize + invoke helper for the build() test suites.
//
// Fixtures live in __test__/fixtures/handler/<name>. Every build runs on a
// private copy of the fixture (<tmp>/ws/<name>), so a builder bug can never
// dirty the repository; the whole <tmp>/ws directory (the copy and anything
// beside it) is snapshotted before and after each build and must be identical.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { ROOT, tempDir, adoptTempDir } = require('./fixtures');
const { snapshotTree, assertSameTree } = require('./tree');
const { invokeLambdaDir } = require('./fun');
const { ELF_MACHINE, elfMachine } = require('./elf');

/**
 * The builder writes each bootstrap into a fresh <tmp>/go-builder-out-* dir
 * and (like the reference) leaves it for the caller: remove ours at exit.
 */
function registerOutputDir(lambda) {
  const bootstrap = lambda && lambda.files && lambda.files.bootstrap;
  if (!bootstrap || !bootstrap.fsPath) return;
  const dir = path.dirname(bootstrap.fsPath);
  if (path.dirname(dir) === os.tmpdir() && path.basename(dir).startsWith('go-builder-out-')) {
    adoptTempDir(dir);
  }
}

/**
 * The builder, or a loud failure when the addon is not built. Call it from a
 * `before` hook: nothing is skipped when the addon is missing.
 */
function loadBuilder() {
  const nodeFiles = fs.readdirSync(ROOT).filter((f) => f.endsWith('.node'));
  assert.ok(
    nodeFiles.length > 0,
    `The native addon is not built (no *.node in ${ROOT}). Run: ` +
      'cd /work/main && npx napi build --platform --js binding.js --dts binding.d.ts'
  );
  const builder = require(ROOT);
  assert.equal(builder.version, 3, 'builder.version');
  assert.equal(typeof builder.build, 'function', 'builder.build');
  return builder;
}

function buildUtils() {
  return require(require.resolve('@vercel/build-utils', { paths: [ROOT] }));
}

/**
 * Runs build() on `workspace` (from copyFixture) and asserts the tree under
 * workspace.root is unchanged, whatever the outcome.
 * Returns { output } on success, { error } on failure.
 */
async function buildIn(workspace, entrypoint, { config = {}, env = {}, meta = {}, builder } = {}) {
  const b = builder || loadBuilder();
  const before = snapshotTree(workspace.root);
  let output;
  let error;
  try {
    const result = await b.build({
      files: {},
      entrypoint,
      workPath: workspace.workPath,
      config,
      meta: { skipDownload: true, env, ...meta },
    });
    output = result && result.output;
    assert.ok(output, `build(${entrypoint}) resolved to { output }`);
    registerOutputDir(output);
  } catch (err) {
    error = err;
  }
  assertSameTree(before, snapshotTree(workspace.root), `build(${entrypoint})`);
  return error ? { error } : { output };
}

/** buildIn() that must succeed; rethrows the build error with its code. */
async function buildOk(workspace, entrypoint, opts) {
  const { output, error } = await buildIn(workspace, entrypoint, opts);
  if (error) {
    error.message = `build(${entrypoint}) failed [${error.code}]: ${error.message}`;
    throw error;
  }
  return output;
}

/**
 * Writes the Lambda's files into a fresh directory with their modes
 * (FileFsRef: copied from fsPath; FileBlob: its data; symlinks kept).
 */
async function materializeLambda(lambda) {
  const dir = tempDir('lambda');
  for (const [name, file] of Object.entries(lambda.files || {})) {
    const dest = path.join(dir, name);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const mode = file.mode || 0o100644;
    if ((mode & 0o170000) === 0o120000) {
      const target = file.fsPath ? fs.readlinkSync(file.fsPath) : String(file.data);
      fs.symlinkSync(target, dest);
      continue;
    }
    if (file.fsPath) {
      fs.copyFileSync(file.fsPath, dest);
    } else if (file.data !== undefined) {
      fs.writeFileSync(dest, file.data);
    } else if (typeof file.toStreamAsync === 'function' || typeof file.toStream === 'function') {
      const stream = file.toStreamAsync ? await file.toStreamAsync() : file.toStream();
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      fs.writeFileSync(dest, Buffer.concat(chunks));
    } else {
      throw new Error(`Lambda file ${name} has no content (${file.type})`);
    }
    fs.chmodSync(dest, mode & 0o7777);
  }
  return dir;
}

/** The Lambda fields every handler-mode build must have. */
function assertHandlerLambda(lambda, { architecture = 'x86_64' } = {}) {
  const { Lambda, FileFsRef } = buildUtils();
  assert.ok(lambda instanceof Lambda, 'output is a build-utils Lambda');
  assert.equal(lambda.type, 'Lambda');
  assert.equal(lambda.handler, 'bootstrap');
  assert.equal(lambda.runtime, 'provided.al2023');
  assert.equal(lambda.runtimeLanguage, 'go');
  assert.equal(lambda.supportsWrapper, true);
  assert.equal(lambda.architecture, architecture);
  const bootstrap = lambda.files && lambda.files.bootstrap;
  assert.ok(bootstrap, 'Lambda has a bootstrap file');
  assert.ok(bootstrap instanceof FileFsRef, 'bootstrap is a FileFsRef');
  assert.ok(bootstrap.mode & 0o111, `bootstrap mode ${bootstrap.mode.toString(8)} is executable`);
  assert.equal(elfMachine(bootstrap.fsPath), ELF_MACHINE[architecture], 'bootstrap ELF machine');
}

/** Materializes the Lambda and sends it `requests` through @vercel/fun. */
async function invokeLambda(lambda, requests, opts) {
  const dir = await materializeLambda(lambda);
  return invokeLambdaDir(dir, requests, opts);
}

/** Asserts status, the X-Handler header (and others) and the body of a response. */
function assertResponse(res, { status = 200, handler, headers = {}, body }) {
  assert.equal(res.statusCode, status, `status (body: ${res.body})`);
  if (handler !== undefined) assert.equal(res.headers['x-handler'], handler, 'X-Handler');
  for (const [name, value] of Object.entries(headers)) {
    assert.equal(res.headers[name.toLowerCase()], value, `header ${name}`);
  }
  if (body instanceof RegExp) assert.match(res.body, body);
  else if (body !== undefined) assert.equal(res.body, body);
}

module.exports = {
  registerOutputDir,
  loadBuilder,
  buildUtils,
  buildIn,
  buildOk,
  materializeLambda,
  assertHandlerLambda,
  invokeLambda,
  assertResponse,
};
