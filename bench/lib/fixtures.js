'use strict'
// The benchmark projects: bench/fixtures/<name>, copied fresh for every
// measurement (the reference builder edits the tree it builds). Each copy
// goes to the same path for a given builder and workload, because Go's build
// cache keys user packages by their directory: a new path every time would
// make every build cold.
const fs = require('fs')
const path = require('path')

const FIXTURES = path.join(__dirname, '..', 'fixtures')

/** Replaces `dest` with a copy of fixture `name`; go.mod gets `go <goVersion>`. */
function materialize(name, dest, goVersion) {
  fs.rmSync(dest, { recursive: true, force: true })
  fs.mkdirSync(path.dirname(dest), { recursive: true })
  fs.cpSync(path.join(FIXTURES, name), dest, { recursive: true })
  const template = path.join(dest, 'go.mod.tmpl')
  const text = fs.readFileSync(template, 'utf8')
  fs.writeFileSync(path.join(dest, 'go.mod'), text.replace(/\{\{GO_VERSION\}\}/g, goVersion))
  fs.rmSync(template)
  return dest
}

/** The handler entrypoints of a fixture's `api/` directory, sorted. */
function handlers(name) {
  return fs
    .readdirSync(path.join(FIXTURES, name, 'api'))
    .filter((file) => file.endsWith('.go'))
    .sort()
    .map((file) => `api/${file}`)
}

/**
 * The program a builder generates for fixture `handler`, written out as a
 * plain module: the handler package plus a `main` (the addon's own template)
 * that imports go-bridge and calls the handler. Returns the package to build.
 */
function materializeFloor(dest, goVersion, templatePath) {
  materialize('handler', dest, goVersion)
  const template = fs.readFileSync(templatePath, 'utf8')
  if (!template.includes('__VC_HANDLER_IMPORT__') || !template.includes('__VC_HANDLER_FUNC__')) {
    throw new Error(`${templatePath} no longer has the __VC_HANDLER_IMPORT__/__VC_HANDLER_FUNC__ placeholders`)
  }
  const main = template
    .replace('__VC_HANDLER_IMPORT__', 'handler "example.com/bench/api"')
    .replace('__VC_HANDLER_FUNC__', 'handler.Handler')
  fs.mkdirSync(path.join(dest, 'vcmain'), { recursive: true })
  fs.writeFileSync(path.join(dest, 'vcmain', 'main.go'), main)
  return './vcmain'
}

module.exports = { FIXTURES, materialize, handlers, materializeFloor }
