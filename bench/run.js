'use strict'
// `npm run bench`: @acme/go-builder side by side with @vercel/go 22.0.1 (the
// current release) and 3.10.5 (the last version-3 release), interleaved in
// one run, in the situations users build in: the same checkout again (a
// developer), a fresh checkout at a new path (every deploy), a fresh
// container that only has what prepareCache() kept (a second deploy), and a
// cold machine (a first deploy). Prints a table and writes bench/RESULTS.md.
//
// Environment:
//   BENCH_ONLY        comma-separated rows to run (1…15, 2v; default all). Row 7
//                     (the go build floor) is measured inside rows 1 and 2,
//                     row 9 reuses row 4's builds when row 4 runs.
//   BENCH_REPS        repetitions for every row (default: per row, see REPS)
//   BENCH_SKIP_SETUP  1: use the addon as built (no `node scripts/setup.js`)
//   BENCH_WORK_DIR    scratch directory (default <tmp>/acme-go-builder-bench)
//   BENCH_VERBOSE     1: show the builders' own output
//
// Builders are called like the Vercel CLI calls them: `require(pkg)`, then
// `build({ files: {}, entrypoint, workPath, repoRootPath, config, meta: {
// skipDownload: true } })` (with skipDownload both use only workPath), each
// measurement in a fresh node process (lib/worker.js) whose environment
// (HOME, caches, TMPDIR) is the scenario's (lib/envs.js).

const fs = require('fs')
const os = require('os')
const path = require('path')
const { fork, spawn, spawnSync, execFileSync } = require('child_process')

const { materialize, handlers, addMain, copyTree } = require('./lib/fixtures')
const envs = require('./lib/envs')
const toolchain = require('./lib/toolchain')
const cli = require('./lib/vercel-cli')
const { sampleTree } = require('./lib/proctree')
const { ms } = require('./lib/stats')
const { now, firstResponse } = require('./lib/timing')
const machineInfo = require('./lib/machine')
const report = require('./lib/report')
// The test suite's vulnerability database writer and loopback server (row 2v).
const { osvEntry, writeVulnDb, serveVulnDb } = require('../__test__/helpers/vulndb')

const BENCH = __dirname
const ROOT = path.join(BENCH, '..')
const WORKER = path.join(BENCH, 'lib', 'worker.js')
const HANDLER_MAIN = path.join(ROOT, 'go', 'templates', 'handler_main.go.tmpl')
const DEV_MAIN = path.join(ROOT, 'go', 'templates', 'http_main.go.tmpl')
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null
const WORK = process.env.BENCH_WORK_DIR || path.join(os.tmpdir(), 'acme-go-builder-bench')
const VERBOSE = process.env.BENCH_VERBOSE === '1'
const LAMBDA_ENV = { GOOS: 'linux', GOARCH: 'amd64', CGO_ENABLED: '0', GOWORK: 'off' }
const FLOOR_FLAGS = ['-trimpath', '-ldflags', '-s -w']

/** Repetitions per row; BENCH_REPS overrides them all. */
const DEFAULT_REPS = { 1: 5, 2: 5, '2v': 5, 3: 2, 4: 3, '5a': 2, '5b': 2, 6: 2, 8: 5, 10: 5, 11: 2, 12: 2, 13: 5, 14: 2, 15: 3 }
function reps(row) {
  const forced = parseInt(process.env.BENCH_REPS || '', 10)
  return forced > 0 ? forced : DEFAULT_REPS[row]
}

/** The builders under test: the addon (this checkout) and the two references (bench/node_modules). */
function participants() {
  const ref = (alias) => {
    const dir = path.join(BENCH, 'node_modules', alias)
    const { version } = require(path.join(dir, 'package.json'))
    // Both references compile their AST analyzer once into their own package
    // folder and keep it there.
    return { dir, version, label: `@vercel/go ${version}`, analyzer: path.join(dir, 'dist', 'analyze') }
  }
  return {
    ours: { dir: ROOT, label: '@acme/go-builder', version: require(path.join(ROOT, 'package.json')).version },
    ref22: ref('vercel-go-22'),
    ref3: ref('vercel-go-3'),
  }
}
let BUILDERS
/**
 * The rows where every build starts cold (3, 4, 5b) take 20–60 s per build
 * on a small machine: they run ours against the current release only, which
 * their targets name, to keep the default run near 15 minutes.
 */
const COLD_BUILDERS = ['ours', 'ref22', 'ref3']

function log(line) {
  process.stderr.write(`${line}\n`)
}

function selected(id) {
  return !ONLY || ONLY.has(String(id))
}

/** Repetition `rep` starts with a different participant each time. */
function rotate(list, rep) {
  const k = rep % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

let sequence = 0
/** The 1-minute load average at the start of every timed measurement: other work competes for the cores. */
const LOADS = []
/** A new, unused path under the work dir: a fresh checkout, a fresh HOME, … */
function fresh(...parts) {
  sequence++
  return path.join(WORK, ...parts.slice(0, -1), `${parts[parts.length - 1]}-${sequence}`)
}

// ---------------------------------------------------------------- setup

function ensureReferences() {
  const manifest = require(path.join(BENCH, 'package.json'))
  const wanted = Object.entries(manifest.devDependencies).map(([alias, spec]) => [alias, spec.replace(/^npm:.*@/, '')])
  const installed = (alias) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(BENCH, 'node_modules', alias, 'package.json'), 'utf8')).version
    } catch {
      return null
    }
  }
  if (wanted.every(([alias, version]) => installed(alias) === version)) return
  log('$ npm ci   (in bench/)')
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: BENCH, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('installing the references into bench/node_modules failed')
}

