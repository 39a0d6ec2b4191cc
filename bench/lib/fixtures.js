'use strict'
// The benchmark projects: bench/fixtures/<name>, copied fresh for every
// measurement (the reference builder edits the tree it builds). Whether a
// copy goes to the same path every time (a developer's checkout) or to a new
// one (a deploy's fresh checkout) is up to the scenario: Go's build cache
// keys user packages by their directory unless -trimpath is used.
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
 * Adds a `main` package (`dir`, e.g. `vcmain`) made from one of the addon's
 * go/templates that calls fixture `handler`'s handler: the program a builder
 * generates, as a plain module. Returns the package to build (`./<dir>`).
 */
function addMain(dest, templatePath, dir) {
  const template = fs.readFileSync(templatePath, 'utf8')
  if (!template.includes('__VC_HANDLER_IMPORT__') || !template.includes('__VC_HANDLER_FUNC__')) {
    throw new Error(`${templatePath} no longer has the __VC_HANDLER_IMPORT__/__VC_HANDLER_FUNC__ placeholders`)
  }
  const main = template
    .replace('__VC_HANDLER_IMPORT__', 'handler "example.com/bench/api"')
    .replace('__VC_HANDLER_FUNC__', 'handler.Handler')
  fs.mkdirSync(path.join(dest, dir), { recursive: true })
  fs.writeFileSync(path.join(dest, dir, 'main.go'), main)
  return `./${dir}`
}

/** Copies `src` (a prepared checkout) to `dest`, replacing it. */
function copyTree(src, dest) {
  fs.rmSync(dest, { recursive: true, force: true })
  fs.mkdirSync(path.dirname(dest), { recursive: true })
  fs.cpSync(src, dest, { recursive: true, verbatimSymlinks: true })
  return dest
}

module.exports = { FIXTURES, materialize, handlers, addMain, copyTree }
