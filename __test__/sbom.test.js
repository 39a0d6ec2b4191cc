'use strict'

// The SBOM of every function and the opt-in vulnerability report.
//
// A real project (handler/sbom: github.com/google/uuid and
// github.com/go-chi/chi/v5 from the module proxy, golang.org/x/text required
// but imported by nothing) is built; diagnostics() returns the function's
// CycloneDX 1.6 SBOM, checked against what Go itself reads from the program
// (`go version -m -json`), against the official JSON schema, and for
// byte-identity across checkout paths and kept-program reuse. The scan runs
// the real govulncheck (installed by the builder into its cache) against a
// database the test writes in the GOVULNDB layout, served from 127.0.0.1 or
// read through a file:// URL.

const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const CDX = require('@cyclonedx/cyclonedx-library')

const {
  loadBuilder,
  tempDir,
  copyFixture,
  editFile,
  removeTempDirs,
  runBuild,
  buildOk,
  buildFails,
  invokeLambda,
  nameUUID,
  UUID_NAMESPACE,
  recordStdout,
  freePort,
  osvEntry,
  writeVulnDb,
  serveVulnDb,
} = require('./helpers')

const HELLO = 'go/sbom/api/hello.cdx.json'
const ROUTES = 'go/sbom/api/routes.cdx.json'
/** What the CLI passes as `files` for the two handlers (the keys are what one pass reads). */
const FILES = { 'api/hello.go': {}, 'api/routes.go': {}, 'go.mod': {}, 'go.sum': {} }

let builder
before(() => {
  builder = loadBuilder()
})
after(removeTempDirs)

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

/** build() of `entrypoint` with `env`, its log lines, and diagnostics() with the same options. */
async function buildWithDiagnostics(ws, entrypoint, { env = {}, files = {}, config = {}, mustFail = false } = {}) {
  const opts = { entrypoint, env: { TMPDIR: ws.tmp, ...env }, files, config }
  const { result, lines } = await recordStdout(() => (mustFail ? buildFails(ws, opts) : buildOk(ws, opts)))
  const diagnostics = await builder.diagnostics({
    files,
    entrypoint,
    workPath: ws.workPath,
    config,
    meta: { skipDownload: true, env: opts.env },
  })
  return { result, log: lines.map((l) => l.line), diagnostics }
}

function sbomOf(diagnostics, name = HELLO) {
  assert.ok(diagnostics[name], `diagnostics() returns ${name}: ${Object.keys(diagnostics)}`)
  return String(diagnostics[name].data)
}

/** The modules Go reads from `program`: name, version and the SHA-256 its h1: checksum is. */
function goModules(program) {
  const info = JSON.parse(execFileSync('go', ['version', '-m', '-json', program], { encoding: 'utf8' }))
  const h1 = (sum) => (sum ? Buffer.from(sum.slice(3), 'base64').toString('hex') : undefined)
  const modules = [{ name: info.Main.Path, version: info.Main.Version, sha256: h1(info.Main.Sum) }]
  for (const dep of info.Deps || []) {
    const linked = dep.Replace || dep
    modules.push({ name: linked.Path, version: linked.Version, sha256: h1(linked.Sum) })
  }
  modules.push({ name: 'std', version: info.GoVersion, sha256: undefined })
  return { info, modules: modules.sort((a, b) => a.name.localeCompare(b.name)) }
}

function libraries(bom) {
  return bom.components
    .filter((c) => c.type === 'library')
    .map((c) => ({ name: c.name, version: c.version, sha256: c.hashes && c.hashes[0].content }))
    .sort((a, b) => a.name.localeCompare(b.name))
}

