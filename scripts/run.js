'use strict'
// Small process helpers shared by the project's scripts.
const { spawnSync } = require('child_process')

/**
 * Whether `command` must run through the shell: on Windows npm and npx are
 * `.cmd` scripts, which Node does not run directly.
 */
function needsShell(command) {
  return process.platform === 'win32' && /^(npm|npx)$/.test(command)
}

/** Runs a command with inherited stdio; exits the script if it fails. */
function run(command, args, options = {}) {
  console.log(`\n$ ${[command, ...args].join(' ')}`)
  const result = spawnSync(command, args, { stdio: 'inherit', shell: needsShell(command), ...options })
  if (result.error) {
    console.error(result.error.message)
    process.exit(1)
  }
  if (result.status !== 0) process.exit(result.status || 1)
}

module.exports = { run, needsShell }
