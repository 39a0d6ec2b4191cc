'use strict'

// The cache never changes what is deployed. A real project (two handlers of
// one package sharing a program, a third in a package of its own, a module
// dependency) is deployed in an empty container with a signing key; its
// prepareCache() files are restored into a new checkout in another empty
// container, tampered with, and built again. Every function must come out
// byte for byte as the first deploy's (same bootstrap, environment, runtime
// and handler) and answer as the commit's code through @vercel/fun with its
// environment — or the build fails with a coded error. Nothing outside the
// project and its caches changes, and the build after that succeeds.

const { describe, it, before } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const {
  ROOT,
  tempDir,
  writeFiles,
  restoreFiles,
  goFile,
  snapshotTree,
  diffSnapshots,
  invokeLambdaDir,
  loadBuilder,
} = require('./helpers')

const KEY = 'deploy-cache-signing-key-of-the-team'

/** A handler answering with `text` and a name-based UUID of the path (github.com/google/uuid). */
function handler(pkg, fn, text) {
  return goFile(pkg, ['fmt', 'net/http', '', 'github.com/google/uuid'], [
    `func ${fn}(w http.ResponseWriter, r *http.Request) {`,
    `\tfmt.Fprintf(w, "%s %s", ${JSON.stringify(text)}, uuid.NewSHA1(uuid.NameSpaceURL, []byte(r.URL.Path)))`,
    '}',
  ])
}

const PROJECT = {
  'go.mod': 'module example.com/poison\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n',
  'go.sum': [
    'github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=',
    'github.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=',
    '',
  ].join('\n'),
  'api/a.go': handler('api', 'A', 'alpha'),
  'api/b.go': handler('api', 'B', 'beta'),
  'api/c/index.go': handler('c', 'C', 'gamma'),
}
const ENTRYPOINTS = ['api/a.go', 'api/b.go', 'api/c/index.go']

/**
 * In a child node whose environment is a fresh container's (PATH, an empty
 * HOME and TMPDIR of its own, the module proxy settings, GOTOOLCHAIN=local
 * and `env`): build() of every entrypoint as the CLI calls it (its files
 * passed), then, with `prepare`, prepareCache(). Returns { out, cache }.
 */
function deploy(workPath, { home = tempDir('home'), prepare = false, env = {} } = {}) {
  const childEnv = { PATH: process.env.PATH, HOME: home, TMPDIR: tempDir('tmp'), GOTOOLCHAIN: 'local', ...env }
  for (const key of ['GOPROXY', 'GONOSUMDB', 'GOPRIVATE', 'GOSUMDB']) {
    if (process.env[key]) childEnv[key] = process.env[key]
  }
  const job = JSON.stringify({ workPath, entrypoints: ENTRYPOINTS, prepare })
  const res = spawnSync(process.execPath, ['-e', CHILD, job], { env: childEnv, encoding: 'utf8', timeout: 600000 })
  const line = /^RESULT (.*)$/m.exec(res.stdout)
  assert.ok(line, `the container's node failed:\n${res.stdout}\n${res.stderr}`)
  return JSON.parse(line[1])
}

const CHILD = `
const fs = require('fs'), path = require('path')
const builder = require(${JSON.stringify(ROOT)})
const job = JSON.parse(process.argv[1])
const files = {}
const walk = (dir, rel) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.vercel') continue
    const r = rel ? rel + '/' + e.name : e.name
    if (e.isDirectory()) walk(path.join(dir, e.name), r)
    else files[r] = { type: 'FileFsRef', fsPath: path.join(dir, e.name) }
  }
}
walk(job.workPath, '')
;(async () => {
  const out = []
  for (const entrypoint of job.entrypoints) {
    const log = []
    const print = console.log
    console.log = (...a) => log.push(a.join(' '))
    try {
      const r = await builder.build({ files, entrypoint, workPath: job.workPath, config: {}, meta: { skipDownload: true } })
      out.push({ entrypoint, bootstrap: r.output.files.bootstrap.fsPath, environment: r.output.environment,
        runtime: r.output.runtime, handler: r.output.handler, log })
    } catch (e) {
      out.push({ entrypoint, error: { code: e.code, message: e.message }, log })
    } finally {
      console.log = print
    }
  }
  let cache = null
  if (job.prepare) {
    const f = await builder.prepareCache({ workPath: job.workPath })
    cache = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, [v.fsPath, v.mode]]))
  }
  console.log('RESULT ' + JSON.stringify({ out, cache }))
})().catch((e) => { console.error(e); process.exit(1) })
`

