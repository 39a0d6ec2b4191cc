'use strict'
// @acme/go-builder: the public builder API (version 3), a drop-in for @vercel/go.
//
// This file only adapts: it snapshots the environment, hands plain JSON to the
// native core (binding.js) and turns the plain results into the
// @vercel/build-utils objects the Vercel CLI expects (Lambda, FileFsRef,
// NowBuildError). Every build step lives in Rust (src/).

const {
  Lambda,
  FileFsRef,
  NowBuildError,
  download,
  glob,
  debug,
  getLambdaOptionsFromFunction,
  findMatchingFunction,
  getReportedServiceType,
  FileBlob,
  shouldServe: defaultShouldServe,
} = require('@vercel/build-utils')

const fs = require('fs')
const path = require('path')

const native = loadNative()

/** napi-rs' name for this platform, e.g. `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`. */
function platformTriple() {
  const { platform, arch } = process
  const abi =
    platform === 'linux'
      ? process.report.getReport().header.glibcVersionRuntime ? '-gnu' : '-musl'
      : platform === 'win32' ? '-msvc' : ''
  return `${platform}-${arch}${abi}`
}

/** The native core; when no prebuilt binary fits, says which package to install. */
function loadNative() {
  try {
    return require('./binding.js')
  } catch (err) {
    const triple = platformTriple()
    const pkg = `@acme/go-builder-${triple}`
    throw new Error(
      `@acme/go-builder has no native binary for ${triple}. ` +
        `Install the matching package (\`npm install ${pkg}\`), or reinstall without ` +
        `--no-optional / --omit=optional. Supported: linux x64/arm64 (gnu, musl), ` +
        `darwin x64/arm64, win32 x64.\nCause: ${err.message}`,
    )
  }
}

const version = 3

/**
 * The prebuilt helper programs (analyzer, standalone proxy): `helpers/`
 * beside this file in a checkout that built them, else in the platform
 * package. The core checks each against the digest it recorded at build
 * time before running it, and compiles from source when none fits.
 */
const helpersDir = (() => {
  const local = path.join(__dirname, 'helpers')
  if (fs.existsSync(path.join(local, 'helpers.json'))) return local
  try {
    return path.join(path.dirname(require.resolve(`@acme/go-builder-${platformTriple()}/package.json`)), 'helpers')
  } catch {
    return null
  }
})()

/** Calls a native function with JSON options and unwraps `{ ok } | { error }`. */
async function callNative(fn, options) {
  const raw = await fn(JSON.stringify(options))
  const result = JSON.parse(raw)
  if (result.error) throw buildError(result.error)
  return result.ok
}

/** A NowBuildError from the core's error data; what the OS or Go said underneath is its `cause`. */
function buildError({ code, message, link, cause }) {
  const err = new NowBuildError({ code, message, link })
  if (cause) err.cause = new Error(cause)
  return err
}

/** What the native core needs from the CLI's options: plain, serializable data. */
function nativeOptions({ entrypoint, workPath, repoRootPath, config, meta, service }) {
  if (typeof entrypoint !== 'string' || typeof workPath !== 'string') {
    throw invalidOptions('`entrypoint` and `workPath` must be strings')
  }
  return {
    entrypoint,
    // A relative work path is the CLI's current directory's.
    workPath: path.resolve(workPath),
    repoRootPath: typeof repoRootPath === 'string' ? path.resolve(repoRootPath) : null,
    config: config || {},
    service: serviceOptions(service),
    meta: {
      isDev: Boolean(meta && meta.isDev),
      env: (meta && meta.env) || {},
      buildEnv: (meta && meta.buildEnv) || {},
      port: meta && Number.isInteger(meta.port) ? meta.port : null,
    },
    env: { ...process.env },
    helpersDir,
    nodePath: process.execPath,
    cacheprogPath: path.join(__dirname, 'cacheprog.js'),
  }
}

function invalidOptions(what) {
  return new NowBuildError({ code: 'GO_INVALID_OPTIONS', message: `Invalid builder options: ${what}` })
}