function ensureAddon() {
  if (process.env.BENCH_SKIP_SETUP === '1') {
    log('BENCH_SKIP_SETUP=1: using the addon as built')
    return
  }
  log('$ node scripts/setup.js   (napi build --platform --release)')
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'setup.js')], {
    cwd: ROOT,
    stdio: ['ignore', 2, 2],
    env: { ...process.env, GOTOOLCHAIN: 'local' },
  })
  if (r.status !== 0) throw new Error('building the addon in release mode failed (node scripts/setup.js)')
}

function goFacts() {
  const env = { ...process.env, GOTOOLCHAIN: 'local' }
  const line = execFileSync('go', ['version'], { encoding: 'utf8', env }).trim()
  const goversion = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8', env }).trim()
  const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8', env }).trim()
  const match = goversion.match(/^go(\d+\.\d+(?:\.\d+)?)/)
  if (!match) throw new Error(`cannot benchmark with Go "${goversion}": @vercel/go needs a release version`)
  // @vercel/go only takes the machine's Go when go.mod pins exactly this version.
  return { line, version: match[1], goroot }
}

// ---------------------------------------------------------------- running things

function tail(text, n = 4000) {
  return text.length > n ? `…${text.slice(-n)}` : text
}

/** The warm machine: one HOME for the whole run, warmed by the priming builds. */
function warmEnv() {
  return envs.warm(path.join(WORK, 'warm-home'), fresh('tmp', 'job'))
}

/** A fresh container's environment (empty HOME) or a cold one (every cache empty). */
function containerEnv() {
  return envs.container(fresh('containers', 'c'))
}
function coldEnv() {
  return envs.cold(fresh('containers', 'cold'))
}

/** Removes what a job's environment created: its TMPDIR, and for containers the whole container. */
function discardEnv(env) {
  const dir = path.dirname(env.HOME)
  if (dir.startsWith(path.join(WORK, 'containers'))) envs.remove(dir)
  else envs.remove(env.TMPDIR)
}

/**
 * A reference in a fresh container has just been installed: its analyzer is
 * not compiled yet. (Ours keeps its compiled helpers under HOME or
 * GO_BUILDER_CACHE_DIR, which such a container has empty.)
 */
function freshInstall(who) {
  const analyzer = BUILDERS[who].analyzer
  if (analyzer) fs.rmSync(analyzer, { force: true })
}

/**
 * Runs one job in a fresh Node process (lib/worker.js) with `env`; resolves
 * with its answer. `memory`: also the peak RSS of the process tree.
 */
function runWorker(job, env, { timeoutMs = 600000, memory = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env })
    const sampler = memory ? sampleTree(child.pid) : null
    let output = ''
    const take = (chunk) => {
      output = tail(output + chunk, 20000)
      if (VERBOSE) process.stderr.write(chunk)
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    let answer = null
    child.on('message', (message) => (answer = message))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      const peak = sampler ? sampler.stop() : null
      if (answer && answer.ok) return resolve({ ...answer.ok, peakRss: peak })
      const why = answer && answer.error ? answer.error.message : signal ? `killed (${signal})` : `exit code ${code}`
      reject(new Error(`${job.type} with ${path.relative(ROOT, job.builder || job.root) || '.'} failed: ${why}\n${tail(output)}`))
    })
    child.send(job)
  })
}

/** build() of `builds` in `workPath` by builder `who`, in `env`. */
function build(who, workPath, builds, env, options = {}) {
  const { hash = false, stash = null, memory = false } = options
  return runWorker({ type: 'build', builder: BUILDERS[who].dir, workPath, builds, hash, stash }, env, { memory })
}

