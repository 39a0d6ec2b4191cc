'use strict'
// One measurement, in a Node process of its own (forked by run.js): loads a
// builder the way the Vercel CLI does (`require(pkg)`), runs the job it is
// sent over IPC and answers with the timings. A fresh process per measurement
// keeps the builders' module state (and Node's heap) from leaking between
// runs, and makes the RSS numbers about this one build.
//
// Jobs:
//   build     { builder, workPath, builds: [{ entrypoint, config }] }
//             build() one after another, as `vercel build` does.
//   dev       { builder, workPath, entrypoint, config, steps: [{ edit }] }
//             startDevServer() until the first HTTP 200, then kill the pid.
//   toolchain { root, exportName, options }
//             the addon's toolchain install (see toolchain.js).

const fs = require('fs')
const path = require('path')
const http = require('http')

const SAMPLE_INTERVAL_MS = 2

function now() {
  return Number(process.hrtime.bigint()) / 1e6
}

/**
 * Samples this process's RSS every few ms until stopped. The baseline is
 * taken after a full GC, right before the measured call.
 */
function startSampler() {
  if (global.gc) global.gc()
  const baseline = process.memoryUsage.rss()
  let peak = baseline
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss()
    if (rss > peak) peak = rss
  }, SAMPLE_INTERVAL_MS)
  return {
    stop() {
      clearInterval(timer)
      const rss = process.memoryUsage.rss()
      if (rss > peak) peak = rss
      return { baseline, peak }
    },
  }
}

/** The files of a build's Lambda: name → { fsPath, size }. */
function lambdaFiles(result) {
  const files = {}
  const output = result && result.output
  if (!output || output.type !== 'Lambda') throw new Error('build() did not return a Lambda')
  for (const [name, file] of Object.entries(output.files || {})) {
    // FileFsRef (a path) or FileBlob (in memory, as @vercel/go's standalone files).
    const size = file.fsPath ? fs.statSync(file.fsPath).size : file.data ? file.data.length : null
    files[name] = { fsPath: file.fsPath, size }
  }
  return files
}

async function buildJob(job) {
  const builder = require(job.builder)
  const results = []
  const sampler = startSampler()
  const start = now()
  for (const { entrypoint, config } of job.builds) {
    const t = now()
    const result = await builder.build({
      files: {},
      entrypoint,
      workPath: job.workPath,
      config: config || {},
      meta: { skipDownload: true },
      repoRootPath: job.workPath,
    })
    results.push({ ms: now() - t, result })
  }
  const totalMs = now() - start
  const memory = sampler.stop()
  const builds = []
  for (const { ms, result } of results) {
    const files = lambdaFiles(result)
    for (const [name, file] of Object.entries(files)) {
      if (!file.size) throw new Error(`build() produced an empty ${name}`)
    }
    builds.push({ ms, files: Object.fromEntries(Object.entries(files).map(([n, f]) => [n, f.size])) })
  }
  return { totalMs, builds, memory }
}

/** GETs `/` until a response arrives; resolves with its status. */
function firstResponse(port, deadline) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const req = http.get({ host: '127.0.0.1', port, path: '/?name=bench', agent: false }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode))
      })
      req.on('error', (err) => {
        if (now() > deadline) return reject(new Error(`no HTTP response on port ${port}: ${err.message}`))
        setTimeout(attempt, 5)
      })
    }
    attempt()
  })
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

async function devJob(job) {
  const builder = require(job.builder)
  const steps = []
  for (const step of job.steps) {
    if (step.edit) {
      fs.appendFileSync(path.join(job.workPath, job.entrypoint), `\n// bench edit ${step.edit}\n`)
    }
    const t = now()
    const server = await builder.startDevServer({
      entrypoint: job.entrypoint,
      workPath: job.workPath,
      config: job.config || {},
      meta: {},
      files: {},
      repoRootPath: job.workPath,
    })
    const status = await firstResponse(server.port, now() + 60000)
    const ms = now() - t
    await kill(server.pid)
    if (status !== 200) throw new Error(`dev server answered ${status}`)
    steps.push({ ms, status })
  }
  return { steps }
}

async function toolchainJob(job) {
  const native = require(path.join(job.root, 'binding.js'))
  const install = native[job.exportName]
  const sampler = startSampler()
  const t = now()
  const raw = await install(JSON.stringify(job.options))
  const ms = now() - t
  const memory = sampler.stop()
  const parsed = typeof raw === 'string' ? JSON.parse(raw) : raw
  if (parsed && parsed.error) throw new Error(`${job.exportName}: ${parsed.error.message || JSON.stringify(parsed.error)}`)
  return { ms, memory, result: parsed }
}

const JOBS = { build: buildJob, dev: devJob, toolchain: toolchainJob }

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
