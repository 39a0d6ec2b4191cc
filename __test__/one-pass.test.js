'use strict'

// build() of a project's handlers in one pass: the first call builds the
// other handlers the CLI would route in the same `go build` and keeps each
// program under a content key; the CLI's later calls (in its order) return
// the kept programs. Every function still answers correctly through a
// Lambda runtime emulator, a broken sibling changes nothing for the others,
// concurrent calls get correct results, and an edit between calls is seen.

const { describe, it, before } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const {
  loadBuilder,
  tempDir,
  writeFiles,
  runBuild,
  assertHandlerLambda,
  invokeLambda,
} = require('./helpers')

let builder
before(() => {
  builder = loadBuilder()
})

/** A handler in package `pkg` named `fn`, answering with `text` and lib's greeting. */
function handler(pkg, fn, text) {
  return [
    `package ${pkg}`,
    '',
    'import (',
    '\t"fmt"',
    '\t"net/http"',
    '',
    '\t"example.com/onepass/lib/greet"',
    ')',
    '',
    `func ${fn}(w http.ResponseWriter, r *http.Request) {`,
    `\tw.Header().Set("X-Fn", "${fn}")`,
    `\tfmt.Fprintf(w, "%s %s", ${JSON.stringify(text)}, greet.Hello(r.URL.Path))`,
    '}',
    '',
  ].join('\n')
}

const PROJECT = {
  'go.mod': 'module example.com/onepass\n\ngo 1.22\n',
  'lib/greet/greet.go': 'package greet\n\nfunc Hello(p string) string { return "greet:" + p }\n',
  'api/alpha.go': handler('api', 'Alpha', 'alpha says'),
  'api/beta.go': handler('api', 'Beta', 'beta says'),
  'api/[id].go': handler('api', 'ByID', 'id says'),
  'api/users/index.go': handler('users', 'Users', 'users say'),
  'api/orders/list.go': handler('orders', 'List', 'orders list'),
  // Not routed by the CLI: never candidates.
  'api/_internal/x.go': 'package internal\n\nfunc X() {}\n',
  'api/alpha_test.go': 'package api\n',
}

/** The CLI's order: files sorted, the routed handlers only. */
const ROUTED = ['api/[id].go', 'api/alpha.go', 'api/beta.go', 'api/orders/list.go', 'api/users/index.go']

function writeProject(files) {
  const root = path.join(tempDir('one-pass'), 'ws')
  const workPath = path.join(root, 'project')
  writeFiles(workPath, files)
  return { name: 'project', root, workPath, cache: tempDir('one-pass-cache') }
}

/** What the CLI passes as `files`: every file of the project. */
function filesOf(ws) {
  const files = {}
  const walk = (dir, rel) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) walk(path.join(dir, e.name), r)
      else files[r] = { type: 'FileFsRef', fsPath: path.join(dir, e.name) }
    }
  }
  walk(ws.workPath, '')
  return files
}

/** Runs `fn` with console.log captured; returns [result, lines]. */
async function capturingLog(fn) {
  const lines = []
  const original = console.log
  console.log = (...args) => lines.push(args.join(' '))
  try {
    return [await fn(), lines]
  } finally {
    console.log = original
  }
}