function checkout(files = PROJECT) {
  const workPath = path.join(tempDir('poison'), 'project')
  writeFiles(workPath, files)
  return workPath
}

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')

/** Invokes one built function through @vercel/fun with its Lambda environment. */
async function answer(result) {
  const dir = tempDir('fn')
  fs.copyFileSync(result.bootstrap, path.join(dir, 'bootstrap'))
  fs.chmodSync(path.join(dir, 'bootstrap'), 0o755)
  const res = await invokeLambdaDir(dir, { method: 'GET', path: '/check' }, { env: result.environment })
  return `${res.statusCode} ${res.body}`
}

/** What each function of a deploy is: its bootstrap's digest, environment, runtime and handler. */
function shapes(out) {
  return out.map((r) => {
    assert.ok(!r.error, `${r.entrypoint}: ${r.error && `${r.error.code} ${r.error.message}`}\n${r.log.join('\n')}`)
    return { entrypoint: r.entrypoint, sha256: sha256(r.bootstrap), environment: r.environment, runtime: r.runtime, handler: r.handler }
  })
}

/** Files below `.vercel/cache/go` of a restored checkout whose key matches `pattern`. */
function restored(workPath, pattern) {
  const root = path.join(workPath, '.vercel', 'cache', 'go')
  const found = []
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (pattern.test(path.relative(root, p))) found.push(p)
    }
  }
  walk(root)
  return found
}

const keptProgram = (workPath, slug) => {
  const [program] = restored(workPath, new RegExp(`^lambda/[0-9a-f]{32}/${slug}_[0-9a-f]{8}$`))
  assert.ok(program, `the restored cache holds the kept program of ${slug}`)
  return program
}

let builder
let baseline // the first deploy: shapes and answers
let cache // its prepareCache() files
let home // its container's HOME, warm from then on

before(async () => {
  builder = loadBuilder()
  home = tempDir('home-a')
  const a = checkout()
  const first = deploy(a, { home, prepare: true, env: { GO_BUILDER_CACHE_SIGNING_KEY: KEY } })
  cache = first.cache
  baseline = { shapes: shapes(first.out), answers: [] }
  for (const r of first.out) baseline.answers.push(await answer(r))
  assert.deepEqual(
    baseline.answers.map((a) => a.split(' ').slice(0, 2).join(' ')),
    ['200 alpha', '200 beta', '200 gamma'],
  )
  // No cliff after prepareCache(): the next build at the same path reuses every program.
  const again = deploy(a, { home, env: { GO_BUILDER_CACHE_SIGNING_KEY: KEY } })
  for (const r of again.out) assert.ok(r.log.some((l) => l.includes('reused (sources unchanged)')), r.log.join('\n'))
  assert.deepEqual(shapes(again.out), baseline.shapes)
})

/**
 * Restores the first deploy's cache into a new checkout, lets `tamper`
 * change it, deploys in a new empty container and checks every function
 * is the first deploy's and answers as it; then the next build in the same
 * container succeeds. `outside`: directories that must not change.
 */
async function poisoned(tamper, { env = { GO_BUILDER_CACHE_SIGNING_KEY: KEY }, outside = [] } = {}) {
  const workPath = checkout()
  restoreFiles(cache, workPath)
  await tamper(workPath)
  const before = outside.map((dir) => snapshotTree(dir))
  const home = tempDir('home-b')
  const result = deploy(workPath, { home, env })
  assert.deepEqual(shapes(result.out), baseline.shapes, 'byte-identical to the first deploy')
  for (const [i, r] of result.out.entries()) assert.equal(await answer(r), baseline.answers[i], r.entrypoint)
  outside.forEach((dir, i) => assert.equal(diffSnapshots(before[i], snapshotTree(dir)), '', `${dir} is untouched`))
  const next = deploy(workPath, { home, env })
  assert.deepEqual(shapes(next.out), baseline.shapes, 'the next build')
  return result.out
}

