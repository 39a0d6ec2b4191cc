'use strict'
// The packed package in a clean place and inside the real Vercel CLI:
// `npm pack` contents, a clean install that loads, and `vercel build`
// (offline) on handler projects, a `framework: "go"` project and a service
// with a route prefix, whose requests are resolved through the written routes
// and answered by the built functions.

const { describe, test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const { pack } = require('../scripts/pack')
const {
  ROOT,
  FIXTURES,
  tempDir,
  removeTempDirs,
  writeFiles,
  goFile,
  vercelBuild,
  readFunctions,
  materializeFunction,
  invokeLambdaDir,
  startPlatform,
  get,
  resolveRoute,
  startMinio,
  stopMinios,
  vercelDev,
  freePort,
  request,
} = require('./helpers')

const BUILD_UTILS = path.join(ROOT, 'node_modules', '@vercel', 'build-utils')
const PACKAGE_VERSION = require('../package.json').version

let work
let tarballs

before(() => {
  work = tempDir('cli')
  tarballs = pack(path.join(work, 'pack'))
})

after(() => {
  stopMinios()
  removeTempDirs()
})

// Answers with the method, path and raw query it received.
const STANDALONE_SERVER = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "standalone %s %s %s", r.Method, r.URL.Path, r.URL.RawQuery)
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

/**
 * `vercel build` (offline, with the packed builder) of a project made of
 * `files` in <work>/<name>, which must succeed. Resolves to its functions
 * (see readFunctions) and its parsed config.json.
 */
async function buildProject(name, files, env = {}) {
  writeFiles(path.join(work, name), files)
  const res = await vercelBuild({
    projectDir: path.join(work, name),
    builderTarballs: [tarballs.main, tarballs.platform],
    env,
  })
  assert.equal(res.code, 0, `vercel build failed:\n${res.stdout}\n${res.stderr}`)
  const config = JSON.parse(fs.readFileSync(path.join(res.outputDir, 'config.json'), 'utf8'))
  return {
    functions: await readFunctions(res.outputDir),
    config,
    stdout: `${res.stdout}\n${res.stderr}`,
    outputDir: res.outputDir,
    projectDir: path.join(work, name),
  }
}

/**
 * Resolves each `[url, expected body]` through the build's config.json routes
 * (it must land on `fn`), then sends the path and query the function sees to
 * the function, run behind a test platform with `env`.
 */
async function answersThroughRoutes(config, fn, dest, cases, env = {}) {
  const dir = await materializeFunction(fn, dest)
  const platform = await startPlatform({ dir, env })
  try {
    for (const [url, expected] of cases) {
      const hit = resolveRoute(config, url, { functions: [fn.name] })
      assert.equal(hit.function, fn.name, `${url} routes to ${JSON.stringify(hit)}; routes: ${JSON.stringify(config.routes)}`)
      const res = await get(platform.port, hit.query ? `${hit.path}?${hit.query}` : hit.path)
      assert.equal(res.body, expected, url)
    }
  } finally {
    await platform.close()
  }
}

describe('npm package', () => {
  test('ships only the JS layer, loader, typings, the cache program, README and license', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' })
    const files = JSON.parse(out)[0].files.map((f) => f.path).sort()
    assert.deepEqual(files, [
      'LICENSE',
      'README.md',
      'binding.d.ts',
      'binding.js',
      'cacheprog.js',
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
      { cwd: dir, stdio: 'pipe', shell: process.platform === 'win32' },
    )
    const script =
      "const b = require('@acme/go-builder');" +
      "console.log(JSON.stringify({ version: b.version, keys: Object.keys(b).sort()," +
      " name: b.getNewHandlerFunctionName('Handler', 'api/[id].go') }))"
    const result = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' }))
    assert.equal(result.version, 3)
    assert.deepEqual(result.keys, [
      'build',
      'detectEntrypoint',
      'detectGoEntrypoint',
      'diagnostics',
      'getDevManifest',
      'getNewHandlerFunctionName',
      'prepareCache',
      'shouldServe',
      'startDevServer',
      'version',
    ])
    // index.d.ts declares exactly these, and the README's opening lists them.
    const declared = [...fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8')
      .matchAll(/^export declare (?:const|function) (\w+)/gm)].map((m) => m[1]).sort()
    assert.deepEqual(declared, result.keys, 'index.d.ts')
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const intro = readme.slice(0, readme.indexOf('```'))
    assert.deepEqual(result.keys.filter((k) => !intro.includes(`\`${k}\``)), [], 'README lists every export')
    assert.equal(result.name, 'Handler_api__id__go')
    assert.ok(!fs.existsSync(path.join(dir, 'node_modules', '@acme', 'go-builder', 'go')))
  })
})