/**
 * Checks what build() reads from `files`, `config.includeFiles` and
 * `config.excludeFiles` before any work: a bad value is a coded error, and
 * nothing is left behind.
 */
function checkBuildInput(files, config) {
  for (const [name, file] of Object.entries(files || {})) {
    if (!file || typeof file !== 'object') throw invalidOptions(`files[${JSON.stringify(name)}] is not a file`)
  }
  patternList('config.includeFiles', config && config.includeFiles)
  patternList('config.excludeFiles', config && config.excludeFiles)
}

/**
 * The glob patterns of an `includeFiles` / `excludeFiles` value (a pattern
 * or an array of them; none when absent), each checked: a pattern is
 * relative to the function's files and never leaves them (no absolute
 * path, no `..` part), and a NUL byte is never a file name.
 */
function patternList(what, value) {
  if (value === undefined || value === null) return []
  const list = Array.isArray(value) ? value : [value]
  if (!list.every((p) => typeof p === 'string')) {
    throw invalidOptions(`\`${what}\` must be a glob pattern or an array of them`)
  }
  for (const pattern of list) {
    const shown = JSON.stringify(pattern)
    if (pattern.includes('\0')) throw invalidOptions(`\`${what}\` pattern ${shown} contains a NUL byte`)
    if (path.posix.isAbsolute(pattern) || path.win32.isAbsolute(pattern) || pattern.split(/[\\/]/).includes('..')) {
      throw invalidOptions(`\`${what}\` pattern ${shown} must stay inside the project (relative, no \`..\`)`)
    }
  }
  return list
}

/** How a value the caller passed looks, for an error message. */
function describeValue(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return value ? `the string ${JSON.stringify(value)}` : 'an empty string'
  return typeof value === 'object' ? 'an object' : `${typeof value === 'undefined' ? 'nothing' : `${typeof value} ${String(value)}`}`
}

/** The options object a hook was called with, or a coded error naming the hook. */
function hookOptions(hook, opts) {
  if (!opts || typeof opts !== 'object' || Array.isArray(opts)) {
    throw invalidOptions(`${hook}() takes an options object (got ${describeValue(opts)})`)
  }
  return opts
}

/** `value` when it is a non-empty string, else a coded error naming `name`. */
function stringArgument(hook, name, value) {
  if (typeof value !== 'string' || value === '') {
    throw invalidOptions(`${hook}(): \`${name}\` must be a non-empty string (got ${describeValue(value)})`)
  }
  return value
}

/** The `service` build option's fields the core reads (strings only). */
function serviceOptions(service) {
  if (!service || typeof service !== 'object') return null
  const pick = (v) => (typeof v === 'string' ? v : null)
  return { name: pick(service.name), type: pick(service.type), routePrefix: pick(service.routePrefix) }
}

/** A download progress line from the core: `Downloading <what>: <n>% (<got> of <total>)`. */
const PROGRESS_LINE = /^Downloading (.+): (\d+)% \((.+) of (.+)\)$/
const PROGRESS_BAR_WIDTH = 30
/** Whether a progress bar is being drawn on the current terminal line. */
let progressBarOpen = false

/**
 * The build log: each line the core writes goes to Node's stdout, where the
 * CLI captures it. Download progress is a bar redrawn in place on a terminal
 * and one line every 25% otherwise.
 */
function logLine(line) {
  const progress = PROGRESS_LINE.exec(line)
  if (!progress) {
    if (progressBarOpen) process.stdout.write('\n')
    progressBarOpen = false
    console.log(line)
    return
  }
  const percent = Number(progress[2])
  if (!process.stdout.isTTY) {
    if (percent % 25 === 0) console.log(line)
    return
  }
  const filled = Math.round((percent / 100) * PROGRESS_BAR_WIDTH)
  const bar = '#'.repeat(filled) + '-'.repeat(PROGRESS_BAR_WIDTH - filled)
  process.stdout.write(`\r\x1b[2KDownloading ${progress[1]} [${bar}] ${percent}% (${progress[3]} of ${progress[4]})`)
  progressBarOpen = percent < 100
  if (!progressBarOpen) process.stdout.write('\n')
}

