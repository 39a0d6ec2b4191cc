'use strict';

// The Lambda a build returns: the fields each mode must have, writing its
// files into a directory, and invoking a handler Lambda through @vercel/fun.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { tempDir } = require('./fixtures');
const { buildUtils, buildOk } = require('./build');
const { ELF_MACHINE, elfMachine, hasInterpreter } = require('./elf');
const { invokeLambdaDir } = require('./fun');

/** A build-utils Lambda whose `fields` (besides type "Lambda" and language "go") are as given. */
function assertLambdaFields(lambda, fields) {
  assert.ok(lambda instanceof buildUtils().Lambda, 'output is a build-utils Lambda');
  for (const [key, value] of Object.entries({ type: 'Lambda', runtimeLanguage: 'go', ...fields })) {
    assert.deepEqual(lambda[key], value, `Lambda ${key}`);
  }
}

/** The Lambda fields every handler-mode build must have. */
function assertHandlerLambda(lambda, { architecture = 'x86_64' } = {}) {
  assertLambdaFields(lambda, {
    handler: 'bootstrap',
    runtime: 'provided.al2023',
    supportsWrapper: true,
    architecture,
  });
  const bootstrap = lambda.files && lambda.files.bootstrap;
  assert.ok(bootstrap, 'Lambda has a bootstrap file');
  assert.ok(bootstrap instanceof buildUtils().FileFsRef, 'bootstrap is a FileFsRef');
  assert.ok(bootstrap.mode & 0o111, `bootstrap mode ${bootstrap.mode.toString(8)} is executable`);
  assert.equal(elfMachine(bootstrap.fsPath), ELF_MACHINE[architecture], 'bootstrap ELF machine');
}

/**
 * The fields of every standalone-mode Lambda built from `ws`: `options` are
 * the expected function options (memory, maxDuration, regions), `included`
 * the includeFiles names (relative to workPath) expected besides
 * `executable` and `user-server`.
 */
function assertExecutableLambda(lambda, ws, { architecture = 'x86_64', included = [], options = {} } = {}) {
  const { FileFsRef } = buildUtils();
  assertLambdaFields(lambda, {
    handler: 'executable',
    runtime: 'executable',
    supportsResponseStreaming: true,
    architecture,
    memory: options.memory,
    maxDuration: options.maxDuration,
    regions: options.regions,
  });
  assert.deepEqual(
    Object.keys(lambda.files).sort(),
    ['executable', 'user-server', ...included].sort(),
    'Lambda files',
  );
  for (const name of ['executable', 'user-server']) {
    const file = lambda.files[name];
    assert.ok(file instanceof FileFsRef, `${name} is a FileFsRef`);
    assert.equal(file.mode, 0o755, `${name} mode is 0o755 (got 0o${file.mode.toString(8)})`);
    assert.equal(elfMachine(file.fsPath, { endian: 'little' }), ELF_MACHINE[architecture],
      `${name} ELF e_machine (${architecture})`);
    assert.equal(hasInterpreter(file.fsPath), false, `${name} is statically linked (CGO_ENABLED=0)`);
    assert.ok(!file.fsPath.startsWith(ws.root + path.sep), `${name} is built outside the project tree`);
  }
  for (const name of included) {
    const file = lambda.files[name];
    assert.ok(file instanceof FileFsRef, `${name} is a FileFsRef`);
    const src = path.join(ws.workPath, name);
    assert.deepEqual(fs.readFileSync(file.fsPath), fs.readFileSync(src), `${name} content`);
    assert.equal(file.mode & 0o777, fs.statSync(src).mode & 0o777, `${name} mode`);
  }
}

/**
 * Writes the Lambda's files into a fresh directory with their modes
 * (FileFsRef: copied from fsPath; FileBlob: its data; symlinks kept).
 * With `requireFsPath`, every file must be a file on disk (an fsPath).
 */
async function materializeLambda(lambda, { requireFsPath = false } = {}) {
  const dir = tempDir('lambda');
  for (const [name, file] of Object.entries(lambda.files || {})) {
    if (requireFsPath) assert.ok(file.fsPath, `Lambda file ${name} has an fsPath (${file.type})`);
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

/**
 * Materializes a handler Lambda and sends it `requests` through @vercel/fun,
 * with the Lambda's own environment, as the platform runs it.
 */
async function invokeLambda(lambda, requests, opts = {}) {
  const dir = await materializeLambda(lambda);
  return invokeLambdaDir(dir, requests, { ...opts, env: { ...lambda.environment, ...opts.env } });
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

/**
 * Invokes a handler Lambda with each check's `request` (one warm process)
 * and asserts each response (see assertResponse). Resolves to the responses.
 */
async function assertServes(lambda, checks) {
  const responses = await invokeLambda(lambda, checks.map((c) => c.request || {}));
  checks.forEach((c, i) => assertResponse(responses[i], c));
  return responses;
}

/**
 * buildOk() of a handler (`opts` as for runBuild), its handler-mode Lambda
 * fields, then assertServes(). Resolves to { lambda, responses }.
 */
async function buildAndServe(ws, opts, checks) {
  const lambda = await buildOk(ws, opts);
  assertHandlerLambda(lambda);
  return { lambda, responses: await assertServes(lambda, checks) };
}

module.exports = {
  assertLambdaFields,
  assertHandlerLambda,
  assertExecutableLambda,
  materializeLambda,
  invokeLambda,
  assertResponse,
  assertServes,
  buildAndServe,
};
