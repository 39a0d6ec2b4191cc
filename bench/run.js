'use strict'
// `npm run bench`: @acme/go-builder side by side with @vercel/go, on the same
// fixtures, the same Go and the same warm caches, in one run. Prints a table
// and writes it to bench/RESULTS.md.
//
// Environment:
//   BENCH_REPS        repetitions per workload (default 5), after one untimed
//                     warm-up run of each builder
//   BENCH_ONLY        comma-separated workloads to run (1,2,3,4,5,6); default all.
//                     6 (the go build floor) is measured inside workload 1's loop.
//   BENCH_SKIP_SETUP  1: use the addon as built (no `node scripts/setup.js`)
//   BENCH_WORK_DIR    scratch directory (default <tmp>/acme-go-builder-bench)
//   BENCH_VERBOSE     1: show the builders' own output
//
// Both builders are called like the Vercel CLI calls them: `require(pkg)`,
// then `build({ files, entrypoint, workPath, config, meta: { skipDownload:
// true }, repoRootPath })` or `startDevServer({ entrypoint, workPath, config,
// meta: {}, files, repoRootPath })`. With skipDownload, both use only
// workPath (@vercel/go's build-utils `download()` returns `files` untouched),
// so `files` is `{}` for both.

const fs = require('fs')
const os = require('os')
const path = require('path')
const { fork, spawn, spawnSync, execFileSync } = require('child_process')

const { materialize, handlers, materializeFloor } = require('./lib/fixtures')
const toolchain = require('./lib/toolchain')
const { summarize, ms, mb } = require('./lib/stats')
const machineInfo = require('./lib/machine')
const report = require('./lib/report')

const BENCH = __dirname
const ROOT = path.join(BENCH, '..')
const WORKER = path.join(BENCH, 'lib', 'worker.js')
const REF_DIR = path.join(BENCH, 'node_modules', '@vercel', 'go')
const BUILDERS = { ours: ROOT, ref: REF_DIR }
const REPS = Math.max(1, parseInt(process.env.BENCH_REPS || '5', 10) || 5)
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null
const WORK = process.env.BENCH_WORK_DIR || path.join(os.tmpdir(), 'acme-go-builder-bench')
const VERBOSE = process.env.BENCH_VERBOSE === '1'
const LAMBDA_ENV = { GOOS: 'linux', GOARCH: 'amd64', CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOWORK: 'off' }

function now() {
  return Number(process.hrtime.bigint()) / 1e6
}

function log(line) {
  process.stderr.write(`${line}\n`)
}

function selected(id) {
  return !ONLY || ONLY.has(String(id))
}

/** ours first on even repetitions, the reference first on odd ones. */
function order(rep) {
  return rep % 2 === 0 ? ['ours', 'ref'] : ['ref', 'ours']
}

// ---------------------------------------------------------------- setup

/** bench/node_modules/@vercel/go at the version bench/package.json pins. */
function ensureReference() {
  const wanted = require(path.join(BENCH, 'package.json')).devDependencies['@vercel/go']
  const manifest = path.join(REF_DIR, 'package.json')
  if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).version === wanted) return
  const lock = fs.existsSync(path.join(BENCH, 'package-lock.json'))
  const args = lock ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund']
  log(`$ npm ${args.join(' ')}   (in bench/)`)
  const r = spawnSync('npm', args, { cwd: BENCH, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('installing @vercel/go into bench/node_modules failed')
}

function ensureAddon() {
  if (process.env.BENCH_SKIP_SETUP === '1') {
    log('BENCH_SKIP_SETUP=1: using the addon as built')
    return
  }
  log('$ node scripts/setup.js   (napi build --platform --release)')
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'setup.js')], { cwd: ROOT, stdio: ['ignore', 2, 2] })
  if (r.status !== 0) throw new Error('building the addon in release mode failed (node scripts/setup.js)')
}