/** Runs a command to its exit; resolves with ms. */
function timeCommand(command, args, options) {
  const start = now()
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', VERBOSE ? 2 : 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += d
      if (VERBOSE) process.stderr.write(d)
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      const elapsed = now() - start
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${tail(stderr)}`))
      resolve(elapsed)
    })
  })
}

/** The floor: `go build -trimpath -ldflags "-s -w" -o <new file> ./vcmain`, as a Lambda build. */
async function floorBuild(dir, env) {
  const out = path.join(env.TMPDIR, 'floor-out', 'bootstrap')
  return { totalMs: await timeCommand('go', ['build', ...FLOOR_FLAGS, '-o', out, './vcmain'], { cwd: dir, env: { ...env, ...LAMBDA_ENV } }) }
}

/** A fresh copy of fixture `name` at `dir`; the floor's copy also gets the generated main. */
function checkout(name, dir, who, go) {
  materialize(name, dir, go.version)
  if (who === 'floor') addMain(dir, HANDLER_MAIN, 'vcmain')
  return dir
}

/**
 * The repetition loop every row shares: `warmup` untimed runs of each
 * participant, then `n` repetitions, each running every participant once in
 * a rotated order. `once(who, rep)` resolves with { ms, … }.
 */
async function loop(label, who, n, once, { warmup = 0 } = {}) {
  const samples = Object.fromEntries(who.map((w) => [w, []]))
  for (let i = 0; i < warmup; i++) {
    for (const w of who) {
      log(`  ${label}: warm-up ${w}`)
      await once(w, -1)
    }
  }
  for (let rep = 0; rep < n; rep++) {
    const line = []
    for (const w of rotate(who, rep)) {
      LOADS.push(os.loadavg()[0])
      const r = await once(w, rep)
      samples[w].push(r)
      line.push(`${w} ${ms(r.ms)}`)
    }
    log(`  ${label}: rep ${rep + 1}/${n}  ${line.join('  ')}`)
  }
  return samples
}

// ---------------------------------------------------------------- rows

const HANDLER_BUILD = [{ entrypoint: 'api/index.go' }]

/** Untimed builds that warm the run's HOME (modules, build cache, each builder's helpers). */
async function prime(go) {
  for (const who of [...Object.keys(BUILDERS), 'floor']) {
    const t = now()
    const dir = checkout('handler', path.join(WORK, 'prime', who), who, go)
    const env = warmEnv()
    if (who === 'floor') await floorBuild(dir, env)
    else await build(who, dir, HANDLER_BUILD, env)
    discardEnv(env)
    log(`  warm HOME: ${who} ${ms(now() - t)}`)
  }
}

/**
 * Changes the code of `file` in the checkout `dir` (a function of a unique
 * name and value; a comment would not do: Go would find the compiled
 * package unchanged and skip the link), so its package is compiled and
 * every program using it linked again: a deploy of a commit that touched it.
 */
function changeSource(dir, file) {
  const id = Math.random().toString(36).slice(2)
  fs.appendFileSync(path.join(dir, file), `\n// BenchChange${id} is new in this commit.\nfunc BenchChange${id}() string { return "${id}" }\n`)
}

/** One handler build by `who` (or the floor) at `dir` in `env`. */
async function buildHandler(who, dir, env, options = {}) {
  const r = who === 'floor' ? await floorBuild(dir, env) : await build(who, dir, HANDLER_BUILD, env, options)
  return { ms: r.totalMs, files: r.builds && r.builds[0].files, cache: r.cache, peakRss: r.peakRss }
}

/**
 * Rows 1 and 7a/7c: the same checkout path every time, warm caches.
 * "ours-unverified" is ours with the machine's verification memo removed
 * before every build, so its reuse hashes the whole kept program: the cost
 * of verification.
 */
async function rowFixed(go, who) {
  const upToDate = []
  const once = async (w, rep) => {
    const builder = w === 'ours-unverified' ? 'ours' : w
    const dir = checkout('handler', path.join(WORK, 'fixed', w), builder, go)
    const env = warmEnv()
    if (w === 'ours-unverified') {
      fs.rmSync(path.join(env.HOME, '.cache', 'acme-go-builder', 'verified'), { recursive: true, force: true })
    }
    try {
      const r = await buildHandler(builder, dir, env)
      if (w === 'floor' && rep >= 0) {
        // 7c: the same command again, its output now present and up to date.
        upToDate.push((await floorBuild(dir, env)).totalMs)
      }
      return r
    } finally {
      discardEnv(env)
    }
  }
  const all = who.includes('ours') ? [...who, 'ours-unverified'] : who
  const samples = await loop('fixed path', all, reps(1), once, { warmup: 1 })
  return { samples, upToDate }
}

/**
 * Rows 2 and 7b: a fresh checkout path for every build, warm caches; with
 * `edited` (row 2e), the handler's source changed since any earlier build.
 */
async function rowFresh(go, who, { edited = false } = {}) {
  const once = async (w) => {
    const dir = checkout('handler', fresh('checkouts', w), w, go)
    if (edited) changeSource(dir, 'api/index.go')
    const env = warmEnv()
    try {
      return await buildHandler(w, dir, env)
    } finally {
      discardEnv(env)
      envs.remove(dir)
    }
  }
  return { samples: await loop(edited ? 'fresh path, edited' : 'fresh path', who, reps(2), once, { warmup: 1 }) }
}

/**
 * Row 2v: row 2e's build by ours with `GO_BUILDER_VULNCHECK=warn` against a
 * vulnerability database served from 127.0.0.1 ("ours-scan"), interleaved
 * with the same build without the scan ("ours"). The warm-up installs
 * govulncheck into the warm HOME's builder cache.
 */
async function rowScan(go) {
  const dbDir = path.join(WORK, 'vulndb')
  writeVulnDb(dbDir, [
    osvEntry({ id: 'GO-2099-0001', module: 'github.com/aws/aws-lambda-go', pkg: 'github.com/aws/aws-lambda-go/lambda', symbols: ['Start'] }),
  ])
  const db = await serveVulnDb(dbDir)
  const once = async (w) => {
    const dir = checkout('handler', fresh('checkouts', w), 'ours', go)
    changeSource(dir, 'api/index.go')
    const env = warmEnv()
    if (w === 'ours-scan') Object.assign(env, { GO_BUILDER_VULNCHECK: 'warn', GOVULNDB: db.url })
    try {
      return await buildHandler('ours', dir, env)
    } finally {
      discardEnv(env)
      envs.remove(dir)
    }
  }
  try {
    return { samples: await loop('fresh path, edited, scanned', ['ours', 'ours-scan'], reps('2v'), once, { warmup: 1 }) }
  } finally {
    await db.close()
  }
}

/** Copies a stash (prepareCache's files, keys relative to workPath) into a checkout. */
function restore(stash, workPath) {
  if (fs.existsSync(stash)) fs.cpSync(stash, workPath, { recursive: true, verbatimSymlinks: true })
}

