'use strict';

// GO_BUILDER_DEBUG=1: startDevServer() runs the function under Delve's
// headless server, and an editor attaches over the Debug Adapter Protocol
// (the test is that editor: initialize, attach "remote", setBreakpoints by
// the user's own file paths, configurationDone). Breakpoints in the entry,
// a sibling file and another package of the module bind and hit; the stack
// names the user's files, lines and function; locals read; continuing
// finishes the response. A handler's debug process lives across requests
// and across clients that come and go; a save restarts it on the same
// port. Delve comes from the module proxy into the builder's cache; without
// it the dev server starts anyway, with a coded error. Nothing outlives the
// dev server, not even a SIGKILL of Node.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const h = require('./helpers');
const { pack } = require('../scripts/pack');

const linuxOnly = process.platform !== 'linux' && 'inspects processes through /proc (Linux)';

// One builder cache for the file: Delve is installed into it once (from
// Go's module cache, or the module proxy the first time on a machine).
let cache;
before(() => {
  h.loadBuilder();
  cache = h.tempDir('debug-cache');
});
h.cleanUpDevTests();

// Every start of this file carries this in its environment, and so does
// every process it starts: the last test checks none is left, and should a
// test fail half-way, nothing it started outlives the file.
const FILE_MARK = ['GO_BUILDER_TEST_FILE', Math.random().toString(36).slice(2)];
after(() => {
  for (const { pid } of h.processesWithEnv(FILE_MARK.join('='))) {
    try { process.kill(pid, 'SIGKILL'); } catch {}
  }
});

/** The 1-based line of the line holding `marker` in `text`. */
function lineOf(text, marker) {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, `marker ${marker}`);
  return i + 1;
}

const HANDLER = h.goFile('api', ['fmt', 'net/http', '', 'example.com/app/lib'], [
  'func Handler(w http.ResponseWriter, r *http.Request) {',
  '\tgreeting := "hello " + r.URL.Query().Get("name") // BREAK entry',
  '\tfmt.Fprintln(w, greeting, shout(greeting), lib.Count(greeting))',
  '}',
]);
const SIBLING = h.goFile('api', ['strings'], [
  'func shout(s string) string {',
  '\tloud := strings.ToUpper(s) // BREAK sibling',
  '\treturn loud',
  '}',
]);
const LIB = h.goFile('lib', [], [
  '// Count is the length of s.',
  'func Count(s string) int {',
  '\tn := len(s) // BREAK lib',
  '\treturn n',
  '}',
]);
// Another handler of the same package, with the same function name: the
// builder renames one of the two, never where the user would see it.
const OTHER = h.goFile('api', ['net/http'], ['func Handler(w http.ResponseWriter, r *http.Request) {}']);

/** A handler project: { workPath, files: { entry, sibling, lib } (absolute paths) }. */
function handlerProject() {
  const workPath = path.join(h.tempDir('debug'), 'app');
  h.writeFiles(workPath, {
    'go.mod': 'module example.com/app\n\ngo 1.22\n',
    'api/index.go': HANDLER,
    'api/util.go': SIBLING,
    'api/other.go': OTHER,
    'lib/lib.go': LIB,
  });
  const abs = (rel) => path.join(workPath, rel);
  return { workPath, files: { entry: abs('api/index.go'), sibling: abs('api/util.go'), lib: abs('lib/lib.go') } };
}

/** Environment of a debug start on a free debugger port. */
async function debugEnv(extra = {}) {
  const port = await h.freePort();
  return { port, env: { GO_BUILDER_DEBUG: '1', GO_BUILDER_DEBUG_PORT: String(port), GO_BUILDER_CACHE_DIR: cache, ...extra } };
}

/** startDevServer() with output collected: { server, out: () => text }. */
async function startDebug(workPath, entrypoint, env, config = {}) {
  env = { ...env, [FILE_MARK[0]]: FILE_MARK[1] };
  let text = '';
  const collect = (chunk) => (text += chunk.toString());
  const log = h.recordStdout(() => h.startDev({ workPath, entrypoint, env, config, onStdout: collect, onStderr: collect }));
  const { result, lines } = await log;
  return { server: result.server, log: lines.map((l) => l.line), out: () => text };
}