function goFacts() {
  const line = execFileSync('go', ['version'], { encoding: 'utf8' }).trim()
  const goversion = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim()
  const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim()
  const match = goversion.match(/^go(\d+\.\d+(?:\.\d+)?)/)
  if (!match) throw new Error(`cannot benchmark with Go "${goversion}": @vercel/go needs a release version`)
  // @vercel/go only takes the machine's Go when go.mod pins exactly this version.
  return { line, version: match[1], goroot }
}

// ---------------------------------------------------------------- workers

function tail(text, n = 4000) {
  return text.length > n ? `…${text.slice(-n)}` : text
}

/**
 * Runs one job in a fresh Node process (lib/worker.js); resolves with its
 * answer. TMPDIR points into the work dir, so the output directories both
 * builders leave behind (the CLI reads them after build()) are removed after
 * each job.
 */
function runWorker(job, { timeoutMs = 240000 } = {}) {
  const tmp = path.join(WORK, 'tmp')
  fs.mkdirSync(tmp, { recursive: true })
  const done = (value) => {
    fs.rmSync(tmp, { recursive: true, force: true })
    return value
  }
  return runWorkerIn(job, timeoutMs, { ...process.env, TMPDIR: tmp }).then(done, (err) => {
    done()
    throw err
  })
}

function runWorkerIn(job, timeoutMs, env) {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env,
    })
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
      if (answer && answer.ok) return resolve(answer.ok)
      const why = answer && answer.error ? answer.error.message : signal ? `killed (${signal})` : `exit code ${code}`
      reject(new Error(`${job.type} with ${path.relative(ROOT, job.builder || job.root) || '.'} failed: ${why}\n${tail(output)}`))
    })
    child.send(job)
  })
}

function buildJob(who, workPath, builds) {
  return { type: 'build', builder: BUILDERS[who], workPath, builds }
}

