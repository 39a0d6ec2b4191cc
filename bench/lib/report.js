'use strict'
// The results table (Markdown), printed and written to bench/RESULTS.md.
const { summarize, spread, ratio, times, ms, mb, median } = require('./stats')

function mark(ok) {
  return ok ? '✓' : '✗'
}

function errorCell(error) {
  return `error: ${String(error).split('\n')[0].slice(0, 80).replace(/\|/g, '\\|')}`
}

/** Summary of the `ms` of a participant's samples (or of another field). */
function stat(samples, who, field = 'ms') {
  const list = samples && samples[who]
  if (!list || !list.length) return null
  return summarize(list.map((s) => (typeof s === 'number' ? s : s[field])).filter((v) => v != null))
}

/**
 * The median over repetitions of ours ÷ `who` within the same repetition
 * (both ran back to back): less sensitive to other work on the machine
 * changing between repetitions than the ratio of the medians.
 */
function pairedRatio(samples, who) {
  const a = samples && samples.ours
  const b = samples && samples[who]
  if (!a || !b || a.length !== b.length || a.length < 2) return null
  const value = (s) => (typeof s === 'number' ? s : s.ms)
  return median(a.map((s, i) => value(s) / value(b[i])))
}

/**
 * "≤ 0.45× 22: 0.38× ✓", or "≤ 0.45× 22: —" when it could not be computed.
 * When the per-repetition ratios tell a different story (another verdict, or
 * more than 20% apart), their median is shown too.
 */
function check(label, value, limit, paired) {
  if (value == null) return `${label} ≤ ${limit}×: —`
  let text = `${label} ≤ ${limit}×: ${times(value)} ${mark(value <= limit)}`
  if (paired != null && (paired <= limit !== value <= limit || Math.abs(paired / value - 1) > 0.2)) {
    text += ` (median of per-repetition ratios: ${times(paired)} ${mark(paired <= limit)})`
  }
  return text
}

/**
 * One timing row: cells for ours, the two references and the floor, the
 * ratios of the medians, and the targets ([{ over, label, limit }], `over`
 * naming a column or a summary).
 */
function timingRow({ id, scenario, name, result, samples, columns: wanted, targets = [], format = ms }) {
  // A participant that did not take part in this row (no samples, no error) is shown as "—".
  const columns = Object.fromEntries(
    Object.entries(wanted).filter(([, who]) => typeof who !== 'string' || (samples && samples[who]) || (result && result.error)),
  )
  const s = {}
  for (const [col, who] of Object.entries(columns)) s[col] = who && typeof who === 'object' ? who : stat(samples, who)
  const row = { id, scenario, name }
  for (const col of ['ours', 'ref22', 'ref3', 'floor']) {
    if (result && result.error && columns[col]) row[col] = errorCell(result.error)
    else row[col] = columns[col] ? spread(s[col], format) : '—'
  }
  const r = (col) => (columns[col] ? ratio(s.ours, s[col]) : null)
  const shown = (col) => (columns.ours && columns[col] ? times(r(col)) : '')
  row.r22 = shown('ref22')
  row.r3 = shown('ref3')
  row.rf = shown('floor')
  row.target = targets
    .map((t) => {
      const inTable = t.over in columns || t.over === 'floor'
      const value = inTable ? r(t.over) : ratio(s.ours, t.summary)
      const pairWith = inTable ? columns[t.over] : t.pairWith
      return check(t.label, value, t.limit, typeof pairWith === 'string' ? pairedRatio(samples, pairWith) : null)
    })
    .join('; ')
  return row
}

/** Column → participant for the rows that show every builder and the floor, or the builders only. */
const EVERYONE = { ours: 'ours', ref22: 'ref22', ref3: 'ref3', floor: 'floor' }
const BUILDERS_ONLY = { ours: 'ours', ref22: 'ref22', ref3: 'ref3' }