/** No frame's source is a file the user cannot open, and none is named for the renamed handler. */
function assertUserFrames(frames) {
  for (const frame of frames) {
    const where = `${frame.name} at ${frame.source && frame.source.path}`;
    assert.doesNotMatch(where, /go-builder-scratch|__vc_go_main__|main__vc__go__|\/entries\//, where);
    assert.doesNotMatch(frame.name, /Handler_api_/, where);
  }
}

/** Stops at the next `stopped` event: { threadId, frames, locals }. */
async function nextStop(client) {
  const { threadId, reason } = await client.waitEvent('stopped', () => true, { timeout: 120000 });
  assert.equal(reason, 'breakpoint');
  const { frames, locals } = await h.stoppedAt(client, threadId);
  assertUserFrames(frames);
  return { threadId, frames, locals };
}

describe('a handler under the debugger', { skip: linuxOnly }, () => {
  const project = handlerProject();
  const lines = {
    entry: lineOf(HANDLER, 'BREAK entry'),
    sibling: lineOf(SIBLING, 'BREAK sibling'),
    lib: lineOf(LIB, 'BREAK lib'),
  };
  let debug;
  let server;

  it('starts under Delve on the debugger port, persistent, and says so', async () => {
    debug = await debugEnv();
    const started = await startDebug(project.workPath, 'api/index.go', debug.env);
    server = started.server;
    assert.equal(server.persistent, true, 'lives across requests');
    assert.equal(server.debugPort, debug.port, 'the first debugged function has the port GO_BUILDER_DEBUG_PORT names');
    assert.ok(
      started.log.some((l) => l.includes(`Go debugger (Delve, DAP) listening on 127.0.0.1:${server.debugPort} for api/index.go`)),
      started.log.join('\n'),
    );
    const res = await h.get(server.port, '/api/index?name=first');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'hello first HELLO FIRST 11\n');
  });

  it('breakpoints by the user\'s paths in the entry, a sibling and another package bind and hit, with the user\'s frames and locals', async () => {
    const { client, breakpoints } = await h.attachRemote(server.debugPort, {
      [project.files.entry]: [lines.entry],
      [project.files.sibling]: [lines.sibling],
      [project.files.lib]: [lines.lib],
    });
    try {
      for (const [file, set] of Object.entries(breakpoints)) {
        assert.equal(set.length, 1);
        assert.equal(set[0].verified, true, `${file}: ${JSON.stringify(set[0])}`);
      }
      const response = h.get(server.port, '/api/index?name=ada', {}).catch((e) => e);
      let stop = await nextStop(client);
      assert.equal(stop.frames[0].source.path, project.files.entry);
      assert.equal(stop.frames[0].line, lines.entry);
      assert.match(stop.frames[0].name, /^api\.Handler$/);
      const generated = stop.frames.find((f) => /^main\.main\b/.test(f.name));
      assert.ok(generated, `the generated main serves the request: ${stop.frames.map((f) => f.name).join(', ')}`);
      assert.equal(generated.source, undefined, 'the generated main has no source the user could open');
      await client.request('next', { threadId: stop.threadId });
      await client.waitEvent('stopped', (b) => b.reason === 'step');
      const stepped = await h.stoppedAt(client, stop.threadId);
      assert.equal(stepped.locals.greeting, '"hello ada"', JSON.stringify(stepped.locals));
      assert.ok('w' in stepped.locals && 'r' in stepped.locals, 'the arguments are variables too');
      await client.request('continue', { threadId: stop.threadId });

      stop = await nextStop(client);
      assert.equal(stop.frames[0].source.path, project.files.sibling);
      assert.equal(stop.frames[0].line, lines.sibling);
      assert.equal(stop.locals.s, '"hello ada"');
      assert.equal(stop.frames[1].source.path, project.files.entry, 'called from the entry');
      await client.request('continue', { threadId: stop.threadId });

      stop = await nextStop(client);
      assert.equal(stop.frames[0].source.path, project.files.lib);
      assert.equal(stop.frames[0].line, lines.lib);
      assert.match(stop.frames[0].name, /^lib\.Count$/);
      await client.request('continue', { threadId: stop.threadId });

      const res = await response;
      assert.equal(res.status, 200, String(res));
      assert.equal(res.body, 'hello ada HELLO ADA 9\n');
    } finally {
      await h.detach(client, Object.keys(breakpoints));
    }
  });

  it('the next start (the CLI starts one per request) is the same process; a new client attaches and stops there', async () => {
    const again = await startDebug(project.workPath, 'api/index.go', debug.env);
    assert.equal(again.server.pid, server.pid);
    assert.equal(again.server.port, server.port);
    const { client, breakpoints } = await h.attachRemote(server.debugPort, { [project.files.entry]: [lines.entry] });
    try {
      assert.equal(breakpoints[project.files.entry][0].verified, true);
      const response = h.get(server.port, '/api/index?name=bob').catch((e) => e);
      const stop = await nextStop(client);
      assert.equal(stop.frames[0].line, lines.entry);
      await client.request('setBreakpoints', { source: { path: project.files.entry }, breakpoints: [] });
      await client.request('continue', { threadId: stop.threadId });
      assert.equal((await response).body, 'hello bob HELLO BOB 9\n');
    } finally {
      await h.detach(client, [project.files.entry]);
    }
  });

  it('a save rebuilds and restarts the program on the same debugger port: the session ends, a new attach stops in the new code', async () => {
    const { client } = await h.attachRemote(server.debugPort, {});
    const edited = HANDLER.replace('"hello "', '"hi "');
    h.editFile(project.files.entry, edited);
    // The old program and its debugger go: the session ends.
    await client.whenClosed();
    await h.waitUntil(async () => (await h.get(server.port, '/api/index?name=x').catch(() => ({}))).body === 'hi x HI X 4\n', {
      timeout: 180000,
      describe: () => 'for the rebuilt handler to answer',
    });
    const reattached = await h.attachRemote(server.debugPort, { [project.files.entry]: [lineOf(edited, 'BREAK entry')] });
    try {
      const response = h.get(server.port, '/api/index?name=cy').catch((e) => e);
      const stop = await nextStop(reattached.client);
      assert.equal(stop.frames[0].source.path, project.files.entry);
      await reattached.client.request('setBreakpoints', { source: { path: project.files.entry }, breakpoints: [] });
      await reattached.client.request('continue', { threadId: stop.threadId });
      assert.equal((await response).body, 'hi cy HI CY 5\n');
    } finally {
      await h.detach(reattached.client, [project.files.entry]);
    }
  });

  after(async () => {
    if (server && server.shutdown) await server.shutdown();
  });
});