/**
 * `config.includeFiles` (string or array), globbed relative to `base`,
 * without what `excludes` matches (relative to the same base, as the glob's
 * `ignore`: `@vercel/python` and `@vercel/node` leave excluded files out
 * the same way).
 */
async function includedFiles(config, base, excludes) {
  const files = {}
  for (const pattern of patternList('config.includeFiles', config && config.includeFiles)) {
    Object.assign(files, await glob(pattern, excludes.length ? { cwd: base, ignore: excludes } : base))
  }
  return files
}

async function build(opts) {
  const { files, config = {}, meta = {} } = opts || {}
  const options = nativeOptions(opts || {})
  checkBuildInput(files, config)
  if (!meta.skipDownload && files) {
    await download(files, options.workPath, meta)
  }
  // The matching `functions` entry, found by build-utils' own matching (as
  // the reference and the CLI do): the build needs its architecture, and a
  // standalone server takes all its options (memory, maxDuration, …).
  const standalone = isStandalone(config)
  const sourceFile = standalone
    ? (await detectGoEntrypoint(options.workPath, options.entrypoint)) || options.entrypoint
    : options.entrypoint
  const { functionOptions, streaming, excludeFiles } = await functionSettings(sourceFile, config)
  // `excludeFiles` of the project's config and of the matching `functions`
  // entry, as `@vercel/node` merges them; checked before any work.
  const excludes = [...patternList('config.excludeFiles', config.excludeFiles), ...excludeFiles]
  const lambdaOptions = withConfigLimits(functionOptions, config, meta)
  options.architecture = functionOptions.architecture || null
  options.supportsResponseStreaming = streaming
  options.candidates = standalone ? [] : await handlerCandidates(files, config, options.entrypoint)
  // A failed build reports no earlier build's diagnostics.
  const key = functionKey(options)
  lastDiagnostics.delete(key)
  const out = await callNative((json) => native.build(json, logLine), options)
  lastDiagnostics.set(key, out.diagnostics || {})
  const outputFiles = {}
  for (const [name, file] of Object.entries(out.files)) {
    outputFiles[name] = new FileFsRef({ mode: file.mode, fsPath: file.fsPath })
  }
  const extra = await includedFiles(config, out.includeFilesBase, excludes)
  // The function's own options (memory, maxDuration, regions, …) as every
  // official builder applies them; the core's fields describe the program.
  const lambda = new Lambda({
    ...lambdaOptions,
    ...out.lambda,
    files: { ...extra, ...outputFiles },
  })
  registerPreDeploy(opts, config, meta, out.goroot, functionOptions.architecture)
  // Standalone servers answer every path: their routes send it there.
  return out.routes ? { output: lambda, routes: out.routes } : { output: lambda }
}

/**
 * A service's `preDeployCommand`, registered with the CLI (which runs it once
 * every build has succeeded): through the platform's shell, in the work path,
 * with the build's environment and the Go the build used first on PATH.
 */
function registerPreDeploy(opts, config, meta, goroot, architecture) {
  const command = config && config.preDeployCommand
  if (typeof opts.registerPreDeploy !== 'function' || typeof command !== 'string' || !command.trim()) return
  const env = {
    ...process.env,
    ...((meta && meta.env) || {}),
    GOOS: 'linux',
    GOARCH: architecture === 'arm64' ? 'arm64' : 'amd64',
    CGO_ENABLED: '0',
  }
  env.PATH = [path.join(goroot, 'bin'), env.PATH || process.env.PATH].filter(Boolean).join(path.delimiter)
  opts.registerPreDeploy(
    () =>
      new Promise((resolve, reject) => {
        const child = require('child_process').spawn(command, {
          cwd: path.resolve(opts.workPath),
          env,
          shell: true,
          stdio: 'inherit',
        })
        child.on('error', reject)
        child.on('exit', (code, signal) => {
          if (code === 0) return resolve()
          reject(
            new NowBuildError({
              code: 'GO_PRE_DEPLOY_FAILED',
              message: `Command "${command}" exited with ${code === null ? `signal ${signal}` : code}`,
            }),
          )
        })
      }),
  )
}