/**
 * Row 3, a second deploy. Container A (once per builder, untimed): a fresh
 * checkout and an empty HOME, build(), then prepareCache(); its files are
 * kept. Container B (timed, every repetition): a new checkout path, those
 * files restored into it, a new empty HOME, build(). "ours-warm" is ours in
 * the same restored checkout on the warm machine.
 */
async function rowRestored(go) {
  const who = COLD_BUILDERS
  const first = {}
  for (const w of who) {
    const dir = checkout('handler', fresh('checkouts', `A-${w}`), w, go)
    const env = containerEnv()
    const stash = path.join(WORK, 'stash', w)
    envs.remove(stash)
    fs.mkdirSync(stash, { recursive: true })
    freshInstall(w)
    try {
      const r = await buildHandler(w, dir, env, { stash, hash: true })
      first[w] = { ms: r.ms, cache: r.cache, files: r.files }
      log(`  restored cache: container A ${w} ${ms(r.ms)}, prepareCache() kept ${r.cache.count} files (${(r.cache.bytes / 2 ** 20).toFixed(1)} MB)${r.cache.error ? `; it failed: ${r.cache.error}` : ''}`)
    } finally {
      discardEnv(env)
      envs.remove(dir)
    }
  }
  const once = async (w) => {
    const builder = w === 'ours-warm' ? 'ours' : w
    const dir = checkout('handler', fresh('checkouts', `B-${w}`), builder, go)
    restore(path.join(WORK, 'stash', builder), dir)
    const env = w === 'ours-warm' ? warmEnv() : containerEnv()
    if (w !== 'ours-warm') freshInstall(builder)
    try {
      return await buildHandler(builder, dir, env, { hash: true })
    } finally {
      discardEnv(env)
      envs.remove(dir)
    }
  }
  const samples = await loop('restored cache', [...who, 'ours-warm'], reps(3), once)
  return { samples, first }
}

/** Row 4: a first deploy on a machine with Go and nothing else: every cache empty, modules downloaded. */
async function rowCold(go) {
  const once = async (w) => {
    const dir = checkout('handler', fresh('checkouts', `cold-${w}`), w, go)
    const env = coldEnv()
    if (w !== 'floor') freshInstall(w)
    try {
      return await buildHandler(w, dir, env, { hash: w !== 'floor' })
    } finally {
      discardEnv(env)
      envs.remove(dir)
    }
  }
  return { samples: await loop('cold', [...COLD_BUILDERS, 'floor'], reps(4), once) }
}

/** Row 5: project20's 20 handlers in one process at a fresh path; warm caches (5a) or an empty build cache (5b). */
async function rowProject(go, variant) {
  const builds = handlers('project20').map((entrypoint) => ({ entrypoint }))
  const once = async (w) => {
    const dir = checkout('project20', fresh('checkouts', `p20-${w}`), w, go)
    // A commit that touched the package every handler imports: all 20 build.
    changeSource(dir, 'lib/greet/greet.go')
    const env = variant === 'warm' ? warmEnv() : envs.coldBuildCache(path.join(WORK, 'warm-home'), fresh('containers', 'nobuildcache'))
    if (variant !== 'warm') freshInstall(w)
    try {
      const r = await build(w, dir, builds, env, { memory: true })
      return { ms: r.totalMs, each: r.builds.map((b) => b.ms), peakRss: r.peakRss }
    } finally {
      if (variant === 'warm') discardEnv(env)
      else envs.remove(path.dirname(env.TMPDIR))
      envs.remove(dir)
    }
  }
  const id = variant === 'warm' ? '5a' : '5b'
  const who = variant === 'warm' ? Object.keys(BUILDERS) : COLD_BUILDERS
  return { samples: await loop(`20 handlers (${variant})`, who, reps(id), once), count: builds.length }
}

/**
 * Row 6: `vercel build` of project20 (20 functions) by the real CLI, offline,
 * at a fresh checkout path, warm caches. Each builder is installed once into
 * a template checkout's .vercel/builders; every repetition copies that
 * template to a new path. @vercel/go compiles its analyzer into its installed
 * package on first use, so one untimed `vercel build` in its template does
 * that first; ours keeps its compiled helpers in the (already warm) HOME.
 */