function rows(results, ctx) {
  const out = []
  const { builders } = ctx
  const v22 = builders.ref22.version
  const v3 = builders.ref3.version

  const fixed = results.fixed
  if (fixed && (fixed.samples || fixed.error)) {
    const samples = fixed.samples || {}
    if (samples.ours || (fixed.error && !samples.floor)) {
      out.push(
        timingRow({
          id: '1',
          scenario: 'fixed path',
          name: 'one handler (`api/index.go`), warm caches: `build()`',
          result: fixed,
          samples,
          columns: EVERYONE,
          targets: [
            { over: 'ref3', label: v3, limit: 0.5 },
            { over: 'floor', label: 'floor', limit: 1.15 },
          ],
        }),
      )
    }
  }
  const freshRow = results.fresh
  const freshRows = [
    ['2', freshRow, 'one handler, a new checkout path for every build, warm module and build caches'],
    ['2e', results.freshEdited, 'one handler whose source changed, a new checkout path for every build, warm module and build caches'],
  ]
  for (const [id, result, name] of freshRows) {
    if (result && result.samples && result.samples.ours) {
      out.push(
        timingRow({
          id,
          scenario: 'fresh path',
          name,
          result,
          samples: result.samples,
          columns: EVERYONE,
          targets: [{ over: 'ref22', label: v22, limit: 0.45 }],
        }),
      )
    } else if (result && result.error) {
      out.push({ id, scenario: 'fresh path', name, ...errorRow(result.error) })
    }
  }
  const scan = results.scan
  const scanName = 'as 2e, with `GO_BUILDER_VULNCHECK=warn` (govulncheck installed; a database of one entry served from 127.0.0.1)'
  if (scan && scan.samples && scan.samples['ours-scan']) {
    const withScan = scan.samples['ours-scan']
    const without = scan.samples.ours
    const added = median(withScan.map((s, i) => s.ms - without[i].ms))
    out.push({
      id: '2v',
      scenario: 'fresh path',
      name: scanName,
      ...errorRow(''),
      ours: spread(stat(scan.samples, 'ours-scan')),
      target: `the scan: ${added < 0 ? '−' : '+'}${ms(Math.abs(added))} over the same build without it (${spread(stat(scan.samples, 'ours'))}; median of per-repetition differences)`,
    })
  } else if (scan && scan.error) {
    out.push({ id: '2v', scenario: 'fresh path', name: scanName, ...errorRow(scan.error) })
  }
  const restored = results.restored
  if (restored) {
    const samples = restored.samples || {}
    out.push(
      timingRow({
        id: '3',
        scenario: 'restored cache',
        name: 'second deploy: new checkout path, empty HOME, the first deploy\'s `prepareCache()` files restored',
        result: restored,
        samples,
        columns: BUILDERS_ONLY,
        targets: [
          { over: 'ref22', label: v22, limit: 0.5 },
          { over: 'oursWarm', label: 'ours-warm', limit: 2, summary: stat(samples, 'ours-warm'), pairWith: 'ours-warm' },
        ],
      }),
    )
  }
  const cold = results.cold
  if (cold) {
    out.push(
      timingRow({
        id: '4',
        scenario: 'cold',
        name: 'first deploy: Go installed, every cache empty, modules downloaded from the proxy',
        result: cold,
        samples: cold.samples || {},
        columns: EVERYONE,
        targets: [
          { over: 'ref22', label: v22, limit: 0.9 },
          { over: 'floor', label: 'floor', limit: 1.1 },
        ],
      }),
    )
  }
  const project = results.project
  if (project) {
    const part = (variant) => (project[variant] && project[variant].samples) || {}
    const count = (project.warm && project.warm.count) || 20
    const variants = [
      ['5a', 'warm', 'fresh path', `${count} handlers in one module, ${count} \`build()\` calls in one process, warm caches`, 0.4],
      ['5b', 'cold', 'fresh path, cold build cache', `the same ${count} builds with an empty Go build cache and builder cache (modules in cache)`, 0.6],
    ]
    for (const [id, variant, scenario, name, limit] of variants) {
      out.push(
        timingRow({
          id,
          scenario,
          name,
          result: project,
          samples: part(variant),
          columns: BUILDERS_ONLY,
          targets: [{ over: 'ref22', label: v22, limit }],
        }),
      )
    }
    const peak = (who) => {
      const all = [...(part('warm')[who] || []), ...(part('cold')[who] || [])].map((s) => s.peakRss).filter((v) => v != null)
      return all.length ? Math.max(...all) : null
    }
    const cell = (who) => {
      const w = stat(part('warm'), who, 'peakRss')
      const c = stat(part('cold'), who, 'peakRss')
      if (!w && !c) return project.error ? errorCell(project.error) : 'n/a'
      return `5a ${w ? mb(w.max) : '—'} / 5b ${c ? mb(c.max) : '—'}`
    }
    const oursPeak = peak('ours')
    out.push({
      id: '5c',
      scenario: 'fresh path',
      name: 'peak memory of the whole process tree (node + Go children, RSS summed every 20 ms) during 5a / 5b, max over repetitions',
      ours: cell('ours'),
      ref22: cell('ref22'),
      ref3: cell('ref3'),
      floor: '—',
      r22: '',
      r3: '',
      rf: '',
      target: oursPeak == null ? '< 1.5 GB: —' : `< 1.5 GB: ${mb(oursPeak)} ${mark(oursPeak < 1.5 * 1024 ** 3)}`,
    })
  }
  const cliRow = results.cli
  if (cliRow) {
    out.push(
      timingRow({
        id: '6',
        scenario: 'fresh path',
        name: `\`vercel build\` (CLI ${cliRow.cliVersion || ''}, offline) of the 20-function project, end to end`,
        result: cliRow,
        samples: cliRow.samples || {},
        columns: BUILDERS_ONLY,
      }),
    )
  }
  const floorNote = `floor: \`go build ${ctx.floorFlags.map((f) => (f.includes(' ') ? `"${f}"` : f)).join(' ')} -o <new file>\` of the generated program`
  // Row 7: the floor's own samples (taken in rows 1 and 2's loops), where there are any.
  const floorRows = [
    ['7a', 'fixed path', `${floorNote}, warm caches`, fixed, fixed && fixed.samples && fixed.samples.floor],
    ['7b', 'fresh path', `${floorNote}, new checkout path every time, warm caches`, freshRow, freshRow && freshRow.samples && freshRow.samples.floor],
    [
      '7c',
      'fixed path',
      'the same `go build` again right after 7a, its output present and up to date (Go skips the link)',
      fixed,
      fixed && fixed.upToDate && fixed.upToDate.length ? fixed.upToDate : null,
    ],
  ]
  for (const [id, scenario, name, result, floor] of floorRows) {
    if (floor) out.push(timingRow({ id, scenario, name, result, samples: { floor }, columns: { floor: 'floor' } }))
  }
  const dev = results.dev
  if (dev) {
    const samples = dev.samples || {}
    out.push(
      timingRow({
        id: '8a',
        scenario: 'fixed path',
        name: 'dev: after a first request, api/index.go saved, 1 s pause, then `startDevServer()` → first HTTP 200 (floor column: `go build` + start)',
        result: dev,
        samples,
        columns: { ours: 'ours', ref3: 'ref3', floor: 'gorun' },
        targets: [
          { over: 'ref3', label: v3, limit: 0.2 },
          { over: 'floor', label: '`go run` restart', limit: 0.3 },
        ],
      }),
    )
    const unchanged = Object.fromEntries(Object.entries(samples).map(([w, list]) => [w, list.map((s) => s.unchanged)]))
    out.push(
      timingRow({
        id: '8b',
        scenario: 'fixed path',
        name: 'dev: right after 8a, `startDevServer()` again, nothing changed → first HTTP 200',
        result: dev,
        samples: unchanged,
        columns: { ours: 'ours', ref3: 'ref3', floor: 'gorun' },
        targets: [{ over: 'ref3', label: v3, limit: 0.1 }],
      }),
    )
  }
  const repro = results.reproducible
  if (repro) {
    const verdict = (c) => {
      if (!c) return '—'
      if (!c.differing.length) return `yes: all ${c.files} files identical`
      return `no: ${c.differing.map((n) => `\`${n}\``).join(', ')} differ${c.differing.length === 1 ? 's' : ''} (of ${c.files})`
    }
    out.push({
      id: '9',
      scenario: 'fresh path ×2',
      name: 'reproducible: the Lambdas of two builds from different checkout paths and different empty HOMEs have the same SHA-256 for every file',
      ours: repro.error ? errorCell(repro.error) : verdict(repro.ours),
      ref22: repro.error ? '—' : verdict(repro.ref22),
      ref3: repro.error ? '—' : verdict(repro.ref3),
      floor: '—',
      r22: '',
      r3: '',
      rf: '',
      target: '',
    })
  }
  const standalone = results.standalone
  if (standalone) {
    out.push(
      timingRow({
        id: '10',
        scenario: 'fixed path',
        name: 'standalone net/http server (`framework: "go"`), warm caches: `build()`',
        result: standalone,
        samples: standalone.samples || {},
        columns: BUILDERS_ONLY,
      }),
    )
  }
  const swap = results.swap
  if (swap) {
    const samples = (swap.samples && swap.samples.ours) || []
    const failures = samples.reduce((n, x) => n + (x.failures || 0), 0)
    const row = timingRow({
      id: '12',
      scenario: 'fixed path',
      name: 'dev, standalone server: 200 requests at concurrency 10 across a save of main.go, then a 1 s pause → the new code answers (time after the pause; failed requests in the target cell)',
      result: swap,
      samples: { ours: samples },
      columns: { ours: 'ours' },
    })
    if (!swap.error) {
      const saveToNew = samples.map((x) => x.saveToNewCode).sort((a, b) => a - b)
      const median = saveToNew.length ? saveToNew[Math.floor(saveToNew.length / 2)] : null
      row.target = `${failures === 0 ? '✓' : '✗'} failed requests: ${failures} of ${samples.length * 200}` +
        (median === null ? '' : `; save → new code ${ms(median)} (median)`)
    }
    out.push(row)
  }
  const assets = results.assets
  if (assets) {
    const parts = [
      ['13a', 'reuse', 'one handler, unchanged, with 300 MB of static assets in public/ (1,200 files): `build()` reuses the kept program'],
      ['13b', 'edited', 'one handler whose source changed, with the same 300 MB of assets: `build()` builds it'],
    ]
    for (const [id, key, name] of parts) {
      const samples = (assets[key] && assets[key].samples) || {}
      out.push(
        timingRow({
          id,
          scenario: 'fresh path, assets',
          name,
          result: assets,
          samples,
          columns: { ours: 'ours' },
          targets: [{ over: 'plain', label: 'ours without the assets', limit: 1.05, summary: stat(samples, 'plain'), pairWith: 'plain' }],
        }),
      )
    }
  }
  const debug = results.debug
  if (debug) {
    const samples = debug.samples || {}
    const pick = (field) => ({
      ours: (samples.debug || []).map((s) => s[field]),
      plain: (samples.plain || []).map((s) => s[field]),
    })
    const debugRows = [
      ['15a', 'dev under the debugger (`GO_BUILDER_DEBUG=1`): api/index.go saved, then a fresh `startDevServer()` → first HTTP 200 (floor column: the same start without the debugger)', 'ms'],
      ['15b', 'dev under the debugger: right after 15a, nothing changed, a fresh `startDevServer()` → first HTTP 200 (floor column: without the debugger)', 'unchanged'],
    ]
    for (const [id, name, field] of debugRows) {
      out.push(
        timingRow({
          id,
          scenario: 'fixed path',
          name,
          result: debug,
          samples: pick(field),
          columns: { ours: 'ours', floor: 'plain' },
          targets: [{ over: 'floor', label: 'without the debugger', limit: 3 }],
        }),
      )
    }
  }
  const tc = results.toolchain
  if (tc) {
    const labels = { tmpfs: ['11a', 'to tmpfs'], disk: ['11b', 'to disk'] }
    const targets = Object.entries(tc.targets || {})
    if (!targets.length) targets.push(['disk', {}])
    for (const [key, t] of targets) {
      const [id, where] = labels[key] || ['11', key]
      const failed = tc.error && !(t.curl && t.curl.length)
      const row = timingRow({
        id,
        scenario: 'cold (no Go)',
        name: `Go SDK install from a loopback server (${tc.archiveMb || '?'} MB archive), ${where} (floor column: \`curl \\| tar -xz\`)`,
        result: failed ? tc : null,
        samples: { ours: t.ours || [], curl: t.curl || [] },
        columns: { ours: 'ours', floor: 'curl' },
      })
      if (!failed && !(t.ours && t.ours.length)) {
        row.ours = tc.oursExport || tc.error ? errorCell(tc.error || 'no samples') : 'n/a (no toolchain install entry point)'
      }
      out.push(row)
    }
  }
  const remote = results.remote
  if (remote) {
    const samples = remote.samples || {}
    const remoteRows = [
      ['14a', 'ours', 'machine B: cold machine, the remote filled by machine A, the handler changed since (Go takes std and deps from the bucket)'],
      ['14b', 'ours-unchanged', "machine B: cold machine, the remote filled by machine A, A's commit (the program comes from the bucket)"],
    ]
    for (const [id, who, name] of remoteRows) {
      out.push(
        timingRow({
          id,
          scenario: 'cold + remote cache',
          name,
          result: remote,
          samples: { ...samples, ours: samples[who] },
          columns: BUILDERS_ONLY,
          targets: [
            { over: 'oursCold', label: 'ours cold', limit: 0.3, summary: stat(samples, 'ours-cold'), pairWith: 'ours-cold' },
            { over: 'ref22', label: v22, limit: 0.25 },
          ],
        }),
      )
    }
  }
  return out
}

