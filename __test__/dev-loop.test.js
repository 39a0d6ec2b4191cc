'use strict';

// The dev loop: a standalone dev server answers every request exactly as
// the deployed function does (one table of cases, run against both); a
// save rebuilds at once and the new server takes over only once it
// listens (no request fails across the swap); a broken save leaves the old
// server serving and prints the compiler's message once; a handler's next
// start finds the rebuilt binary ready; stopping leaves nothing behind, and
// a dev server dies with its host.

const { describe, it, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const h = require('./helpers');

const linuxOnly = process.platform !== 'linux' && 'inspects processes through /proc (Linux)';

before(() => h.loadBuilder());
h.cleanUpDevTests();

/** A server that answers with everything a request rule can change. */
const ECHO_SERVER = [
  'package main',
  '',
  'import (',
  '\t"encoding/json"',
  '\t"net/http"',
  '\t"os"',
  '\t"sort"',
  '\t"strings"',
  ')',
  '',
  'const version = "v1"',
  '',
  'func main() {',
  '\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {',
  '\t\tvar internal, vercel []string',
  '\t\tfor name := range r.Header {',
  '\t\t\tlower := strings.ToLower(name)',
  '\t\t\tif strings.HasPrefix(lower, "x-vercel-internal-") {',
  '\t\t\t\tinternal = append(internal, lower)',
  '\t\t\t} else if strings.HasPrefix(lower, "x-vercel-") {',
  '\t\t\t\tvercel = append(vercel, lower)',
  '\t\t\t}',
  '\t\t}',
  '\t\tsort.Strings(internal)',
  '\t\tsort.Strings(vercel)',
  '\t\tjson.NewEncoder(w).Encode(map[string]any{',
  '\t\t\t"version": version, "method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery,',
  '\t\t\t"host": r.Host, "internal": internal, "vercel": vercel,',
  '\t\t})',
  '\t})',
  '\thttp.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)',
  '}',
  '',
].join('\n');

function echoProject() {
  const workPath = path.join(h.tempDir('dev-loop'), 'project');
  h.writeFiles(workPath, { 'go.mod': 'module example.com/echo\n\ngo 1.22\n', 'main.go': ECHO_SERVER });
  return workPath;
}

const SERVICE_ENV = { VERCEL_SERVICE_ROUTE_PREFIX: '/api', VERCEL_SERVICE_ROUTE_PREFIX_STRIP: '1' };

/** The request rules, one table for the dev server and the built function. */
const CASES = [
  {
    name: 'a prefixed path loses its prefix; the query is kept byte for byte',
    path: '/api/users/7?b=2&a=one%20two',
    headers: {},
    expect: { status: 200, json: { path: '/users/7', query: 'b=2&a=one%20two' } },
  },
  {
    name: 'the prefix alone is the root',
    path: '/api',
    headers: {},
    expect: { status: 200, json: { path: '/', query: '' } },
  },
  {
    name: 'a path outside the prefix is unchanged',
    path: '/apiary',
    headers: {},
    expect: { status: 200, json: { path: '/apiary' } },
  },
  {
    name: 'internal headers are dropped, other x-vercel headers kept, Host from X-Forwarded-Host',
    path: '/api/h',
    headers: {
      'x-vercel-internal-secret': 's',
      'x-vercel-internal-span': 't',
      'x-vercel-id': 'keep',
      'x-forwarded-host': 'public.example.com',
    },
    expect: { status: 200, json: { internal: null, vercel: ['x-vercel-id'], host: 'public.example.com' } },
  },
  {
    name: 'the ping is answered by the proxy, not the server',
    path: '/_vercel/ping',
    headers: {},
    expect: { status: 200, body: 'OK' },
  },
];

/** What a case's answer must be (only the fields the case names). */
function assertCase(c, res, where) {
  assert.equal(res.status, c.expect.status, `${where}: ${c.name}`);
  if (c.expect.body !== undefined) assert.equal(res.body, c.expect.body, `${where}: ${c.name}`);
  if (c.expect.json) {
    const got = JSON.parse(res.body);
    for (const [key, value] of Object.entries(c.expect.json)) {
      assert.deepEqual(got[key], value, `${where}: ${c.name}: ${key} in ${res.body}`);
    }
  }
}

async function startServer(workPath, { env = {}, onStdout, onStderr } = {}) {
  return h.startDev({
    workPath,
    entrypoint: 'main.go',
    config: { framework: 'go' },
    env: { GO_BUILDER_CACHE_DIR: h.tempDir('dev-loop-cache'), ...env },
    onStdout: onStdout || (() => {}),
    onStderr: onStderr || (() => {}),
  });
}

/** Runs `fn` with console.log lines collected (the build log goes there). */
function collectLog() {
  const lines = [];
  const original = console.log;
  console.log = (...args) => {
    lines.push(args.join(' '));
    original.apply(console, args);
  };
  return { lines, restore: () => (console.log = original) };
}

function bump(workPath, version) {
  const file = path.join(workPath, 'main.go');
  h.editFile(file, fs.readFileSync(file, 'utf8').replace(/const version = "[^"]*"/, `const version = "${version}"`));
}

async function versionOf(port) {
  const res = await h.get(port, '/');
  return JSON.parse(res.body).version;
}

async function waitForVersion(port, version) {
  await h.waitUntil(async () => (await versionOf(port).catch(() => null)) === version, {
    timeout: 120000,
    describe: () => `for the server to answer ${version}`,
  });
}

describe('dev and the built function answer every request case alike', () => {
  it('runs the table against the dev server and against the built Lambda behind a test platform', async () => {
    const workPath = echoProject();
    const { server } = await startServer(workPath, { env: SERVICE_ENV });
    try {
      for (const c of CASES) assertCase(c, await h.get(server.port, c.path, c.headers), 'dev');
    } finally {
      await server.shutdown();
    }
    const ws = { name: 'echo', root: path.dirname(workPath), workPath };
    const lambda = await h.buildOk(ws, { entrypoint: 'main.go', config: { framework: 'go' } });
    const dir = await h.materializeLambda(lambda);
    const platform = await h.startPlatform({ dir, env: SERVICE_ENV });
    try {
      for (const [i, c] of CASES.entries()) {
        const headers = { ...c.headers, ...h.invocationHeaders(h.invocationIds(1000 + i)) };
        assertCase(c, await h.get(platform.port, c.path, headers), 'built function');
      }
    } finally {
      await platform.close();
    }
  });
});

describe('rebuild on save', { skip: linuxOnly }, () => {
  it('a standalone server: a save is served once rebuilt, with no failed request across the swap', async () => {
    const workPath = echoProject();
    const { server } = await startServer(workPath);
    try {
      assert.equal(await versionOf(server.port), 'v1');
      let stop = false;
      const errors = [];
      let answered = 0;
      const clients = Array.from({ length: 10 }, async () => {
        while (!stop) {
          try {
            const res = await h.get(server.port, '/load');
            if (res.status !== 200 || !/"version":"v[12]"/.test(res.body)) errors.push(`${res.status} ${res.body}`);
            answered += 1;
          } catch (err) {
            errors.push(err.message);
          }
        }
      });
      bump(workPath, 'v2');
      await waitForVersion(server.port, 'v2');
      // Keep the load on a little after the swap, then stop it.
      const after = answered + 200;
      await h.waitUntil(() => answered >= after, { timeout: 60000, describe: () => `${answered} answers` });
      stop = true;
      await Promise.all(clients);
      assert.deepEqual(errors, [], `failed requests across the swap (of ${answered})`);
      assert.ok(answered >= 200);
    } finally {
      await server.shutdown();
    }
  });

  it('a broken save: the old server keeps serving, the compiler message is printed once; the fix recovers', async () => {
    const workPath = echoProject();
    const log = collectLog();
    const { server } = await startServer(workPath);
    try {
      assert.equal(await versionOf(server.port), 'v1');
      const file = path.join(workPath, 'main.go');
      const good = fs.readFileSync(file, 'utf8');
      h.editFile(file, good.replace('json.NewEncoder(w)', 'json.NewEncoder(w, oops)'));
      const message = (l) => /main\.go:\d+:\d+: .*oops/.test(l) || /main\.go:\d+:\d+: too many arguments/.test(l);
      await h.waitUntil(() => log.lines.some(message), {
        timeout: 120000,
        describe: () => `the compiler's message in the log:\n${log.lines.join('\n')}`,
      });
      // Saved again, still broken the same way: not printed again.
      h.editFile(file, `${good.replace('json.NewEncoder(w)', 'json.NewEncoder(w, oops)')}\n// saved again\n`);
      await h.sleep(1500);
      assert.equal(await versionOf(server.port), 'v1', 'the old server still answers');
      const printed = log.lines.filter((l) => l.startsWith('failed to `go build`'));
      assert.equal(printed.length, 1, `printed once:\n${log.lines.join('\n')}`);
      h.editFile(file, good.replace('const version = "v1"', 'const version = "v3"'));
      await waitForVersion(server.port, 'v3');
    } finally {
      log.restore();
      await server.shutdown();
    }
  });

  it('a handler: the next start after a save finds the rebuilt binary ready (no build while the request waits)', async () => {
    const workPath = path.join(h.tempDir('dev-loop-handler'), 'project');
    const handler = (text) =>
      `package api\n\nimport (\n\t"fmt"\n\t"net/http"\n)\n\nfunc Hello(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "${text}") }\n`;
    h.writeFiles(workPath, { 'go.mod': 'module example.com/loop\n\ngo 1.22\n', 'api/hello.go': handler('hello v1') });
    const cache = h.tempDir('dev-loop-cache');
    const opts = { workPath, entrypoint: 'api/hello.go', env: { GO_BUILDER_CACHE_DIR: cache } };
    const first = await h.startDev(opts);
    assert.equal((await h.get(first.server.port, '/api/hello')).body, 'hello v1');
    await h.stopHandler(first.server.pid);
    const builtBefore = h.cachedBinaries(cache).map((b) => b.rel);
    h.editFile(path.join(workPath, 'api/hello.go'), handler('hello v2'));
    // The watcher builds the new binary without any start asking for it.
    await h.waitUntil(() => h.cachedBinaries(cache).some((b) => !builtBefore.includes(b.rel)), {
      timeout: 120000,
      describe: () => `a rebuilt binary in ${cache}: ${JSON.stringify(h.cachedBinaries(cache))}`,
    });
    const second = await h.startDev(opts);
    assert.equal(second.reused, true, 'the start found the binary the save built');
    assert.equal((await h.get(second.server.port, '/api/hello')).body, 'hello v2');
    await h.stopHandler(second.server.pid);
  });
});

/** The inotify instances this process holds (the watchers' file descriptors). */
function inotifyInstances() {
  return fs
    .readdirSync('/proc/self/fd')
    .filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:inotify';
      } catch {
        return false;
      }
    }).length;
}

