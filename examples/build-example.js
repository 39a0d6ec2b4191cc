'use strict'
// Builds examples/hello/api/index.go with @acme/go-builder, exactly as the
// Vercel CLI would call it, and prints the resulting Lambda.
const path = require('path')
const { build } = require('..')

async function main() {
  const workPath = path.join(__dirname, 'hello')
  const entrypoint = process.argv[2] || 'api/index.go'
  const started = Date.now()
  const { output } = await build({
    files: {},
    entrypoint,
    workPath,
    config: {},
    meta: { skipDownload: true },
  })
  console.log(`Built ${entrypoint} in ${Date.now() - started} ms`)
  console.log(`type:     ${output.type}`)
  console.log(`handler:  ${output.handler}`)
  console.log(`runtime:  ${output.runtime}`)
  console.log(`arch:     ${output.architecture}`)
  console.log('files:')
  for (const [name, file] of Object.entries(output.files)) {
    const size = require('fs').statSync(file.fsPath).size
    console.log(`  ${name}  ${size} bytes  mode ${(file.mode & 0o777).toString(8)}`)
  }
}

main().catch((err) => {
  console.error(`${err.code || 'ERROR'}: ${err.message}`)
  process.exit(1)
})
