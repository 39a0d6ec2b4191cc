'use strict'

// What a kept program's content key covers: the files Go can read for the
// program (its packages' Go, C and other source files, embedded files,
// module files, local `replace` targets, workspace modules), and nothing
// else. An edit to any of those builds again and the new program answers
// with the edit; an edit to the project's static assets reuses the kept
// program. A changed handler whose sources and modules use no cgo is
// built without asking `go list` (a `go` on PATH that logs its commands
// shows it); one whose module has cgo still gets Go's answer.

const { describe, it, after } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const {
  tempDir,
  writeFiles,
  copyFixture,
  runBuild,
  assertHandlerLambda,
  assertServes,
  hasInterpreter,
  recordStdout,
  removeTempDirs,
} = require('./helpers')

after(() => removeTempDirs())

const HANDLER = (version) => `package api

import (
	"fmt"
	"net/http"

	"example.com/scope/lib"
	"example.com/shared"
)

func Handler(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "%s|%s|%s", lib.Page, shared.Name, "${version}")
}
`

const PROJECT = {
  'project/go.mod':
    'module example.com/scope\n\ngo 1.22\n\nrequire example.com/shared v0.0.0\n\nreplace example.com/shared => ../shared\n',
  'project/api/index.go': HANDLER('v1'),
  'project/lib/lib.go': 'package lib\n\nimport _ "embed"\n\n//go:embed templates/page.txt\nvar Page string\n',
  'project/lib/templates/page.txt': 'page-1',
  'project/public/logo.png': 'png',
  'project/public/css/site.css': 'body{}',
  'shared/go.mod': 'module example.com/shared\n\ngo 1.22\n',
  'shared/shared.go': 'package shared\n\nconst Name = "shared-1"\n',
  'shared/public/big.bin': 'asset of the shared module',
}

/** The project in <tmp>/ws/{project,shared}, with a big asset and a FIFO in public/. */
function writeProject(extra = {}) {
  const base = tempDir('content-key')
  const root = path.join(base, 'ws')
  writeFiles(root, { ...PROJECT, ...extra })
  const workPath = path.join(root, 'project')
  fs.writeFileSync(path.join(workPath, 'public', 'video.bin'), Buffer.alloc(8 << 20, 7))
  // Reading a FIFO blocks until a writer comes: a build that read it would hang.
  if (process.platform !== 'win32') execFileSync('mkfifo', [path.join(workPath, 'public', 'stream')])
  return { name: 'project', base, root, workPath, cache: path.join(base, 'cache') }
}

/** build() of api/index.go; resolves to { lambda, reused, log }. */
async function build(ws, env = {}, entrypoint = 'api/index.go') {
  const { result, lines } = await recordStdout(() =>
    runBuild(ws, { entrypoint, env: { GO_BUILDER_CACHE_DIR: ws.cache, ...env } }),
  )
  const log = lines.map((l) => l.line)
  assert.ifError(result.error)
  assert.equal(result.diff, '', `the build changed the tree:\n${result.diff}`)
  const summary = log.find((l) => l.startsWith(`${entrypoint}: `))
  assert.ok(summary, log.join('\n'))
  assertHandlerLambda(result.output)
  return { lambda: result.output, reused: summary.includes('reused (sources unchanged)'), log }
}

function edit(ws, rel, text) {
  const file = path.join(ws.root, rel)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
}