const verificationFailed = (out, entrypoint) =>
  out.find((r) => r.entrypoint === entrypoint).log.some((l) => l === `${entrypoint}: cached program failed verification; rebuilding`)

describe('a poisoned deploy cache never changes what is deployed', () => {
  it('kept programs truncated, zero-filled and overwritten with text are rebuilt', async () => {
    const out = await poisoned((w) => {
      const a = keptProgram(w, 'api_a_go')
      fs.truncateSync(a, 1000)
      const b = keptProgram(w, 'api_b_go')
      fs.writeFileSync(b, Buffer.alloc(fs.statSync(b).size))
      fs.writeFileSync(keptProgram(w, 'api_c_index_go'), '#!/bin/sh\necho pwned\n')
    })
    assert.ok(verificationFailed(out, 'api/a.go'), out[0].log.join('\n'))
  })

  it('another function\'s program, a symlink to a binary outside the project and a missing record are not deployed', async () => {
    const outside = tempDir('outside')
    const out = await poisoned(
      (w) => {
        const c = keptProgram(w, 'api_c_index_go')
        fs.copyFileSync(c, path.join(outside, 'foreign'))
        const a = keptProgram(w, 'api_a_go')
        fs.copyFileSync(c, a) // answers "gamma" if deployed
        const b = keptProgram(w, 'api_b_go')
        fs.rmSync(b)
        fs.symlinkSync(path.join(outside, 'foreign'), b)
        fs.rmSync(`${keptProgram(w, 'api_c_index_go')}.record`)
      },
      { outside: [outside] },
    )
    assert.ok(verificationFailed(out, 'api/a.go'), out[0].log.join('\n'))
  })

  it('a foreign program with a rewritten record is refused: the record is not signed by the key', async () => {
    await poisoned((w) => {
      const a = keptProgram(w, 'api_a_go')
      const c = keptProgram(w, 'api_c_index_go')
      fs.copyFileSync(c, a)
      const record = JSON.parse(fs.readFileSync(`${a}.record`, 'utf8'))
      record.sha256 = sha256(c)
      record.size = fs.statSync(c).size
      record.facts = {}
      fs.writeFileSync(`${a}.record`, JSON.stringify(record))
    })
  })

  it('tampered modules are not compiled: an extracted go-bridge with an extra init, a forged .ziphash, a changed zip', async () => {
    await poisoned((w) => {
      const mod = path.join(w, '.vercel', 'cache', 'go', 'mod')
      // What Go would take as already extracted and verified.
      const [bridgeZip] = restored(w, /^mod\/cache\/download\/github\.com\/vercel\/go-bridge\/@v\/.*\.zip$/)
      assert.ok(bridgeZip, 'go-bridge is in the deploy cache')
      const version = path.basename(bridgeZip, '.zip')
      const extracted = path.join(mod, 'github.com', 'vercel', `go-bridge@${version}`, 'go', 'bridge')
      fs.mkdirSync(extracted, { recursive: true })
      fs.writeFileSync(path.join(extracted, 'zz_poison.go'), 'package bridge\n\nfunc init() { panic("poisoned go-bridge") }\n')
      fs.writeFileSync(path.join(extracted, 'bridge.go'), 'package bridge\n\nfunc init() { panic("poisoned go-bridge") }\n')
      fs.writeFileSync(`${bridgeZip}hash`, 'h1:forged=\n')
      const [uuidZip] = restored(w, /^mod\/cache\/download\/github\.com\/google\/uuid\/@v\/v1\.6\.0\.zip$/)
      const bytes = fs.readFileSync(uuidZip)
      bytes[bytes.length - 30] ^= 0xff
      fs.writeFileSync(uuidZip, bytes)
    })
  })

  it('a changed build-cache entry is dropped; symlinked cache folders write nothing outside', async () => {
    const outside = tempDir('outside')
    fs.writeFileSync(path.join(outside, 'precious'), 'keep me')
    await poisoned(
      (w) => {
        const entries = restored(w, /^build\/[0-9a-f]{2}\/[0-9a-f]{64}-d$/)
        assert.ok(entries.length > 10, 'build-cache entries were restored')
        const biggest = entries.sort((x, y) => fs.statSync(y).size - fs.statSync(x).size)[0]
        const bytes = fs.readFileSync(biggest)
        bytes[Math.floor(bytes.length / 2)] ^= 0xff
        fs.writeFileSync(biggest, bytes)
        // A build-cache folder and the kept-program folder point outside.
        const buildDir = path.dirname(entries[entries.length - 1])
        fs.rmSync(buildDir, { recursive: true })
        fs.symlinkSync(outside, buildDir)
        const lambdaDir = path.dirname(keptProgram(w, 'api_c_index_go'))
        fs.rmSync(lambdaDir, { recursive: true })
        fs.symlinkSync(outside, lambdaDir)
      },
      { outside: [outside] },
    )
  })

  it('with another signing key nothing restored is trusted, and the build is still the same', async () => {
    const out = await poisoned(() => {}, { env: { GO_BUILDER_CACHE_SIGNING_KEY: 'another key' } })
    assert.ok(
      out[0].log.some((l) => /^Restored deploy cache checked .*no manifest signed with GO_BUILDER_CACHE_SIGNING_KEY/.test(l)),
      out[0].log.join('\n'),
    )
    assert.ok(!out[0].log.some((l) => l.includes('reused')), 'the restored program is not reused')
  })
})

