'use strict'
// What the benchmark ran on: machine, OS, Go, Node, and what was compared.
const os = require('os')
const fs = require('fs')
const { execFileSync } = require('child_process')

function read(command, args, options = {}) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], ...options }).trim()
  } catch {
    return null
  }
}

function osName() {
  try {
    const text = fs.readFileSync('/etc/os-release', 'utf8')
    const match = text.match(/^PRETTY_NAME="?([^"\n]*)"?/m)
    if (match) return `${match[1]}, ${os.type()} ${os.release()} ${os.arch()}`
  } catch {}
  return `${os.type()} ${os.release()} ${os.arch()}`
}

/** Facts for the report header. */
function describe({ root, builders, goVersionLine, goproxy, loadStart }) {
  const cpus = os.cpus()
  const commit = read('git', ['rev-parse', '--short', 'HEAD'], { cwd: root })
  const dirty = read('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'go', 'index.js', 'binding.js', 'Cargo.toml'], { cwd: root })
  return {
    cpu: cpus.length ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: osName(),
    go: goVersionLine,
    goproxy,
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    ours: `@acme/go-builder ${builders.ours.version}` +
      (commit ? ` (git ${commit}${dirty ? ', with uncommitted changes in src/go/index.js' : ''})` : ''),
    refs: [builders.ref22.label, builders.ref3.label],
    goflags: process.env.GOFLAGS || '',
    load: { start: (loadStart || []).map((l) => l.toFixed(2)).join(' '), end: os.loadavg().map((l) => l.toFixed(2)).join(' ') },
  }
}

module.exports = { describe }