describe('vercel build with @acme/go-builder', () => {
  // A handler that answers with the path it sees, and its helper: a sibling
  // file of its package, or (zero-config, where every api/*.go file is a
  // function) a package of its own.
  const handlerSource = (importLib) => goFile('handler', ['fmt', 'net/http', ...(importLib ? ['example.com/cli/lib'] : [])], [
    'func Hello(w http.ResponseWriter, r *http.Request) {',
    '\tw.Header().Set("X-Built-By", "acme")',
    `\tfmt.Fprintf(w, "hello from %s via %s", r.URL.Path, ${importLib ? 'lib.Suffix' : 'suffix'}())`,
    '}',
  ])
  const GO_MOD = 'module example.com/cli\n\ngo 1.22\n'
  const WITH_SIBLING = {
    'go.mod': GO_MOD,
    'api/hello.go': handlerSource(false),
    'api/suffix.go': 'package handler\n\nfunc suffix() string { return "the cli" }\n',
  }
  const WITH_LIB = {
    'go.mod': GO_MOD,
    'api/hello.go': handlerSource(true),
    'lib/suffix.go': 'package lib\n\nfunc Suffix() string { return "the cli" }\n',
  }

  /** Builds `vercelJson` + `files`, routes `url` and invokes the function it lands on. */
  async function handlerProject(name, vercelJson, files, url, functionName) {
    const { functions, config } = await buildProject(name, { 'vercel.json': JSON.stringify(vercelJson), ...files })
    assert.deepEqual(functions.map((f) => f.name), [functionName])
    const [fn] = functions
    assert.equal(fn.config.handler, 'bootstrap')
    assert.equal(fn.config.runtime, 'provided.al2023')
    assert.equal(fn.config.runtimeLanguage, 'go')
    const hit = resolveRoute(config, url, { functions: [fn.name] })
    assert.equal(hit.function, fn.name, `${url} → ${JSON.stringify(hit)}`)
    const dir = await materializeFunction(fn, path.join(work, `${name}-func`))
    const response = await invokeLambdaDir(dir, { method: 'GET', path: hit.path }, { env: fn.config.environment })
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['x-built-by'], 'acme')
    assert.equal(response.body, `hello from ${url} via the cli`)
  }

  /**
   * Builds STANDALONE_SERVER as main.go of module example.com/<module> with
   * `vercelJson`; there must be one function, an `executable` one.
   * Resolves to { fn, config }.
   */
  async function serverProject(name, module, vercelJson) {
    const { functions, config } = await buildProject(name, {
      'vercel.json': JSON.stringify(vercelJson),
      'go.mod': `module example.com/${module}\n\ngo 1.22\n`,
      'main.go': STANDALONE_SERVER,
    })
    assert.equal(functions.length, 1, `functions: ${functions.map((f) => f.name)}`)
    const [fn] = functions
    assert.equal(fn.config.runtime, 'executable')
    return { fn, config }
  }

  test('handler project (builds entry): provided.al2023 function at its file path', async () => {
    await handlerProject(
      'handler-project',
      { version: 2, builds: [{ src: 'api/hello.go', use: '@acme/go-builder' }] },
      WITH_SIBLING,
      '/api/hello.go',
      'api/hello.go',
    )
  })

  test('with the remote cache: the installed package serves Go as its cache program and the build says what the bucket did', async () => {
    const minio = await startMinio()
    await minio.s3.createBucket('cli')
    const { functions, stdout } = await buildProject('remote-cache', {
      'vercel.json': JSON.stringify({ version: 2, builds: [{ src: 'api/hello.go', use: '@acme/go-builder' }] }),
      ...WITH_SIBLING,
    }, {
      GO_BUILDER_REMOTE_CACHE: 's3://cli/team',
      AWS_ACCESS_KEY_ID: minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: minio.endpoint,
      GO_BUILDER_CACHE_SIGNING_KEY: 'cli-signing-key',
      // A builder cache of its own, so the function is built (not kept from another test).
      GO_BUILDER_CACHE_DIR: path.join(work, 'remote-cache-builder'),
    })
    const line = /^.*Remote cache s3:\/\/cli\/team: \d+ hits, (\d+) misses.*\((\d+) uploads\).*$/m.exec(stdout)
    assert.ok(line, `the remote line:\n${stdout}`)
    assert.ok(Number(line[1]) > 0 && Number(line[2]) > 1, `Go asked the bucket and shared what it compiled: ${line[0]}`)
    assert.doesNotMatch(line[0], /turned off/)
    const keys = (await minio.s3.list('cli', 'team/')).map((o) => o.key)
    assert.ok(keys.some((k) => k.startsWith('team/go/')) && keys.some((k) => k.startsWith('team/lambda/')), keys.join('\n'))
    assert.deepEqual(functions.map((f) => f.name), ['api/hello.go'])
    const dir = await materializeFunction(functions[0], path.join(work, 'remote-cache-func'))
    const response = await invokeLambdaDir(dir, { method: 'GET', path: '/api/hello.go' })
    assert.equal(response.body, 'hello from /api/hello.go via the cli')
  })

  test('handler project (zero-config runtime): the CLI routes /api/hello to it', async () => {
    await handlerProject(
      'handler-zero-config',
      { functions: { 'api/*.go': { runtime: `@acme/go-builder@${PACKAGE_VERSION}` } } },
      WITH_LIB,
      '/api/hello',
      'api/hello',
    )
  })

  test('three handlers of one package (zero-config): one program for all, and each function answers as itself', async () => {
    const say = (fn, text) => goFile('handler', ['fmt', 'net/http'], [
      `func ${fn}(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "${text} %s", r.URL.Path) }`,
    ])
    const { functions, config, stdout, outputDir } = await buildProject('shared-program', {
      'vercel.json': JSON.stringify({ functions: { 'api/*.go': { runtime: `@acme/go-builder@${PACKAGE_VERSION}` } } }),
      'go.mod': GO_MOD,
      'api/hello.go': say('Hello', 'hello'),
      'api/bye.go': say('Bye', 'bye'),
      'api/[id].go': say('ByID', 'id'),
    }, {
      // A builder cache of its own: the other tests here build api/hello.go
      // of the same module, and a function whose own program is kept is
      // reused as it is rather than joining a pass.
      GO_BUILDER_CACHE_DIR: path.join(work, 'shared-program-cache'),
    })
    const names = functions.map((f) => f.name).sort()
    assert.deepEqual(names, ['api/[id]', 'api/bye', 'api/hello'])
    const digests = new Set()
    for (const [url, expected, entrypoint] of [
      ['/api/hello', 'hello /api/hello', 'api/hello.go'],
      ['/api/bye', 'bye /api/bye', 'api/bye.go'],
      ['/api/42', 'id /api/42', 'api/[id].go'],
    ]) {
      const hit = resolveRoute(config, url, { functions: names })
      const fn = functions.find((f) => f.name === hit.function)
      assert.ok(fn, `${url} → ${JSON.stringify(hit)}`)
      assert.deepEqual(fn.config.environment, { GO_BUILDER_FUNCTION: entrypoint }, stdout)
      const dir = await materializeFunction(fn, path.join(work, `shared-${fn.name.replace(/\W/g, '_')}`))
      digests.add(crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'bootstrap'))).digest('hex'))
      const res = await invokeLambdaDir(dir, { method: 'GET', path: hit.path }, { env: fn.config.environment })
      assert.equal(res.body, expected, url)
    }
    assert.equal(digests.size, 1, 'one program')
    // The CLI keeps each function's SBOM with the build's diagnostics.
    for (const name of names) {
      const file = path.join(outputDir, 'diagnostics', 'go', 'sbom', `${name}.cdx.json`)
      const bom = JSON.parse(fs.readFileSync(file, 'utf8'))
      assert.equal(bom.metadata.component.name, name)
      assert.deepEqual(bom.components[0].hashes, [{ alg: 'SHA-256', content: [...digests][0] }], name)
    }
  })

  test('framework "go" project: every path reaches the server through the routes, path and query intact', async () => {
    const { fn, config } = await serverProject('standalone-project', 'server', {
      version: 2,
      builds: [{ src: 'main.go', use: '@acme/go-builder', config: { framework: 'go' } }],
    })
    assert.equal(fn.config.handler, 'executable')
    assert.equal(fn.config.supportsResponseStreaming, true)
    await answersThroughRoutes(config, fn, path.join(work, 'standalone-func'), [
      ['/', 'standalone GET / '],
      ['/api/json', 'standalone GET /api/json '],
      ['/a/b/c?x=1&y=two%20words', 'standalone GET /a/b/c x=1&y=two%20words'],
    ])
  })

  test('service with a route prefix: the prefix routes to the server, which sees paths without it', async () => {
    const { fn, config } = await serverProject('service-project', 'service', {
      experimentalServices: {
        api: { entrypoint: 'main.go', builder: '@acme/go-builder', framework: 'go', routePrefix: '/api' },
      },
    })
    assert.equal(resolveRoute(config, '/elsewhere', { functions: [fn.name] }).status, 404,
      'paths outside the prefix are not the service\'s')
    await answersThroughRoutes(config, fn, path.join(work, 'service-func'), [
      ['/api', 'standalone GET / '],
      ['/api/users/7?expand=1', 'standalone GET /users/7 expand=1'],
    ], fn.config.environment)
  })

  test('a service with maxDuration "max", includeFiles and excludeFiles: the function keeps "max" and only the files not excluded', async () => {
    const { functions, config } = await buildProject('service-options', {
      'vercel.json': JSON.stringify({
        experimentalServices: {
          api: {
            entrypoint: 'main.go',
            builder: '@acme/go-builder',
            framework: 'go',
            routePrefix: '/api',
            maxDuration: 'max',
            includeFiles: 'static/**',
            excludeFiles: 'static/secret*',
          },
        },
      }),
      'go.mod': 'module example.com/options\n\ngo 1.22\n',
      'main.go': STANDALONE_SERVER,
      'static/page.txt': 'a page\n',
      'static/secret.txt': 'not for the function\n',
    })
    assert.equal(functions.length, 1, `functions: ${functions.map((f) => f.name)}`)
    const [fn] = functions
    assert.equal(fn.config.maxDuration, 'max')
    assert.deepEqual(Object.keys(fn.files).filter((name) => name.startsWith('static/')), ['static/page.txt'])
    await answersThroughRoutes(config, fn, path.join(work, 'service-options-func'), [['/api/x', 'standalone GET /x ']], fn.config.environment)
  })

  test('a streaming and a plain handler: one executable function with streaming, one provided function, both answer', async () => {
    const { functions, config } = await buildProject('streaming-project', {
      'vercel.json': JSON.stringify({ functions: { 'api/**/*.go': { runtime: `@acme/go-builder@${PACKAGE_VERSION}` } } }),
      'go.mod': 'module example.com/mixed\n\ngo 1.22\n',
      'api/events.go': goFile('api', ['fmt', 'net/http'], [
        'func Events(w http.ResponseWriter, r *http.Request) {',
        '\tw.Header().Set("Content-Type", "text/event-stream")',
        '\tfmt.Fprint(w, "data: one\\n\\n")',
        '\tw.(http.Flusher).Flush()',
        '\tfmt.Fprint(w, "data: two\\n\\n")',
        '}',
      ]),
      // A package of its own: streaming is decided per package.
      'api/plain/index.go': 'package plain\n\nimport (\n\t"fmt"\n\t"net/http"\n)\n\nfunc Plain(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "plain ", r.URL.Path) }\n',
    })
    const byName = Object.fromEntries(functions.map((f) => [f.name, f]))
    assert.deepEqual(Object.keys(byName).sort(), ['api/events', 'api/plain/index'])
    const events = byName['api/events']
    assert.equal(events.config.runtime, 'executable')
    assert.equal(events.config.handler, 'executable')
    assert.equal(events.config.supportsResponseStreaming, true)
    const plain = byName['api/plain/index']
    assert.equal(plain.config.runtime, 'provided.al2023')
    assert.ok(!plain.config.supportsResponseStreaming)
    assert.equal(resolveRoute(config, '/api/events', { functions: Object.keys(byName) }).function, 'api/events')
    const dir = await materializeFunction(events, path.join(work, 'events-func'))
    const platform = await startPlatform({ dir })
    try {
      assert.equal((await get(platform.port, '/api/events')).body, 'data: one\n\ndata: two\n\n')
    } finally {
      await platform.close()
    }
    const plainDir = await materializeFunction(plain, path.join(work, 'plain-func'))
    const res = await invokeLambdaDir(plainDir, { method: 'GET', path: '/api/plain' })
    assert.equal(res.body, 'plain /api/plain')
    assert.equal(resolveRoute(config, '/api/plain', { functions: Object.keys(byName) }).function, 'api/plain/index')
  })

  test('a service with buildCommand and preDeployCommand: the CLI runs both, collects the package manifest, and the server answers', async () => {
    const { functions, config, stdout, outputDir, projectDir } = await buildProject('hooks-project', {
      'vercel.json': JSON.stringify({
        experimentalServices: {
          api: {
            entrypoint: 'main.go',
            builder: '@acme/go-builder',
            framework: 'go',
            routePrefix: '/api',
            buildCommand: 'go build -o "$VERCEL_OUTPUT_FILE" . && echo BUILT-BY-THE-BUILD-COMMAND',
            preDeployCommand: 'go version > predeploy.txt',
          },
        },
      }),
      'go.mod': [
        'module example.com/hooks',
        '',
        'go 1.22',
        '',
        'require (',
        '\tgithub.com/google/uuid v1.6.0',
        '\texample.com/local v0.0.0',
        ')',
        '',
        'replace example.com/local => ./local',
        '',
      ].join('\n'),
      'go.sum': fs.readFileSync(path.join(FIXTURES, 'handler', 'vendored', 'go.sum'), 'utf8'),
      'local/go.mod': 'module example.com/local\n\ngo 1.22\n',
      'local/l.go': 'package local\n\nfunc Name() string { return "local" }\n',
      'main.go': STANDALONE_SERVER.replace('"os"', '"os"\n\t_ "example.com/local"\n\t_ "github.com/google/uuid"'),
    })
    assert.match(stdout, /BUILT-BY-THE-BUILD-COMMAND/, 'the build command\'s output reaches the build log')
    assert.match(fs.readFileSync(path.join(projectDir, 'predeploy.txt'), 'utf8'), /^go version go\d/,
      'the pre-deploy command ran in the work path with the build\'s Go on PATH')
    const manifests = JSON.parse(fs.readFileSync(path.join(outputDir, 'diagnostics', 'project-manifest.json'), 'utf8'))
    const [manifest] = Object.values(manifests)
    assert.equal(manifest.runtime, 'go')
    assert.equal(manifest.framework, 'go')
    assert.equal(manifest.serviceType, 'web')
    assert.equal(manifest.runtimeVersion.requested, '1.22')
    assert.match(manifest.runtimeVersion.resolved, /^1\.\d+\.\d+$/)
    assert.deepEqual(manifest.dependencies, [
      { name: 'github.com/google/uuid', type: 'direct', scopes: ['prod'], requested: 'v1.6.0', resolved: 'v1.6.0',
        source: 'registry', sourceUrl: 'https://proxy.golang.org' },
    ], 'the local replacement is not a dependency')
    const [fn] = functions
    await answersThroughRoutes(config, fn, path.join(work, 'hooks-func'), [
      ['/api/x?y=1', 'standalone GET /x y=1'],
    ], fn.config.environment)
  })
})

