'use strict';

// build() options and environment: GO_BUILD_FLAGS, huge meta.env values,
// `architecture: "arm64"` from config.functions, and GIT_CREDENTIALS scoped
// to the build (nothing left in the user's home).

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const {
  copyFixture,
  buildOk,
  buildAndServe,
  assertHandlerLambda,
  assertServes,
  elfMachine,
  tempDir,
  recordStdout,
} = require('./helpers');

/** What handler/basic answers on x86_64: built for linux/amd64, no build env at run time. */
const BASIC_AMD64 = {
  handler: 'basic/api/index.go#Handler',
  body: 'basic linux amd64 huge-env-at-runtime=false greeting-from-sibling',
};

describe('GO_BUILD_FLAGS', () => {
  const cases = [
    ['without GO_BUILD_FLAGS the default build (no tags) is used', {}, 'variant=normal'],
    [
      'GO_BUILD_FLAGS=`-tags special -ldflags "-s -w"` from meta.env selects the tagged file',
      { GO_BUILD_FLAGS: '-tags special -ldflags "-s -w"' },
      'variant=special',
    ],
    [
      "GO_BUILD_FLAGS with single quotes (`-tags special -ldflags '-s -w'`, as a shell would take it) selects the tagged file",
      { GO_BUILD_FLAGS: "-tags special -ldflags '-s -w'" },
      'variant=special',
    ],
  ];
  for (const [title, env, body] of cases) {
    it(title, async () => {
      const ws = copyFixture('handler/build-tags');
      await buildAndServe(ws, { entrypoint: 'api/index.go', env }, [
        { handler: 'build-tags/api/index.go#Handler', body },
      ]);
    });
  }
});

describe('environment', () => {
  it('a 100 KB meta.env value does not break the build and does not leak into the Lambda', async () => {
    const ws = copyFixture('handler/basic');
    const huge = 'v'.repeat(100 * 1024);
    const { lambda } = await buildAndServe(
      ws,
      { entrypoint: 'api/index.go', env: { HUGE_VALUE: huge, ANOTHER_HUGE_VALUE: `${huge}-2` } },
      [{ ...BASIC_AMD64, headers: { 'x-arch': 'amd64' } }],
    );
    assert.deepEqual(lambda.environment, {});
  });
});

describe('temporary files', () => {
  it('a successful build leaves only its output directory (holding the Lambda files) in TMPDIR', async () => {
    const ws = copyFixture('handler/basic');
    const tmp = tempDir('tmpdir');
    const lambda = await buildOk(ws, { entrypoint: 'api/index.go', env: { TMPDIR: tmp } });
    assertHandlerLambda(lambda);
    const left = fs.readdirSync(tmp);
    assert.equal(left.length, 1, `only the output dir is left in TMPDIR: ${left.join(', ')}`);
    assert.equal(path.dirname(lambda.files.bootstrap.fsPath), path.join(tmp, left[0]));
  });
});

describe('architecture', () => {
  const cases = [
    [
      'config.functions {"api/*.go": {architecture: "arm64"}} → arm64 Lambda with an AArch64 bootstrap',
      { 'api/*.go': { architecture: 'arm64', memory: 1024 } },
      'arm64',
      [183, 'e_machine EM_AARCH64'],
    ],
    [
      'a config.functions glob that does not match keeps x86_64',
      { 'other/*.go': { architecture: 'arm64' } },
      'x86_64',
      [62, 'e_machine EM_X86_64'],
    ],
  ];
  for (const [title, functions, architecture, [machine, label]] of cases) {
    it(title, async () => {
      const ws = copyFixture('handler/basic');
      const lambda = await buildOk(ws, { entrypoint: 'api/index.go', config: { functions } });
      assertHandlerLambda(lambda, { architecture });
      assert.equal(elfMachine(lambda.files.bootstrap.fsPath), machine, label);
    });
  }
});