/**
 * The matching `functions` entry of `sourceFile`, found by build-utils' own
 * matching (as the CLI does): the Lambda options it sets, its
 * `supportsResponseStreaming` (null when it says nothing: the code decides)
 * and its `excludeFiles` patterns (checked).
 */
async function functionSettings(sourceFile, config) {
  const functionOptions = await getLambdaOptionsFromFunction({ sourceFile, config })
  const match = findMatchingFunction(config && config.functions, [sourceFile])
  const functionConfig = (match && match.functionConfig) || {}
  const value = functionConfig.supportsResponseStreaming
  const excludeFiles = patternList(`functions[${JSON.stringify(match && match.pattern)}].excludeFiles`, functionConfig.excludeFiles)
  return { functionOptions, streaming: typeof value === 'boolean' ? value : null, excludeFiles }
}

/** The limits a Lambda may carry that `vercel dev` sets itself (and refuses from a builder). */
const DEV_OWNED_OPTIONS = ['memory', 'maxDuration', 'affinity', 'maxConcurrency']

/**
 * The Lambda options of a function: its `functions` entry's, else the
 * builder config's own `memory` / `maxDuration` (a `number` or `"max"`:
 * the CLI puts a service's there). `vercel dev` applies these limits itself
 * and refuses a build result that carries them, so a dev build has none.
 */
function withConfigLimits(functionOptions, config, meta) {
  const options = { ...functionOptions }
  const valid = { memory: (v) => typeof v === 'number', maxDuration: (v) => typeof v === 'number' || v === 'max' }
  for (const [key, ok] of Object.entries(valid)) {
    const value = config && config[key]
    if (options[key] !== undefined || value === undefined || value === null) continue
    if (!ok(value)) throw invalidOptions(`\`config.${key}\` must be a number${key === 'maxDuration' ? ' or "max"' : ''} (got ${describeValue(value)})`)
    options[key] = value
  }
  if (meta && meta.isDev) for (const key of DEV_OWNED_OPTIONS) delete options[key]
  return options
}

/**
 * Whether `rel` (relative, `/`-separated) names a file the CLI would take
 * for a Go function: a `.go` file, not `_test.go`, with no `_`- or
 * `.`-prefixed part (what the CLI's zero-config detection takes for Go).
 */
function isGoFunctionFile(rel) {
  return rel.endsWith('.go') && !rel.endsWith('_test.go') && !rel.split('/').some((p) => p.startsWith('_') || p.startsWith('.'))
}

/**
 * The project's other handler entrypoints, as the CLI's zero-config routes
 * them (such files under `api/`), with their functions' architectures:
 * what one pass may build too.
 */
async function handlerCandidates(files, config, entrypoint) {
  const candidates = []
  for (const name of Object.keys(files || {})) {
    const rel = name.replace(/\\/g, '/')
    const parts = rel.split('/')
    if (parts[0] !== 'api' || parts.length < 2 || rel === entrypoint) continue
    if (!isGoFunctionFile(rel)) continue
    const { functionOptions, streaming } = await functionSettings(rel, config)
    candidates.push({
      entrypoint: rel,
      architecture: functionOptions.architecture || null,
      supportsResponseStreaming: streaming,
    })
  }
  return candidates
}

/** Persistent dev servers (standalone, or under the debugger) by work path + entrypoint: one process each. */
const persistentServers = new Map()

function isAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Starts a dev server natively, forwarding output to the CLI's callbacks. */
async function startNativeDevServer(options, { onStdout, onStderr }) {
  const out = await callNative(
    (json) =>
      native.startDevServer(
        json,
        typeof onStdout === 'function' ? (chunk) => onStdout(chunk) : null,
        typeof onStderr === 'function' ? (chunk) => onStderr(chunk) : null,
        logLine,
      ),
    options,
  )
  debug(`Go dev server for ${options.entrypoint}: port ${out.port}, pid ${out.pid}` +
    (out.reusedBuild ? ' (reused build)' : ''))
  return out
}

