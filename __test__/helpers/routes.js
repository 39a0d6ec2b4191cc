'use strict'

// Resolves a request through a Build Output API `config.json` the way the
// platform routes it, far enough for the tests: which function answers and
// with which path. Covers what Go builds and the CLI write: `handle` phases
// (`filesystem` checks functions, a directory's index function, and static
// files; routes of the `miss`, `hit` and `error` phases are skipped), `src`
// regexes (anchored,
// case-insensitive), `dest` with `$1`… substitution, `continue`, and the
// `request.path` `set` transform. A rewrite keeps the path the function sees
// (the original one) unless a transform sets it.
//
//   const hit = resolveRoute(config, '/a/b?x=1', { functions: ['main.go'] })
//   // → { function: 'main.go', path: '/a/b', query: 'x=1' } or { status: 404 }

/** `$1`, `$2`… in `template` replaced by the match's groups. */
function substitute(template, match) {
  return template.replace(/\$(\d+)/g, (_, n) => match[Number(n)] ?? '')
}

function matcher(src) {
  const anchored = `${src.startsWith('^') ? '' : '^'}${src}${src.endsWith('$') ? '' : '$'}`
  return new RegExp(anchored, 'i')
}

/**
 * @param {{ routes?: object[] }} config  the parsed config.json
 * @param {string} url                    path and query, e.g. `/a?x=1`
 * @param {{ functions: string[], statics?: string[] }} fs  function names
 *   (paths under functions/ without `.func`) and static file paths
 */
function resolveRoute(config, url, { functions, statics = [] }) {
  const [pathname, query = ''] = url.split(/\?(.*)/s)
  let path = pathname
  let seen = path
  let phase = null
  const lookup = (p) => {
    const name = decodeURIComponent(p).replace(/^\//, '')
    if (functions.includes(name)) return { function: name, path: seen, query }
    // A directory's index function answers for the directory.
    const index = name ? `${name}/index` : 'index'
    if (functions.includes(index)) return { function: index, path: seen, query }
    if (statics.includes(name)) return { static: name, query }
    return null
  }
  for (const route of config.routes || []) {
    if (route.handle) {
      phase = route.handle
      if (phase === 'filesystem') {
        const hit = lookup(path)
        if (hit) return hit
      }
      continue
    }
    if (phase === 'miss' || phase === 'hit' || phase === 'error') continue
    const match = matcher(route.src).exec(path)
    if (!match) continue
    for (const t of route.transforms || []) {
      if (t.type === 'request.path' && t.op === 'set') seen = substitute(t.args, match)
    }
    if (route.dest !== undefined) {
      const dest = substitute(route.dest, match).split('?')[0]
      if (!route.continue) {
        return lookup(dest) || { status: 404, dest }
      }
      path = dest
    }
  }
  return lookup(path) || { status: 404 }
}

module.exports = { resolveRoute }
