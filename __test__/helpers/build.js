'use strict';

// build() on a fixture copy (from copyFixture), for every build suite.
//
// runBuild() snapshots the tree under ws.root (the copy and anything beside
// it) before and after the build and never throws; buildOk() and
// buildFails() are the "must succeed" and "must fail" forms. A successful
// build must leave that tree byte-identical, and so must a failed one unless
// the test says the user's own buildCommand writes into it.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { ROOT, adoptTempDir } = require('./fixtures');
const { snapshotTree, diffSnapshots } = require('./tree');

/**
 * The builder, or a loud failure when the addon is not built. Call it from a
 * `before` hook: nothing is skipped when the addon is missing.
 */
function loadBuilder() {
  const nodeFiles = fs.readdirSync(ROOT).filter((f) => f.endsWith('.node'));
  assert.ok(
    nodeFiles.length > 0,
    `The native addon is not built (no *.node in ${ROOT}). Run: ` +
      `cd ${ROOT} && npx napi build --platform --release --js binding.js --dts binding.d.ts`
  );
  const builder = require(ROOT);
  assert.equal(builder.version, 3, 'builder.version');
  assert.equal(typeof builder.build, 'function', 'builder.build');
  return builder;
}

/** @vercel/build-utils as the builder sees it (Lambda, FileFsRef, NowBuildError…). */
function buildUtils() {
  return require(require.resolve('@vercel/build-utils', { paths: [ROOT] }));
}

/**
 * The builder writes a Lambda's binaries into a fresh go-builder-out-*
 * directory of its TMPDIR and, like the reference, leaves it to the caller:
 * it goes with the test's temp dirs.
 */
function adoptOutputDirs(lambda) {
  for (const file of Object.values((lambda && lambda.files) || {})) {
    const dir = file.fsPath && path.dirname(file.fsPath);
    if (dir && path.basename(dir).startsWith('go-builder-out-')) adoptTempDir(dir);
  }
}

/**
 * build() of `entrypoint` in ws.workPath (`files`: what the CLI passes, the
 * project's files). Resolves (never rejects) to
 * { output, routes, error, diff }: `diff` is the change of the tree under
 * ws.root ('' when unchanged, see diffSnapshots).
 */
async function runBuild(ws, { entrypoint, config = {}, env = {}, meta = {}, files = {}, repoRootPath, service, builder } = {}) {
  const b = builder || loadBuilder();
  const before = snapshotTree(ws.root);
  let output;
  let routes;
  let error;
  try {
    const result = await b.build({
      files,
      entrypoint,
      workPath: ws.workPath,
      ...(repoRootPath ? { repoRootPath } : {}),
      config,
      meta: { skipDownload: true, env, ...meta },
      ...(service ? { service } : {}),
    });
    output = result && result.output;
    routes = result && result.routes;
  } catch (err) {
    error = err;
  }
  adoptOutputDirs(output);
  return { output, routes, error, diff: diffSnapshots(before, snapshotTree(ws.root)) };
}

/** runBuild() that must succeed and leave the tree unchanged; resolves to the output. */
async function buildOk(ws, opts) {
  const { output, error, diff } = await runBuild(ws, opts);
  const label = `build(${opts.entrypoint}) of ${ws.name}`;
  assert.equal(diff, '', `${label} changed the tree:\n${diff}`);
  if (error) {
    error.message = `${label} failed [${error.code}]: ${error.message}`;
    throw error;
  }
  assert.ok(output, `${label} resolved to { output }`);
  return output;
}

/**
 * runBuild() that must reject; the tree must be unchanged unless
 * `treeMayChange`. Resolves to { error, diff }.
 */
async function buildFails(ws, opts, { treeMayChange = false } = {}) {
  const { output, error, diff } = await runBuild(ws, opts);
  const label = `build(${opts.entrypoint}) of ${ws.name}`;
  assert.equal(output, undefined, `${label} must fail`);
  assert.ok(error, `${label} rejected`);
  if (!treeMayChange) assert.equal(diff, '', `${label} changed the tree:\n${diff}`);
  return { error, diff };
}

module.exports = { loadBuilder, buildUtils, adoptOutputDirs, runBuild, buildOk, buildFails };
