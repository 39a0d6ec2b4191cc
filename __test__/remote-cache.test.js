'use strict'

// The remote cache (GO_BUILDER_REMOTE_CACHE) against a real S3-compatible
// server on loopback: MinIO, built from the Go module proxy (see
// helpers/minio.js). A machine is an empty HOME (so empty Go and builder
// caches), a TMPDIR and a checkout of its own at a path of its own; each
// build runs in a child node with only that environment.
//
// Machine A builds the project cold and fills the bucket. Machine B builds
// it with one handler changed: Go takes the standard library and the
// dependencies from the bucket (B compiles a handful of packages where A
// compiled hundreds), and the function whose module did not change comes
// from the bucket without Go. Then the bucket is attacked: another key,
// tampered objects, a connection cut mid-build, wrong credentials, a
// missing bucket, a server that stalls or is gone. Every build works and
// says in one line what the remote did.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const {
  ROOT,
  FIXTURES,
  tempDir,
  loadBuilder,
  invokeLambdaDir,
  startMinio,
  startProxy,
  stopMinios,
  freePort,
} = require('./helpers')

const BUCKET = 'builds'
const REMOTE = `s3://${BUCKET}/team`
const SIGNING_KEY = 'the-team-signing-key-0123456789'
const FIXTURE = path.join(FIXTURES, 'remote-cache', 'shop')
const HELLO = 'api/hello.go'
const USERS = 'api/users/index.go'
const X_FLAGS = '-x -ldflags "-s -w"'

let minio

before(async () => {
  loadBuilder()
  minio = await startMinio()
  await minio.s3.createBucket(BUCKET)
})

after(() => stopMinios())

/** A machine: an empty HOME, a TMPDIR, and a checkout of the project at a path of its own. */
function machine(name) {
  const base = tempDir(`remote-${name}`)
  const m = {
    name,
    home: path.join(base, 'home'),
    tmp: path.join(base, 'tmp'),
    work: path.join(base, `checkout-${name}`, 'shop'),
  }
  fs.mkdirSync(m.home)
  fs.mkdirSync(m.tmp)
  fs.cpSync(FIXTURE, m.work, { recursive: true })
  return m
}

/** The remote's variables, as a user sets them. */
function remoteEnv({ url = REMOTE, endpoint = minio.endpoint, key = SIGNING_KEY, secret = minio.secretAccessKey } = {}) {
  const env = {
    GO_BUILDER_REMOTE_CACHE: url,
    AWS_ACCESS_KEY_ID: minio.accessKeyId,
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: endpoint,
  }
  if (key) env.GO_BUILDER_CACHE_SIGNING_KEY = key
  return env
}

/** Changes the hello handler: `tag` goes into its code (so Go must compile it again). */
function changeHello(m, tag) {
  const file = path.join(m.work, HELLO)
  const source = fs.readFileSync(file, 'utf8')
  fs.writeFileSync(file, source.replace('fmt.Fprintf(w, "hello %s"', `w.Header().Set("X-Tag", ${JSON.stringify(tag)})\n\tfmt.Fprintf(w, "hello %s"`))
}

/**
 * Builds `entrypoints` one after the other on machine `m`, in a child node
 * whose environment is only the machine's (PATH, HOME, TMPDIR,
 * GOTOOLCHAIN=local, the module proxy settings) plus `env`. Resolves to
 * { [entrypoint]: { log, bootstrap } } and the whole output as `all`. (Not
 * spawnSync: a proxy of this process must keep serving meanwhile.)
 */
async function buildOn(m, entrypoints, env = {}) {
  const script = `
    const builder = require(${JSON.stringify(ROOT)})
    ;(async () => {
      for (const entrypoint of ${JSON.stringify(entrypoints)}) {
        console.log('BEGIN ' + entrypoint)
        const r = await builder.build({ files: {}, entrypoint, workPath: ${JSON.stringify(m.work)},
          config: {}, meta: { skipDownload: true } })
        // Let the last log lines of this build through before the next one starts.
        await new Promise((resolve) => setTimeout(resolve, 100))
        console.log('RESULT ' + JSON.stringify({ entrypoint, bootstrap: r.output.files.bootstrap.fsPath }))
      }
    })().catch((e) => { console.log('FAILED', e.code, e.message); process.exit(1) })`
  const res = await run(m, script, env)
  assert.equal(res.status, 0, `build on ${m.name} failed:\n${res.stdout}\n${res.stderr}`)
  const out = { all: res.stdout + res.stderr }
  for (const section of res.stdout.split(/^BEGIN /m).slice(1)) {
    const entrypoint = section.slice(0, section.indexOf('\n'))
    const result = JSON.parse(/^RESULT (.*)$/m.exec(section)[1])
    out[entrypoint] = { log: section, bootstrap: result.bootstrap }
  }
  return out
}