/** build() as the CLI calls it (files = the whole project); asserts the tree is untouched. */
async function build(ws, entrypoint, env = {}) {
  const [result, log] = await capturingLog(() =>
    runBuild(ws, {
      entrypoint,
      builder,
      files: filesOf(ws),
      env: { GO_BUILDER_CACHE_DIR: ws.cache, ...env },
    }),
  )
  assert.equal(result.diff, '', `build(${entrypoint}) changed the tree:\n${result.diff}`)
  return { output: result.output, error: result.error, log }
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

const EXPECTED = {
  'api/alpha.go': ['Alpha', 'alpha says greet:/x'],
  'api/beta.go': ['Beta', 'beta says greet:/x'],
  'api/[id].go': ['ByID', 'id says greet:/x'],
  'api/users/index.go': ['Users', 'users say greet:/x'],
  'api/orders/list.go': ['List', 'orders list greet:/x'],
}

async function assertAnswers(output, entrypoint) {
  assertHandlerLambda(output)
  const [fn, body] = EXPECTED[entrypoint]
  const res = await invokeLambda(output, { method: 'GET', path: '/x' })
  assert.equal(res.statusCode, 200, `${entrypoint}: ${res.body}`)
  assert.equal(res.headers['x-fn'], fn)
  assert.equal(res.body, body)
}

describe('one pass', () => {
  it('the first build() builds every routed handler of the module; the others reuse them and all answer', async () => {
    const ws = writeProject(PROJECT)
    const results = []
    for (const entrypoint of ROUTED) results.push([entrypoint, await build(ws, entrypoint)])
    const [first, ...rest] = results
    assert.ifError(first[1].error)
    assert.ok(
      first[1].log.some((l) => /^Built 5 of 5 functions in one pass in [\d.]+ s, as 3 programs \(/.test(l)),
      `one pass logged:\n${first[1].log.join('\n')}`,
    )
    for (const [entrypoint, r] of rest) {
      assert.ifError(r.error)
      assert.ok(r.log.some((l) => l.startsWith(`${entrypoint}: provided.al2023 x86_64,`) && l.includes('reused (sources unchanged)')),
        `${entrypoint} reused:\n${r.log.join('\n')}`)
      assert.ok(!r.log.some((l) => l.includes('one pass')), `${entrypoint} ran no pass`)
    }
    for (const [entrypoint, r] of results) await assertAnswers(r.output, entrypoint)
    // The three handlers of package api share one program, each function's
    // environment naming its entrypoint; the other packages' are their own.
    const byEntry = Object.fromEntries(results.map(([e, r]) => [e, r.output]))
    const shared = ['api/[id].go', 'api/alpha.go', 'api/beta.go']
    for (const entrypoint of shared) {
      assert.deepEqual(byEntry[entrypoint].environment, { GO_BUILDER_FUNCTION: entrypoint })
      assert.equal(sha256(byEntry[entrypoint].files.bootstrap.fsPath), sha256(byEntry['api/alpha.go'].files.bootstrap.fsPath))
    }
    for (const entrypoint of ['api/users/index.go', 'api/orders/list.go']) {
      assert.deepEqual(byEntry[entrypoint].environment, {})
    }
    // Started as no function of its own, the shared program says so and exits.
    const run = spawnSync(byEntry['api/alpha.go'].files.bootstrap.fsPath, [], {
      env: { GO_BUILDER_FUNCTION: 'api/nope.go' },
      encoding: 'utf8',
      timeout: 20000,
    })
    assert.notEqual(run.status, 0)
    assert.match(run.stderr, /GO_BUILDER_FUNCTION names none of the functions this program serves: api\/nope\.go/)
  })

  it('two checkouts at different paths give every function the same bytes', async () => {
    const digests = []
    for (const ws of [writeProject(PROJECT), writeProject(PROJECT)]) {
      const byEntry = {}
      for (const entrypoint of ROUTED) {
        const r = await build(ws, entrypoint)
        assert.ifError(r.error)
        byEntry[entrypoint] = sha256(r.output.files.bootstrap.fsPath)
      }
      digests.push(byEntry)
    }
    assert.deepEqual(digests[0], digests[1])
  })

  it('a broken sibling package: the others build, and its own error is exactly a lone build\'s', async () => {
    const broken = {
      ...PROJECT,
      'api/orders/list.go': PROJECT['api/orders/list.go'].replace('greet.Hello(r.URL.Path)', 'greet.Missing()'),
    }
    const ws = writeProject(broken)
    const alpha = await build(ws, 'api/alpha.go')
    assert.ifError(alpha.error)
    assert.ok(alpha.log.some((l) => /^Built 4 of 5 functions in one pass/.test(l)), alpha.log.join('\n'))
    await assertAnswers(alpha.output, 'api/alpha.go')
    const users = await build(ws, 'api/users/index.go')
    assert.ifError(users.error)
    await assertAnswers(users.output, 'api/users/index.go')
    const orders = await build(ws, 'api/orders/list.go')
    const lone = await build(writeProject(broken), 'api/orders/list.go', { GO_BUILDER_ONE_PASS: '0' })
    assert.equal(orders.error && orders.error.code, 'GO_BUILD_FAILED')
    assert.match(orders.error.message, /api\/orders\/list\.go:\d+:\d+: undefined: greet\.Missing/)
    assert.equal(orders.error.message, lone.error.message)
  })

  it('the requested function broken: its error is a lone build\'s, and its siblings still build', async () => {
    const broken = { ...PROJECT, 'api/users/index.go': PROJECT['api/users/index.go'].replace('fmt.Fprintf', 'fmt.Nope') }
    const ws = writeProject(broken)
    const users = await build(ws, 'api/users/index.go')
    const lone = await build(writeProject(broken), 'api/users/index.go', { GO_BUILDER_ONE_PASS: '0' })
    assert.equal(users.error && users.error.code, 'GO_BUILD_FAILED')
    assert.equal(users.error.message, lone.error.message)
    const beta = await build(ws, 'api/beta.go')
    assert.ifError(beta.error)
    assert.ok(beta.log.some((l) => l.includes('reused (sources unchanged)')), 'built by the first pass')
    await assertAnswers(beta.output, 'api/beta.go')
  })

  it('concurrent build() calls during a pass get correct results', async () => {
    const ws = writeProject(PROJECT)
    const results = await Promise.all(ROUTED.map((entrypoint) => build(ws, entrypoint)))
    for (const [i, entrypoint] of ROUTED.entries()) {
      assert.ifError(results[i].error)
      await assertAnswers(results[i].output, entrypoint)
    }
  })

  it('an edit to a handler between two calls is built, not served stale', async () => {
    const ws = writeProject(PROJECT)
    const alpha = await build(ws, 'api/alpha.go')
    assert.ifError(alpha.error)
    fs.writeFileSync(path.join(ws.workPath, 'api/beta.go'), handler('api', 'Beta', 'beta edited'))
    const beta = await build(ws, 'api/beta.go')
    assert.ifError(beta.error)
    assert.ok(!beta.log.some((l) => l.includes('reused')), 'rebuilt')
    const res = await invokeLambda(beta.output, { method: 'GET', path: '/x' })
    assert.equal(res.body, 'beta edited greet:/x')
    // The pass built alpha again with the edit; alpha still answers as alpha.
    const again = await build(ws, 'api/alpha.go')
    assert.ifError(again.error)
    await assertAnswers(again.output, 'api/alpha.go')
  })

  it('a workspace whose go.work replaces a module with a folder gives the same bytes at two checkout paths', async () => {
    // Go records a replacement's folder in the program: written as the
    // user wrote it (relative), not as an absolute path of one checkout.
    const files = {
      'go.work': 'go 1.22\n\nuse .\n\nreplace example.com/libx => ./libx\n',
      'libx/go.mod': 'module example.com/libx\n\ngo 1.22\n',
      'libx/x.go': 'package libx\n\nfunc Name() string { return "libx" }\n',
      'go.mod': 'module example.com/app\n\ngo 1.22\n\nrequire example.com/libx v0.0.0\n',
      'api/one.go': 'package api\n\nimport (\n\t"fmt"\n\t"net/http"\n\n\t"example.com/libx"\n)\n\nfunc One(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "one ", libx.Name()) }\n',
    }
    const outputs = []
    for (const ws of [writeProject(files), writeProject(files)]) {
      const r = await build(ws, 'api/one.go')
      assert.ifError(r.error)
      outputs.push(r.output)
    }
    assert.equal(sha256(outputs[0].files.bootstrap.fsPath), sha256(outputs[1].files.bootstrap.fsPath))
    assert.equal((await invokeLambda(outputs[1], { method: 'GET', path: '/' })).body, 'one libx')
  })

  it('handlers of a go.work workspace module build in one pass too', async () => {
    const ws = writeProject({
      'go.work': 'go 1.22\n\nuse (\n\t.\n\t./shared\n)\n',
      'shared/go.mod': 'module example.com/shared\n\ngo 1.22\n',
      'shared/s.go': 'package shared\n\nfunc Name() string { return "shared-module" }\n',
      'go.mod': 'module example.com/app\n\ngo 1.22\n\nrequire example.com/shared v0.0.0\n',
      'api/one.go': 'package api\n\nimport (\n\t"fmt"\n\t"net/http"\n\n\t"example.com/shared"\n)\n\nfunc One(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "one ", shared.Name()) }\n',
      'api/two.go': 'package api\n\nimport (\n\t"fmt"\n\t"net/http"\n)\n\nfunc Two(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "two") }\n',
    })
    const one = await build(ws, 'api/one.go')
    assert.ifError(one.error)
    assert.ok(one.log.some((l) => /^Built 2 of 2 functions in one pass/.test(l)), one.log.join('\n'))
    const two = await build(ws, 'api/two.go')
    assert.ifError(two.error)
    assert.ok(two.log.some((l) => l.includes('reused (sources unchanged)')), two.log.join('\n'))
    assert.equal((await invokeLambda(one.output, { method: 'GET', path: '/' })).body, 'one shared-module')
    assert.equal((await invokeLambda(two.output, { method: 'GET', path: '/' })).body, 'two')
  })
})
