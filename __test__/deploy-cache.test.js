'use strict'

// prepareCache() makes the next deploy warm: a deploy in an empty container
// (an empty HOME, Go found on PATH) builds a handler, prepareCache() returns
// files; restored into a fresh checkout at another path, in another empty
// container, the next build's `go build -x` compiles nothing (every package
// comes from the restored cache), while the same build without the
// restored files compiles. The budget trims rather than fails. A shared Go
// cache (GOCACHEPROG, a real implementation pointed at a local directory)
// reaches the builder's go: a build at a new path with an empty GOCACHE
// compiles nothing the shared cache holds.

const { describe, it, before } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const {
  ROOT,
  FIXTURES,
  tempDir,
  loadBuilder,
  snapshotTree,
  diffSnapshots,
  invokeLambdaDir,
  restoreFiles,
} = require('./helpers')

before(() => {
  loadBuilder()
})

/**
 * Runs `script` (with `builder` = the package) in a child node whose
 * environment is a fresh container's: only PATH, an empty HOME of its own,
 * the module proxy settings and GOTOOLCHAIN=local. Returns its stdout.
 */
function inContainer(home, script, extraEnv = {}) {
  const env = { PATH: process.env.PATH, HOME: home, GOTOOLCHAIN: 'local', ...extraEnv }
  for (const key of ['GOPROXY', 'GONOSUMDB', 'GOPRIVATE', 'GOSUMDB', 'TMPDIR']) {
    if (process.env[key]) env[key] = process.env[key]
  }
  const res = spawnSync(
    process.execPath,
    ['-e', `const builder = require(${JSON.stringify(ROOT)});\n(async () => {${script}})().catch((e) => { console.log('FAILED', e.code, e.message); process.exit(1) })`],
    { env, encoding: 'utf8', timeout: 600000 },
  )
  assert.equal(res.status, 0, `child failed:\n${res.stdout}\n${res.stderr}`)
  return res.stdout
}

function checkout(name) {
  const dir = path.join(tempDir('deploy'), name)
  fs.cpSync(path.join(FIXTURES, 'handler', 'shared-package'), dir, { recursive: true })
  return dir
}

/** build() of api/index.go in `workPath`; prints the bootstrap's path. */
const buildScript = (workPath) => `
  const r = await builder.build({ files: {}, entrypoint: 'api/index.go', workPath: ${JSON.stringify(workPath)},
    config: {}, meta: { skipDownload: true } })
  console.log('BOOTSTRAP ' + r.output.files.bootstrap.fsPath)`

/** prepareCache(); prints the returned files as JSON { key: [fsPath, mode] }. */
const prepareScript = (workPath) => `
  const files = await builder.prepareCache({ workPath: ${JSON.stringify(workPath)} })
  console.log('FILES ' + JSON.stringify(Object.fromEntries(
    Object.entries(files).map(([k, f]) => [k, [f.fsPath, f.mode]]))))`

function bootstrapOf(stdout) {
  return /^BOOTSTRAP (.*)$/m.exec(stdout)[1]
}

function filesOf(stdout) {
  return JSON.parse(/^FILES (.*)$/m.exec(stdout)[1])
}

/** The compile commands `go build -x` printed. */
function compiles(stdout) {
  return stdout.split('\n').filter((l) => /\/compile\s/.test(l))
}

/** The user's tree without the builder's cache area (`.vercel/`). */
function sources(workPath) {
  return snapshotTree(workPath).filter((l) => !/ \.vercel(\/| )/.test(l))
}

