'use strict'
// The environments the scenarios run in. Every process gets GOTOOLCHAIN=local
// (no toolchain downloads) and a GOPROXY that names module proxies only (no
// `direct` fetches from VCS hosts). Variables that would point Go or the
// builders at the machine's own caches are removed, so "warm" means the
// bench's own warm HOME and "empty" means empty.
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')

/** Removed from every environment: they would override the HOME-derived defaults. */
const CACHE_VARS = [
  'GOCACHE',
  'GOMODCACHE',
  'GOPATH',
  'GOENV',
  'GOROOT',
  'GOBIN',
  'XDG_CACHE_HOME',
  'XDG_CONFIG_HOME',
  'GO_BUILDER_CACHE_DIR',
]

/** The module proxies `go env GOPROXY` lists, without `direct`/`off`; proxy.golang.org when none is left. */
function moduleProxy() {
  let value = ''
  try {
    value = execFileSync('go', ['env', 'GOPROXY'], { encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local' } }).trim()
  } catch {}
  const proxies = value
    .split(/[,|]/)
    .map((s) => s.trim())
    .filter((s) => s && s !== 'direct' && s !== 'off')
  return proxies.length ? proxies.join(',') : 'https://proxy.golang.org'
}

let proxy = null

/** process.env without cache locations, outer build settings or npm's run-script variables. */
function base() {
  if (proxy == null) proxy = moduleProxy()
  const env = { ...process.env }
  for (const name of CACHE_VARS) delete env[name]
  for (const name of Object.keys(env)) {
    if (/^(VERCEL_|NOW_|__VERCEL_)/.test(name) || name === 'VERCEL') delete env[name]
    if (/^npm_(config|package|lifecycle)_/i.test(name)) delete env[name]
  }
  env.GOTOOLCHAIN = 'local'
  env.GOPROXY = proxy
  return env
}

function mkdir(dir) {
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

/**
 * A machine whose caches are all under `home` (Go's build and module caches,
 * the builders' own caches): warm once the bench has built there.
 */
function warm(home, tmp) {
  return { ...base(), HOME: mkdir(home), TMPDIR: mkdir(tmp) }
}

/**
 * A fresh container: an empty HOME and TMPDIR, no GOCACHE/GOMODCACHE/
 * XDG_CACHE_HOME, so Go and the builders fall back to the empty HOME.
 */
function container(dir) {
  return { ...base(), HOME: mkdir(path.join(dir, 'home')), TMPDIR: mkdir(path.join(dir, 'tmp')) }
}

/** Every cache empty and named explicitly: HOME, GOCACHE, GOMODCACHE, GO_BUILDER_CACHE_DIR, TMPDIR. */
function cold(dir) {
  return {
    ...base(),
    HOME: mkdir(path.join(dir, 'home')),
    GOCACHE: mkdir(path.join(dir, 'gocache')),
    GOMODCACHE: mkdir(path.join(dir, 'gomodcache')),
    GO_BUILDER_CACHE_DIR: mkdir(path.join(dir, 'builder-cache')),
    TMPDIR: mkdir(path.join(dir, 'tmp')),
  }
}

/** The warm HOME (modules downloaded) with an empty Go build cache and builder cache. */
function coldBuildCache(home, dir) {
  return {
    ...warm(home, path.join(dir, 'tmp')),
    GOCACHE: mkdir(path.join(dir, 'gocache')),
    GO_BUILDER_CACHE_DIR: mkdir(path.join(dir, 'builder-cache')),
  }
}

/** rm -rf that also copes with Go's read-only module cache. */
function remove(dir) {
  try {
    fs.rmSync(dir, { recursive: true, force: true })
  } catch {
    try {
      execFileSync('chmod', ['-R', 'u+w', dir], { stdio: 'ignore' })
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

module.exports = { base, warm, container, cold, coldBuildCache, remove, moduleProxy }
