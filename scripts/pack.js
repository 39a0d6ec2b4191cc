'use strict'
// Packs the package the way it is published: the main tarball (JS only) and
// the tarball of this machine's per-platform package holding the addon.
// Usage: node scripts/pack.js [outDir]   (prints the two tarball paths as JSON)
const fs = require('fs')
const { copyFileSync, cpSync, existsSync, mkdirSync, rmSync } = fs
const { join, resolve } = require('path')
const { execFileSync } = require('child_process')
const { needsShell } = require('./run')

const root = join(__dirname, '..')

/** The platform of the addon that was built (`go-builder.<triple>.node`), e.g. `linux-x64-gnu`. */
function platformTriple() {
  const built = fs.readdirSync(root).find((f) => /^go-builder\..+\.node$/.test(f))
  if (!built) throw new Error('the addon is not built: run `npm run build` first')
  return built.slice('go-builder.'.length, -'.node'.length)
}

function npmPack(dir, outDir) {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], {
    cwd: dir,
    encoding: 'utf8',
    shell: needsShell('npm'),
  })
  return join(outDir, JSON.parse(out)[0].filename)
}

function pack(outDir) {
  mkdirSync(outDir, { recursive: true })
  const triple = platformTriple()
  const binary = `go-builder.${triple}.node`
  const platformDir = join(root, 'npm', triple)
  copyFileSync(join(root, binary), join(platformDir, binary))
  // The prebuilt helpers whose digests this addon recorded.
  rmSync(join(platformDir, 'helpers'), { recursive: true, force: true })
  if (existsSync(join(root, 'helpers'))) {
    cpSync(join(root, 'helpers'), join(platformDir, 'helpers'), { recursive: true })
  }
  return { main: npmPack(root, outDir), platform: npmPack(platformDir, outDir) }
}

if (require.main === module) {
  console.log(JSON.stringify(pack(resolve(process.argv[2] || join(root, '.tmp', 'pack')))))
}

module.exports = { pack, platformTriple }