/** Runs `script` in a child node with machine `m`'s environment plus `env`. */
function run(m, script, env) {
  const childEnv = { PATH: process.env.PATH, HOME: m.home, TMPDIR: m.tmp, GOTOOLCHAIN: 'local', ...env }
  for (const key of ['GOPROXY', 'GONOSUMDB', 'GOPRIVATE', 'GOSUMDB']) {
    if (process.env[key]) childEnv[key] = process.env[key]
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 900000)
    child.on('error', reject)
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}

/** prepareCache() on machine `m`: { key: fsPath }. */
async function prepareOn(m) {
  const script = `
    const builder = require(${JSON.stringify(ROOT)})
    builder.prepareCache({ workPath: ${JSON.stringify(m.work)} }).then((files) => {
      console.log('FILES ' + JSON.stringify(Object.fromEntries(Object.entries(files).map(([k, f]) => [k, f.fsPath]))))
    })`
  const res = await run(m, script, {})
  assert.equal(res.status, 0, res.stderr)
  return JSON.parse(/^FILES (.*)$/m.exec(res.stdout)[1])
}

/** The build's remote line, parsed. */
function remoteLine(log) {
  const lines = log.split('\n').filter((l) => l.startsWith('Remote cache '))
  assert.equal(lines.length, 1, `one remote line per build:\n${lines.join('\n')}\n---\n${log}`)
  const line = lines[0]
  const m =
    /: (\d+) hits, (\d+) misses(?:, (\d+) rejected[^,]*)?(?:, (\d+) programs? reused)?, ([\d.]+) MB down, ([\d.]+) MB up \((\d+) uploads\)/.exec(
      line
    )
  assert.ok(m, `remote line: ${line}`)
  return {
    line,
    hits: Number(m[1]),
    misses: Number(m[2]),
    rejected: Number(m[3] || 0),
    programs: Number(m[4] || 0),
    down: Number(m[5]),
    up: Number(m[6]),
    uploads: Number(m[7]),
    off: /turned off for the rest of the build after: (.*) \(the local caches served\)/.exec(line),
  }
}

/** The compile commands `go build -x` printed. */
function compiles(log) {
  return log.split('\n').filter((l) => /\/compile\s/.test(l))
}

/** The function answers through @vercel/fun with its own text. */
async function answers(bootstrap, handlerText) {
  const dir = tempDir('remote-fn')
  fs.copyFileSync(bootstrap, path.join(dir, 'bootstrap'))
  fs.chmodSync(path.join(dir, 'bootstrap'), 0o755)
  const res = await invokeLambdaDir(dir, { method: 'GET', path: '/' })
  assert.equal(res.statusCode, 200)
  assert.match(res.body, handlerText)
}

async function objects(prefix = 'team/') {
  return minio.s3.list(BUCKET, prefix)
}

/** No file under `dirs` holds any of `secrets`. */
function assertNoSecretIn(dirs, secrets) {
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(p)
      else if (entry.isFile() && fs.statSync(p).size < 64 * 1024 * 1024) {
        const bytes = fs.readFileSync(p)
        for (const secret of secrets) assert.ok(!bytes.includes(secret), `${p} holds a secret`)
      }
    }
  }
  for (const dir of dirs) walk(dir)
}