function errorRow(error) {
  return { ours: errorCell(error), ref22: '', ref3: '', floor: '', r22: '', r3: '', rf: '', target: '' }
}

function table(results, ctx) {
  const { builders } = ctx
  const lines = [
    `| # | scenario | workload | @acme/go-builder | ${builders.ref22.label} | ${builders.ref3.label} | floor | ours ÷ ${builders.ref22.version} | ours ÷ ${builders.ref3.version} | ours ÷ floor | target |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  for (const r of rows(results, ctx)) {
    lines.push(`| ${r.id} | ${r.scenario} | ${r.name} | ${r.ours} | ${r.ref22} | ${r.ref3} | ${r.floor} | ${r.r22} | ${r.r3} | ${r.rf} | ${r.target} |`)
  }
  return lines.join('\n')
}

/** Facts measured alongside the rows (restored files, first deploys, per-handler times, memory). */
function extras(results, ctx) {
  const lines = []
  const { builders } = ctx
  const label = (who) => (who === 'ours' ? 'ours' : builders[who] ? builders[who].label : who)
  const restored = results.restored
  if (restored && restored.first) {
    const warm = stat(restored.samples || {}, 'ours-warm')
    if (warm) lines.push(`- Row 3, ours with the warm machine's caches (same restored checkout, warm HOME): ${spread(warm)}.`)
    const kept = Object.entries(restored.first)
      .map(([w, f]) => f.cache.error
        ? `${label(w)} nothing: prepareCache() failed (${f.cache.error})`
        : `${label(w)} ${f.cache.count} files (${mb(f.cache.bytes)}, prepareCache() took ${ms(f.cache.ms)})`)
      .join('; ')
    lines.push(`- Row 3, what \`prepareCache()\` returned after the first deploy (container A): ${kept}.`)
    const first = Object.entries(restored.first)
      .map(([w, f]) => `${label(w)} ${ms(f.ms)}`)
      .join(', ')
    lines.push(`- Row 3, the untimed first deploy in container A (empty HOME, one run): ${first}.`)
  }
  const project = results.project
  if (project && project.warm && project.warm.samples) {
    const each = (variant, who) => {
      const list = ((project[variant] && project[variant].samples && project[variant].samples[who]) || []).flatMap((s) => s.each || [])
      const s = summarize(list)
      return s ? `${label(who)} median ${ms(s.median)} (first build of a run: ${ms(summarize(((project[variant].samples[who]) || []).map((x) => x.each[0])).median)})` : null
    }
    for (const variant of ['warm', 'cold']) {
      const parts = Object.keys(builders).map((w) => each(variant, w)).filter(Boolean)
      if (parts.length) lines.push(`- Row 5${variant === 'warm' ? 'a' : 'b'} per \`build()\` call: ${parts.join('; ')}.`)
    }
  }
  const cliRow = results.cli
  if (cliRow && cliRow.samples) {
    const parts = Object.keys(cliRow.samples)
      .map((w) => {
        const s = stat(cliRow.samples, w, 'peakRss')
        return s ? `${label(w)} ${mb(s.max)}` : null
      })
      .filter(Boolean)
    if (parts.length) lines.push(`- Row 6 peak memory of the CLI's process tree (max over repetitions): ${parts.join(', ')}.`)
  }
  const repro = results.reproducible
  if (repro && repro.source) lines.push(`- Row 9 compared: ${repro.source}.`)
  const tc = results.toolchain
  const rss = tc && tc.targets ? Object.values(tc.targets).flatMap((t) => t.oursRss || []).filter((v) => v != null) : []
  if (rss.length) {
    const s = summarize(rss)
    lines.push(`- Row 11 peak memory of ours' process tree during the install: median ${mb(s.median)} (max ${mb(s.max)}).`)
  }
  const fixed = results.fixed
  const verify = fixed && fixed.samples && stat(fixed.samples, 'ours-unverified')
  const reuse = fixed && fixed.samples && stat(fixed.samples, 'ours')
  if (verify && reuse) {
    lines.push(
      `- Verification (row 1, a reuse: no Go run): ours with the machine's verification memo removed before every build, so the kept program's SHA-256 is computed again, ${ms(verify.median)} (${ms(verify.min)}–${ms(verify.max)}) against ${ms(reuse.median)} with the memo: the check costs ${ms(verify.median - reuse.median)} per reuse when nothing vouches for the file (a restored cache, row 3, always pays it).`,
    )
  }
  const sizes = fixed && fixed.samples
  if (sizes && sizes.ours && sizes.ours[0] && sizes.ours[0].files && sizes.ref22 && sizes.ref22[0]) {
    const size = (w) => mb(sizes[w][0].files.bootstrap.size)
    lines.push(`- Row 1 bootstrap size: ours ${size('ours')}, ${label('ref22')} ${size('ref22')}${sizes.ref3 ? `, ${label('ref3')} ${size('ref3')}` : ''}.`)
  }
  const home = results.warmHome
  if (home && home.ours != null) {
    lines.push(
      `- At the end of the run the warm HOME held ${mb(home.ours)} in ours' cache directory (.cache/acme-go-builder), ` +
        `${home.lambda != null ? `${mb(home.lambda)} of it in ${home.lambdaEntries} \`lambda/\` entries (one per checkout path and entrypoint built), ` : ''}` +
        `and ${home.goBuild != null ? mb(home.goBuild) : '?'} in Go's build cache.`,
    )
  }
  const times = Object.entries(results)
    .filter(([, r]) => r && r.elapsedMs)
    .map(([k, r]) => `${k} ${ms(r.elapsedMs)}`)
  if (times.length) lines.push(`- Wall time per part of this run: ${times.join(', ')}.`)
  return lines
}