describe('vercel dev with @acme/go-builder', () => {
  /**
   * `vercel dev` of the project `files` in <work>/<name> (offline, the packed
   * builder); each `[url, expected body]` must answer 200 with that body (a
   * RegExp to match, or a string). Stopping it leaves nothing running.
   */
  async function devAnswers(name, files, cases) {
    const projectDir = path.join(work, name)
    writeFiles(projectDir, files)
    const port = await freePort()
    const dev = await vercelDev({
      projectDir,
      port,
      builderTarballs: [tarballs.main, tarballs.platform],
      env: { GO_BUILDER_CACHE_DIR: path.join(work, `${name}-cache`) },
    })
    try {
      for (const [url, expected] of cases) {
        const res = await request({ port, path: url, timeoutMs: 300000 })
        assert.equal(res.status, 200, `${url}: ${res.body}\n${dev.output()}`)
        if (expected instanceof RegExp) assert.match(res.body, expected, url)
        else assert.equal(res.body, expected, url)
      }
    } finally {
      await dev.stop()
    }
  }

  /** The files of fixtures/dev/<fixture>, by path relative to it. */
  function fixtureFiles(fixture) {
    const root = path.join(FIXTURES, 'dev', fixture)
    const files = {}
    for (const rel of fs.readdirSync(root, { recursive: true })) {
      const abs = path.join(root, rel)
      if (fs.statSync(abs).isFile()) files[rel] = fs.readFileSync(abs, 'utf8')
    }
    return files
  }

  test('three handlers of one directory (two packages, a [slug] route): each URL form reaches its function', async () => {
    await devAnswers('dev-several', {
      ...fixtureFiles('several-handlers'),
      'vercel.json': JSON.stringify({ functions: { 'api/*.go': { runtime: `@acme/go-builder@${PACKAGE_VERSION}` } } }),
    }, [
      ['/api', /^index handler at \//],
      ['/api/index', /^index handler at \//],
      ['/api/index.go', /^index handler at \//],
      ['/api/other', /^other package at \//],
      ['/api/other.go', /^other package at \//],
      ['/api/foo', 'slug handler at /api/foo'],
      ['/api/bar', 'slug handler at /api/bar'],
    ])
  })

  test('a framework "go" server: every path reaches it as sent', async () => {
    await devAnswers('dev-server', {
      'vercel.json': JSON.stringify({ builds: [{ src: 'main.go', use: '@acme/go-builder', config: { framework: 'go' } }] }),
      'go.mod': 'module example.com/devserver\n\ngo 1.22\n',
      'main.go': STANDALONE_SERVER,
    }, [
      ['/', 'standalone GET / '],
      ['/some/nested/path?q=1', 'standalone GET /some/nested/path q=1'],
    ])
  })
})
