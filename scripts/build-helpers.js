'use strict'
// Compiles the builder's own Go programs ahead of time, for one addon
// target: the analyzer for that platform, and the standalone proxy
// (`executable`) for linux/amd64 and linux/arm64 (every Lambda's platforms).
// Writes them, with `helpers.json` (their SHA-256 digests), into `helpers/`
// (or the given directory). The addon's build embeds those digests, and the
// addon runs a prebuilt program only when its bytes match; otherwise it
// compiles the embedded sources, as it does in checkouts without helpers.
//
// Usage: node scripts/build-helpers.js [--target <rust triple>] [--out <dir>]
// (default: this machine's platform, ./helpers)
const crypto = require('crypto')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync } = require('child_process')

const root = path.join(__dirname, '..')

/** Go's GOOS/GOARCH for a Rust target triple (or this machine). */
function goPlatform(triple) {
  if (!triple) {
    const goos = { win32: 'windows' }[process.platform] || process.platform
    const goarch = { x64: 'amd64', ia32: '386' }[process.arch] || process.arch
    return { goos, goarch }
  }
  const goarch = triple.startsWith('x86_64') ? 'amd64' : triple.startsWith('aarch64') ? 'arm64' : null
  const goos = triple.includes('linux') ? 'linux' : triple.includes('darwin') ? 'darwin' : triple.includes('windows') ? 'windows' : null
  if (!goarch || !goos) throw new Error(`no Go platform for ${triple}`)
  return { goos, goarch }
}

/** `go build -trimpath -ldflags "-s -w"` of one embedded program, from a throw-away module. */
function compile(program, { goos, goarch }, out) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `go-builder-helper-${program}-`))
  try {
    const dir = path.join(root, 'go', program)
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))) {
      fs.copyFileSync(path.join(dir, file), path.join(work, file))
    }
    fs.writeFileSync(path.join(work, 'go.mod'), `module ${program}\n\ngo 1.21\n`)
    const env = { ...process.env, GOOS: goos, GOARCH: goarch, CGO_ENABLED: '0', GOWORK: 'off', GOFLAGS: '' }
    execFileSync('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags', '-s -w', '-o', out, '.'], {
      cwd: work,
      env,
      stdio: 'inherit',
    })
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

function buildHelpers({ target, outDir = path.join(root, 'helpers') } = {}) {
  fs.rmSync(outDir, { recursive: true, force: true })
  fs.mkdirSync(outDir, { recursive: true })
  const host = goPlatform(target)
  const programs = [
    ['analyze', host],
    ['executable', { goos: 'linux', goarch: 'amd64' }],
    ['executable', { goos: 'linux', goarch: 'arm64' }],
  ]
  const digests = {}
  for (const [program, platform] of programs) {
    const name = `${program}-${platform.goos}-${platform.goarch}${platform.goos === 'windows' ? '.exe' : ''}`
    const out = path.join(outDir, name)
    compile(program, platform, out)
    digests[name] = sha256(out)
  }
  fs.writeFileSync(path.join(outDir, 'helpers.json'), JSON.stringify(digests) + '\n')
  return digests
}

/** The npm/ folder of a Rust target's platform package, e.g. `linux-x64-gnu`. */
function npmDirOf(triple) {
  const arch = triple.startsWith('x86_64') ? 'x64' : 'arm64'
  if (triple.includes('linux')) return `linux-${arch}-${triple.endsWith('musl') ? 'musl' : 'gnu'}`
  if (triple.includes('darwin')) return `darwin-${arch}`
  return `win32-${arch}-msvc`
}

/** Release: copies `<artifacts>/bindings-<triple>/helpers` into `npm/<dir>/helpers`. */
function placeHelpers(artifacts) {
  for (const name of fs.readdirSync(artifacts)) {
    const triple = name.replace(/^bindings-/, '')
    const helpers = path.join(artifacts, name, 'helpers')
    if (!fs.existsSync(helpers)) throw new Error(`${name} has no prebuilt helpers`)
    const dest = path.join(root, 'npm', npmDirOf(triple), 'helpers')
    fs.rmSync(dest, { recursive: true, force: true })
    fs.cpSync(helpers, dest, { recursive: true })
  }
}

if (require.main === module) {
  const args = process.argv.slice(2)
  const opt = (name) => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
  }
  if (opt('--place')) {
    placeHelpers(path.resolve(opt('--place')))
  } else {
    const digests = buildHelpers({ target: opt('--target'), outDir: opt('--out') && path.resolve(opt('--out')) })
    console.log(JSON.stringify(digests, null, 2))
  }
}

module.exports = { buildHelpers }