async function rowCli(go) {
  if (!cli.available()) throw new Error('node_modules/vercel is missing: run `npm install` at the repo root')
  const packs = path.join(WORK, 'packs')
  const { pack } = require(path.join(ROOT, 'scripts', 'pack.js'))
  const ours = pack(packs)
  const setups = {
    ours: { tarballs: [ours.main, ours.platform], use: '@acme/go-builder' },
    ref22: { tarballs: [cli.npmPack(`@vercel/go@${BUILDERS.ref22.version}`, packs)], use: `@vercel/go@${BUILDERS.ref22.version}` },
    ref3: { tarballs: [cli.npmPack(`@vercel/go@${BUILDERS.ref3.version}`, packs)], use: `@vercel/go@${BUILDERS.ref3.version}` },
  }
  const template = (w) => path.join(WORK, 'cli-template', w)
  const globalConfig = path.join(WORK, 'cli-global-config')
  for (const [w, s] of Object.entries(setups)) {
    const dir = materialize('project20', template(w), go.version)
    cli.configure(dir, s.use)
    cli.installBuilders(dir, s.tarballs)
  }
  const once = async (w, rep) => {
    const dir = rep < 0 ? template(w) : copyTree(template(w), fresh('checkouts', `cli-${w}`))
    // A commit that touched the package every function imports: all 20 build.
    changeSource(dir, 'lib/greet/greet.go')
    const env = warmEnv()
    let sampler = null
    try {
      const r = await cli.build(dir, env, { globalConfig, onSpawn: (pid) => (sampler = sampleTree(pid)) })
      const peakRss = sampler ? sampler.stop() : null
      const funcs = cli.functions(dir)
      if (r.code !== 0) throw new Error(`vercel build with ${setups[w].use} exited ${r.code}:\n${tail(r.output)}`)
      if (funcs.length !== 20) throw new Error(`vercel build with ${setups[w].use} wrote ${funcs.length} functions, not 20:\n${tail(r.output)}`)
      return { ms: r.ms, peakRss }
    } finally {
      discardEnv(env)
      if (rep < 0) envs.remove(path.join(dir, '.vercel', 'output'))
      else envs.remove(dir)
    }
  }
  for (const ref of ['ref22', 'ref3']) {
    log(`  vercel build: warm-up ${ref} (compiles its analyzer into the template's install)`)
    await once(ref, -1)
  }
  const samples = await loop('vercel build', Object.keys(setups), reps(6), once)
  return { samples, cliVersion: cli.cliVersion() }
}

/**
 * The `go run`-style restart: `go build -o <new file>` of the same dev
 * program (the addon's dev main around the handler), start it, first HTTP
 * 200. The program reports its port on fd 3, as it does for the addon.
 */
async function goRunRestart(dir, env) {
  const t = now()
  const out = path.join(env.TMPDIR, `gorun-${++sequence}`, 'dev-server')
  await timeCommand('go', ['build', '-o', out, './vcdev'], { cwd: dir, env })
  const child = spawn(out, [], { cwd: dir, env, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] })
  try {
    // The port arrives in one write; the program keeps fd 3 open.
    const port = await new Promise((resolve, reject) => {
      child.stdio[3].once('data', (d) => resolve(Number(String(d))))
      child.stdio[3].once('end', () => reject(new Error('the dev program wrote no port')))
      child.on('error', reject)
    })
    const status = await firstResponse(port, now() + 60000)
    if (status !== 200) throw new Error(`the dev program answered ${status}`)
    return now() - t
  } finally {
    child.kill('SIGKILL')
  }
}

/** Row 8: the pause between saving an edit and sending the next request. */
const SAVE_PAUSE_MS = 1000

/**
 * Row 8: `vercel dev`'s per-request cycle at a fixed checkout path, warm
 * caches: a handler edit, then startDevServer() → first HTTP 200 (8a); the
 * same again with nothing changed (8b).
 */
async function rowDev(go) {
  const who = ['ours', 'ref3', 'gorun']
  const once = async (w, rep) => {
    const dir = path.join(WORK, 'dev', w)
    materialize('handler', dir, go.version)
    if (w === 'gorun') addMain(dir, DEV_MAIN, 'vcdev')
    const edit = `rep ${rep + 1} ${Math.random().toString(36).slice(2)}`
    const env = warmEnv()
    try {
      if (w === 'gorun') {
        await goRunRestart(dir, env)
        fs.appendFileSync(path.join(dir, 'api', 'index.go'), `\n// bench edit ${edit}\n`)
        await new Promise((r) => setTimeout(r, SAVE_PAUSE_MS))
        const edited = await goRunRestart(dir, env)
        const unchanged = await goRunRestart(dir, env)
        return { ms: edited, unchanged }
      }
      // A first request, then the save, the user's pause, the next request;
      // then one more with nothing changed.
      const steps = [{}, { edit, pauseMs: SAVE_PAUSE_MS }, {}]
      const r = await runWorker(
        { type: 'dev', builder: BUILDERS[w].dir, workPath: dir, entrypoint: 'api/index.go', config: {}, steps },
        env,
      )
      return { ms: r.steps[1].ms, unchanged: r.steps[2].ms }
    } finally {
      discardEnv(env)
    }
  }
  return { samples: await loop('dev', who, reps(8), once, { warmup: 1 }) }
}

/** Row 9: ours from two checkout paths with two different empty HOMEs: are the Lambdas byte-identical? */
async function rowReproducible(go, results) {
  const take = (samples) => (samples || []).filter((s) => s.files).map((s) => s.files)
  let source = 'row 4 (cold: different paths, HOMEs and caches)'
  let pairs = {
    ours: take(results.cold && results.cold.samples && results.cold.samples.ours),
    ref22: take(results.cold && results.cold.samples && results.cold.samples.ref22),
    ref3: take(results.cold && results.cold.samples && results.cold.samples.ref3),
  }
  if (pairs.ours.length < 2) {
    source = 'two fresh checkouts, each in a fresh container (empty HOME)'
    pairs = { ours: [] }
    for (let i = 0; i < 2; i++) {
      const dir = checkout('handler', fresh('checkouts', 'repro'), 'ours', go)
      const env = containerEnv()
      try {
        pairs.ours.push((await buildHandler('ours', dir, env, { hash: true })).files)
      } finally {
        discardEnv(env)
        envs.remove(dir)
      }
    }
  }
  const compare = ([a, b] = []) => {
    if (!a || !b) return null
    const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
    const differing = names.filter((n) => !a[n] || !b[n] || a[n].sha256 !== b[n].sha256)
    return { files: names.length, differing }
  }
  return { source, ours: compare(pairs.ours), ref22: compare(pairs.ref22), ref3: compare(pairs.ref3) }
}

