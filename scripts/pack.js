'use strict'
// Packs the package the way it is published: the main tarball (JS only) and
// the tarball of this machine's per-platform package holding the addon.
// Usage: node scripts/pack.js [outDir]   (prints the two tarball paths as JSON)
const { copyFileSync, existsSync, mkdirSync } = require('fs')
const { join, resolve } = require('path')
const { execFileSync } = require('child_process')

const root = join(__dirname, '..')

/** napi-rs' name for this platform, e.g. `linux-x64-gnu`. */
function platformTriple() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const glibc = process.report.getReport().header.glibcVersionRuntime
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

function npmPack(dir, outDir) {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], {
    cwd: dir,
    encoding: 'utf8',
  })
  return join(outDir, JSON.parse(out)[0].filename)
}

function pack(outDir) {
  mkdirSync(outDir, { recursive: true })
  const triple = platformTriple()
  const binary = `go-builder.${triple}.node`
  const platformDir = join(root, 'npm', triple)
  if (!existsSync(join(root, binary))) {
    throw new Error(`${binary} is not built: run \`npm run build\` first`)
  }
  copyFileSync(join(root, binary), join(platformDir, binary))
  return { main: npmPack(root, outDir), platform: npmPack(platformDir, outDir) }
}

if (require.main === module) {
  console.log(JSON.stringify(pack(resolve(process.argv[2] || join(root, '.tmp', 'pack')))))
}

module.exports = { pack, platformTriple }