/** Handlers whose sources are watched (rebuild on save): one watcher each, for this process's life. */
const watchedHandlers = new Set()

/**
 * Functions run under the debugger (GO_BUILDER_DEBUG=1), in the order they
 * first started: the n-th listens on the n-th debug port.
 */
const debuggedFunctions = []
/** Functions whose debugger could not run: they run without it from then on. */
const undebuggable = new Set()

async function startDevServer(opts) {
  const options = nativeOptions(opts || {})
  const key = functionKey(options)
  const debug = !undebuggable.has(key) && native.debugRequested(JSON.stringify(options))
  options.meta.debug = debug
  if (!isStandalone(options.config) && !debug) {
    // A handler: the CLI kills the process after each response; the first
    // start also watches its sources, so the next start finds a rebuilt binary.
    options.meta.watch = !watchedHandlers.has(key)
    watchedHandlers.add(key)
    const out = await startNativeDevServer(options, opts)
    return { port: out.port, pid: out.pid }
  }
  // Rebuilt on save and swapped by its proxy, for as long as it runs.
  options.meta.watch = true
  // A standalone server, or any function under the debugger: one persistent
  // process per work path + entrypoint. The map holds the start in flight
  // too, so concurrent calls share it.
  const existing = persistentServers.get(key)
  if (existing) {
    const server = await existing.catch(() => null)
    if (server && isAlive(server.pid)) return server
    if (persistentServers.get(key) === existing) persistentServers.delete(key)
  }
  if (debug) {
    if (!debuggedFunctions.includes(key)) debuggedFunctions.push(key)
    options.meta.debugOrdinal = debuggedFunctions.indexOf(key)
  }
  const starting = startNativeDevServer(options, opts).then((out) => {
    if (out.debugError) undebuggable.add(key)
    if (!out.persistent) {
      // A handler that could not run under the debugger: an ordinary one,
      // which the CLI kills after its response (it already watches).
      watchedHandlers.add(key)
      if (persistentServers.get(key) === starting) persistentServers.delete(key)
      return { port: out.port, pid: out.pid }
    }
    // A plain closure: the CLI calls it detached.
    const shutdown = async () => {
      if (persistentServers.get(key) === starting) persistentServers.delete(key)
      await native.stopDevServer(out.pid)
    }
    const server = { port: out.port, pid: out.pid, persistent: true, shutdown }
    if (out.debugPort) server.debugPort = out.debugPort
    return server
  })
  persistentServers.set(key, starting)
  try {
    return await starting
  } catch (err) {
    if (persistentServers.get(key) === starting) persistentServers.delete(key)
    throw err
  }
}

/**
 * The files the next deploy should get back: the Go SDK the builder
 * downloaded (`.vercel/cache/golang`) and the project's deploy cache
 * (`.vercel/cache/go`: Go's build and module caches, compiled helpers, kept
 * programs), within a size budget.
 */
async function prepareCache(opts) {
  const { workPath, repoRootPath } = hookOptions('prepareCache', opts)
  stringArgument('prepareCache', 'workPath', workPath)
  const raw = await native.prepareCache(JSON.stringify({ workPath: String(workPath), env: { ...process.env } }))
  const result = JSON.parse(raw)
  if (result.error) throw buildError(result.error)
  // Exactly the files the core chose (it checked each one), keyed as a
  // glob of the work path would key them.
  const root = repoRootPath || workPath
  const mountpoint = path.relative(root, workPath)
  const files = {}
  for (const rel of result.ok) {
    const fsPath = path.join(workPath, rel)
    const stat = fs.lstatSync(fsPath)
    files[mountpoint ? path.join(mountpoint, rel) : rel] = new FileFsRef({ mode: stat.mode, fsPath })
  }
  return files
}

/** Whether `config.framework` makes the entrypoint a whole server (decided by the core). */
function isStandalone(config) {
  const framework = config && config.framework
  return native.buildMode(typeof framework === 'string' ? framework : null) === 'server'
}