const SERVER = h.goFile('main', ['fmt', 'net/http', 'os'], [
  'func main() {',
  '\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {',
  '\t\twho := r.URL.Query().Get("who")',
  '\t\tfmt.Fprintf(w, "server %s %s", r.URL.Path, who) // BREAK server',
  '\t})',
  '\thttp.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)',
  '}',
]);

function serverProject() {
  const workPath = path.join(h.tempDir('debug-server'), 'srv');
  h.writeFiles(workPath, { 'go.mod': 'module example.com/srv\n\ngo 1.22\n', 'main.go': SERVER });
  return { workPath, main: path.join(workPath, 'main.go') };
}

/** What a builder cache holds of Delve (its program, or one being built). */
function installedDelve(cacheDir) {
  const tools = path.join(cacheDir, 'tools');
  if (!fs.existsSync(tools)) return [];
  return fs.readdirSync(tools).filter((f) => f.startsWith('dlv-') && !f.endsWith('.lock') || f.startsWith('.install-'));
}

/** A marker for a start's environment: every process it starts inherits it. */
function marker() {
  return `GO_BUILDER_TEST_MARK=${Math.random().toString(36).slice(2)}`;
}

/** Waits until no live process has `mark` in its environment. */
async function noneLeft(mark) {
  await h.waitUntil(() => h.processesWithEnv(mark).length === 0, {
    timeout: 30000,
    describe: () => `for these to end: ${JSON.stringify(h.processesWithEnv(mark))}`,
  });
}