describe('the SBOM of a function', () => {
  it('lists exactly the modules Go linked into its program, validates against CycloneDX 1.6, and describes the function', async () => {
    const ws = copyFixture('handler/sbom')
    const env = { GO_BUILDER_CACHE_DIR: tempDir('sbom-cache'), GO_BUILDER_ONE_PASS: '0' }
    const { result: lambda, diagnostics } = await buildWithDiagnostics(ws, 'api/hello.go', { env })
    assert.ok(diagnostics['package-manifest.json'], 'the package manifest is still returned')
    const text = sbomOf(diagnostics)
    const bom = JSON.parse(text)

    const errors = await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(text)
    assert.equal(errors, null, `schema errors: ${JSON.stringify(errors, null, 2)}`)
    assert.equal(bom.bomFormat, 'CycloneDX')
    assert.equal(bom.specVersion, '1.6')
    assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f-]{36}$/)
    assert.ok(!('timestamp' in bom.metadata), 'no timestamp')

    const bootstrap = lambda.files.bootstrap.fsPath
    const { info, modules } = goModules(bootstrap)
    assert.deepEqual(libraries(bom), modules, 'one library component per module `go version -m` reports')
    const names = modules.map((m) => m.name)
    assert.ok(names.includes('github.com/google/uuid') && names.includes('github.com/go-chi/chi/v5'),
      `the modules of the packages its package imports: ${names}`)
    assert.ok(!names.includes('golang.org/x/text'), 'a module go.mod requires but nothing imports is not linked')
    assert.ok(!text.includes('golang.org/x/text'), 'and not in the SBOM')
    const uuid = bom.components.find((c) => c.name === 'github.com/google/uuid')
    assert.equal(uuid.purl, 'pkg:golang/github.com/google/uuid@v1.6.0?type=module')
    assert.deepEqual(uuid.properties, [{ name: 'go:module:sum', value: 'h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=' }])

    const program = bom.components.find((c) => c.type === 'application')
    assert.equal(program.name, 'bootstrap')
    assert.deepEqual(program.hashes, [{ alg: 'SHA-256', content: sha256(bootstrap) }])
    const props = Object.fromEntries(program.properties.map((p) => [p.name, p.value]))
    assert.equal(props['cdx:gomod:build:env:GOVERSION'], info.GoVersion)
    assert.equal(props['cdx:gomod:build:env:GOOS'], 'linux')
    assert.equal(props['cdx:gomod:build:env:GOARCH'], 'amd64')
    assert.equal(props['go:buildinfo:path'], info.Path)
    for (const { Key, Value } of info.Settings) assert.equal(props[`go:buildinfo:setting:${Key}`], Value, Key)
    assert.equal(props['go:program:symbol-table'], 'false', 'linked with -s')

    const fn = bom.metadata.component
    assert.equal(fn.name, 'api/hello')
    const fnProps = Object.fromEntries(fn.properties.map((p) => [p.name, p.value]))
    assert.deepEqual(fnProps, {
      'vercel:function:entrypoint': 'api/hello.go',
      'vercel:function:runtime': lambda.runtime,
      'vercel:function:handler': lambda.handler,
      'vercel:function:architecture': lambda.architecture,
    })
    assert.deepEqual(bom.dependencies[0], { ref: fn['bom-ref'], dependsOn: [program['bom-ref']] })
    assert.equal(bom.vulnerabilities, undefined, 'no scan, no vulnerabilities section')

    for (const place of [ws.base, os.tmpdir(), os.homedir()]) {
      assert.ok(!text.includes(place), `no absolute path (${place}) in the SBOM`)
    }
    // The program it describes is the one that answers.
    const res = await invokeLambda(lambda, { method: 'GET', path: '/api/hello' })
    assert.equal(res.body, nameUUID('md5', UUID_NAMESPACE.URL, '/api/hello'))
  })

  it('is byte-identical for the same commit at two checkout paths, built or reused from the kept programs', async () => {
    const cache = tempDir('sbom-repro-cache')
    const built = []
    for (const [label, cacheDir] of [['first', cache], ['reused', cache], ['fresh cache', tempDir('sbom-repro-fresh')]]) {
      const ws = copyFixture('handler/sbom')
      const env = { GO_BUILDER_CACHE_DIR: cacheDir, GO_BUILDER_ONE_PASS: '0' }
      const { result, log, diagnostics } = await buildWithDiagnostics(ws, 'api/hello.go', { env })
      built.push({ label, log, text: sbomOf(diagnostics), digest: sha256(result.files.bootstrap.fsPath) })
    }
    assert.ok(built[1].log.some((l) => /api\/hello\.go: .*reused/.test(l)), `the second build reused the kept program:\n${built[1].log.join('\n')}`)
    assert.ok(!built[2].log.some((l) => /reused/.test(l)), 'the third built with Go')
    for (const { label, text, digest } of built.slice(1)) {
      assert.equal(digest, built[0].digest, `${label}: the same program`)
      assert.equal(text, built[0].text, `${label}: the same SBOM bytes`)
    }
  })

  it('a program shared by the functions of one package: each function gets its own SBOM of that program', async () => {
    const ws = copyFixture('handler/sbom')
    const env = { GO_BUILDER_CACHE_DIR: tempDir('sbom-shared-cache') }
    const hello = await buildWithDiagnostics(ws, 'api/hello.go', { env, files: FILES })
    assert.ok(hello.log.some((l) => /in one pass/.test(l)), hello.log.join('\n'))
    const routes = await buildWithDiagnostics(ws, 'api/routes.go', { env, files: FILES })
    assert.ok(routes.log.some((l) => /api\/routes\.go: .*reused/.test(l)), routes.log.join('\n'))
    assert.deepEqual(Object.keys(hello.diagnostics).sort(), [HELLO, 'package-manifest.json'])
    assert.deepEqual(Object.keys(routes.diagnostics).sort(), [ROUTES, 'package-manifest.json'])

    const digest = sha256(hello.result.files.bootstrap.fsPath)
    assert.equal(sha256(routes.result.files.bootstrap.fsPath), digest, 'one program')
    for (const [result, diagnostics, name, entrypoint] of [
      [hello.result, hello.diagnostics, HELLO, 'api/hello.go'],
      [routes.result, routes.diagnostics, ROUTES, 'api/routes.go'],
    ]) {
      const bom = JSON.parse(sbomOf(diagnostics, name))
      assert.equal(bom.metadata.component.name, entrypoint.replace(/\.go$/, ''))
      const fnProps = Object.fromEntries(bom.metadata.component.properties.map((p) => [p.name, p.value]))
      assert.equal(fnProps['vercel:function:entrypoint'], entrypoint)
      assert.equal(fnProps['vercel:function:environment:GO_BUILDER_FUNCTION'], entrypoint,
        'the environment that picks the function\'s handler')
      assert.deepEqual(result.environment, { GO_BUILDER_FUNCTION: entrypoint })
      assert.equal(bom.components[0].hashes[0].content, digest)
      assert.deepEqual(libraries(bom), goModules(result.files.bootstrap.fsPath).modules)
      const names = libraries(bom).map((m) => m.name)
      assert.ok(names.includes('github.com/go-chi/chi/v5') && names.includes('github.com/google/uuid'),
        `the shared program links both functions' modules: ${names}`)
    }
  })

  it('a standalone server: both programs of its Lambda, the server and the platform proxy, under the CLI\'s function name', async () => {
    const ws = copyFixture('standalone/chi-api')
    const env = { GO_BUILDER_CACHE_DIR: tempDir('sbom-standalone-cache') }
    const { result: lambda, diagnostics } = await buildWithDiagnostics(ws, 'index.go', { env, config: { framework: 'go' } })
    const text = sbomOf(diagnostics, 'go/sbom/index.cdx.json')
    assert.equal(await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(text), null)
    const bom = JSON.parse(text)
    assert.equal(bom.metadata.component.name, 'index')
    const fnProps = Object.fromEntries(bom.metadata.component.properties.map((p) => [p.name, p.value]))
    assert.equal(fnProps['vercel:function:entrypoint'], 'cmd/api/main.go', 'the file the sentinel resolved to')
    assert.equal(fnProps['vercel:function:runtime'], 'executable')
    const programs = bom.components.filter((c) => c.type === 'application')
    assert.deepEqual(programs.map((p) => p.name), ['executable', 'user-server'])
    for (const program of programs) {
      const file = lambda.files[program.name].fsPath
      assert.equal(program.hashes[0].content, sha256(file), program.name)
      const { modules } = goModules(file)
      const dependsOn = bom.dependencies.find((d) => d.ref === program['bom-ref']).dependsOn
      const listed = bom.components.filter((c) => dependsOn.includes(c['bom-ref']))
        .map((c) => ({ name: c.name, version: c.version, sha256: c.hashes && c.hashes[0].content }))
        .sort((a, b) => a.name.localeCompare(b.name))
      assert.deepEqual(listed, modules, `${program.name}: the modules Go linked into it`)
    }
    const server = bom.dependencies.find((d) => d.ref === 'program:user-server').dependsOn
    assert.ok(server.includes('pkg:golang/github.com/go-chi/chi/v5@v5.5.0?type=module'), server)
  })

  it('a failed build reports no earlier build\'s SBOM', async () => {
    const ws = copyFixture('handler/sbom')
    const env = { GO_BUILDER_CACHE_DIR: tempDir('sbom-failed-cache'), GO_BUILDER_ONE_PASS: '0' }
    const ok = await buildWithDiagnostics(ws, 'api/hello.go', { env })
    sbomOf(ok.diagnostics)
    editFile(path.join(ws.workPath, 'api', 'hello.go'), 'package api\n\nfunc Hello( {\n')
    const { diagnostics } = await buildWithDiagnostics(ws, 'api/hello.go', { env, mustFail: true })
    assert.equal(diagnostics[HELLO], undefined)
  })
})