function shouldServe(opts) {
  hookOptions('shouldServe', opts)
  if (isStandalone(opts.config)) return true
  stringArgument('shouldServe', 'entrypoint', opts.entrypoint)
  if (typeof opts.requestPath !== 'string') {
    throw invalidOptions(`shouldServe(): \`requestPath\` must be a string (got ${describeValue(opts.requestPath)})`)
  }
  if (!opts.files || typeof opts.files !== 'object') {
    throw invalidOptions(`shouldServe(): \`files\` must be an object (got ${describeValue(opts.files)})`)
  }
  return defaultShouldServe(opts)
}

/** Standalone entrypoint: the configured one if it exists, else the first candidate found. */
async function detectGoEntrypoint(workPath, configuredEntrypoint) {
  stringArgument('detectGoEntrypoint', 'workPath', workPath)
  return native.detectGoEntrypoint(
    workPath,
    typeof configuredEntrypoint === 'string' ? configuredEntrypoint : null,
  ) ?? null
}

/** `Handler` in `api/index.go` → `Handler_api_index_go`; the reference's messages for empty names. */
function getNewHandlerFunctionName(originalFunctionName, entrypoint) {
  const check = (name, value, empty) => {
    if (value === '' || value === undefined || value === null) {
      throw new NowBuildError({ code: 'GO_INVALID_OPTIONS', message: `Handler function renaming failed because ${empty} was empty.` })
    }
    stringArgument('getNewHandlerFunctionName', name, value)
  }
  check('originalFunctionName', originalFunctionName, 'original function name')
  check('entrypoint', entrypoint, 'entrypoint')
  return native.newHandlerFunctionName(originalFunctionName, entrypoint)
}

/**
 * The diagnostics files of each function's last successful build(), by
 * work path and entrypoint (the function's SBOM, `go/sbom/<function>.cdx.json`):
 * the CLI calls diagnostics() right after build(), with the same options, in
 * the same process.
 */
const lastDiagnostics = new Map()

/** What names one function of one project in this process: its work path and entrypoint. */
function functionKey(options) {
  return `${options.workPath}\0${options.entrypoint}`
}

/**
 * What the CLI collects after a build: the package manifest (the Go version
 * asked for and used, and the modules the function is built from, computed
 * from the project when asked, nothing written into it) and the function's
 * SBOM from its build. `{}` when there is neither.
 */
async function diagnostics(opts) {
  let options
  try {
    options = nativeOptions(opts || {})
  } catch {
    return {}
  }
  const files = {}
  const manifest = packageManifest(opts, options)
  if (manifest) files['package-manifest.json'] = new FileBlob({ data: JSON.stringify(manifest, null, 2) })
  for (const [name, data] of Object.entries(lastDiagnostics.get(functionKey(options)) || {})) {
    files[name] = new FileBlob({ data })
  }
  return files
}

/** The package manifest of the options' entrypoint; null when it cannot be made. */
function packageManifest(opts, options) {
  let raw
  try {
    raw = JSON.parse(native.goModuleManifest(JSON.stringify(options)))
  } catch {
    return null
  }
  if (raw.error || !raw.ok) return null
  const { requested, resolved, dependencies } = raw.ok
  const config = (opts && opts.config) || {}
  const serviceType = opts && opts.service ? getReportedServiceType(opts.service) : undefined
  return {
    version: MANIFEST_VERSION,
    runtime: 'go',
    ...(typeof config.framework === 'string' ? { framework: config.framework } : {}),
    ...(serviceType ? { serviceType } : {}),
    runtimeVersion: { ...(requested ? { requested } : {}), resolved },
    dependencies,
  }
}

/** The version of @vercel/build-utils' package manifest schema this follows. */
const MANIFEST_VERSION = '20260304'

/**
 * The services layout's entrypoint detection (the CLI asks for a service
 * directory whose framework is Go): the first of `main.go`, `cmd/api/main.go`,
 * `cmd/server/main.go` there.
 */
async function detectEntrypoint(opts) {
  const { workPath } = hookOptions('detectEntrypoint', opts)
  stringArgument('detectEntrypoint', 'workPath', workPath)
  const entrypoint = await detectGoEntrypoint(workPath)
  return entrypoint ? { kind: 'file', entrypoint } : null
}

