'use strict'
// Installs the npm dependencies (when missing) and builds the native addon.
// Used by `npm run setup`, `npm test` and `npm run bench`.
const { existsSync } = require('fs')
const { join } = require('path')
const { run } = require('./run')
const { buildHelpers } = require('./build-helpers')

const root = join(__dirname, '..')

function setup({ release = true } = {}) {
  if (!existsSync(join(root, 'node_modules', '@napi-rs', 'cli'))) {
    // `npm install` honours package-lock.json; `npm ci` is refused by npm 11
    // for this tree (it wants the optional platform packages of
    // @napi-rs/lzma in the lock, which npm itself does not record).
    run('npm', ['install', '--no-audit', '--no-fund'], { cwd: root })
  }
  // The helper programs first: the addon's build records their digests.
  buildHelpers()
  const args = ['napi', 'build', '--platform', '--js', 'binding.js', '--dts', 'binding.d.ts']
  if (release) args.push('--release')
  run('npx', args, { cwd: root })
}

if (require.main === module) setup()

module.exports = { setup, root }
