'use strict'

// The builder's own Go programs ship prebuilt (helpers/, made by
// scripts/build-helpers.js before the addon, whose build records their
// SHA-256). A prebuilt program is used only when its bytes match: with the
// package's own helpers nothing is compiled; a tampered analyzer or proxy
// is never run (a tampered analyzer that would leave a marker leaves none),
// the mismatch is logged and the program is compiled from source instead.

const { describe, it, before } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')

const { ROOT, FIXTURES, tempDir, loadBuilder } = require('./helpers')

before(() => {
  loadBuilder()
  assert.ok(fs.existsSync(path.join(ROOT, 'helpers', 'helpers.json')),
    'helpers/ is built (scripts/setup.js runs scripts/build-helpers.js)')
})

/** A copy of the package (JS layer, addon, helpers) whose helpers can be tampered with. */
function packageCopy() {
  const dir = path.join(tempDir('pkg'), 'go-builder')
  fs.mkdirSync(dir)
  for (const f of fs.readdirSync(ROOT)) {
    if (/^(index\.js|binding\.js|package\.json)$/.test(f) || f.endsWith('.node')) {
      fs.copyFileSync(path.join(ROOT, f), path.join(dir, f))
    }
  }
  fs.cpSync(path.join(ROOT, 'helpers'), path.join(dir, 'helpers'), { recursive: true })
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'))
  return dir
}

function project(fixture, entry) {
  const workPath = path.join(tempDir('prebuilt-ws'), 'p')
  fs.cpSync(path.join(FIXTURES, fixture), workPath, { recursive: true })
  return { workPath, entry }
}

async function buildWith(pkgDir, { workPath, entry }, config, cache) {
  const builder = require(pkgDir)
  const lines = []
  const log = console.log
  console.log = (...args) => lines.push(args.join(' '))
  try {
    const result = await builder.build({
      files: {}, entrypoint: entry, workPath, config,
      meta: { skipDownload: true, env: { GO_BUILDER_CACHE_DIR: cache } },
    })
    return { output: result.output, lines }
  } finally {
    console.log = log
  }
}

function compiledPrograms(cache) {
  const bin = path.join(cache, 'bin')
  return fs.existsSync(bin) ? fs.readdirSync(bin).filter((f) => !f.startsWith('.')) : []
}

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')

describe('prebuilt helper programs', () => {
  it('the package\'s own helpers are used: nothing is compiled', async () => {
    const cache = tempDir('prebuilt-cache')
    const { output } = await buildWith(packageCopy(), project('standalone/functions', 'main.go'), { framework: 'go' }, cache)
    assert.deepEqual(compiledPrograms(cache), [])
    const digests = JSON.parse(fs.readFileSync(path.join(ROOT, 'helpers', 'helpers.json'), 'utf8'))
    assert.equal(sha256(output.files.executable.fsPath), digests['executable-linux-amd64'])
  })

  it('a tampered analyzer is never run: the builder compiles its own and says why', async () => {
    const pkg = packageCopy()
    const marker = path.join(tempDir('marker'), 'ran')
    const analyzer = path.join(pkg, 'helpers', 'analyze-linux-amd64')
    fs.writeFileSync(analyzer, `#!/bin/sh\ntouch ${marker}\necho '{"ok":{"packageName":"x","functionName":"","renameOffsets":[],"siblings":[]}}'\n`)
    fs.chmodSync(analyzer, 0o755)
    const cache = tempDir('prebuilt-cache')
    const { output, lines } = await buildWith(pkg, project('handler/basic', 'api/index.go'), {}, cache)
    assert.ok(output.files.bootstrap, 'the build succeeds')
    assert.ok(!fs.existsSync(marker), 'the tampered analyzer never ran')
    assert.ok(lines.some((l) => /prebuilt analyze-linux-amd64 does not match the digest/.test(l)), lines.join('\n'))
    assert.ok(compiledPrograms(cache).some((f) => f.startsWith('analyze-')), 'compiled from source instead')
  })

  it('a tampered proxy never ships in a Lambda', async () => {
    const pkg = packageCopy()
    const proxy = path.join(pkg, 'helpers', 'executable-linux-amd64')
    fs.appendFileSync(proxy, 'tampered')
    const cache = tempDir('prebuilt-cache')
    const { output, lines } = await buildWith(pkg, project('standalone/functions', 'main.go'), { framework: 'go' }, cache)
    assert.notEqual(sha256(output.files.executable.fsPath), sha256(proxy))
    assert.ok(lines.some((l) => /prebuilt executable-linux-amd64 does not match the digest/.test(l)), lines.join('\n'))
    assert.ok(compiledPrograms(cache).some((f) => f.startsWith('executable-')))
  })
})
