'use strict';

// Test helper: run the REAL Vercel CLI (`vercel build`, node_modules/vercel v64) on a
// project directory, offline, with builder packages pre-installed into
// `<project>/.vercel/builders` exactly where the CLI looks for them.
//
// How the CLI (v64, JS entry, legacy importer) resolves a builder named in
// vercel.json `builds[].use` (dist/chunks/chunk-3CTSLNNG.js, resolveBuilders):
//   1. `<cwd>/.vercel/builders/node_modules/<name>/package.json`
//      (VERCEL_BUILDERS_DIR is ignored unless the native binary runs);
//   2. else the CLI's own dependencies (`require.resolve('<name>/package.json')`
//      from node_modules/vercel — e.g. its bundled @vercel/go@22.0.0);
//   3. it then `require()`s `<pkgdir>/<main || index.js>`.
// It runs `npm install @vercel/build-utils@<cli's> <spec>` in .vercel/builders
// (network!) when the builder cannot be found/loaded, or when:
//   - `use` is a bare name / `@latest` AND the CLI pins that name in its package.json
//     `builders` map (e.g. "@vercel/go": "22.0.0") AND the installed version differs
//     ("pin-version-mismatch") -> for the reference @vercel/go@3.x you MUST write
//     `"use": "@vercel/go@<exact installed version>"`;
//   - `use` is `name@x.y.z` and the installed version is not exactly x.y.z;
//   - `use` is `name@<range>` and the installed version does not satisfy it;
//   - `use` is a URL/tarball spec (always reinstalled).
// Names that are not pinned by the CLI (e.g. @acme/go-builder) are used as installed
// with a bare `"use": "<name>"`.

const fs = require('node:fs');
const fsp = require('node:fs/promises');
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { ROOT, tempDir } = require('./fixtures');
const VERCEL_BIN = path.join(ROOT, 'node_modules', 'vercel', 'dist', 'vc.js');
const BUILD_UTILS_DIR = path.join(ROOT, 'node_modules', '@vercel', 'build-utils');

const DEFAULT_PROJECT_JSON = {
  projectId: 'prj_test',
  orgId: 'team_test',
  settings: { framework: null },
};

function run(cmd, args, { cwd, env, timeoutMs, input } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    // detached: own process group, so a timeout can kill the builder's children too
    // On Windows npm/npx are .cmd scripts: they need the shell.
    const shell = process.platform === 'win32' && /^(npm|npx)$/.test(cmd);
    const child = spawn(cmd, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true, shell });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    let timedOut = false;
    const timer = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          try { process.kill(-child.pid, 'SIGKILL'); } catch {}
          try { child.kill('SIGKILL'); } catch {}
        }, timeoutMs)
      : null;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut) stderr += `\n[helper] ${cmd} timed out after ${timeoutMs} ms\n`;
      resolve({ code: code === null ? 1 : code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
    // A child that exits without reading its stdin (tar, for one) closes the
    // pipe first: EPIPE there is not a failure of the command.
    child.stdin.on('error', (err) => {
      if (err.code !== 'EPIPE') reject(err);
    });
    child.stdin.end(input || '');
  });
}