describe('prepareCache round trip', () => {
  let files
  let firstBootstrap

  it('deploy 1 in an empty container: build, then prepareCache returns the caches', () => {
    const a = checkout('a')
    const homeA = tempDir('home-a')
    const before = sources(a)
    firstBootstrap = fs.readFileSync(bootstrapOf(inContainer(homeA, buildScript(a))))
    files = filesOf(inContainer(homeA, prepareScript(a)))
    assert.equal(diffSnapshots(before, sources(a)), '', 'the sources are untouched')
    const keys = Object.keys(files)
    assert.ok(keys.some((k) => k.startsWith('.vercel/cache/go/build/')), 'the Go build cache')
    assert.ok(keys.some((k) => k.startsWith('.vercel/cache/go/mod/cache/download/github.com/vercel/go-bridge/')),
      'the module downloads')
    assert.ok(keys.some((k) => k.startsWith('.vercel/cache/go/lambda/')), 'the kept program')
    // The helper programs ship prebuilt: nothing of the builder's was compiled to keep.
    assert.ok(!keys.some((k) => k.startsWith('.vercel/cache/go/bin/')), 'no compiled helper')
    assert.ok(keys.every((k) => k.startsWith('.vercel/cache/')))
  })

  it('deploy 2: a fresh checkout at a new path, another empty container, the files restored: go build compiles nothing', () => {
    const b = checkout('b')
    restoreFiles(files, b)
    const before = sources(b)
    const out = inContainer(tempDir('home-b'), buildScript(b), {
      GO_BUILD_FLAGS: '-x -ldflags "-s -w"',
    })
    assert.deepEqual(compiles(out), [], `go build -x compiled:\n${out}`)
    assert.equal(diffSnapshots(before, sources(b)), '', 'the sources are untouched')
    const bootstrap = fs.readFileSync(bootstrapOf(out))
    assert.ok(bootstrap.equals(firstBootstrap), 'the same program as deploy 1')
  })

  it('the same build without the restored files compiles (the check above can fail)', () => {
    const c = checkout('c')
    const out = inContainer(tempDir('home-c'), buildScript(c), {
      GO_BUILD_FLAGS: '-x -ldflags "-s -w"',
    })
    assert.ok(compiles(out).length > 0, 'a cold build compiles')
  })

  it('the restored build answers', async () => {
    const d = checkout('d')
    restoreFiles(files, d)
    const out = inContainer(tempDir('home-d'), buildScript(d))
    const dir = tempDir('deploy-fn')
    fs.copyFileSync(bootstrapOf(out), path.join(dir, 'bootstrap'))
    fs.chmodSync(path.join(dir, 'bootstrap'), 0o755)
    const res = await invokeLambdaDir(dir, { method: 'GET', path: '/api' })
    assert.equal(res.statusCode, 200)
  })

  it('a small budget trims the least recently used entries instead of failing', () => {
    const e = checkout('e')
    const home = tempDir('home-e')
    inContainer(home, buildScript(e))
    const small = filesOf(inContainer(home, prepareScript(e), { GO_BUILDER_CACHE_MAX_MB: '1' }))
    const bytes = Object.entries(small)
      .filter(([k]) => k.startsWith('.vercel/cache/go/'))
      .reduce((sum, [, [fsPath]]) => sum + fs.statSync(fsPath).size, 0)
    assert.ok(bytes <= 1024 * 1024, `${bytes} bytes kept`)
    assert.ok(Object.keys(small).length > 0, 'something fits')
  })
})

/** A GOCACHEPROG implementation, installed from the module proxy into a directory of the test's own. */
const GO_CACHER = 'github.com/bradfitz/go-tool-cache/cmd/go-cacher@v0.0.0-20260722201841-0bb331e19f64'

describe('GOCACHEPROG', () => {
  it('a build at a new checkout path with an empty GOCACHE compiles nothing the shared cache holds', () => {
    const gobin = tempDir('gobin')
    const install = spawnSync('go', ['install', GO_CACHER], {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
      encoding: 'utf8',
    })
    assert.equal(install.status, 0, install.stderr)
    const shared = tempDir('shared-cache')
    const cacheprog = `${path.join(gobin, 'go-cacher')} --verbose --cache-dir ${shared}`
    const env = { GOCACHEPROG: cacheprog, GO_BUILD_FLAGS: '-x -ldflags "-s -w"' }
    const first = inContainer(tempDir('home-f'), buildScript(checkout('f')), env)
    assert.ok(compiles(first).length > 0, 'the first build compiles (and fills the shared cache)')
    const second = inContainer(tempDir('home-g'), buildScript(checkout('g')), env)
    assert.deepEqual(compiles(second), [], `compiled despite the shared cache:\n${second}`)
    const stats = /cacher: closing; \d+ gets \((\d+) hits/.exec(second)
    assert.ok(stats && Number(stats[1]) > 0, `the shared cache answered: ${second}`)
  })
})