/** Times a command to its exit. */
function timeCommand(command, args, options) {
  const start = now()
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) => {
      const elapsed = now() - start
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${stderr}`))
      resolve(elapsed)
    })
  })
}

// ---------------------------------------------------------------- workloads

/**
 * Workloads 1–3: a fixture, fresh for every run at a fixed path per builder,
 * built by a sequence of build() calls. `extra(rep)` runs inside the same
 * repetition loop (workload 6 rides along with workload 1).
 */
async function buildWorkload({ label, fixture, dir, builds, go, extra }) {
  const samples = { ours: [], ref: [], oursRss: [], refRss: [], oursEach: [], refEach: [] }
  const workPath = (who) => path.join(WORK, who, dir)
  for (const who of ['ours', 'ref']) {
    log(`  ${label}: warm-up ${who}`)
    materialize(fixture, workPath(who), go.version)
    await runWorker(buildJob(who, workPath(who), builds))
  }
  if (extra) await extra(-1)
  for (let rep = 0; rep < REPS; rep++) {
    for (const who of order(rep)) {
      materialize(fixture, workPath(who), go.version)
      const r = await runWorker(buildJob(who, workPath(who), builds))
      samples[who].push(r.totalMs)
      samples[`${who}Rss`].push(r.memory.peak - r.memory.baseline)
      samples[`${who}Each`].push(...r.builds.map((b) => b.ms))
      if (rep === 0) samples[`${who}Files`] = r.builds[0].files
    }
    if (extra) await extra(rep)
    log(`  ${label}: rep ${rep + 1}/${REPS}  ours ${ms(samples.ours[rep])}  ref ${ms(samples.ref[rep])}`)
  }
  return samples
}

/** Workload 6: `go build` of the program a builder generates for fixture `handler`. */
function floorRunner(go, results) {
  const dir = path.join(WORK, 'floor', 'project')
  const out = path.join(WORK, 'floor', 'out', 'bootstrap')
  const pkg = materializeFloor(dir, go.version, path.join(ROOT, 'go', 'templates', 'handler_main.go.tmpl'))
  const env = { ...process.env, ...LAMBDA_ENV }
  const args = ['build', '-ldflags', '-s -w', '-o', out, pkg]
  const floor = (results.floor = { fresh: [], existing: [] })
  return async (rep) => {
    fs.rmSync(path.dirname(out), { recursive: true, force: true })
    const fresh = await timeCommand('go', args, { cwd: dir, env })
    const existing = await timeCommand('go', args, { cwd: dir, env })
    if (rep >= 0) {
      floor.fresh.push(fresh)
      floor.existing.push(existing)
    }
  }
}

async function devWorkload(go) {
  const samples = { oursEdited: [], refEdited: [], oursUnchanged: [], refUnchanged: [] }
  const entrypoint = 'api/index.go'
  const run = async (who, edit) => {
    const workPath = path.join(WORK, who, 'dev')
    materialize('handler', workPath, go.version)
    return runWorker({ type: 'dev', builder: BUILDERS[who], workPath, entrypoint, config: {}, steps: [{ edit }, {}] })
  }
  for (const who of ['ours', 'ref']) {
    log(`  dev: warm-up ${who}`)
    await run(who, 'warm-up')
  }
  for (let rep = 0; rep < REPS; rep++) {
    for (const who of order(rep)) {
      const r = await run(who, `rep ${rep + 1} ${Math.random().toString(36).slice(2)}`)
      samples[`${who}Edited`].push(r.steps[0].ms)
      samples[`${who}Unchanged`].push(r.steps[1].ms)
    }
    log(
      `  dev: rep ${rep + 1}/${REPS}  ours ${ms(samples.oursEdited[rep])} / ${ms(samples.oursUnchanged[rep])}` +
        `  ref ${ms(samples.refEdited[rep])} / ${ms(samples.refUnchanged[rep])}`,
    )
  }
  return samples
}

/**
 * Flushes dirty pages (the previous install's 270 MB, its deletion) before
 * a toolchain measurement, so no run pays for the one before it.
 */
function settle() {
  spawnSync('sync', [], { stdio: 'ignore' })
}

/**
 * Where installs are timed: tmpfs (/dev/shm) shows the installers' own cost;
 * the work dir's disk is the real thing, but its write-back makes single
 * runs vary a lot on a small VM.
 */
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

async function toolchainWorkload(go) {
  const result = { targets: {} }
  const t = now()
  const { name, archive, packed } = toolchain.ensureArchive(go.goroot, go.version)
  if (packed) log(`  toolchain: packed ${go.goroot} into bench/.cache/${name} in ${ms(now() - t)}`)
  result.archiveMb = (fs.statSync(archive).size / (1024 * 1024)).toFixed(0)
  const exportName = toolchain.oursInstallExport(ROOT)
  result.oursExport = exportName
  const server = await toolchain.startServer()
  const url = `${server.base}${name}`
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
          const r = await runWorker({
            type: 'toolchain',
            root: ROOT,
            exportName,
            options: toolchain.installOptions(dest('ours'), server.base, go.version),
          })
          if ((server.requests.get(name) || 0) === before) throw new Error(`${exportName} did not download ${name}`)
          const goroot = r.result && r.result.ok && r.result.ok.goroot
          if (!goroot || !goroot.startsWith(dest('ours'))) {
            throw new Error(`${exportName} did not install into the empty cache: ${JSON.stringify(r.result)}`)
          }
          const version = toolchain.installedVersion(goroot)
          if (version !== `go${go.version}`) throw new Error(`${exportName} installed ${version}`)
          samples.oursRss.push(r.memory.peak - r.memory.baseline)
          return r.ms
        }
        if (exportName) {
          samples.ours = []
          log(`  toolchain (${target.key}): warm-up ours (${exportName})`)
          await oursOnce()
          samples.oursRss = []
        }
        for (let rep = 0; rep < REPS; rep++) {
          for (const who of order(rep)) {
            if (who === 'ours' && exportName) samples.ours.push(await oursOnce())
            if (who === 'ref') {
              fs.rmSync(dest('curl'), { recursive: true, force: true })
              settle()
              samples.curl.push(await toolchain.curlTar(url, dest('curl')))
            }
          }
          log(
            `  toolchain (${target.key}): rep ${rep + 1}/${REPS}  curl|tar ${ms(samples.curl[rep])}` +
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

// ---------------------------------------------------------------- report

function notes(results, go) {
  const lines = ['## What each row measures', '']
  lines.push(
    '- Every measurement runs in a fresh `node` process (bench/lib/worker.js) that has already `require()`d the builder; only the call is timed. Repetitions interleave the two builders (alternating which goes first).',
    '- Fixtures (bench/fixtures) are copied fresh before every measurement, always to the same path per builder and workload (Go\'s build cache keys user packages by directory). Their go.mod pins `go ' +
      go.version +
      '` (the installed Go, read at run time: @vercel/go uses the machine\'s Go only on an exact match) and already requires `github.com/vercel/go-bridge` and `github.com/aws/aws-lambda-go` with go.sum entries (else @vercel/go\'s `go mod tidy` looks up go-bridge@latest).',
    '- 1: `build()` of `api/index.go` (package `handler`, imports a package of its module), wall time of the call.',
    `- 2: bench/fixtures/project20: api/h01.go … api/h20.go, one package, each with its own exported handler, all importing the module\'s lib/greet; the ${(results.project && results.project.count) || 20} \`build()\` calls run one after another in one process, as \`vercel build\` does. Time = all of them.`,
    '- 3: `build()` of `main.go` with `config: { framework: "go" }` (a net/http server).',
    '- 4a: fresh copy of the project, then a comment line appended to api/index.go (new content and mtime: our fingerprint changes, Go recompiles the handler package and relinks), then `startDevServer()` → `GET /` until the first HTTP 200. The pid is then killed, as the CLI does after each response.',
    '- 4b: right after 4a\'s server was killed, `startDevServer()` again with nothing changed → first HTTP 200.',
    '- 5: a loopback HTTP server serves this machine\'s own Go, packed once as `go' +
      go.version +
      '.linux-amd64.tar.gz` (+ `.sha256`) into bench/.cache. Ours: the binding\'s `resolveGoToolchain` (not part of the builder API) with no Go on PATH, an empty user cache (XDG_CACHE_HOME), `GOTOOLCHAIN=go' +
      go.version +
      '` and `GO_BUILDER_DOWNLOAD_BASE_URL` pointing at that server: it downloads, checks the SHA-256, extracts and moves the SDK into place. Baseline: `curl -s URL | tar -xz` of the same archive from the same server (no checksum). @vercel/go cannot take part: it downloads from dl.google.com only. 5a extracts to tmpfs (/dev/shm): the installers\' own cost. 5b extracts to the work dir\'s disk (ext4 here), where the kernel\'s write-back of the 270 MB tree makes single runs vary several-fold. `sync` runs before each install.' +
      (results.toolchain && !results.toolchain.oursExport
        ? ` The addon exports none of ${toolchain.INSTALL_EXPORTS.map((n) => `\`${n}\``).join(', ')}, so only the baseline ran.`
        : ''),
    '- 6a/6b: `go build -ldflags "-s -w" -o <out> ./vcmain` in a module holding the same handler package plus a `main` made from the addon\'s go/templates/handler_main.go.tmpl (imports go-bridge), with GOOS=linux GOARCH=amd64 CGO_ENABLED=0, measured inside workload 1\'s repetitions. 6a writes a new output file (what both builders do); 6b runs again with that output present, where Go finds it up to date and skips the link.',
    '- M: `process.memoryUsage.rss()` of the node process calling `build()`, sampled every 2 ms during the call, peak minus the value right before it (after a GC). Child processes (`go`, the analyzer) are not counted.',
  )
  const w2 = results.project
  if (w2 && w2.oursEach && w2.oursEach.length) {
    const o = summarize(w2.oursEach)
    const r = summarize(w2.refEach)
    lines.push('', `Workload 2 per handler: ours median ${ms(o.median)}, @vercel/go median ${ms(r.median)}.`)
  }
  const w5 = results.toolchain
  const installRss = w5 && w5.targets ? Object.values(w5.targets).flatMap((t) => t.oursRss || []) : []
  if (installRss.length) {
    const m = summarize(installRss)
    lines.push(`Workload 5 peak RSS of the node process during ours' install, minus its baseline: median ${mb(m.median)} (max ${mb(m.max)}).`)
  }
  const w1 = results.single
  if (w1 && w1.oursFiles && w1.refFiles) {
    lines.push(
      `Workload 1 bootstrap size: ours ${mb(w1.oursFiles.bootstrap)}, @vercel/go ${mb(w1.refFiles.bootstrap)}.`,
    )
  }
  return lines
}