function readJsonSafe(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Read `name` and `version` from a package tarball (.tgz) or a package directory. */
async function readPackageInfo(spec) {
  const abs = path.resolve(spec);
  const st = await fsp.stat(abs);
  if (st.isDirectory()) {
    const pkg = readJsonSafe(path.join(abs, 'package.json'));
    if (!pkg) throw new Error(`No package.json in ${abs}`);
    return { name: pkg.name, version: pkg.version, path: abs };
  }
  // `tar -xzOf x.tgz package/package.json` (npm tarballs always use the `package/` prefix)
  const res = await run('tar', ['-xzOf', abs, 'package/package.json']);
  if (res.code !== 0) throw new Error(`Cannot read package.json from ${abs}: ${res.stderr}`);
  const pkg = JSON.parse(res.stdout);
  return { name: pkg.name, version: pkg.version, path: abs };
}

/**
 * Install builder packages (tarballs or directories) into `<projectDir>/.vercel/builders`
 * the way `vercel build` would have: `package.json` {private, license}, then
 * `npm install <@vercel/build-utils> <builders...>`, then the `@now/build-utils` symlink.
 * @vercel/build-utils comes from this repo's node_modules (a `file:` link, no network).
 * Returns [{ name, version, path }].
 */
async function installBuilders(projectDir, builderTarballs, opts = {}) {
  const buildersDir = path.join(projectDir, '.vercel', 'builders');
  await fsp.mkdir(buildersDir, { recursive: true });
  const infos = [];
  for (const t of builderTarballs) infos.push(await readPackageInfo(t));

  const pkgJson = { private: true, license: 'UNLICENSED' };
  // npm `overrides` for the builders' dependency tree (e.g. { sandbox: '4.5.0' } when a
  // builder depends on the vercel CLI); none are needed for @vercel/go 3.x.
  if (opts.overrides) pkgJson.overrides = opts.overrides;
  await fsp.writeFile(path.join(buildersDir, 'package.json'), JSON.stringify(pkgJson, null, 2) + '\n');

  const buildUtils = opts.buildUtilsDir || BUILD_UTILS_DIR;
  const args = [
    'install',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    '--no-update-notifier',
    '--loglevel=error',
    ...(opts.ignoreScripts === false ? [] : ['--ignore-scripts']),
    buildUtils,
    ...infos.map((i) => i.path),
  ];
  const npmEnv = { ...process.env, ...(opts.env || {}) };
  // Do not leak npm_* settings of an enclosing `npm test` run (prefix, global, ...).
  for (const k of Object.keys(npmEnv)) {
    if (/^npm_(config|package|lifecycle)_/i.test(k)) delete npmEnv[k];
  }
  const res = await run('npm', args, { cwd: buildersDir, env: npmEnv, timeoutMs: opts.npmTimeoutMs || 300000 });
  if (res.code !== 0) {
    throw new Error(`npm ${args.join(' ')} failed in ${buildersDir} (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
  }
  // The CLI also symlinks the legacy scope name.
  const nowScope = path.join(buildersDir, 'node_modules', '@now');
  await fsp.mkdir(nowScope, { recursive: true });
  try {
    await fsp.symlink('../@vercel/build-utils', path.join(nowScope, 'build-utils'));
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
  }
  for (const info of infos) {
    const installed = readJsonSafe(path.join(buildersDir, 'node_modules', info.name, 'package.json'));
    if (!installed || installed.version !== info.version) {
      throw new Error(`Builder ${info.name}@${info.version} was not installed into ${buildersDir}`);
    }
  }
  return infos;
}

/** The CLI's builder pins (package.json `builders`, e.g. { '@vercel/go': '22.0.0' }). */
function cliBuilderPins() {
  const pkg = readJsonSafe(path.join(ROOT, 'node_modules', 'vercel', 'package.json')) || {};
  return pkg.builders || {};
}

/**
 * Throw early (instead of letting the CLI `npm install` the pinned version, which needs
 * the network and silently replaces the builder under test) when vercel.json uses a
 * bare / `@latest` spec for a builder the CLI pins to another version than the one
 * installed in .vercel/builders.
 */
function assertNoPinReinstall(projectDir, installed) {
  const vercelJson = readJsonSafe(path.join(projectDir, 'vercel.json'));
  const builds = (vercelJson && vercelJson.builds) || [];
  const pins = cliBuilderPins();
  for (const b of builds) {
    if (!b || typeof b.use !== 'string') continue;
    const m = /^(@[^/@]+\/[^@]+|[^@]+)(?:@(.*))?$/.exec(b.use);
    if (!m) continue;
    const [, name, spec] = m;
    if (spec && spec !== 'latest') continue;
    const info = installed.find((i) => i.name === name);
    if (info && pins[name] && pins[name] !== info.version) {
      throw new Error(
        `vercel.json uses "${b.use}" but the Vercel CLI pins ${name}@${pins[name]}: ` +
          `it would npm-install that version over the installed ${name}@${info.version}. ` +
          `Use "use": "${name}@${info.version}" instead.`
      );
    }
  }
}

/**
 * Resolve the files a `.vc-config.json` references through `filePathMap` (written by
 * `vercel build` without `--standalone`: FileFsRef files are NOT copied into the .func
 * dir; the map is { pathInLambda: pathRelativeToRepoRoot }).
 * @returns {Object<string,string>} { pathInLambda: absolutePath }
 */
function resolveFilePathMap(config, repoRoot) {
  const out = {};
  for (const [name, rel] of Object.entries((config && config.filePathMap) || {})) {
    out[name] = path.resolve(repoRoot, rel);
  }
  return out;
}

/**
 * Return a directory that physically contains the whole function: the `.func` dir
 * itself when nothing is referenced through `filePathMap` (e.g. `--standalone`), else a
 * copy of it (into `destDir`, default a new tempDir()) with the referenced files added
 * (modes preserved). Use the result with fun.invokeLambdaDir().
 */
async function materializeFunction(fn, destDir) {
  const external = fn.files || {};
  if (Object.keys(external).length === 0) return fn.dir;
  const dest = destDir || tempDir('vercel-func');
  await fsp.cp(fn.dir, dest, { recursive: true, dereference: false, preserveTimestamps: true });
  for (const [name, abs] of Object.entries(external)) {
    const target = path.join(dest, name);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.cp(abs, target, { recursive: true, preserveTimestamps: true });
    const st = await fsp.stat(abs);
    if (st.isFile()) await fsp.chmod(target, st.mode & 0o7777);
  }
  return dest;
}

/**
 * The CLI's environment: this process's, without anything that would
 * authenticate, target a real project or come from an enclosing build or
 * npm run; offline (no telemetry, no update check, npm offline unless
 * `allowNpmInstall`); then `env`.
 */
function cliEnvironment(env, { allowNpmInstall = false } = {}) {
  const cliEnv = { ...process.env };
  for (const k of Object.keys(cliEnv)) {
    // Never authenticate / target a real project; never inherit an outer build.
    if (/^(VERCEL_|NOW_|__VERCEL_)/.test(k)) delete cliEnv[k];
    if (/^npm_(config|package|lifecycle)_/i.test(k)) delete cliEnv[k];
  }
  delete cliEnv.VERCEL; // set by the CLI itself for builders; must not leak in
  return Object.assign(cliEnv, {
    VERCEL_TELEMETRY_DISABLED: '1', // no telemetry flush subprocess / network
    NO_UPDATE_NOTIFIER: '1', // no npm dist-tag lookup worker
    VERCEL_CLI_USE_NATIVE_BINARY: '0', // stay in the JS CLI (native one uses another builder importer)
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    ...(allowNpmInstall ? {} : { npm_config_offline: 'true' }),
    ...env,
  });
}

/**
 * Run `vercel build` (the real CLI) offline on `projectDir`.
 *
 * @param {object} o
 * @param {string}   o.projectDir        the project (vercel.json, go.mod, api/…)
 * @param {string[]} [o.builderTarballs] builder package tarballs/dirs to pre-install
 * @param {object}   [o.env]             extra env for `vercel build` (and its builders)
 * @param {object}   [o.projectJson]     contents of .vercel/project.json (default: prj_test/team_test,
 *                                       settings.framework null); not overwritten if it exists and
 *                                       this is not given
 * @param {string[]} [o.args]            extra CLI args (e.g. ['--prod'], ['--debug'])
 * @param {object}   [o.overrides]       npm overrides written to .vercel/builders/package.json
 * @param {boolean}  [o.standalone]      pass `--standalone` (files copied into each .func,
 *                                       no filePathMap)
 * @param {boolean}  [o.nonInteractive]  default false: `--non-interactive=false`, so the output is
 *                                       the human one on stderr even when an AI-agent env var
 *                                       (CLAUDECODE, AI_AGENT, CURSOR_AGENT, …) is set; true:
 *                                       `--non-interactive` (a JSON status object on stdout)
 * @param {boolean}  [o.allowNpmInstall] let the CLI's own `npm install` of builders reach the
 *                                       registry (default false: npm_config_offline=true)
 * @param {number}   [o.timeoutMs]       default 600000
 * @returns {Promise<{code, stdout, stderr, outputDir, durationMs, builders, tmpDir}>}
 *   tmpDir: the TMPDIR the CLI and builders ran with (builders write their outputs there
 *   and .vc-config.json filePathMap points into it): a tempDir(), removed with the others.
 */
async function vercelBuild({
  projectDir,
  builderTarballs = [],
  env = {},
  projectJson,
  args = [],
  overrides,
  standalone = false,
  nonInteractive = false,
  allowNpmInstall = false,
  timeoutMs = 600000,
} = {}) {
  if (!projectDir) throw new TypeError('projectDir is required');
  projectDir = path.resolve(projectDir);
  const vercelDir = path.join(projectDir, '.vercel');
  await fsp.mkdir(vercelDir, { recursive: true });

  const projectFile = path.join(vercelDir, 'project.json');
  if (projectJson || !fs.existsSync(projectFile)) {
    await fsp.writeFile(projectFile, JSON.stringify(projectJson || DEFAULT_PROJECT_JSON, null, 2) + '\n');
  }

  let builders = [];
  if (builderTarballs.length > 0) {
    builders = await installBuilders(projectDir, builderTarballs, { overrides, env });
    assertNoPinReinstall(projectDir, builders);
  }

  // An isolated global config dir: no auth token of the host user is read, and nothing
  // is written to ~/.local/share/com.vercel.cli.
  const globalConfigDir = tempDir('vercel-global');

  const cliEnv = cliEnvironment(env, { allowNpmInstall });
  // Builders (e.g. @vercel/go 3.x) put their outputs in os.tmpdir() and never delete them.
  let tmpDir = env.TMPDIR;
  if (!tmpDir) {
    tmpDir = tempDir('vercel-build-tmp');
    cliEnv.TMPDIR = tmpDir;
  }

  let outputDir = path.join(projectDir, '.vercel', 'output');
  args.forEach((a, i) => {
    if (a === '--output' && args[i + 1]) outputDir = path.resolve(projectDir, args[i + 1]);
    else if (a.startsWith('--output=')) outputDir = path.resolve(projectDir, a.slice(9));
  });
  const cliArgs = [
    VERCEL_BIN,
    'build',
    '--yes',
    '--cwd',
    projectDir,
    '--global-config',
    globalConfigDir,
    nonInteractive ? '--non-interactive' : '--non-interactive=false',
    ...(standalone ? ['--standalone'] : []),
    ...args,
  ];
  let res;
  try {
    res = await run(process.execPath, cliArgs, { cwd: projectDir, env: cliEnv, timeoutMs });
  } finally {
    await fsp.rm(globalConfigDir, { recursive: true, force: true });
  }
  return {
    code: res.code,
    stdout: res.stdout,
    stderr: res.stderr,
    outputDir,
    durationMs: res.durationMs,
    builders,
    tmpDir,
  };
}

/**
 * List every `*.func` directory under `<outputDir>/functions` (recursively) with its
 * parsed `.vc-config.json`.
 * @param {string} outputDir   `.vercel/output`
 * @param {object} [opts]
 * @param {string} [opts.repoRoot]  what filePathMap is relative to (default: outputDir/../..)
 * @returns {Promise<Array<{ name, dir, config, files }>>} name = path relative to
 *   functions/ without `.func` (e.g. 'api/index.go'), dir = realpath of the .func dir,
 *   files = filePathMap resolved to absolute paths ({} when none); sorted by name.
 */
async function readFunctions(outputDir, opts = {}) {
  const repoRoot = opts.repoRoot || path.resolve(outputDir, '..', '..');
  const functionsDir = path.join(outputDir, 'functions');
  const found = [];
  async function walk(dir) {
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (err.code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      // .func entries may be symlinks to another .func (identical functions)
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        try { isDir = (await fsp.stat(full)).isDirectory(); } catch { isDir = false; }
      }
      if (!isDir) continue;
      if (e.name.endsWith('.func')) {
        const rel = path.relative(functionsDir, full).split(path.sep).join('/');
        const cfgFile = path.join(full, '.vc-config.json');
        const config = JSON.parse(await fsp.readFile(cfgFile, 'utf8'));
        found.push({
          name: rel.replace(/\.func$/, ''),
          dir: await fsp.realpath(full),
          config,
          files: resolveFilePathMap(config, repoRoot),
        });
      } else {
        await walk(full);
      }
    }
  }
  await walk(functionsDir);
  found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return found;
}

/**
 * The loopback stand-in for the Vercel API that `vercel dev` asks before it
 * serves (cli-contract.md §9): the user, the team, the project, its
 * environment; `{}` for anything else. Resolves to { url, close() }.
 */
function apiStandIn({ projectId, orgId } = DEFAULT_PROJECT_JSON) {
  const answers = [
    [/^\/v2\/user\b/, { user: { id: 'u1', username: 'x', email: 'x@y.z' } }],
    [new RegExp(`^/teams/${orgId}\\b`), { id: orgId, slug: 'x', name: 'x' }],
    [new RegExp(`^/v9/projects/${projectId}\\b`), { id: projectId, name: 'x', accountId: orgId, framework: null, env: [], targets: {} }],
    [new RegExp(`^/v3/env/pull/${projectId}\\b`), { env: {} }],
  ];
  const server = http.createServer((req, res) => {
    const hit = answers.find(([pattern]) => pattern.test(req.url));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(hit ? hit[1] : {}));
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

/**
 * Runs the real `vercel dev` on `projectDir` on `port` (the builders
 * installed from `builderTarballs`, as for vercelBuild), offline against
 * apiStandIn(), in a process group of its own. Resolves once it says
 * "Ready! Available at" to { child, output(), stop() }; stop() signals the
 * group (SIGTERM, then SIGKILL) and resolves once the CLI has exited.
 */
async function vercelDev({ projectDir, port, builderTarballs = [], env = {}, timeoutMs = 300000 }) {
  projectDir = path.resolve(projectDir);
  await fsp.mkdir(path.join(projectDir, '.vercel'), { recursive: true });
  await fsp.writeFile(path.join(projectDir, '.vercel', 'project.json'), JSON.stringify(DEFAULT_PROJECT_JSON));
  if (builderTarballs.length > 0) await installBuilders(projectDir, builderTarballs, { env });
  const api = await apiStandIn();
  const globalConfigDir = tempDir('vercel-global');
  const cliEnv = cliEnvironment(env);
  const args = [VERCEL_BIN, 'dev', '--listen', String(port), '--yes', '--token', 'testtoken', '--api', api.url,
    '--global-config', globalConfigDir, '--cwd', projectDir];
  const child = spawn(process.execPath, args, { cwd: projectDir, env: cliEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      try { process.kill(-child.pid, signal); } catch {}
      const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10000))]);
      if (done) break;
    }
    await api.close();
  };
  const deadline = Date.now() + timeoutMs;
  while (!/Ready! Available at/.test(text)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`vercel dev did not become ready:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => text, stop };
}

module.exports = {
  apiStandIn,
  vercelDev,
  vercelBuild,
  readFunctions,
  materializeFunction,
  resolveFilePathMap,
  installBuilders,
  cliBuilderPins,
  readPackageInfo,
  VERCEL_BIN,
  DEFAULT_PROJECT_JSON,
};
