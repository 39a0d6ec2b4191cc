'use strict'
// One measurement, in a Node process of its own (forked by run.js): loads a
// builder the way the Vercel CLI does (`require(pkg)`), runs the job it is
// sent over IPC and answers with the timings. A fresh process per measurement
// keeps the builders' module state (and Node's heap) from leaking between
// runs. The environment (HOME, caches, TMPDIR) is the one run.js forked it
// with: builders read process.env.
//
// Jobs:
//   build     { builder, workPath, builds: [{ entrypoint, config }], hash, stash }
//             build() one after another, as `vercel build` does. `hash`: the
//             SHA-256 of every Lambda file. `stash`: afterwards, prepareCache()
//             and copy the files it returns (keys relative to workPath) there.
//   dev       { builder, workPath, entrypoint, config, steps: [{ edit, pauseMs }] }
//             startDevServer() until the first HTTP 200, then kill the pid.
//   swap      { builder, workPath, entrypoint, config, edit, requests, concurrency, paceMs, pauseMs }
//             a standalone dev server under load across a save (see swapJob).
//   toolchain { root, exportName, options }
//             the addon's toolchain install (see toolchain.js).

const fs = require('fs')
const path = require('path')
const crypto = require('crypto')
const http = require('http')
const { now, firstResponse } = require('./timing')

/** What the CLI does with a `version: -1` builder's answer: unwrap `{ resultVersion, result }`. */
function unwrap(builder, raw) {
  if (builder.version === -1 && raw && typeof raw === 'object' && 'resultVersion' in raw) return raw.result
  return raw
}

/** The Lambdas of a build result: `output` itself, or the Lambdas of an output map (`{ go: Lambda }`). */
function lambdas(result) {
  const output = result && result.output
  if (output && output.type === 'Lambda') return { '': output }
  const found = {}
  for (const [key, value] of Object.entries(output || {})) {
    if (value && value.type === 'Lambda') found[key] = value
  }
  if (!Object.keys(found).length) throw new Error('build() returned no Lambda')
  return found
}

function fileBytes(file) {
  if (file.fsPath) return fs.readFileSync(file.fsPath)
  if (file.data != null) return Buffer.from(file.data)
  return null
}

/** name → { size, sha256? } for every file of every Lambda ("<output key>/<name>" for output maps). */
function lambdaFiles(result, hash) {
  const files = {}
  for (const [key, lambda] of Object.entries(lambdas(result))) {
    for (const [name, file] of Object.entries(lambda.files || {})) {
      const id = key ? `${key}/${name}` : name
      if (hash) {
        const bytes = fileBytes(file)
        if (!bytes) throw new Error(`cannot read Lambda file ${id}`)
        files[id] = { size: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex') }
      } else {
        files[id] = { size: file.fsPath ? fs.statSync(file.fsPath).size : file.data ? file.data.length : 0 }
      }
    }
  }
  return files
}

/** Copies prepareCache()'s files (FileFsRef: fsPath, mode) to `dest`/<key>. */
function stashFiles(files, dest) {
  let count = 0
  let bytes = 0
  for (const [key, file] of Object.entries(files || {})) {
    const target = path.join(dest, key)
    fs.mkdirSync(path.dirname(target), { recursive: true })
    const mode = file.mode || 0o644
    if ((mode & 0o170000) === 0o120000) {
      fs.symlinkSync(fs.readlinkSync(file.fsPath), target)
    } else if (file.fsPath) {
      fs.copyFileSync(file.fsPath, target)
      fs.chmodSync(target, mode & 0o7777)
      bytes += fs.statSync(target).size
    } else if (file.data != null) {
      fs.writeFileSync(target, file.data, { mode: mode & 0o7777 })
      bytes += Buffer.byteLength(file.data)
    } else {
      throw new Error(`prepareCache() returned ${key} with neither fsPath nor data`)
    }
    count++
  }
  return { count, bytes }
}

/** Directories the CLI leaves out of a project's `files`. */
const NOT_PROJECT_FILES = new Set(['.vercel', 'node_modules', '.git'])

/**
 * What the CLI passes as `files`: every file of the project, by path
 * relative to it, as a file reference (read before the timed calls).
 */
function projectFiles(workPath) {
  const files = {}
  const walk = (dir, rel) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (NOT_PROJECT_FILES.has(e.name)) continue
      const p = path.join(dir, e.name)
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) walk(p, r)
      else if (e.isFile()) files[r] = { type: 'FileFsRef', mode: fs.statSync(p).mode, fsPath: p }
    }
  }
  walk(workPath, '')
  return files
}