// ---------------------------------------------------------------- main

async function main() {
  const started = now()
  ensureReference()
  ensureAddon()
  const setupMs = now() - started
  const go = goFacts()
  const refVersion = require(path.join(REF_DIR, 'package.json')).version
  log(`Go ${go.version} (${go.goroot}), @vercel/go ${refVersion}, BENCH_REPS=${REPS}, work dir ${WORK}`)
  fs.rmSync(WORK, { recursive: true, force: true })
  fs.mkdirSync(WORK, { recursive: true })

  const results = {}
  const attempt = async (key, id, fn) => {
    if (!selected(id)) return
    log(`workload ${id}: ${key}`)
    try {
      results[key] = await fn()
    } catch (err) {
      log(`  FAILED: ${err.message}`)
      results[key] = { ...(results[key] || {}), error: err.message }
    }
  }
  const runFloor = selected(6)
  await attempt('single', 1, () => {
    const extra = runFloor ? floorRunner(go, results) : null
    return buildWorkload({ label: 'single', fixture: 'handler', dir: 'single', builds: [{ entrypoint: 'api/index.go' }], go, extra })
  })
  if (runFloor && !selected(1)) {
    await attempt('floor', 6, async () => {
      const extra = floorRunner(go, results)
      for (let rep = -1; rep < REPS; rep++) await extra(rep)
      return results.floor
    })
  }
  await attempt('project', 2, async () => {
    const builds = handlers('project20').map((entrypoint) => ({ entrypoint }))
    const samples = await buildWorkload({ label: 'project20', fixture: 'project20', dir: 'project20', builds, go })
    return { ...samples, count: builds.length }
  })
  await attempt('standalone', 3, () =>
    buildWorkload({
      label: 'standalone',
      fixture: 'server',
      dir: 'server',
      builds: [{ entrypoint: 'main.go', config: { framework: 'go' } }],
      go,
    }),
  )
  await attempt('dev', 4, () => devWorkload(go))
  await attempt('toolchain', 5, () => toolchainWorkload(go))

  const elapsedMs = now() - started
  const machine = machineInfo.describe({ root: ROOT, refVersion, reps: REPS, goVersionLine: go.line })
  const text = report.document({ machine, results, elapsedMs, setupMs, notes: notes(results, go) })
  process.stdout.write(`\n${text}`)
  fs.writeFileSync(path.join(BENCH, 'RESULTS.md'), text)
  log(`\nwrote bench/RESULTS.md (${ms(elapsedMs)})`)
  fs.rmSync(WORK, { recursive: true, force: true })
  const failed = Object.values(results).some((r) => r && r.error)
  if (failed) process.exitCode = 1
}

main().catch((err) => {
  console.error(err.stack || err.message)
  process.exit(1)
})
