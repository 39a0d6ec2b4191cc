'use strict'
// Small process helpers shared by the project's scripts.
const { spawnSync } = require('child_process')

/** Runs a command with inherited stdio; exits the script if it fails. */
function run(command, args, options = {}) {
  console.log(`\n$ ${[command, ...args].join(' ')}`)
  const result = spawnSync(command, args, { stdio: 'inherit', ...options })
  if (result.error) {
    console.error(result.error.message)
    process.exit(1)
  }
  if (result.status !== 0) process.exit(result.status || 1)
}

module.exports = { run }