/** Row 10: the standalone server fixture (`framework: "go"`), fixed path, warm caches. */
async function rowStandalone(go) {
  const builds = [{ entrypoint: 'main.go', config: { framework: 'go' } }]
  const once = async (w) => {
    const dir = materialize('server', path.join(WORK, 'standalone', w), go.version)
    const env = warmEnv()
    try {
      const r = await build(w, dir, builds, env)
      return { ms: r.totalMs }
    } finally {
      discardEnv(env)
    }
  }
  return { samples: await loop('standalone', Object.keys(BUILDERS), reps(10), once, { warmup: 1 }) }
}

/**
 * Row 12: the standalone dev server (ours; the references have none that
 * runs offline) under load across a save: 200 requests from 10 clients
 * while main.go is edited, then the user's 1 s pause and a request until
 * the new code answers.
 */
async function rowSwap(go) {
  const once = async (w) => {
    const dir = materialize('server', path.join(WORK, 'swap', w), go.version)
    const env = warmEnv()
    try {
      const r = await runWorker(
        {
          type: 'swap',
          builder: BUILDERS[w].dir,
          workPath: dir,
          entrypoint: 'main.go',
          config: { framework: 'go' },
          edit: { file: 'main.go', from: 'greet.For("server"', to: 'greet.For("server-v2"', answer: '"handler":"server-v2"' },
          requests: 200,
          concurrency: 10,
          paceMs: 50,
          pauseMs: SAVE_PAUSE_MS,
        },
        env,
      )
      return { ms: r.ms, saveToNewCode: r.saveToNewCode, failures: r.failures.length, failureSamples: r.failures.slice(0, 3) }
    } finally {
      discardEnv(env)
    }
  }
  return { samples: await loop('swap', ['ours'], reps(12), once, { warmup: 0 }) }
}

/** Row 13's static assets: 300 MB in 1,200 files of 256 KB under 12 folders, made once per run. */
const ASSET_DIRS = 12
const ASSETS_PER_DIR = 100
const ASSET_BYTES = 256 * 1024

function assetTemplate() {
  const dir = path.join(WORK, 'assets-template', 'public')
  if (fs.existsSync(dir)) return dir
  const crypto = require('crypto')
  for (let d = 0; d < ASSET_DIRS; d++) {
    const sub = path.join(dir, `img${String(d).padStart(2, '0')}`)
    fs.mkdirSync(sub, { recursive: true })
    for (let f = 0; f < ASSETS_PER_DIR; f++) fs.writeFileSync(path.join(sub, `a${f}.bin`), crypto.randomBytes(ASSET_BYTES))
  }
  return dir
}

/** Hard links of every file of `src` under `dest` (same file system): a checkout's assets without copying 300 MB. */
function linkTree(src, dest) {
  fs.mkdirSync(dest, { recursive: true })
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    if (e.isDirectory()) linkTree(path.join(src, e.name), path.join(dest, e.name))
    else fs.linkSync(path.join(src, e.name), path.join(dest, e.name))
  }
}

/**
 * Row 13: the handler fixture with 300 MB of static assets in public/
 * ("ours") against the same fixture without them ("plain"), in one loop, a
 * fresh checkout path every build: 13a reuses the kept program, 13b builds
 * a changed handler (as row 2e).
 */
async function rowAssets(go) {
  const assets = assetTemplate()
  const result = {}
  for (const [key, edited] of [['reuse', false], ['edited', true]]) {
    const once = async (w) => {
      const dir = checkout('handler', fresh('checkouts', `assets-${w}`), 'ours', go)
      if (w === 'ours') linkTree(assets, path.join(dir, 'public'))
      if (edited) changeSource(dir, 'api/index.go')
      const env = warmEnv()
      try {
        return await buildHandler('ours', dir, env)
      } finally {
        discardEnv(env)
        envs.remove(dir)
      }
    }
    result[key] = { samples: await loop(`assets (${key})`, ['ours', 'plain'], reps(13), once, { warmup: 1 }) }
  }
  return result
}

/**
 * Row 14: machine B of a team whose builds share a remote cache
 * (GO_BUILDER_REMOTE_CACHE on a MinIO on loopback, started here). Machine A
 * (untimed, once) builds the handler cold and fills the bucket. Machine B
 * (timed) is a cold machine like row 4's, with the remote: "ours" has the
 * handler changed since A's build (Go compiles it and takes the standard
 * library and the dependencies from the bucket), "ours-unchanged" builds
 * A's commit (the program itself comes from the bucket). In the same loop:
 * ours cold without the remote, and both references cold, each with the
 * handler changed as in "ours".
 */