/**
 * The kinds of process `mark` started: the proxy, Delve, the debugged
 * program. Delve's Go telemetry sidecar (`** telemetry **`, there unless
 * the user turned Go telemetry off) watches Delve for crashes and ends
 * with it: it is left out here, and noneLeft() waits for it too.
 */
function kinds(mark) {
  const found = h.processesWithEnv(mark).filter(({ argv }) => argv[1] !== '** telemetry **');
  return found.map(({ argv }) => {
    if (/dlv-v[\d.]+-/.test(argv[0] || '')) return 'delve';
    if (/executable/.test(argv[0] || '')) return 'proxy';
    return path.basename(argv[0] || '?');
  }).sort();
}

describe('a standalone server under the debugger', { skip: linuxOnly }, () => {
  it('stops at a breakpoint in the user\'s main.go; shutdown leaves no process behind', async () => {
    const project = serverProject();
    const mark = marker();
    const { env } = await debugEnv({ [mark.split('=')[0]]: mark.split('=')[1] });
    const { server } = await startDebug(project.workPath, 'main.go', env, { framework: 'go' });
    assert.equal(server.persistent, true);
    const port = server.debugPort;
    assert.deepEqual(kinds(mark), ['delve', 'proxy', 'server']);
    const line = lineOf(SERVER, 'BREAK server');
    const { client, breakpoints } = await h.attachRemote(port, { [project.main]: [line] });
    try {
      assert.equal(breakpoints[project.main][0].verified, true);
      const response = h.get(server.port, '/x/y?who=dee').catch((e) => e);
      const stop = await nextStop(client);
      assert.equal(stop.frames[0].source.path, project.main);
      assert.equal(stop.frames[0].line, line);
      assert.equal(stop.locals.who, '"dee"');
      await client.request('continue', { threadId: stop.threadId });
      assert.equal((await response).body, 'server /x/y dee');
    } finally {
      await h.detach(client, [project.main]);
    }
    await server.shutdown();
    await noneLeft(mark);
  });
});

describe('another checkout of the same sources', { skip: linuxOnly }, () => {
  it('gets a debug build of its own: breakpoints by its own paths bind', async () => {
    const sources = [handlerProject(), handlerProject()];
    const { env } = await debugEnv();
    for (const project of sources) {
      const { server } = await startDebug(project.workPath, 'api/index.go', env);
      try {
        const { client, breakpoints } = await h.attachRemote(server.debugPort, { [project.files.entry]: [lineOf(HANDLER, 'BREAK entry')] });
        await h.detach(client, [project.files.entry]);
        assert.equal(breakpoints[project.files.entry][0].verified, true, JSON.stringify(breakpoints));
      } finally {
        await server.shutdown();
      }
    }
  });
});