/** Everything git could read as global/user configuration or stored credentials. */
function gitUserState() {
  const homes = [...new Set([os.homedir(), process.env.HOME].filter(Boolean))];
  const xdg = process.env.XDG_CONFIG_HOME;
  const files = [];
  for (const home of homes) {
    files.push(
      path.join(home, '.git-credentials'),
      path.join(home, '.gitconfig'),
      path.join(home, '.config', 'git', 'config'),
      path.join(home, '.config', 'git', 'credentials')
    );
  }
  if (xdg) files.push(path.join(xdg, 'git', 'config'), path.join(xdg, 'git', 'credentials'));
  const state = {};
  for (const file of files) {
    try {
      const st = fs.lstatSync(file);
      state[file] = `${st.mode.toString(8)} ${crypto
        .createHash('sha256')
        .update(fs.readFileSync(file))
        .digest('hex')}`;
    } catch (err) {
      state[file] = err.code;
    }
  }
  try {
    state['git config --global --list'] = execFileSync('git', ['config', '--global', '--list'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (err) {
    state['git config --global --list'] = `exit ${err.status}`;
  }
  return state;
}

/** Files under the temp dir's go-builder-* directories that contain `needle`. */
function leftoverFilesContaining(needle) {
  const found = [];
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith('go-builder-') || name.startsWith('go-builder-test-')) continue;
    const walk = (dir, depth) => {
      let entries;
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && depth < 2) walk(p, depth + 1);
        else if (e.isFile()) {
          try {
            const st = fs.statSync(p);
            if (st.size < 1 << 20 && fs.readFileSync(p, 'utf8').includes(needle)) found.push(p);
          } catch {}
        }
      }
    };
    walk(path.join(tmp, name), 0);
  }
  return found;
}

/** Files under `dir` (any depth) whose bytes contain `needle`. */
function filesContaining(dir, needle) {
  const found = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.readFileSync(p).includes(needle)) found.push(p);
    }
  };
  walk(dir);
  return found;
}

describe('GIT_CREDENTIALS', () => {
  it('builds, leaves ~/.git-credentials and the global git config untouched, and leaves no credentials behind', async () => {
    const token = `tok-${crypto.randomBytes(8).toString('hex')}`;
    const before = gitUserState();
    const ws = copyFixture('handler/basic');
    const lambda = await buildOk(ws, {
      entrypoint: 'api/index.go',
      env: { GIT_CREDENTIALS: `https://user:${token}@github.com` },
    });
    assertHandlerLambda(lambda);
    assert.deepEqual(gitUserState(), before, 'git user state unchanged');
    assert.deepEqual(leftoverFilesContaining(token), [], 'no credentials left in temp directories');
    await assertServes(lambda, [BASIC_AMD64]);
  });

  it('several hosts: no token in the project, the output, HOME, the temp dirs, the builder cache or the log', async () => {
    const tokens = [1, 2].map(() => `tok-${crypto.randomBytes(8).toString('hex')}`);
    const ws = copyFixture('handler/basic');
    const home = path.join(ws.base, 'home');
    fs.mkdirSync(home);
    const goEnv = (key) => execFileSync('go', ['env', key], { encoding: 'utf8' }).trim();
    const env = {
      GIT_CREDENTIALS: `https://user:${tokens[0]}@github.com\nhttps://ci%40corp:${tokens[1]}@git.corp.example`,
      HOME: home,
      XDG_CACHE_HOME: path.join(home, '.cache'),
      TMPDIR: ws.tmp,
      // Go's own caches stay shared (fast); the builder's are under HOME.
      GOMODCACHE: goEnv('GOMODCACHE'),
      GOCACHE: goEnv('GOCACHE'),
    };
    const { result: lambda, lines } = await recordStdout(() => buildOk(ws, { entrypoint: 'api/index.go', env }));
    assertHandlerLambda(lambda);
    for (const token of tokens) {
      // ws.base holds the project (ws.root), the build's TMPDIR with the
      // Lambda's files (ws.tmp) and HOME with the builder's cache.
      assert.deepEqual(filesContaining(ws.base, token), [], 'no file holds a token');
      assert.deepEqual(lines.filter((l) => l.line.includes(token)), [], 'the log holds no token');
      for (const file of Object.values(lambda.files)) {
        if (file.fsPath) assert.ok(!fs.readFileSync(file.fsPath).includes(token), `${file.fsPath} holds no token`);
      }
    }
    assert.ok(fs.readdirSync(home).length > 0, 'the builder did use this HOME (its cache is there)');
    await assertServes(lambda, [BASIC_AMD64]);
  });
});
