'use strict'
// Row 11: installing a Go toolchain from a loopback HTTP server.
//
// The archive is this machine's own Go SDK, packed once the way
// https://dl.google.com/go/ publishes it (`go<version>.<os>-<arch>.tar.gz`
// with a top-level `go/` folder, plus `<archive>.sha256` holding the hex
// digest) into bench/.cache. A loopback server serves that folder; the
// baseline is `curl -s URL | tar -xz` of the same archive.
const fs = require('fs')
const os = require('os')
const path = require('path')
const http = require('http')
const crypto = require('crypto')
const { spawn, execFileSync } = require('child_process')

const CACHE = path.join(__dirname, '..', '.cache')

/**
 * The addon's way to trigger a toolchain install: the binding's
 * `resolveGoToolchain(optionsJson)` (not part of the builder API) resolves
 * the Go the environment asks for, downloading it when nothing installed
 * fits. `{ ok: { goroot, version, notes } } | { error }`.
 */
const INSTALL_EXPORTS = ['resolveGoToolchain']

/** The install entry point of the addon at `root`, or null when it has none. */
function oursInstallExport(root) {
  let native
  try {
    native = require(path.join(root, 'binding.js'))
  } catch {
    return null
  }
  return INSTALL_EXPORTS.find((name) => typeof native[name] === 'function') || null
}

/** PATH without any directory holding a `go` binary. */
function pathWithoutGo() {
  return (process.env.PATH || '')
    .split(path.delimiter)
    .filter((dir) => dir && !fs.existsSync(path.join(dir, 'go')))
    .join(path.delimiter)
}

/**
 * Options for `resolveGoToolchain` that leave it nothing installed to pick:
 * no Go on PATH, an empty user cache (`XDG_CACHE_HOME=<dest>/cache`, so the
 * SDK lands in `<dest>/cache/com.vercel.cli/golang/…`), an empty project, and
 * `GOTOOLCHAIN=go<version>` (the only way to ask for a download; it comes
 * from `baseUrl`, a loopback server, and is the installed Go's own version,
 * so no `go` command would switch toolchains).
 */
function installOptions(dest, baseUrl, version, baseEnv = process.env) {
  const workPath = path.join(dest, 'project')
  fs.mkdirSync(workPath, { recursive: true })
  return {
    entrypoint: 'api/index.go',
    workPath,
    repoRootPath: workPath,
    config: {},
    meta: {},
    env: {
      ...baseEnv,
      PATH: pathWithoutGo(),
      GOTOOLCHAIN: `go${version}`,
      XDG_CACHE_HOME: path.join(dest, 'cache'),
      GO_BUILDER_DOWNLOAD_BASE_URL: baseUrl,
    },
  }
}

function goPlatform() {
  const os = { win32: 'windows' }[process.platform] || process.platform
  const arch = { x64: 'amd64', x86: '386', ia32: '386' }[process.arch] || process.arch
  return { os, arch }
}

/** Packs `goroot` as `go<version>.<os>-<arch>.tar.gz` (+ .sha256) into bench/.cache, once. */
function ensureArchive(goroot, version) {
  const { os: goos, arch } = goPlatform()
  const name = `go${version}.${goos}-${arch}.tar.gz`
  const archive = path.join(CACHE, name)
  const sumFile = `${archive}.sha256`
  if (fs.existsSync(archive) && fs.existsSync(sumFile)) return { name, archive, packed: false }
  fs.mkdirSync(CACHE, { recursive: true })
  const partial = `${archive}.partial-${process.pid}`
  const parent = path.dirname(goroot)
  const base = path.basename(goroot)
  const args = ['-czf', partial, '-C', parent]
  if (base !== 'go') args.push(`--transform=s,^${base.replace(/[,\\]/g, '\\$&')},go,`)
  args.push(base)
  execFileSync('tar', args, { stdio: 'inherit' })
  const hash = crypto.createHash('sha256').update(fs.readFileSync(partial)).digest('hex')
  fs.writeFileSync(sumFile, `${hash}\n`)
  fs.renameSync(partial, archive)
  return { name, archive, packed: true }
}

/** A loopback server for bench/.cache; counts requests per path. */
async function startServer() {
  const requests = new Map()
  const server = http.createServer((req, res) => {
    const name = path.basename(decodeURIComponent(new URL(req.url, 'http://x').pathname))
    requests.set(name, (requests.get(name) || 0) + 1)
    const file = path.join(CACHE, name)
    let stat
    try {
      stat = fs.statSync(file)
    } catch {
      res.writeHead(404).end('not found')
      return
    }
    res.writeHead(200, { 'Content-Length': stat.size, 'Content-Type': 'application/octet-stream' })
    if (req.method === 'HEAD') return res.end()
    fs.createReadStream(file).pipe(res)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${server.address().port}/`
  return {
    base,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

/** `curl -s URL | tar -xz -C dest`, timed; resolves with ms. */
function curlTar(url, dest) {
  fs.rmSync(dest, { recursive: true, force: true })
  fs.mkdirSync(dest, { recursive: true })
  const start = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', 'curl -sf "$1" | tar -xz -C "$2"', 'curl-tar', url, dest], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      if (code !== 0) return reject(new Error(`curl | tar failed (${code}): ${stderr.trim()}`))
      resolve(ms)
    })
  })
}

/** The `go version` of an extracted SDK, to check an install is usable. */
function installedVersion(goroot) {
  return execFileSync(path.join(goroot, 'bin', 'go'), ['env', 'GOVERSION'], {
    encoding: 'utf8',
    env: { ...process.env, GOROOT: goroot, GOTOOLCHAIN: 'local' },
  }).trim()
}

module.exports = { CACHE, INSTALL_EXPORTS, oursInstallExport, installOptions, ensureArchive, startServer, curlTar, installedVersion, tmp: os.tmpdir() }