describe('GO_BUILDER_VULNCHECK', () => {
  // One builder cache for the scans: govulncheck is installed into it once
  // (Go's build cache, shared between runs, makes that a link).
  let cache
  let db
  let server
  let fileDb
  before(async () => {
    cache = tempDir('vulncheck-cache')
    const entries = [
      // Called by api/hello.go.
      osvEntry({ id: 'GO-2099-0001', module: 'github.com/google/uuid', symbols: ['NewMD5'], fixed: '1.6.1',
        summary: 'NewMD5 is vulnerable', aliases: ['CVE-2099-0001'] }),
      // In the module the program links, but a function it never calls.
      osvEntry({ id: 'GO-2099-0002', module: 'github.com/google/uuid', symbols: ['NewRandomFromReader'], fixed: '1.6.1' }),
      // In a module go.mod requires that the program does not link.
      osvEntry({ id: 'GO-2099-0003', module: 'golang.org/x/text', pkg: 'golang.org/x/text/language', symbols: ['Parse'] }),
    ]
    db = tempDir('vulndb')
    fileDb = writeVulnDb(db, entries)
    server = await serveVulnDb(db)
  })
  after(async () => {
    if (server) await server.close()
  })

  const scanEnv = (mode, extra = {}) => ({
    GO_BUILDER_CACHE_DIR: cache,
    GO_BUILDER_ONE_PASS: '0',
    GO_BUILDER_VULNCHECK: mode,
    GOVULNDB: server.url,
    ...extra,
  })

  it('warn: one line per finding in a linked module, the build succeeds, and the SBOM lists the vulnerability', async () => {
    const ws = copyFixture('handler/sbom')
    const { log, diagnostics } = await buildWithDiagnostics(ws, 'api/hello.go', { env: scanEnv('warn') })
    const findings = log.filter((l) => l.startsWith('Vulnerability GO-'))
    assert.deepEqual(findings, [
      'Vulnerability GO-2099-0001 in function api/hello: github.com/google/uuid@v1.6.0 (fixed in v1.6.1), links the vulnerable module version (uuid.NewMD5)',
      'Vulnerability GO-2099-0002 in function api/hello: github.com/google/uuid@v1.6.0 (fixed in v1.6.1), links the vulnerable module version (uuid.NewRandomFromReader)',
    ], log.join('\n'))
    assert.ok(log.some((l) => /bootstrap has no symbol table/.test(l)), 'says why the report is per module version')
    assert.ok(server.requests.includes('index/modules.json.gz'), `the database was read over HTTP: ${server.requests}`)
    assert.ok(!server.requests.includes('ID/GO-2099-0003.json.gz'), 'a module the program does not link is not even looked up')

    const text = sbomOf(diagnostics)
    const errors = await new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6).validate(text)
    assert.equal(errors, null, JSON.stringify(errors, null, 2))
    const bom = JSON.parse(text)
    assert.deepEqual(bom.vulnerabilities.map((v) => v.id), ['GO-2099-0001', 'GO-2099-0002'])
    const [v] = bom.vulnerabilities
    assert.equal(v.description, 'NewMD5 is vulnerable')
    assert.deepEqual(v.references.map((r) => r.id), ['CVE-2099-0001'])
    assert.equal(v.recommendation, 'Upgrade github.com/google/uuid to v1.6.1 or newer')
    assert.deepEqual(v.affects, [{ ref: 'pkg:golang/github.com/google/uuid@v1.6.0?type=module', versions: [{ version: 'v1.6.0', status: 'affected' }] }])
    assert.ok(bom.components.some((c) => c['bom-ref'] === v.affects[0].ref))
    assert.deepEqual(bom.metadata.tools.components.map((t) => `${t.name}@${t.version}`).slice(1), ['govulncheck@v1.9.0'])
  })

  it('with a symbol table (-ldflags=-w) only the vulnerable functions the program contains are reported', async () => {
    const ws = copyFixture('handler/sbom')
    const { log, diagnostics } = await buildWithDiagnostics(ws, 'api/hello.go', {
      env: scanEnv('warn', { GO_BUILD_FLAGS: '-ldflags=-w', GOVULNDB: fileDb }),
    })
    assert.deepEqual(log.filter((l) => l.startsWith('Vulnerability GO-')), [
      'Vulnerability GO-2099-0001 in function api/hello: github.com/google/uuid@v1.6.0 (fixed in v1.6.1), calls uuid.NewMD5',
    ], log.join('\n'))
    const bom = JSON.parse(sbomOf(diagnostics))
    assert.deepEqual(bom.vulnerabilities.map((v) => v.id), ['GO-2099-0001'])
    const props = bom.vulnerabilities[0].properties.map((p) => `${p.name}=${p.value}`)
    assert.deepEqual(props, ['go:vulncheck:program=bootstrap', 'go:vulncheck:precision=function', 'go:vulncheck:symbol=uuid.NewMD5'])
  })

  it('error: the build fails with GO_VULNERABILITIES_FOUND listing the findings, and leaves no Lambda behind', async () => {
    const ws = copyFixture('handler/sbom')
    const { result, diagnostics } = await buildWithDiagnostics(ws, 'api/hello.go', {
      env: scanEnv('error', { GO_BUILD_FLAGS: '-ldflags=-w' }),
      mustFail: true,
    })
    assert.equal(result.error.code, 'GO_VULNERABILITIES_FOUND')
    assert.match(result.error.message, /Known vulnerabilities are in function api\/hello/)
    assert.match(result.error.message, /\n  GO-2099-0001: github\.com\/google\/uuid@v1\.6\.0 \(fixed in v1\.6\.1\), calls uuid\.NewMD5$/)
    assert.doesNotMatch(result.error.message, /GO-2099-0002|GO-2099-0003/)
    assert.equal(diagnostics[HELLO], undefined)
    const left = fs.readdirSync(ws.tmp).filter((n) => n.startsWith('go-builder-out-'))
    assert.deepEqual(left, [], 'the Lambda folder of the failed build is removed')
  })

  it('an unreachable database is a warning under warn (the build succeeds), and GO_VULNCHECK_FAILED under error', async () => {
    const ws = copyFixture('handler/sbom')
    const closed = `http://127.0.0.1:${await freePort()}`
    const warned = await buildWithDiagnostics(ws, 'api/hello.go', { env: scanEnv('warn', { GOVULNDB: closed }) })
    const warning = warned.log.find((l) => l.startsWith('Warning: the vulnerability scan of function api/hello did not run'))
    assert.ok(warning && warning.includes(closed), warned.log.join('\n'))
    assert.equal(JSON.parse(sbomOf(warned.diagnostics)).vulnerabilities, undefined, 'no scan, no vulnerabilities section')
    const failed = await buildWithDiagnostics(ws, 'api/hello.go', { env: scanEnv('error', { GOVULNDB: closed }), mustFail: true })
    assert.equal(failed.result.error.code, 'GO_VULNCHECK_FAILED')
  })

  it('a clean scan says so, and the SBOM has an empty vulnerabilities list', async () => {
    const ws = copyFixture('handler/sbom')
    const empty = tempDir('vulndb-empty')
    const { log, diagnostics } = await buildWithDiagnostics(ws, 'api/hello.go', {
      env: scanEnv('warn', { GOVULNDB: writeVulnDb(empty, []) }),
    })
    assert.ok(log.some((l) => /^Vulnerability scan of function api\/hello: no known vulnerabilities \(govulncheck v1\.9\.0, file:/.test(l)), log.join('\n'))
    assert.deepEqual(JSON.parse(sbomOf(diagnostics)).vulnerabilities, [])
  })

  it('a tampered govulncheck in the cache is never run: it is installed again', async () => {
    const tools = path.join(cache, 'tools')
    const [tool] = fs.readdirSync(tools)
      .filter((n) => /^govulncheck-v1\.9\.0-[0-9a-f]+$/.test(n))
      .map((n) => path.join(tools, n))
    assert.ok(tool, 'installed into the builder\'s cache by the tests above')
    const marker = path.join(tempDir('tampered'), 'ran')
    fs.writeFileSync(tool, `#!/bin/sh\ntouch ${marker}\necho '{}'\n`)
    const ws = copyFixture('handler/sbom')
    const { log } = await buildWithDiagnostics(ws, 'api/hello.go', { env: scanEnv('warn') })
    assert.ok(log.some((l) => /^Installing govulncheck v1\.9\.0/.test(l)), log.join('\n'))
    assert.ok(!fs.existsSync(marker), 'the tampered program did not run')
    assert.equal(log.filter((l) => l.startsWith('Vulnerability GO-')).length, 2)
  })

  it('an unknown mode is a coded error before anything is built', async () => {
    const ws = copyFixture('handler/sbom')
    const { error } = await runBuild(ws, { entrypoint: 'api/hello.go', env: scanEnv('maybe', { TMPDIR: ws.tmp }) })
    assert.equal(error.code, 'GO_INVALID_OPTIONS')
    assert.match(error.message, /GO_BUILDER_VULNCHECK must be `warn`, `error` or `off`/)
  })
})