describe('stopping', { skip: linuxOnly }, () => {
  it('shutdown leaves no process and no watcher of the server behind', async () => {
    const workPath = echoProject();
    const before = inotifyInstances();
    const { server } = await startServer(workPath);
    assert.equal(await versionOf(server.port), 'v1');
    assert.ok(inotifyInstances() > before, 'the server\'s sources are watched');
    const group = h.processGroup(server.pid).map((p) => p.pid);
    assert.ok(group.length >= 2, `proxy and server: ${JSON.stringify(group)}`);
    await server.shutdown();
    for (const pid of group) await h.waitGone(pid);
    await h.waitUntil(() => inotifyInstances() === before, {
      describe: () => `the watcher closed (${inotifyInstances()} inotify fds, ${before} before)`,
    });
  });

  it('a dev server dies with its host: SIGKILL of the Node process leaves no server running', async () => {
    const workPath = echoProject();
    const script = `
      const builder = require(${JSON.stringify(h.ROOT)});
      (async () => {
        const server = await builder.startDevServer({ files: {}, entrypoint: 'main.go', workPath: process.argv[1],
          config: { framework: 'go' }, meta: { isDev: true, env: { GO_BUILDER_CACHE_DIR: process.argv[2] } } });
        console.log('STARTED ' + server.pid);
        setInterval(() => {}, 1000);
      })().catch((e) => { console.log('FAILED ' + e.message); process.exit(1) });
    `;
    const child = spawn(process.execPath, ['-e', script, workPath, h.tempDir('dev-loop-cache')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await h.waitUntil(() => /STARTED \d+|FAILED/.test(out), { timeout: 120000, describe: () => out });
    const proxy = Number(/STARTED (\d+)/.exec(out)[1]);
    const group = h.processGroup(proxy).map((p) => p.pid);
    assert.ok(group.length >= 2, `proxy and server: ${JSON.stringify(group)}`);
    for (const pid of group) h.trackDevProcess(pid, false);
    child.kill('SIGKILL');
    // Orphans are reaped by init (or not, in some containers): a zombie is dead.
    for (const pid of group) {
      await h.waitUntil(() => [undefined, 'Z'].includes(h.procStat(pid)?.state), {
        describe: () => `for pid ${pid} to die with its host: ${JSON.stringify(h.procStat(pid))}`,
      });
      h.untrackDevProcess(pid);
    }
  });
});