async function rowRemote(go) {
  const { startMinio, stopMinios } = require(path.join(ROOT, '__test__', 'helpers', 'minio'))
  log('  remote cache: starting MinIO (built from the module proxy on first use)')
  const minio = await startMinio()
  try {
    await minio.s3.createBucket('bench')
    const remote = {
      GO_BUILDER_REMOTE_CACHE: 's3://bench/team',
      AWS_ACCESS_KEY_ID: minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: minio.endpoint,
      GO_BUILDER_CACHE_SIGNING_KEY: 'bench-signing-key',
    }
    const machineA = async () => {
      const t = now()
      const dir = checkout('handler', fresh('checkouts', 'remote-A'), 'ours', go)
      const env = { ...coldEnv(), ...remote }
      try {
        await buildHandler('ours', dir, env)
      } finally {
        discardEnv(env)
        envs.remove(dir)
      }
      log(`  remote cache: machine A (cold, fills the bucket) ${ms(now() - t)}`)
    }
    await machineA()
    const once = async (w) => {
      const builder = ['ours-unchanged', 'ours-cold'].includes(w) ? 'ours' : w
      const dir = checkout('handler', fresh('checkouts', `remote-${w}`), builder, go)
      if (w !== 'ours-unchanged') changeSource(dir, 'api/index.go')
      const env = { ...coldEnv(), ...(w === 'ours' || w === 'ours-unchanged' ? remote : {}) }
      if (builder !== 'ours') freshInstall(builder)
      try {
        return await buildHandler(builder, dir, env)
      } finally {
        discardEnv(env)
        envs.remove(dir)
      }
    }
    const samples = await loop('remote cache', ['ours', 'ours-unchanged', 'ours-cold', ...COLD_BUILDERS.filter((w) => w !== 'ours')], reps(14), once)
    return { samples }
  } finally {
    stopMinios()
  }
}

/**
 * Row 15: ours under the debugger (GO_BUILDER_DEBUG=1) against ours plain,
 * warm caches, Delve installed (by the warm-up): a fresh `vercel dev`'s
 * first `startDevServer()` → first HTTP 200 of the handler, after a save
 * of api/index.go (15a: a build) and with nothing changed (15b). Each start
 * in a fresh Node process; the debug server is stopped after its answer.
 */
