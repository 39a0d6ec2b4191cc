'use strict'
// Runs every test: installs what is missing, builds the addon, checks the
// generated binding files are committed, then `cargo test`, the Go
// programs' tests and the JS suite.
const { spawnSync } = require('child_process')
const { readdirSync } = require('fs')
const { join } = require('path')
const { run } = require('./run')
const { setup, root } = require('./setup')

setup()

const inGit = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root }).status === 0
if (inGit) {
  // The loader and typings napi generates are checked in: they must match the Rust API.
  run('git', ['diff', '--exit-code', '--', 'binding.js', 'binding.d.ts'], { cwd: root })
}

run('cargo', ['test', '--all-targets'], { cwd: root })

// The builder's own Go programs (analyzer, templates, proxy): their tests
// build and run them with the machine's Go.
const goEnv = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '', GOWORK: 'off' }
run('go', ['vet', './...'], { cwd: join(root, 'go'), env: goEnv })
run('go', ['test', './...'], { cwd: join(root, 'go'), env: goEnv })

const only = process.argv.slice(2)
const files = only.length
  ? only
  : readdirSync(join(root, '__test__'))
      .filter((f) => f.endsWith('.test.js'))
      .sort()
      .map((f) => join('__test__', f))
// Fixtures declare `go 1.2x` lines; with Go's own GOTOOLCHAIN=local the
// builder uses the installed Go for them instead of downloading that exact
// release (this machine reaches no download host). The toolchain tests set
// their own environment and exercise selection and downloads explicitly.
const env = { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN || 'local' }
run(process.execPath, ['--test', '--test-concurrency=1', ...files], { cwd: root, env })