describe('when the debugger cannot run, the dev server starts without it', () => {
  it('offline, with no Delve installed: GO_DEBUGGER_UNAVAILABLE saying how to install it; the handler serves', async () => {
    const project = handlerProject();
    const emptyModules = h.tempDir('no-modules');
    const env = {
      GO_BUILDER_DEBUG: '1',
      GO_BUILDER_DEBUG_PORT: String(await h.freePort()),
      GO_BUILDER_CACHE_DIR: h.tempDir('debug-offline-cache'),
      GOPROXY: 'off',
      GOMODCACHE: emptyModules,
      GOFLAGS: '-modcacherw',
    };
    const first = await startDebug(project.workPath, 'api/index.go', env);
    assert.equal(first.server.persistent, undefined, 'an ordinary handler, killed after its response');
    const said = first.log.join('\n');
    assert.match(said, /GO_DEBUGGER_UNAVAILABLE/);
    assert.match(said, /go install github\.com\/go-delve\/delve\/cmd\/dlv@v1\.27\.2/);
    assert.match(said, /runs without the debugger/);
    assert.equal((await h.get(first.server.port, '/api/index?name=off')).body, 'hello off HELLO OFF 9\n');
    await h.stopHandler(first.server.pid);
    assert.deepEqual(installedDelve(env.GO_BUILDER_CACHE_DIR), [], 'no Delve, no half-built one');
    // The next request's start does not try again.
    const second = await startDebug(project.workPath, 'api/index.go', env);
    assert.ok(!second.log.some((l) => /GO_DEBUGGER_UNAVAILABLE|Installing the Go debugger/.test(l)), second.log.join('\n'));
    await h.stopHandler(second.server.pid);
  });

  it('its port taken: GO_DEBUGGER_UNAVAILABLE naming GO_BUILDER_DEBUG_PORT; the server serves', async () => {
    const project = serverProject();
    const { env } = await debugEnv();
    // The function's port: its first start has it; then something else takes it.
    const first = await startDebug(project.workPath, 'main.go', env, { framework: 'go' });
    const port = first.server.debugPort;
    await first.server.shutdown();
    const taken = require('node:net').createServer().listen(port, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    try {
      const { server, log } = await startDebug(project.workPath, 'main.go', env, { framework: 'go' });
      assert.match(log.join('\n'), /GO_DEBUGGER_UNAVAILABLE/);
      assert.match(log.join('\n'), new RegExp(`127\\.0\\.0\\.1:${port} is not available.*GO_BUILDER_DEBUG_PORT`));
      assert.equal((await h.get(server.port, '/p?who=q')).body, 'server /p q');
      await server.shutdown();
    } finally {
      taken.close();
    }
  });
});

describe('without GO_BUILDER_DEBUG nothing changes', () => {
  for (const value of [undefined, '0']) {
    it(`GO_BUILDER_DEBUG=${value}: an ordinary handler process, no Delve, nothing installed`, async () => {
      const project = handlerProject();
      const mark = marker();
      const env = { GO_BUILDER_CACHE_DIR: h.tempDir('plain-cache'), [mark.split('=')[0]]: mark.split('=')[1] };
      if (value !== undefined) env.GO_BUILDER_DEBUG = value;
      const { server, log } = await startDebug(project.workPath, 'api/index.go', env);
      assert.equal(server.persistent, undefined);
      assert.ok(!log.some((l) => /debugger|Delve/i.test(l)), log.join('\n'));
      assert.deepEqual(kinds(mark), ['handler']);
      assert.deepEqual(installedDelve(env.GO_BUILDER_CACHE_DIR), []);
      assert.equal((await h.get(server.port, '/api/index?name=p')).body, 'hello p HELLO P 7\n');
      await h.stopHandler(server.pid);
    });
  }
});

describe('nothing outlives its host', { skip: linuxOnly }, () => {
  it('SIGKILL of the Node process: the proxy, Delve and the debugged program all end', async () => {
    const project = handlerProject();
    const mark = marker();
    const { env } = await debugEnv({ [mark.split('=')[0]]: mark.split('=')[1], [FILE_MARK[0]]: FILE_MARK[1] });
    const script = `
      const builder = require(${JSON.stringify(h.ROOT)});
      (async () => {
        const server = await builder.startDevServer({ files: {}, entrypoint: 'api/index.go', workPath: process.argv[1],
          config: {}, meta: { isDev: true, env: JSON.parse(process.argv[2]) } });
        console.log('STARTED ' + server.pid);
        setInterval(() => {}, 1000);
      })().catch((e) => { console.log('FAILED ' + e.message); process.exit(1) });
    `;
    const child = spawn(process.execPath, ['-e', script, project.workPath, JSON.stringify(env)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, GOTOOLCHAIN: 'local' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await h.waitUntil(() => /STARTED \d+|FAILED/.test(out), { timeout: 300000, describe: () => out });
    assert.match(out, /STARTED/);
    assert.deepEqual(kinds(mark), ['delve', 'handler', 'proxy']);
    for (const { pid } of h.processesWithEnv(mark)) h.trackDevProcess(pid, false);
    child.kill('SIGKILL');
    await noneLeft(mark);
  });
});

describe('through the real `vercel dev`', { skip: linuxOnly }, () => {
  let tarballs;
  before(() => {
    tarballs = pack(path.join(h.tempDir('debug-pack'), 'pack'));
  });

  /**
   * `vercel dev` of the project at `workPath` with GO_BUILDER_DEBUG=1, a
   * first request (which starts the function under the debugger), then an
   * editor's attach: a breakpoint at `file:line`, the next request stops
   * there with `local` set to `value`, and answers `body` once continued.
   * Stopping `vercel dev` leaves nothing running.
   */
  async function debugThroughCli({ workPath, entrypoint, first, next, file, line, local, value }) {
    const mark = marker();
    const { env } = await debugEnv({ [mark.split('=')[0]]: mark.split('=')[1], [FILE_MARK[0]]: FILE_MARK[1] });
    const port = await h.freePort();
    const dev = await h.vercelDev({ projectDir: workPath, port, builderTarballs: [tarballs.main, tarballs.platform], env });
    try {
      const warm = await h.request({ port, path: first.path, timeoutMs: 300000 });
      assert.equal(warm.status, 200, dev.output());
      assert.equal(warm.body, first.body);
      const said = new RegExp(`Go debugger \\(Delve, DAP\\) listening on 127\\.0\\.0\\.1:(\\d+) for ${entrypoint.replace('.', '\\.')}`);
      const announced = said.exec(dev.output());
      assert.ok(announced, dev.output());
      assert.deepEqual(kinds(mark).filter((k) => ['delve', 'proxy', 'server', 'handler'].includes(k)), ['delve', 'proxy', path.basename(entrypoint) === 'main.go' ? 'server' : 'handler'].sort());
      const { client, breakpoints } = await h.attachRemote(Number(announced[1]), { [file]: [line] });
      try {
        assert.equal(breakpoints[file][0].verified, true, JSON.stringify(breakpoints));
        const response = h.request({ port, path: next.path, timeoutMs: 120000 }).catch((e) => e);
        const stop = await nextStop(client);
        assert.equal(stop.frames[0].source.path, file);
        assert.equal(stop.frames[0].line, line);
        assert.equal(stop.locals[local], value, JSON.stringify(stop.locals));
        await client.request('continue', { threadId: stop.threadId });
        const res = await response;
        assert.equal(res.status, 200, String(res));
        assert.equal(res.body, next.body);
      } finally {
        await h.detach(client, [file]);
      }
    } finally {
      await dev.stop();
    }
    await noneLeft(mark);
  }

  it('a handler: the first request starts it under the debugger; an attached editor stops the next one at its breakpoint', async () => {
    const project = handlerProject();
    const { version } = require('../package.json');
    h.writeFiles(project.workPath, {
      'vercel.json': JSON.stringify({ functions: { 'api/*.go': { runtime: `@acme/go-builder@${version}` } } }),
    });
    await debugThroughCli({
      workPath: project.workPath,
      entrypoint: 'api/index.go',
      first: { path: '/api/index?name=warm', body: 'hello warm HELLO WARM 10\n' },
      next: { path: '/api/index?name=cli', body: 'hello cli HELLO CLI 9\n' },
      file: project.files.entry,
      line: lineOf(HANDLER, 'BREAK entry') + 1,
      local: 'greeting',
      value: '"hello cli"',
    });
  });

  it('a standalone server (framework "go"): every path reaches it; the editor stops in main.go', async () => {
    const project = serverProject();
    h.writeFiles(project.workPath, {
      'vercel.json': JSON.stringify({ builds: [{ src: 'main.go', use: '@acme/go-builder', config: { framework: 'go' } }] }),
    });
    await debugThroughCli({
      workPath: project.workPath,
      entrypoint: 'main.go',
      first: { path: '/warm?who=w', body: 'server /warm w' },
      next: { path: '/deep/path?who=cli', body: 'server /deep/path cli' },
      file: project.main,
      line: lineOf(SERVER, 'BREAK server'),
      local: 'who',
      value: '"cli"',
    });
  });
});

describe('in the end', { skip: linuxOnly }, () => {
  it('every process this file\'s starts started has ended (servers stopped, handlers killed)', async () => {
    await noneLeft(FILE_MARK.join('='));
  });
});