async function buildJob(job) {
  const builder = require(job.builder)
  const results = []
  const files = projectFiles(job.workPath)
  const start = now()
  for (const { entrypoint, config } of job.builds) {
    const t = now()
    const raw = await builder.build({
      files,
      entrypoint,
      workPath: job.workPath,
      config: config || {},
      meta: { skipDownload: true },
      repoRootPath: job.workPath,
    })
    results.push({ ms: now() - t, result: unwrap(builder, raw) })
  }
  const totalMs = now() - start
  const builds = []
  for (const { ms, result } of results) {
    const files = lambdaFiles(result, job.hash)
    for (const [name, file] of Object.entries(files)) {
      if (!file.size) throw new Error(`build() produced an empty ${name}`)
    }
    builds.push({ ms, files })
  }
  let cache = null
  if (job.stash) {
    const t = now()
    try {
      const files = await builder.prepareCache({ workPath: job.workPath, repoRootPath: job.workPath })
      cache = { ms: now() - t, ...stashFiles(files, job.stash) }
    } catch (err) {
      // The platform uploads no cache then: the next deploy restores nothing.
      cache = { ms: now() - t, count: 0, bytes: 0, error: String(err.message).split('\n')[0] }
    }
  }
  return { totalMs, builds, cache }
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** What the CLI does after a handler's response: kill it. Waits for it to go. */
async function kill(pid) {
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return
  }
  const until = now() + 2000
  while (alive(pid) && now() < until) await new Promise((r) => setTimeout(r, 10))
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
}

/** startDevServer() as `vercel dev` calls it for the job's entrypoint (`job.env`: the project's env). */
function startDev(builder, job) {
  return builder.startDevServer({
    entrypoint: job.entrypoint,
    workPath: job.workPath,
    config: job.config || {},
    meta: job.env ? { env: job.env } : {},
    files: {},
    repoRootPath: job.workPath,
  })
}

async function devJob(job) {
  const builder = require(job.builder)
  const steps = []
  for (const step of job.steps) {
    if (step.edit) {
      fs.appendFileSync(path.join(job.workPath, job.entrypoint), `\n// bench edit ${step.edit}\n`)
    }
    // The user's pause between saving and sending the request.
    if (step.pauseMs) await new Promise((r) => setTimeout(r, step.pauseMs))
    const t = now()
    const server = await startDev(builder, job)
    const status = await firstResponse(server.port, now() + 60000)
    const ms = now() - t
    // A persistent server (under the debugger) is stopped; a handler killed, as the CLI does.
    if (server.shutdown) await server.shutdown()
    else await kill(server.pid)
    if (status !== 200) throw new Error(`dev server answered ${status}`)
    steps.push({ ms, status })
  }
  return { steps }
}

async function toolchainJob(job) {
  const native = require(path.join(job.root, 'binding.js'))
  const install = native[job.exportName]
  const t = now()
  const raw = await install(JSON.stringify(job.options))
  const ms = now() - t
  const parsed = typeof raw === 'string' ? JSON.parse(raw) : raw
  if (parsed && parsed.error) throw new Error(`${job.exportName}: ${parsed.error.message || JSON.stringify(parsed.error)}`)
  return { ms, result: parsed }
}

/** One GET: resolves { status, body } or { error }. */
function get(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/?name=bench', agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode, body }))
    })
    req.on('error', (err) => resolve({ error: err.message }))
    req.setTimeout(30000, () => req.destroy(new Error('timeout')))
  })
}

/**
 * A standalone dev server under load across a save: `requests` GETs from
 * `concurrency` clients, each pausing `paceMs` between requests; once a
 * tenth have answered, `edit.file` gets `edit.from` replaced by `edit.to`.
 * Then, after `pauseMs` (the user's pause), requests until a body holds
 * `edit.answer` (the new code's). Counts every request that did not get a 200.
 */
async function swapJob(job) {
  const builder = require(job.builder)
  const server = await startDev(builder, job)
  try {
    if ((await firstResponse(server.port, now() + 60000)) !== 200) throw new Error('the dev server did not answer 200')
    const file = path.join(job.workPath, job.edit.file)
    let issued = 0
    let answered = 0
    let saved = null
    const failures = []
    const client = async () => {
      while (issued < job.requests) {
        issued++
        const r = await get(server.port)
        answered++
        if (r.status !== 200) failures.push(r.error || `HTTP ${r.status}`)
        if (saved === null && answered >= job.requests / 10) {
          saved = now()
          fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(job.edit.from, job.edit.to))
        }
        await new Promise((done) => setTimeout(done, job.paceMs))
      }
    }
    await Promise.all(Array.from({ length: job.concurrency }, client))
    const sinceSave = now() - saved
    if (sinceSave < job.pauseMs) await new Promise((done) => setTimeout(done, job.pauseMs - sinceSave))
    const asked = now()
    for (;;) {
      const r = await get(server.port)
      if (r.status !== 200) failures.push(r.error || `HTTP ${r.status}`)
      if (r.body && r.body.includes(job.edit.answer)) break
      if (now() - asked > 120000) throw new Error('the new code never answered')
      await new Promise((done) => setTimeout(done, 10))
    }
    return { ms: now() - asked, saveToNewCode: now() - saved, requests: answered, failures }
  } finally {
    await kill(server.pid)
  }
}

const JOBS = { build: buildJob, dev: devJob, swap: swapJob, toolchain: toolchainJob }

process.once('message', (job) => {
  // The CLI runs in the project directory (@vercel/go's dev server even
  // reads the entrypoint relative to the working directory).
  if (job.workPath) process.chdir(job.workPath)
  JOBS[job.type](job)
    .then((ok) => process.send({ ok }, () => process.exit(0)))
    .catch((err) =>
      process.send({ error: { message: String((err && err.message) || err), stack: err && err.stack } }, () =>
        process.exit(1),
      ),
    )
})
