'use strict'
// `vercel build` (the CLI in the repo's node_modules/vercel), offline, with
// the builder installed where the CLI looks first:
// `<project>/.vercel/builders/node_modules/<name>`. The CLI then loads it as
// is, without `npm install`, as long as vercel.json's `use` names a version
// it does not want to replace: a bare name for packages the CLI does not pin
// (@acme/go-builder), the exact installed version for those it pins
// (`@vercel/go@22.0.1`; the CLI itself pins 22.0.0).
const fs = require('fs')
const path = require('path')
const { spawn, execFileSync } = require('child_process')

const ROOT = path.join(__dirname, '..', '..')
const VERCEL_BIN = path.join(ROOT, 'node_modules', 'vercel', 'dist', 'vc.js')
const BUILD_UTILS = path.join(ROOT, 'node_modules', '@vercel', 'build-utils')

function available() {
  return fs.existsSync(VERCEL_BIN) && fs.existsSync(BUILD_UTILS)
}

function cliVersion() {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'vercel', 'package.json'), 'utf8')).version
}

function npmEnv(env) {
  const out = { ...env }
  for (const name of Object.keys(out)) if (/^npm_(config|package|lifecycle)_/i.test(name)) delete out[name]
  return out
}

/** `npm pack <spec>` into `dir`; returns the tarball's path. */
function npmPack(spec, dir, cwd) {
  fs.mkdirSync(dir, { recursive: true })
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir, spec], {
    cwd: cwd || dir,
    encoding: 'utf8',
    env: npmEnv(process.env),
  })
  return path.join(dir, JSON.parse(out)[0].filename)
}

/**
 * Installs tarballs into `<projectDir>/.vercel/builders` the way the CLI
 * does (`npm install @vercel/build-utils <builders…>` in a private package),
 * with @vercel/build-utils from the repo's node_modules and the legacy
 * `@now/build-utils` link.
 */
function installBuilders(projectDir, tarballs) {
  const dir = path.join(projectDir, '.vercel', 'builders')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ private: true, license: 'UNLICENSED' }, null, 2)}\n`)
  const args = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-update-notifier', '--loglevel=error', '--ignore-scripts', BUILD_UTILS, ...tarballs]
  execFileSync('npm', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: npmEnv(process.env) })
  const scope = path.join(dir, 'node_modules', '@now')
  fs.mkdirSync(scope, { recursive: true })
  if (!fs.existsSync(path.join(scope, 'build-utils'))) fs.symlinkSync('../@vercel/build-utils', path.join(scope, 'build-utils'))
}

/** Writes vercel.json (one `builds` entry for api/*.go) and .vercel/project.json. */
function configure(projectDir, use) {
  fs.writeFileSync(path.join(projectDir, 'vercel.json'), `${JSON.stringify({ builds: [{ src: 'api/*.go', use }] }, null, 2)}\n`)
  fs.mkdirSync(path.join(projectDir, '.vercel'), { recursive: true })
  fs.writeFileSync(
    path.join(projectDir, '.vercel', 'project.json'),
    `${JSON.stringify({ projectId: 'prj_bench', orgId: 'team_bench', settings: { framework: null } }, null, 2)}\n`,
  )
}

/**
 * Runs `vercel build` in `projectDir` with `env` (HOME, caches, TMPDIR);
 * offline: no telemetry, no update check, npm offline, an empty global
 * config dir. Resolves with { code, ms, output, pid }; `onSpawn(pid)` lets the
 * caller sample the process tree.
 */
function build(projectDir, env, { globalConfig, onSpawn, timeoutMs = 600000 } = {}) {
  const cliEnv = {
    ...env,
    VERCEL_TELEMETRY_DISABLED: '1',
    NO_UPDATE_NOTIFIER: '1',
    VERCEL_CLI_USE_NATIVE_BINARY: '0',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    npm_config_offline: 'true',
  }
  fs.mkdirSync(globalConfig, { recursive: true })
  const args = [VERCEL_BIN, 'build', '--yes', '--cwd', projectDir, '--global-config', globalConfig, '--non-interactive=false']
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(process.execPath, args, { cwd: projectDir, env: cliEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    if (onSpawn) onSpawn(child.pid)
    let output = ''
    const take = (chunk) => {
      output = (output + chunk).slice(-20000)
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {}
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, ms: Number(process.hrtime.bigint() - start) / 1e6, output })
    })
  })
}

/** The `.func` directories `vercel build` wrote. */
function functions(projectDir) {
  const dir = path.join(projectDir, '.vercel', 'output', 'functions')
  const found = []
  const walk = (d) => {
    let entries = []
    try {
      entries = fs.readdirSync(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const full = path.join(d, e.name)
      if (e.name.endsWith('.func')) found.push(path.relative(dir, full))
      else if (e.isDirectory()) walk(full)
    }
  }
  walk(dir)
  return found.sort()
}

module.exports = { available, cliVersion, npmPack, installBuilders, configure, build, functions, VERCEL_BIN }