/**
 * `vercel dev`'s discovery of the functions this builder entry owns (CLI
 * 64, build-utils' `GetDevManifest`), without starting anything: every Go
 * function file among `files` that the entry's `src` matches (see
 * isGoFunctionFile), invoked through its entrypoint (the CLI starts it with
 * startDevServer), under the output path `vercel build` gives it (without
 * `.go` for a zero-config entry), with the `experimentalTriggers` of its
 * `functions` entry as build-utils resolves them (a queue consumer named as
 * in a deploy); and the `functions` patterns those files matched. A
 * standalone server (`framework`) is no function here: the CLI serves it
 * through startDevServer.
 */
async function getDevManifest(opts) {
  const { workPath, build, files, config } = hookOptions('getDevManifest', opts)
  stringArgument('getDevManifest', 'workPath', workPath)
  if (!build || typeof build !== 'object') {
    throw invalidOptions(`getDevManifest(): \`build\` must be the builder entry (got ${describeValue(build)})`)
  }
  if (!Array.isArray(files) || !files.every((f) => typeof f === 'string')) {
    throw invalidOptions(`getDevManifest(): \`files\` must be an array of paths (got ${describeValue(files)})`)
  }
  const scoped = config && typeof config === 'object' ? config : {}
  const entryConfig = (build.config && typeof build.config === 'object' && build.config) || {}
  const manifest = { functions: [], matchedFunctionPatterns: [] }
  if (isStandalone(scoped) || isStandalone(entryConfig) || typeof build.src !== 'string') return manifest
  const src = build.src.replace(/^\//, '')
  const zeroConfig = Boolean(scoped.zeroConfig || entryConfig.zeroConfig)
  for (const name of files) {
    const sourceFile = name.replace(/\\/g, '/')
    if (!isGoFunctionFile(sourceFile)) continue
    if (sourceFile !== src && !findMatchingFunction({ [src]: {} }, [sourceFile])) continue
    const outputPath = zeroConfig ? sourceFile.slice(0, -'.go'.length) : sourceFile
    if (!devPathAccepted(outputPath) || !devPathAccepted(sourceFile)) {
      debug(`getDevManifest: ${sourceFile} has a path vercel dev cannot register; left out`)
      continue
    }
    const { experimentalTriggers } = await getLambdaOptionsFromFunction({ sourceFile, config: scoped })
    manifest.functions.push({
      outputPath,
      sourceFile,
      invocation: { type: 'entrypoint', entrypoint: sourceFile },
      ...(experimentalTriggers ? { experimentalTriggers } : {}),
    })
    const match = findMatchingFunction(scoped.functions, [sourceFile])
    if (match && !manifest.matchedFunctionPatterns.includes(match.pattern)) {
      manifest.matchedFunctionPatterns.push(match.pattern)
    }
  }
  return manifest
}

/**
 * Whether CLI 64's dev server accepts `value` as a function's output or
 * source path (its check of a manifest, which refuses the whole manifest
 * over one bad path): a relative URL path without query, fragment,
 * whitespace, control characters, encoded `/`, empty or dot segments.
 */
function devPathAccepted(value) {
  try {
    const pathname = `/${value}`
    const decoded = decodeURIComponent(pathname)
    return (
      !pathname.startsWith('//') &&
      !/[\\?#\s]/.test(pathname) &&
      new URL(pathname, 'http://localhost').pathname === pathname &&
      !/[\\?#\x00-\x1f\x7f]/.test(decoded) &&
      !/%2f/i.test(pathname) &&
      !decoded.split('/').some((segment) => segment === '.' || segment === '..') &&
      !value.endsWith('/') &&
      !value.includes('//')
    )
  } catch {
    return false
  }
}

module.exports = {
  version,
  build,
  diagnostics,
  detectEntrypoint,
  startDevServer,
  prepareCache,
  shouldServe,
  detectGoEntrypoint,
  getNewHandlerFunctionName,
  getDevManifest,
}