describe('the content key', () => {
  it('covers sources, embedded files and local modules; assets are never read and reuse', async () => {
    const ws = writeProject()
    const first = await build(ws)
    assert.equal(first.reused, false)
    await assertServes(first.lambda, [{ body: 'page-1|shared-1|v1' }])
    assert.equal((await build(ws)).reused, true, 'nothing changed')

    // Assets, docs and tests: not inputs of the program.
    fs.appendFileSync(path.join(ws.workPath, 'public', 'video.bin'), 'more frames')
    edit(ws, 'project/public/css/site.css', 'body{color:red}')
    edit(ws, 'project/public/new.png', 'png')
    edit(ws, 'project/lib/README.md', 'docs')
    edit(ws, 'project/lib/lib_test.go', 'package lib\n')
    edit(ws, 'shared/public/big.bin', 'another asset')
    assert.equal((await build(ws)).reused, true, 'assets changed only')

    const steps = [
      ['project/lib/templates/page.txt', 'page-2', 'page-2|shared-1|v1'],
      ['shared/shared.go', 'package shared\n\nconst Name = "shared-2"\n', 'page-2|shared-2|v1'],
      ['project/api/index.go', HANDLER('v2'), 'page-2|shared-2|v2'],
      ['project/lib/extra.go', 'package lib\n\nfunc init() { Page += "+extra" }\n', 'page-2+extra|shared-2|v2'],
    ]
    for (const [rel, text, body] of steps) {
      edit(ws, rel, text)
      const r = await build(ws)
      assert.equal(r.reused, false, `${rel} changed: built again`)
      await assertServes(r.lambda, [{ body }])
    }
  })

  it('covers the modules of a go.work', async () => {
    const ws = copyFixture('handler/go-work')
    const env = { GO_BUILDER_CACHE_DIR: path.join(ws.base, 'cache') }
    const built = async () => (await build(ws, env)).reused === false
    assert.ok(await built())
    writeFiles(ws.workPath, { 'shared/static/logo.png': 'png' })
    assert.ok(!(await built()), 'an asset of a workspace module')
    const file = path.join(ws.workPath, 'shared', 'shared.go')
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('from shared workspace module', 'from the edited module'))
    const r = await build(ws, env)
    assert.equal(r.reused, false, 'a workspace module changed')
    await assertServes(r.lambda, [{ body: /^from the edited module / }])
  })

  it('covers the C files of a cgo package', { skip: process.platform !== 'linux' && 'the Lambda emulator runs linux binaries' }, async () => {
    const ws = writeProject({
      'project/api/index.go':
        'package api\n\nimport (\n\t"fmt"\n\t"net/http"\n\n\t"example.com/scope/cgolib"\n)\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {\n\tfmt.Fprintf(w, "answer %d", cgolib.Answer())\n}\n',
      'project/cgolib/cgolib.go': 'package cgolib\n\n// int answer(void);\nimport "C"\n\nfunc Answer() int { return int(C.answer()) }\n',
      'project/cgolib/answer.c': 'int answer(void) { return 42; }\n',
    })
    const env = { CGO_ENABLED: '' }
    const first = await build(ws, env)
    assert.ok(hasInterpreter(first.lambda.files.bootstrap.fsPath), 'built with cgo')
    await assertServes(first.lambda, [{ body: 'answer 42' }])
    edit(ws, 'project/public/logo.png', 'new logo')
    assert.equal((await build(ws, env)).reused, true)
    edit(ws, 'project/cgolib/answer.c', 'int answer(void) { return 43; }\n')
    const second = await build(ws, env)
    assert.equal(second.reused, false, 'the C file changed')
    await assertServes(second.lambda, [{ body: 'answer 43' }])
  })
})

/**
 * A GOROOT whose `go` logs the subcommand of every run to `log`, then runs
 * the machine's Go (everything else is a link into the real GOROOT).
 */
function loggingGo() {
  const real = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } }).trim()
  const root = path.join(tempDir('goroot'), 'go')
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true })
  for (const name of fs.readdirSync(real)) {
    if (name !== 'bin') fs.symlinkSync(path.join(real, name), path.join(root, name))
  }
  const log = path.join(path.dirname(root), 'go-commands.log')
  fs.writeFileSync(log, '')
  fs.writeFileSync(path.join(root, 'bin', 'go'), `#!/bin/sh\necho "$1" >> '${log}'\nexec '${real}/bin/go' "$@"\n`, { mode: 0o755 })
  return {
    env: { PATH: `${path.join(root, 'bin')}${path.delimiter}${process.env.PATH}`, GOTOOLCHAIN: 'local' },
    commands: () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean),
    clear: () => fs.writeFileSync(log, ''),
  }
}

describe('a changed handler', { skip: process.platform === 'win32' && 'the logging go is a shell script' }, () => {
  it('is built without go list when nothing in it uses cgo, and answers', async () => {
    const go = loggingGo()
    const ws = writeProject()
    await build(ws, go.env)
    assert.ok(go.commands().includes('build'), `the logging go ran: ${go.commands()}`)
    edit(ws, 'project/api/index.go', HANDLER('v3'))
    go.clear()
    const r = await build(ws, go.env)
    assert.equal(r.reused, false)
    assert.deepEqual(go.commands(), ['build'], 'one go build, no go list')
    assert.ok(!hasInterpreter(r.lambda.files.bootstrap.fsPath), 'static')
    await assertServes(r.lambda, [{ body: 'page-1|shared-1|v3' }])
  })

  it('whose module has a cgo package still gets go list and cgo', { skip: process.platform !== 'linux' && 'the Lambda emulator runs linux binaries' }, async () => {
    const go = loggingGo()
    const ws = copyFixture('handler/cgo')
    const env = { ...go.env, CGO_ENABLED: '', GO_BUILDER_CACHE_DIR: path.join(ws.base, 'cache') }
    const r = await build(ws, env)
    assert.ok(go.commands().includes('list'), `${go.commands()}`)
    assert.ok(hasInterpreter(r.lambda.files.bootstrap.fsPath), 'built with cgo')
    await assertServes(r.lambda, [{ body: 'hello from C 42' }])
    const plain = await build(ws, env, 'api/plain/index.go')
    assert.ok(!hasInterpreter(plain.lambda.files.bootstrap.fsPath), 'the plain handler stays static')
  })
})