describe('prepareCache() input and scope', () => {
  it('a workPath that does not exist, or is not absolute, is a coded error and creates nothing', async () => {
    const base = tempDir('prepare')
    const missing = path.join(base, 'nope')
    for (const workPath of [missing, 'relative/dir']) {
      await assert.rejects(builder.prepareCache({ workPath }), (e) => e.code === 'GO_INVALID_OPTIONS')
    }
    assert.ok(!fs.existsSync(missing))
    assert.ok(!fs.existsSync(path.resolve('relative')))
  })

  it('a project that built no Go code gets nothing, on a machine that built another', () => {
    const other = checkout({ 'index.html': '<p>static</p>\n' })
    const res = spawnSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(ROOT)}).prepareCache({ workPath: ${JSON.stringify(other)} }).then((f) => console.log('FILES ' + Object.keys(f).length))`],
      { env: { PATH: process.env.PATH, HOME: home, GOTOOLCHAIN: 'local' }, encoding: 'utf8' },
    )
    assert.match(res.stdout, /^FILES 0$/m, res.stderr)
    assert.ok(!fs.existsSync(path.join(other, '.vercel')), 'no deploy cache created')
  })
})

describe('determinism across history', () => {
  it('a commit built after a series of other commits and settings is byte-identical to its cold build', () => {
    const { 'api/b.go': _sibling, ...withoutB } = PROJECT
    const workPath = checkout(withoutB)
    // Commit 1: a alone in its package (a program of its own, kept).
    deploy(workPath, { home })
    // Commit 2: a sibling joins the package and a changes.
    fs.writeFileSync(path.join(workPath, 'api', 'b.go'), PROJECT['api/b.go'])
    fs.writeFileSync(path.join(workPath, 'api', 'a.go'), handler('api', 'A', 'alpha v2'))
    deploy(workPath, { home })
    // Commit 3, built with passes off: each function a program of its own.
    fs.writeFileSync(path.join(workPath, 'api', 'a.go'), PROJECT['api/a.go'])
    deploy(workPath, { home, env: { GO_BUILDER_ONE_PASS: '0' } })
    // The same commit with the default settings: as the cold first deploy.
    const history = deploy(workPath, { home })
    assert.deepEqual(shapes(history.out), baseline.shapes)
    assert.equal(history.out[0].environment.GO_BUILDER_FUNCTION, 'api/a.go')
  })
})