function explanation(ctx) {
  const { builders, go, reps, floorFlags } = ctx
  const v22 = builders.ref22.label
  const v3 = builders.ref3.label
  const floor = `\`go build ${floorFlags.map((f) => (f.includes(' ') ? `"${f}"` : f)).join(' ')} -o <new file> ./vcmain\``
  return [
    '## What each row measures',
    '',
    `Common to all rows: every \`build()\` runs in a fresh \`node\` process (bench/lib/worker.js) that loads the builder with \`require()\` and passes, as the CLI does, every file of the project as \`files\` (\`meta.skipDownload\`); only the call is timed. Ours, ${v22} and ${v3} run in the same loop, and each repetition starts with a different participant; every row runs both references wherever they can take part (not in row 8, whose handler dev server in ${v22} asks for a Go it must download; not in 11, since they download from dl.google.com only; not in 12, since neither has an offline standalone dev server). Fixtures (bench/fixtures) are copied fresh for every measurement. Their go.mod pins \`go ${go.version}\` (the installed Go, read from \`go version\` at run time: @vercel/go uses the machine's Go only on an exact match) and already requires go-bridge and aws-lambda-go with go.sum entries. Every process runs with \`GOTOOLCHAIN=local\` and a GOPROXY naming only the module proxy. The **warm machine** is one HOME directory for the whole run (Go's module and build caches and the builders' own caches all default to it; no GOCACHE, GOMODCACHE, XDG_CACHE_HOME or GO_BUILDER_CACHE_DIR is set), warmed before the rows by one untimed build of each builder and of the floor. A **fresh container** is a new empty HOME and TMPDIR with none of those variables set. In every fresh-container or cold build, the reference's AST analyzer (compiled once into its own npm package, dist/analyze) is deleted first, as in a container where the package was just installed; ours keeps its compiled helpers under HOME, which such a container has empty. The floor is ${floor}: a module holding the same handler package plus a \`main\` made from the addon's go/templates/handler_main.go.tmpl, GOOS=linux GOARCH=amd64 CGO_ENABLED=0.`,
    '',
    `- **1 — fixed path, warm.** \`build()\` of \`api/index.go\` (package \`handler\`, imports a package of its module), copied every time to the **same path** per builder. Warm caches; one untimed warm-up build per builder at that path. Repetitions: ${reps(1)}. The targets are the earlier ones for this row.`,
    `- **2 — fresh path, warm.** The same build, but every build gets a **new checkout path** (as every deploy does). Warm module and build caches; the builders' own caches warm. Repetitions: ${reps(2)}.`,
    `- **2e — fresh path, source changed, warm.** As 2, but api/index.go gets a new function of a unique name before every build (a commit that changed this function's code; a comment alone would let Go skip the link): no builder can reuse an earlier program, Go's build cache still holds everything else. Repetitions: ${reps(2)}.`,
    `- **2v — vulnerability scan.** As 2e, by ours only: each repetition builds once with \`GO_BUILDER_VULNCHECK=warn\` and \`GOVULNDB\` naming a database (one entry, for aws-lambda-go) served from 127.0.0.1, and once without; the row shows the scanned builds and the median of the per-repetition differences. The warm-up installs govulncheck into the warm HOME's builder cache. Repetitions: ${reps('2v')}.`,
    `- **3 — restored cache (second deploy), fresh path, cold HOME.** Container A (untimed, once per builder): a new checkout, an empty HOME, \`build()\`, then \`prepareCache({ workPath, repoRootPath })\`; the files it returns (FileFsRefs, keys relative to workPath) are copied aside. Container B (timed): a **new checkout path**, those files copied into it, a **new empty HOME** and TMPDIR (GOCACHE, GOMODCACHE, XDG_CACHE_HOME unset: Go falls back to HOME, so modules are downloaded again unless the restored files provide them), \`build()\`. "ours-warm" is ours on the same kind of restored checkout but with the warm machine's HOME. Repetitions: ${reps(3)}.`,
    `- **4 — cold (first deploy), fresh path.** Go is installed, everything else is empty and new for every build: HOME, GOCACHE, GOMODCACHE, GO_BUILDER_CACHE_DIR and TMPDIR each point at an empty directory. Modules are downloaded from the module proxy; the standard library is compiled. The floor runs under the same conditions in the same loop. Repetitions: ${reps(4)}.`,
    `- **5a — 20 handlers, fresh path, warm.** bench/fixtures/project20: api/h01.go … api/h20.go in one package, each with its own handler, all importing the module's lib/greet; a **new checkout path** per repetition, whose lib/greet/greet.go gets a new function of a unique name (a commit that changed the code of the package every handler imports, so all 20 must be built: no program can be reused); the 20 \`build()\` calls run one after another in one process in the CLI's (sorted) order, as \`vercel build\` does. Time = all 20. Warm caches. Repetitions: ${reps('5a')}.`,
    `- **5b — 20 handlers, fresh path, cold build cache.** As 5a, but GOCACHE and GO_BUILDER_CACHE_DIR are new empty directories (the module cache under the warm HOME stays warm). Repetitions: ${reps('5b')}.`,
    '- **5c — memory.** During 5a and 5b, the RSS of the worker process and all its descendants (`go`, compile, link, analyzers) is read from /proc every 20 ms and summed; the cell is the highest sum seen over the repetitions.',
    `- **6 — \`vercel build\`, fresh path, warm.** The real CLI from the repo's node_modules/vercel, offline (no telemetry, no update check, \`npm_config_offline\`, an empty global config dir). project20 with \`vercel.json\` \`{"builds":[{"src":"api/*.go","use":…}]}\`; the builder is installed from packed tarballs into \`.vercel/builders/node_modules\` (ours from \`scripts/pack.js\`, ${v22} and ${v3} from the registry tarballs, \`"use": "@vercel/go@<version>"\` so the CLI keeps them), once into a template checkout each (for the references, one untimed \`vercel build\` there compiles the analyzer into that install; ours keeps its compiled helpers in the warm HOME); every repetition copies the template to a **new path**, changes lib/greet/greet.go there as in 5a (all 20 functions must be built) and times the whole \`node vc.js build\`. Warm machine HOME. Repetitions: ${reps(6)}.`,
    `- **7a/7b/7c — floor.** ${floor} measured exactly like ours in rows 1 and 2, in the same loops: 7a at the **fixed path**, 7b at a **new path** every time, warm caches, new output file each time (what the builders must produce). 7c repeats 7a's command right after it with the output already present: Go's up-to-date check skips the link, the cheapest possible "build".`,
    `- **8a — dev edit, fixed path, warm.** A fresh copy at the **same path**; \`startDevServer()\` answers a first request (its pid is then killed, as the CLI does after each response); a comment line is appended to api/index.go, 1 s passes (the user's pause between saving and reloading), then \`startDevServer()\` → \`GET /\` until the first HTTP 200 is timed. Floor column: the \`go run\`-style restart of the same program after the same pause: \`go build -o <new file>\` of a dev main around the same handler, start it, first HTTP 200. ${v22} is not in this row. Repetitions: ${reps(8)}.`,
    '- **8b — dev unchanged restart, fixed path, warm.** Right after 8a, the same again with nothing changed (for the floor: the same `go build` + start).',
    '- **9 — reproducibility, fresh paths, cold.** The SHA-256 of every file of ours\' Lambdas from two builds of the same fixture from different checkout paths with different empty HOMEs (row 4\'s builds when row 4 ran, else two fresh-container builds); yes only when every file matches.',
    `- **10 — standalone server, fixed path, warm.** \`build()\` of \`main.go\` with \`config: { framework: "go" }\` (a net/http server), same path every time, warm caches. Repetitions: ${reps(10)}.`,
    `- **12 — dev swap under load, fixed path, warm.** Ours only (neither reference's dev server runs offline for a standalone server here). \`startDevServer()\` of the server fixture with \`framework: "go"\`; 10 clients send 200 GETs in all, each pausing 50 ms between requests; after the 20th answer main.go is saved with a new greeting; after the last of the 200 and at least 1 s after the save, GETs until the new greeting answers (that time is the cell). Every request that did not get a 200 counts as failed. Repetitions: ${reps(12)}.`,
    `- **13a/13b — static assets, fresh path, warm.** Ours only: the handler fixture with 300 MB of random bytes in public/ (12 folders of 100 files of 256 KB, hard-linked into every checkout) against the same fixture without them, back to back in one loop, a **new checkout path** for every build, warm caches, one untimed warm-up each. 13a: nothing changed since the warm-up (the kept program is reused); 13b: api/index.go changed as in 2e. The target: the assets add at most 5 %. Repetitions: ${reps(13)}.`,
    `- **14a/14b — cold machine with a remote cache.** \`GO_BUILDER_REMOTE_CACHE\` points at a MinIO started on loopback for the row (with a signing key). Machine A (untimed, once): a row-4 cold machine builds the handler and fills the bucket. Machine B (timed): a new row-4 cold machine (every cache empty, modules downloaded) with the remote; in 14a the handler got a new function since A's build (Go compiles that package and links, and takes the standard library and the dependencies from the bucket), in 14b it is A's commit (the kept program comes from the bucket, no Go runs). In the same loop and the same cold conditions, with the handler changed as in 14a: ours without the remote ("ours cold", shown in the target) and both references. Repetitions: ${reps(14)}.`,
    `- **15 — dev under the debugger, fixed path, warm.** Ours only, with \`GO_BUILDER_DEBUG=1\` (ours column) and without (floor column), interleaved; Delve is installed by the untimed warm-up. A new \`changeSource\` edit of api/index.go, then \`startDevServer()\` of the handler in a fresh Node process (a fresh \`vercel dev\`) → first HTTP 200 is 15a (a build: the debug build compiles without optimisation, from a cache of its own); then the same start again with nothing changed is 15b. Under the debugger the handler runs behind the proxy under Delve's headless server, stopped after its answer. Repetitions: ${reps(15)}.`,
    `- **11a/11b — Go SDK install, cold.** A loopback HTTP server serves this machine's own Go, packed once as \`go${go.version}.linux-amd64.tar.gz\` (+ \`.sha256\`) into bench/.cache. Ours: the binding's \`resolveGoToolchain\` (not part of the builder API) with no Go on PATH, an empty user cache, \`GOTOOLCHAIN=go${go.version}\` in the options it is given (the only way to ask it for a download) and \`GO_BUILDER_DOWNLOAD_BASE_URL\` pointing at that server: it downloads, checks the SHA-256, extracts and moves the SDK into place. Floor column: \`curl -s URL | tar -xz\` of the same archive (no checksum). @vercel/go cannot take part: it downloads from dl.google.com only. 11a extracts to tmpfs (/dev/shm), 11b to the work dir's disk, where write-back makes single runs vary a lot; \`sync\` runs before each install. Repetitions: ${reps(11)}.`,
  ]
}