async function rowDebug(go) {
  const once = async (w) => {
    const dir = path.join(WORK, 'debug', w)
    if (!fs.existsSync(dir)) materialize('handler', dir, go.version)
    const env = warmEnv()
    try {
      const job = { type: 'dev', builder: BUILDERS.ours.dir, workPath: dir, entrypoint: 'api/index.go', config: {} }
      if (w === 'debug') job.env = { GO_BUILDER_DEBUG: '1', GO_BUILDER_DEBUG_PORT: String(await freePort()) }
      changeSource(dir, 'api/index.go')
      const edited = await runWorker({ ...job, steps: [{}] }, env)
      const unchanged = await runWorker({ ...job, steps: [{}] }, env)
      return { ms: edited.steps[0].ms, unchanged: unchanged.steps[0].ms }
    } finally {
      discardEnv(env)
    }
  }
  return { samples: await loop('debug', ['debug', 'plain'], reps(15), once, { warmup: 1 }) }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = require('net').createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Flushes dirty pages (the previous install's 270 MB, its deletion) before a toolchain measurement. */
function settle() {
  spawnSync('sync', [], { stdio: 'ignore' })
}

/** Where installs are timed: tmpfs (/dev/shm) shows the installers' own cost; the work dir's disk is the real thing. */
function toolchainTargets() {
  const targets = []
  const shm = '/dev/shm'
  try {
    fs.accessSync(shm, fs.constants.W_OK)
    targets.push({ key: 'tmpfs', dir: path.join(shm, `acme-go-builder-bench-${process.pid}`) })
  } catch {}
  targets.push({ key: 'disk', dir: path.join(WORK, 'toolchain') })
  return targets
}

/** Row 11: installing a Go SDK from a loopback server: ours vs `curl | tar`. */
async function rowToolchain(go) {
  const result = { targets: {} }
  const t = now()
  const { name, archive, packed } = toolchain.ensureArchive(go.goroot, go.version)
  if (packed) log(`  toolchain: packed ${go.goroot} into bench/.cache/${name} in ${ms(now() - t)}`)
  result.archiveMb = (fs.statSync(archive).size / (1024 * 1024)).toFixed(0)
  const exportName = toolchain.oursInstallExport(ROOT)
  result.oursExport = exportName
  const server = await toolchain.startServer()
  const url = `${server.base}${name}`
  const n = reps(11)
  try {
    for (const target of toolchainTargets()) {
      const samples = (result.targets[target.key] = { curl: [], ours: null, oursRss: [] })
      const dest = (who) => path.join(target.dir, who)
      try {
        log(`  toolchain (${target.key}): warm-up curl | tar`)
        await toolchain.curlTar(url, dest('curl'))
        const extracted = toolchain.installedVersion(path.join(dest('curl'), 'go'))
        if (extracted !== `go${go.version}`) throw new Error(`the archive holds ${extracted}, not go${go.version}`)
        const oursOnce = async () => {
          fs.rmSync(dest('ours'), { recursive: true, force: true })
          settle()
          const before = server.requests.get(name) || 0
          const env = warmEnv()
          try {
            const r = await runWorker(
              { type: 'toolchain', root: ROOT, exportName, options: toolchain.installOptions(dest('ours'), server.base, go.version, env) },
              env,
              { memory: true },
            )
            if ((server.requests.get(name) || 0) === before) throw new Error(`${exportName} did not download ${name}`)
            const goroot = r.result && r.result.ok && r.result.ok.goroot
            if (!goroot || !goroot.startsWith(dest('ours'))) {
              throw new Error(`${exportName} did not install into the empty cache: ${JSON.stringify(r.result)}`)
            }
            const version = toolchain.installedVersion(goroot)
            if (version !== `go${go.version}`) throw new Error(`${exportName} installed ${version}`)
            samples.oursRss.push(r.peakRss)
            return r.ms
          } finally {
            discardEnv(env)
          }
        }
        if (exportName) {
          samples.ours = []
          log(`  toolchain (${target.key}): warm-up ours (${exportName})`)
          await oursOnce()
          samples.oursRss = []
        }
        for (let rep = 0; rep < n; rep++) {
          for (const who of rotate(['ours', 'curl'], rep)) {
            if (who === 'ours' && exportName) samples.ours.push(await oursOnce())
            if (who === 'curl') {
              fs.rmSync(dest('curl'), { recursive: true, force: true })
              settle()
              samples.curl.push(await toolchain.curlTar(url, dest('curl')))
            }
          }
          log(
            `  toolchain (${target.key}): rep ${rep + 1}/${n}  curl|tar ${ms(samples.curl[rep])}` +
              (samples.ours ? `  ours ${ms(samples.ours[rep])}` : '  ours n/a'),
          )
        }
      } finally {
        fs.rmSync(target.dir, { recursive: true, force: true })
      }
    }
  } finally {
    await server.close()
  }
  return result
}

/** Bytes under `dir` (`du -sb`), or null. */
function diskUsage(dir) {
  try {
    return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\t')[0])
  } catch {
    return null
  }
}

/** What the warm HOME holds after the run: ours' cache (and its per-checkout `lambda/` outputs), Go's build cache. */
function warmHomeSizes() {
  const cache = path.join(WORK, 'warm-home', '.cache')
  if (!fs.existsSync(cache)) return null
  const lambda = path.join(cache, 'acme-go-builder', 'lambda')
  return {
    ours: diskUsage(path.join(cache, 'acme-go-builder')),
    lambda: diskUsage(lambda),
    lambdaEntries: fs.existsSync(lambda) ? fs.readdirSync(lambda).length : 0,
    goBuild: diskUsage(path.join(cache, 'go-build')),
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const started = now()
  const loadStart = os.loadavg()
  ensureReferences()
  ensureAddon()
  const setupMs = now() - started
  BUILDERS = participants()
  const go = goFacts()
  log(
    `Go ${go.version} (${go.goroot}); ${Object.values(BUILDERS).map((b) => `${b.label} ${b.label.includes(b.version) ? '' : b.version}`.trim()).join(', ')}; ` +
      `GOPROXY=${envs.moduleProxy()}; work dir ${WORK}`,
  )
  envs.remove(WORK)
  fs.mkdirSync(WORK, { recursive: true })

  const results = {}
  const attempt = async (key, ids, fn) => {
    if (!ids.some(selected)) return
    log(`row ${ids.join('/')}: ${key}`)
    const t = now()
    try {
      results[key] = await fn()
    } catch (err) {
      log(`  FAILED: ${err.message}`)
      results[key] = { ...(results[key] || {}), error: err.message }
    }
    results[key].elapsedMs = now() - t
  }
  const builders = Object.keys(BUILDERS)
  // The floor runs in rows 1 and 2's loops whenever they run (row 7 shows it).
  const withFloor = (row) => [...(selected(row) ? builders : []), 'floor']

  if ([1, 2, '2v', 3, 5, 6, 7, 8, 10, 12, 13, 15].some(selected)) {
    log('warm HOME: one untimed build by each builder and the floor')
    const t = now()
    await prime(go)
    results.prime = { elapsedMs: now() - t }
  }
  await attempt('fixed', [1, 7], () => rowFixed(go, withFloor(1)))
  await attempt('fresh', [2, 7], () => rowFresh(go, withFloor(2)))
  await attempt('freshEdited', [2], () => rowFresh(go, withFloor(2), { edited: true }))
  await attempt('scan', ['2v'], () => rowScan(go))
  await attempt('cold', [4], () => rowCold(go))
  await attempt('restored', [3], () => rowRestored(go))
  await attempt('project', [5], async () => ({ warm: await rowProject(go, 'warm'), cold: await rowProject(go, 'cold') }))
  await attempt('cli', [6], () => rowCli(go))
  await attempt('dev', [8], () => rowDev(go))
  await attempt('reproducible', [9], () => rowReproducible(go, results))
  await attempt('standalone', [10], () => rowStandalone(go))
  await attempt('toolchain', [11], () => rowToolchain(go))
  await attempt('swap', [12], () => rowSwap(go))
  await attempt('assets', [13], () => rowAssets(go))
  await attempt('remote', [14], () => rowRemote(go))
  await attempt('debug', [15], () => rowDebug(go))

  results.warmHome = warmHomeSizes()
  results.loads = LOADS
  const elapsedMs = now() - started
  const machine = machineInfo.describe({ root: ROOT, builders: BUILDERS, goVersionLine: go.line, goproxy: envs.moduleProxy(), loadStart })
  const text = report.document({ machine, results, elapsedMs, setupMs, builders: BUILDERS, go, reps, floorFlags: FLOOR_FLAGS })
  process.stdout.write(`\n${text}`)
  fs.writeFileSync(path.join(BENCH, 'RESULTS.md'), text)
  log(`\nwrote bench/RESULTS.md (${ms(elapsedMs)})`)
  envs.remove(WORK)
  const failed = Object.values(results).some((r) => r && r.error)
  if (failed) process.exitCode = 1
}

main().catch((err) => {
  console.error(err.stack || err.message)
  process.exit(1)
})