describe('remote cache across machines', () => {
  let a
  let aLog
  let b
  let usersFromA

  it('machine A builds cold and fills the bucket', async (t) => {
    a = machine('a')
    aLog = await buildOn(a, [HELLO, USERS], { ...remoteEnv(), GO_BUILD_FLAGS: X_FLAGS })
    const hello = remoteLine(aLog[HELLO].log)
    t.diagnostic(hello.line)
    assert.equal(hello.hits, 0, hello.line)
    assert.ok(hello.misses > 50, `every package was looked for: ${hello.line}`)
    assert.ok(hello.uploads > 50 && hello.up > 1, `what Go compiled went up: ${hello.line}`)
    assert.equal(hello.off, null, hello.line)
    assert.ok(compiles(aLog[HELLO].log).length > 50, 'a cold build compiles the standard library')
    const keys = (await objects()).map((o) => o.key)
    assert.ok(keys.filter((k) => k.startsWith('team/go/')).length > 50, 'Go entries in the bucket')
    assert.equal(keys.filter((k) => k.startsWith('team/lambda/')).length, 2, 'both programs in the bucket')
    usersFromA = fs.readFileSync(aLog[USERS].bootstrap)
    await answers(aLog[HELLO].bootstrap, /^hello [0-9a-f-]{36}$/)
    await answers(aLog[USERS].bootstrap, /^users: ada, grace$/)
  })

  it('machine B, another path, one handler changed: Go takes std and deps from the bucket, the unchanged function comes from it without Go', async (t) => {
    b = machine('b')
    changeHello(b, 'b')
    const out = await buildOn(b, [HELLO, USERS], { ...remoteEnv(), GO_BUILD_FLAGS: X_FLAGS })
    const hello = remoteLine(out[HELLO].log)
    t.diagnostic(hello.line)
    assert.ok(hello.hits > 50 && hello.down > 1, `std and deps came from the bucket: ${hello.line}`)
    assert.equal(hello.rejected, 0, hello.line)
    const compiledA = compiles(aLog[HELLO].log).length
    const compiledB = compiles(out[HELLO].log)
    assert.ok(compiledB.length <= 3, `B compiled only what changed:\n${compiledB.join('\n')}`)
    assert.ok(compiledB.length * 20 < compiledA, `B ${compiledB.length} vs A ${compiledA} compiles`)
    assert.ok(hello.uploads >= 1, `B shared what it compiled: ${hello.line}`)
    await answers(out[HELLO].bootstrap, /^hello [0-9a-f-]{36}$/)

    const users = remoteLine(out[USERS].log)
    t.diagnostic(users.line)
    assert.equal(users.programs, 1, `the program came from the bucket: ${users.line}`)
    assert.match(out[USERS].log, /api\/users\/index\.go: .* reused/)
    assert.deepEqual(compiles(out[USERS].log), [], 'no Go ran for it')
    assert.doesNotMatch(out[USERS].log, /\/link\s/, 'nothing linked')
    assert.ok(fs.readFileSync(out[USERS].bootstrap).equals(usersFromA), "A's program, byte for byte")
    await answers(out[USERS].bootstrap, /^users: ada, grace$/)
  })

  it("prepareCache() keeps what B's build took from the bucket: a restored deploy without the remote compiles only its change", async () => {
    const files = await prepareOn(b)
    assert.ok(Object.keys(files).some((k) => k.startsWith('.vercel/cache/go/build/')), 'the Go build cache')
    const next = machine('b-next')
    changeHello(next, 'b-next')
    for (const [key, fsPath] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(next.work, key)), { recursive: true })
      fs.copyFileSync(fsPath, path.join(next.work, key))
    }
    const out = await buildOn(next, [HELLO], { GO_BUILD_FLAGS: X_FLAGS })
    const compiled = compiles(out[HELLO].log)
    assert.ok(compiled.length >= 1 && compiled.length <= 3, `only the changed package:\n${compiled.join('\n')}`)
    await answers(out[HELLO].bootstrap, /^hello [0-9a-f-]{36}$/)
  })

  it("read with another signing key, A's objects are misses", async () => {
    const c = machine('other-key')
    // Read only: this machine must not write its own objects over A's.
    const out = await buildOn(c, [USERS], { ...remoteEnv({ key: 'another-key', url: `${REMOTE}?mode=read` }), GO_BUILD_FLAGS: X_FLAGS })
    const users = remoteLine(out[USERS].log)
    assert.equal(users.hits, 0, users.line)
    assert.ok(users.rejected > 50, `every object was refused: ${users.line}`)
    assert.ok(compiles(out[USERS].log).length > 50, 'everything was compiled here')
    assert.ok(fs.readFileSync(out[USERS].bootstrap).equals(usersFromA), 'the same program all the same')
    await answers(out[USERS].bootstrap, /^users: ada, grace$/)
  })

  it('a tampered object is a miss', async () => {
    const all = await objects()
    const program = all.filter((o) => o.key.startsWith('team/lambda/'))
    // The largest Go entry (a package every handler links, like runtime).
    const largest = all.filter((o) => o.key.startsWith('team/go/')).sort((x, y) => y.size - x.size)[0]
    for (const { key } of [...program, largest]) {
      const bytes = await minio.s3.get(BUCKET, key)
      bytes[bytes.length - 1] ^= 0xff
      await minio.s3.put(BUCKET, key, bytes)
    }
    const d = machine('tampered')
    const out = await buildOn(d, [USERS], { ...remoteEnv(), GO_BUILD_FLAGS: X_FLAGS })
    const users = remoteLine(out[USERS].log)
    assert.equal(users.programs, 0, users.line)
    assert.equal(users.rejected, 2, `the program and the Go entry were refused: ${users.line}`)
    assert.ok(users.hits > 50, users.line)
    assert.ok(compiles(out[USERS].log).length >= 1, 'the refused package was compiled here')
    assert.ok(fs.readFileSync(out[USERS].bootstrap).equals(usersFromA), 'the same program as A')
    await answers(out[USERS].bootstrap, /^users: ada, grace$/)
  })

  it('the server gone in the middle of the build: the build finishes with the local caches', async (t) => {
    const proxy = await startProxy(minio.endpoint)
    try {
      const e = machine('cut')
      changeHello(e, 'cut')
      proxy.cutAfter(4 * 1024 * 1024)
      const out = await buildOn(e, [HELLO], { ...remoteEnv({ endpoint: proxy.endpoint }), GO_BUILD_FLAGS: X_FLAGS })
      const hello = remoteLine(out[HELLO].log)
      t.diagnostic(hello.line)
      assert.ok(hello.hits > 0, `some came before the cut: ${hello.line}`)
      assert.ok(hello.off, `the remote was turned off: ${hello.line}`)
      assert.ok(compiles(out[HELLO].log).length > 3, 'the rest was compiled here')
      await answers(out[HELLO].bootstrap, /^hello [0-9a-f-]{36}$/)
    } finally {
      proxy.close()
    }
  })

  describe('faults never fail a build, and say why in one line', () => {
    // A's warm machine, its hello changed each time: the bucket is asked
    // for the program first, and fails.
    let n = 0
    async function faulty(t, env, why) {
      changeHello(a, `fault-${++n}`)
      const out = await buildOn(a, [HELLO], env)
      const hello = remoteLine(out[HELLO].log)
      t.diagnostic(hello.line)
      assert.ok(hello.off, `turned off: ${hello.line}`)
      assert.match(hello.off[1], why)
      assert.ok(!out.all.includes(minio.secretAccessKey) && !out.all.includes(SIGNING_KEY), 'no secret in the log')
      await answers(out[HELLO].bootstrap, /^hello [0-9a-f-]{36}$/)
    }

    it('wrong credentials', async (t) => {
      await faulty(t, remoteEnv({ secret: 'not-the-secret' }), /SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied/)
    })

    it('a missing bucket', async (t) => {
      await faulty(t, remoteEnv({ url: 's3://no-such-bucket/team' }), /NoSuchBucket/)
    })

    it('nothing listening', async (t) => {
      const port = await freePort()
      await faulty(t, remoteEnv({ endpoint: `http://127.0.0.1:${port}` }), /onnection refused|error sending request|connect/)
    })

    it('a server that stops answering', async (t) => {
      const proxy = await startProxy(minio.endpoint)
      proxy.stall()
      try {
        await faulty(t, remoteEnv({ endpoint: proxy.endpoint }), /no answer within 2 s/)
      } finally {
        proxy.close()
      }
    })

    it('no secret on disk', () => {
      const secrets = [minio.secretAccessKey, SIGNING_KEY, 'not-the-secret'].map((s) => Buffer.from(s))
      assertNoSecretIn([a.home, a.tmp, a.work], secrets)
    })
  })

  it('?mode=read reads without writing', async () => {
    const f = machine('preview')
    changeHello(f, 'preview')
    const before = (await objects()).length
    const out = await buildOn(f, [HELLO], remoteEnv({ url: `${REMOTE}?mode=read` }))
    const hello = remoteLine(out[HELLO].log)
    assert.match(hello.line, /\(read only\)/)
    assert.ok(hello.hits > 50, hello.line)
    assert.equal(hello.uploads, 0, hello.line)
    assert.equal((await objects()).length, before, 'nothing was written')
    await answers(out[HELLO].bootstrap, /^hello [0-9a-f-]{36}$/)
  })

  it('without a signing key the bucket is only written to, unsigned', async () => {
    changeHello(a, 'unsigned')
    const before = new Set((await objects()).map((o) => o.key))
    const out = await buildOn(a, [HELLO], remoteEnv({ key: null }))
    const hello = remoteLine(out[HELLO].log)
    assert.match(hello.line, /write only/)
    assert.equal(hello.hits + hello.misses + hello.rejected, 0, `nothing was read: ${hello.line}`)
    assert.ok(hello.uploads >= 1, hello.line)
    const added = (await objects()).filter((o) => !before.has(o.key))
    assert.ok(added.length > 0 && added.every((o) => o.key.startsWith('team/unsigned/')),
      'unsigned objects go beside the signed ones, never over them')
    const program = added.find((o) => o.key.startsWith('team/unsigned/lambda/'))
    assert.ok(program, 'the new program went up')
    const lines = (await minio.s3.get(BUCKET, program.key)).subarray(0, 4096).toString('latin1').split('\n')
    assert.equal(lines[2], '', 'no signature')
  })

  it('unset: no remote line, nothing read or written', async () => {
    changeHello(a, 'local')
    const before = (await objects()).length
    const out = await buildOn(a, [HELLO])
    assert.doesNotMatch(out.all, /Remote cache/)
    assert.equal((await objects()).length, before)
  })
})