/** The 1-minute load average seen at the timed measurements: min, median, max. */
function loads(list) {
  const s = summarize(list)
  return s ? `; 1-min load average at the start of each timed measurement: median ${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : ''
}

function document({ machine, results, elapsedMs, setupMs, builders, go, reps, floorFlags }) {
  const ctx = { builders, go, reps, floorFlags }
  const header = [
    '# Benchmark: @acme/go-builder vs @vercel/go',
    '',
    'Written by `npm run bench` (bench/run.js). Every number below is what that run printed.',
    '',
    `- machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory} memory`,
    `- OS: ${machine.os}`,
    `- Go: ${machine.go}${machine.goflags ? ` (GOFLAGS=${machine.goflags})` : ''}; GOPROXY=${machine.goproxy}; GOTOOLCHAIN=local`,
    `- Node: ${machine.node}`,
    `- compared: ${machine.ours} vs ${machine.refs.join(' and ')}`,
    `- date: ${machine.date}`,
    `- load average (1, 5, 15 min) at the start: ${machine.load.start}; at the end: ${machine.load.end}${loads(results.loads)}`,
    `- whole run: ${ms(elapsedMs)} (of which installing the references and building the addon: ${ms(setupMs)})`,
    '',
    'Cells: median (min–max) over the repetitions; the ratio columns divide the medians. Targets: ✓ met, ✗ missed, — not measured. Other work on this machine changes its speed between repetitions; each repetition runs the participants back to back, so where the median of the per-repetition ratios gives another verdict (or differs by more than 20%), the target cell shows it too.',
    '',
  ]
  const more = extras(results, ctx)
  const body = [table(results, ctx), '', ...(more.length ? ['Also measured in this run:', '', ...more, ''] : [])]
  return [...header, ...body, ...explanation(ctx)].join('\n') + '\n'
}

module.exports = { rows, table, document }
