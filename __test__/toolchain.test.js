'use strict'
// The toolchain manager end to end: a real Go SDK archive, packed from this
// machine's own Go, served by a loopback HTTP server of the test's own, is
// downloaded, verified, installed and then used by build() to compile a
// handler that is invoked with @vercel/fun. Nothing talks to a public host.

const { describe, test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const http = require('node:http')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const {
  loadBuilder,
  adoptOutputDirs,
  tempDir,
  removeTempDirs,
  writeFiles,
  invokeLambda,
  hashTree,
  recordStdout,
  restoreFiles,
} = require('./helpers')

const builder = loadBuilder()

const GOROOT = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim()
const GO_VERSION = fs.readFileSync(path.join(GOROOT, 'VERSION'), 'utf8').split('\n')[0].trim()
const GOARCH = { x64: 'amd64', arm64: 'arm64' }[process.arch]
const ARCHIVE = `${GO_VERSION}.${process.platform}-${GOARCH}.tar.gz`

let work
let server
let baseUrl
const requests = []

before(async () => {
  work = tempDir('toolchain')
  const served = path.join(work, 'served')
  fs.mkdirSync(served)
  // The archive layout dl.google.com uses: a top-level go/ folder.
  execFileSync('tar', ['-C', path.dirname(GOROOT), '-c', '-I', 'gzip -1', '-f', path.join(served, ARCHIVE), path.basename(GOROOT)])
  const sha = crypto.createHash('sha256').update(fs.readFileSync(path.join(served, ARCHIVE))).digest('hex')
  fs.writeFileSync(path.join(served, `${ARCHIVE}.sha256`), sha)
  server = http.createServer((req, res) => {
    requests.push(req.url)
    const file = path.join(served, path.basename(req.url))
    if (!fs.existsSync(file)) {
      res.writeHead(404).end('not found')
      return
    }
    res.writeHead(200, { 'content-length': fs.statSync(file).size })
    fs.createReadStream(file).pipe(res)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${server.address().port}/`
})

after(async () => {
  await new Promise((resolve) => server.close(resolve))
  removeTempDirs()
})

/** PATH without any directory holding a `go` binary: nothing installed. */
function pathWithoutGo() {
  return process.env.PATH.split(path.delimiter)
    .filter((dir) => !fs.existsSync(path.join(dir, 'go')))
    .join(path.delimiter)
}

function project(name, goLine) {
  const dir = path.join(work, name)
  writeFiles(dir, {
    'go.mod': `module example.com/${name}\n\ngo ${goLine}\n`,
    'api/index.go': [
      'package handler',
      '',
      'import (',
      '\t"fmt"',
      '\t"net/http"',
      '\t"runtime"',
      ')',
      '',
      'func Handler(w http.ResponseWriter, r *http.Request) {',
      '\tfmt.Fprintf(w, "built with %s", runtime.Version())',
      '}',
      '',
    ].join('\n'),
  })
  return dir
}

function userCacheEnv(cacheHome) {
  return {
    PATH: pathWithoutGo(),
    GOTOOLCHAIN: '',
    XDG_CACHE_HOME: cacheHome,
    GO_BUILDER_DOWNLOAD_BASE_URL: baseUrl,
    // Keep Go's module and build caches warm: the SDK is the point here.
    GOMODCACHE: execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim(),
    GOCACHE: execFileSync('go', ['env', 'GOCACHE'], { encoding: 'utf8' }).trim(),
  }
}

async function buildAndInvoke(workPath, env) {
  const { output } = await builder.build({
    files: {},
    entrypoint: 'api/index.go',
    workPath,
    config: {},
    meta: { skipDownload: true, env },
  })
  adoptOutputDirs(output)
  return invokeLambda(output, { method: 'GET', path: '/api' })
}

describe('toolchain manager', () => {
  test('a pinned Go that is not installed is downloaded, verified, installed and builds a handler', async () => {
    const cacheHome = path.join(work, 'cache-a')
    const workPath = project('pinned', GO_VERSION.replace(/^go/, ''))
    const sourceBefore = hashTree(path.join(workPath, 'api'))
    const env = userCacheEnv(cacheHome)

    const { result: response, lines } = await recordStdout(() => buildAndInvoke(workPath, env))
    assert.equal(response.statusCode, 200)
    assert.equal(response.body, `built with ${GO_VERSION}`)
    // Not a terminal: a plain progress line every 25%, ending at 100%.
    const progress = lines.map((l) => l.line).filter((l) => l.startsWith(`Downloading ${ARCHIVE}`))
    assert.deepEqual(progress.map((l) => l.match(/: (\d+)%/)[1]), ['25', '50', '75', '100'], progress.join('\n'))
    assert.deepEqual(requests.filter((u) => u.includes(ARCHIVE)).sort(), [`/${ARCHIVE}`, `/${ARCHIVE}.sha256`].sort())

    const sdk = path.join(cacheHome, 'com.vercel.cli', 'golang', `${GO_VERSION.replace(/^go/, '')}_${process.platform}_${GOARCH}`)
    assert.ok(fs.existsSync(path.join(sdk, 'bin', 'go')), `SDK installed at ${sdk}`)
    assert.equal(fs.readFileSync(path.join(sdk, 'VERSION'), 'utf8').split('\n')[0], GO_VERSION)
    const leftovers = fs.readdirSync(path.dirname(sdk)).filter((n) => !n.startsWith('.') && n !== path.basename(sdk))
    assert.deepEqual(leftovers, [], 'no partial SDK beside the installed one')
    assert.equal(hashTree(path.join(workPath, 'api')), sourceBefore, 'sources untouched')

    // A second build (another project) finds it in the global cache: no new download.
    requests.length = 0
    const again = await buildAndInvoke(project('pinned-again', GO_VERSION.replace(/^go/, '')), env)
    assert.equal(again.body, `built with ${GO_VERSION}`)
    assert.deepEqual(requests, [])

    // prepareCache keeps the project's .vercel/cache/golang, as a real copy.
    const files = await builder.prepareCache({ workPath })
    const names = Object.keys(files)
    assert.ok(names.includes('.vercel/cache/golang/bin/go'), `cache files: ${names.slice(0, 5)}`)
    assert.ok(!fs.lstatSync(path.join(workPath, '.vercel/cache/golang')).isSymbolicLink())
    assert.ok(fs.existsSync(path.join(sdk, 'bin', 'go')), 'the global SDK stays in place')
    assert.ok(names.includes('.vercel/cache/go/sdk-manifest.json'), 'with its manifest')

    // Restored into a new checkout on a machine without that Go, the kept
    // SDK is used as it was kept: nothing is downloaded.
    const kept = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, [f.fsPath, f.mode]]))
    const version = GO_VERSION.replace(/^go/, '')
    const restored = project('pinned-restored', version)
    restoreFiles(kept, restored)
    requests.length = 0
    const fromCache = await buildAndInvoke(restored, userCacheEnv(path.join(work, 'cache-restored')))
    assert.equal(fromCache.body, `built with ${GO_VERSION}`)
    assert.deepEqual(requests, [], 'the restored SDK is used')

    // A restored SDK with a changed file is removed whole, and Go is
    // downloaded again: the build is as if nothing had been restored.
    const tampered = project('pinned-tampered', version)
    restoreFiles(kept, tampered)
    fs.appendFileSync(path.join(tampered, '.vercel', 'cache', 'golang', 'bin', 'gofmt'), 'x')
    requests.length = 0
    const { result: rebuilt, lines: log } = await recordStdout(() =>
      buildAndInvoke(tampered, userCacheEnv(path.join(work, 'cache-tampered'))),
    )
    assert.equal(rebuilt.body, `built with ${GO_VERSION}`)
    assert.ok(log.some((l) => /^The restored Go SDK in \.vercel\/cache\/golang was removed/.test(l.line)), log.map((l) => l.line).join('\n'))
    assert.ok(requests.some((u) => u.includes(ARCHIVE)), 'downloaded again')
  })

  test('a go line takes the newest installed patch of its line, with no download', async () => {
    // The global cache from the first test holds this machine's Go; a
    // `go 1.X.1` line is met by it (a newer patch of the same line).
    const line = GO_VERSION.replace(/^go(\d+\.\d+)\..*$/, '$1.1')
    requests.length = 0
    const response = await buildAndInvoke(project('older-patch', line), userCacheEnv(path.join(work, 'cache-a')))
    assert.equal(response.body, `built with ${GO_VERSION}`)
    assert.deepEqual(requests, [], 'nothing downloaded')
  })

  test('with nothing pinned the newest installed Go wins over an older one first on PATH', async () => {
    // An "old Go" first on PATH: a GOROOT whose VERSION says go1.21.0 and
    // whose go binary fails loudly if it is ever run.
    const oldRoot = path.join(work, 'old-go')
    writeFiles(oldRoot, { VERSION: 'go1.21.0\ntime 2023-08-08T00:00:00Z\n', 'bin/go': '#!/bin/sh\necho "the old go ran" >&2\nexit 3\n' })
    fs.chmodSync(path.join(oldRoot, 'bin', 'go'), 0o755)
    const workPath = project('unpinned', GO_VERSION.replace(/^go/, ''))
    fs.writeFileSync(path.join(workPath, 'go.mod'), 'module example.com/unpinned\n')
    const env = userCacheEnv(path.join(work, 'cache-a'))
    env.PATH = [path.join(oldRoot, 'bin'), env.PATH].join(path.delimiter)
    requests.length = 0
    const response = await buildAndInvoke(workPath, env)
    assert.equal(response.body, `built with ${GO_VERSION}`)
    assert.deepEqual(requests, [])
  })

  test('GOWORK must name a go.work by absolute path', async () => {
    const workPath = project('gowork', GO_VERSION.replace(/^go/, ''))
    fs.writeFileSync(path.join(workPath, 'other.work'), `go ${GO_VERSION.replace(/^go/, '')}\n\nuse .\n`)
    const read = () => [hashTree(path.join(workPath, 'api')), ...['go.mod', 'other.work'].map((f) => fs.readFileSync(path.join(workPath, f), 'utf8'))]
    const before = read()
    const env = { ...userCacheEnv(path.join(work, 'cache-a')), GOWORK: 'other.work' }
    await assert.rejects(
      builder.build({ files: {}, entrypoint: 'api/index.go', workPath, config: {}, meta: { skipDownload: true, env } }),
      (err) => err.code === 'GO_INVALID_OPTIONS' && /GOWORK must be an absolute path/.test(err.message),
    )
    env.GOWORK = path.join(workPath, 'other.work')
    const response = await buildAndInvoke(workPath, env)
    assert.equal(response.body, `built with ${GO_VERSION}`)
    assert.deepEqual(read(), before, 'sources untouched')
  })

  test('a download that fails installs nothing and names the URL; the next call succeeds', async () => {
    const cacheHome = path.join(work, 'cache-b')
    const workPath = project('missing', '1.26.99')
    const env = userCacheEnv(cacheHome)
    await assert.rejects(
      builder.build({ files: {}, entrypoint: 'api/index.go', workPath, config: {}, meta: { skipDownload: true, env } }),
      (err) => {
        assert.equal(err.code, 'GO_TOOLCHAIN_DOWNLOAD_FAILED')
        assert.match(err.message, /go1\.26\.99/)
        assert.match(err.message, /127\.0\.0\.1/)
        return true
      },
    )
    const golang = path.join(cacheHome, 'com.vercel.cli', 'golang')
    const entries = fs.existsSync(golang) ? fs.readdirSync(golang).filter((n) => !n.startsWith('.')) : []
    assert.deepEqual(entries, [])
    const ok = await buildAndInvoke(project('after-failure', GO_VERSION.replace(/^go/, '')), env)
    assert.equal(ok.body, `built with ${GO_VERSION}`)
  })

  /**
   * A Go SDK laid out as `@vercel/go` installs it in the shared cache:
   * `<cache>/com.vercel.cli/golang/<version>_<platform>_<arch>` (Node's
   * names), the SDK root (here this machine's GOROOT, each entry linked)
   * with its completion marker, whose text is the version.
   */
  function vercelGoSdk(cacheHome, goBinary) {
    const version = GO_VERSION.replace(/^go/, '')
    const sdk = path.join(cacheHome, 'com.vercel.cli', 'golang', `${version}_${process.platform}_${process.arch}`)
    fs.mkdirSync(sdk, { recursive: true })
    for (const name of fs.readdirSync(GOROOT)) {
      if (goBinary && name === 'bin') continue
      fs.symlinkSync(path.join(GOROOT, name), path.join(sdk, name))
    }
    if (goBinary) writeFiles(sdk, { 'bin/go': goBinary })
    if (goBinary) fs.chmodSync(path.join(sdk, 'bin', 'go'), 0o755)
    fs.writeFileSync(path.join(sdk, '.vercel-go-install-complete'), version)
    return sdk
  }

  test('a Go SDK that @vercel/go installed in the shared cache is used: nothing is downloaded', async () => {
    const cacheHome = path.join(work, 'cache-vercel-go')
    const sdk = vercelGoSdk(cacheHome)
    const workPath = project('vercel-go-sdk', GO_VERSION.replace(/^go/, ''))
    const before = hashTree(workPath)
    requests.length = 0
    const { result: response, lines } = await recordStdout(() => buildAndInvoke(workPath, userCacheEnv(cacheHome)))
    assert.equal(response.body, `built with ${GO_VERSION}`)
    assert.deepEqual(requests, [], 'nothing downloaded')
    const using = lines.map((l) => l.line).find((l) => l.startsWith('Using Go'))
    assert.ok(using.includes(`from the global cache (${sdk}, installed by @vercel/go)`), using)
    assert.equal(hashTree(workPath), before, 'the project is untouched')
  })

  test('an @vercel/go install whose own `go version` says otherwise is not used', async () => {
    // Marker and VERSION say this machine's Go, the binary another release.
    const cacheHome = path.join(work, 'cache-vercel-go-wrong')
    const sdk = vercelGoSdk(cacheHome, `#!/bin/sh\necho "go version go1.21.0 ${process.platform}/${GOARCH}"\n`)
    requests.length = 0
    const { result: response, lines } = await recordStdout(() =>
      buildAndInvoke(project('vercel-go-sdk-wrong', GO_VERSION.replace(/^go/, '')), userCacheEnv(cacheHome)),
    )
    assert.equal(response.body, `built with ${GO_VERSION}`)
    assert.ok(lines.some((l) => l.line.startsWith(`Not using the Go SDK in ${sdk}`)), 'says why it is not used')
    assert.ok(requests.includes(`/${ARCHIVE}`), 'the release is downloaded (and verified) instead')
  })

  test('unsupported versions are rejected with ERR_UNSUPPORTED_GO_VERSION', async () => {
    const workPath = project('ancient', '1.12')
    await assert.rejects(
      builder.build({ files: {}, entrypoint: 'api/index.go', workPath, config: {}, meta: { skipDownload: true, env: { GOTOOLCHAIN: '' } } }),
      (err) => err.code === 'ERR_UNSUPPORTED_GO_VERSION' && /Unsupported Go version 1\.12/.test(err.message),
    )
  })
})
