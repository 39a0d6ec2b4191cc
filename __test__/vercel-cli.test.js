'use strict'
// The packed package in a clean place and inside the real Vercel CLI:
// `npm pack` contents, a clean install that loads, and `vercel build`
// (offline) on a handler project and a `framework: "go"` project whose
// outputs are then invoked.

const { describe, test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const { pack } = require('../scripts/pack')
const { vercelBuild, readFunctions, materializeFunction } = require('./helpers/vercel-cli')
const { invokeLambdaDir } = require('./helpers/fun')
const { startPlatform } = require('./helpers/ipc-platform')

const ROOT = path.join(__dirname, '..')
const BUILD_UTILS = path.join(ROOT, 'node_modules', '@vercel', 'build-utils')

let work
let tarballs

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'go-builder-cli-'))
  tarballs = pack(path.join(work, 'pack'))
})

after(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

function write(dir, files) {
  for (const [name, contents] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), contents)
  }
}

describe('npm package', () => {
  test('ships only the JS layer, loader, typings, README and license', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8' })
    const files = JSON.parse(out)[0].files.map((f) => f.path).sort()
    assert.deepEqual(files, [
      'LICENSE',
      'README.md',
      'binding.d.ts',
      'binding.js',
      'index.d.ts',
      'index.js',
      'package.json',
    ])
    assert.ok(!files.some((f) => f.endsWith('.go')), 'no .go files')
  })

  test('installs from the tarballs into an empty directory and loads', () => {
    const dir = path.join(work, 'clean-install')
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}')
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', BUILD_UTILS, tarballs.main, tarballs.platform],
      { cwd: dir, stdio: 'pipe' },
    )
    const script =
      "const b = require('@acme/go-builder');" +
      "console.log(JSON.stringify({ version: b.version, keys: Object.keys(b).sort()," +
      " name: b.getNewHandlerFunctionName('Handler', 'api/[id].go') }))"
    const result = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' }))
    assert.equal(result.version, 3)
    assert.deepEqual(result.keys, [
      'build',
      'detectGoEntrypoint',
      'getNewHandlerFunctionName',
      'prepareCache',
      'shouldServe',
      'startDevServer',
      'version',
    ])
    assert.equal(result.name, 'Handler_api__id__go')
    assert.ok(!fs.existsSync(path.join(dir, 'node_modules', '@acme', 'go-builder', 'go')))
  })
})

describe('vercel build with @acme/go-builder', () => {
  test('handler project: provided.al2023 function that answers', async () => {
    const project = path.join(work, 'handler-project')
    write(project, {
      'vercel.json': JSON.stringify({
        version: 2,
        builds: [{ src: 'api/hello.go', use: '@acme/go-builder' }],
      }),
      'go.mod': 'module example.com/cli\n\ngo 1.22\n',
      'api/hello.go': [
        'package handler',
        '',
        'import (',
        '\t"fmt"',
        '\t"net/http"',
        ')',
        '',
        'func Hello(w http.ResponseWriter, r *http.Request) {',
        '\tw.Header().Set("X-Built-By", "acme")',
        '\tfmt.Fprintf(w, "hello from %s via %s", r.URL.Path, suffix())',
        '}',
        '',
      ].join('\n'),
      'api/suffix.go': 'package handler\n\nfunc suffix() string { return "the cli" }\n',
    })
    const res = await vercelBuild({ projectDir: project, builderTarballs: [tarballs.main, tarballs.platform] })
    assert.equal(res.code, 0, `vercel build failed:\n${res.stdout}\n${res.stderr}`)
    const functions = await readFunctions(res.outputDir)
    const fn = functions.find((f) => f.name === 'api/hello.go')
    assert.ok(fn, `functions: ${functions.map((f) => f.name)}`)
    assert.equal(fn.config.handler, 'bootstrap')
    assert.equal(fn.config.runtime, 'provided.al2023')
    assert.equal(fn.config.runtimeLanguage, 'go')
    const dir = await materializeFunction(fn, path.join(work, 'handler-func'))
    const response = await invokeLambdaDir(dir, { method: 'GET', path: '/api/hello' })
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['x-built-by'], 'acme')
    assert.equal(response.body, 'hello from /api/hello via the cli')
    fs.rmSync(res.tmpDir, { recursive: true, force: true })
  })

  test('framework "go" project: executable function that serves over IPC', async () => {
    const project = path.join(work, 'standalone-project')
    write(project, {
      'vercel.json': JSON.stringify({
        version: 2,
        builds: [{ src: 'main.go', use: '@acme/go-builder', config: { framework: 'go' } }],
      }),
      'go.mod': 'module example.com/server\n\ngo 1.22\n',
      'main.go': [
        'package main',
        '',
        'import (',
        '\t"fmt"',
        '\t"net/http"',
        '\t"os"',
        ')',
        '',
        'func main() {',
        '\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {',
        '\t\tfmt.Fprintf(w, "standalone %s %s", r.Method, r.URL.Path)',
        '\t})',
        '\thttp.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)',
        '}',
        '',
      ].join('\n'),
    })
    const res = await vercelBuild({ projectDir: project, builderTarballs: [tarballs.main, tarballs.platform] })
    assert.equal(res.code, 0, `vercel build failed:\n${res.stdout}\n${res.stderr}`)
    const functions = await readFunctions(res.outputDir)
    assert.equal(functions.length, 1, `functions: ${functions.map((f) => f.name)}`)
    const [fn] = functions
    assert.equal(fn.config.runtime, 'executable')
    assert.equal(fn.config.handler, 'executable')
    assert.equal(fn.config.supportsResponseStreaming, true)
    const dir = await materializeFunction(fn, path.join(work, 'standalone-func'))
    const platform = await startPlatform({ dir })
    try {
      const body = await new Promise((resolve, reject) => {
        require('node:http')
          .get({ host: '127.0.0.1', port: platform.port, path: '/from-cli' }, (r) => {
            let text = ''
            r.on('data', (d) => (text += d))
            r.on('end', () => resolve(text))
          })
          .on('error', reject)
      })
      assert.equal(body, 'standalone GET /from-cli')
    } finally {
      await platform.close()
      fs.rmSync(res.tmpDir, { recursive: true, force: true })
    }
  })
})
