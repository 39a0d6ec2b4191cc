'use strict'
// The results table (Markdown), printed and written to bench/RESULTS.md.
const { summarize, spread, ratio, times, ms, mb } = require('./stats')

function mark(ok) {
  return ok ? '✓' : '✗'
}

function errorCell(error) {
  return `error: ${String(error).split('\n')[0].slice(0, 80).replace(/\|/g, '\\|')}`
}

/** Rows of the main table from the collected samples. */
function rows(results) {
  const out = []
  const cell = (samples, format) => spread(summarize(samples), format)

  const w1 = results.single
  const w6 = results.floor
  if (w1 || w6) {
    const ours = w1 && summarize(w1.ours)
    const ref = w1 && summarize(w1.ref)
    const floorNew = w6 && summarize(w6.fresh)
    const r = ratio(ours, ref)
    const rf = ratio(ours, floorNew)
    out.push({
      id: '1',
      name: 'one handler, warm caches: `build()`',
      ours: w1 ? (w1.error ? errorCell(w1.error) : cell(w1.ours)) : 'skipped',
      ref: w1 ? (w1.error ? errorCell(w1.error) : cell(w1.ref)) : 'skipped',
      ratio: times(r),
      target:
        (r == null ? '≤ 0.50× ref' : `≤ 0.50× ref ${mark(r <= 0.5)}`) +
        '; ' +
        (rf == null ? '≤ 1.15× floor' : `ours ÷ floor (6a) = ${times(rf)}, ≤ 1.15× ${mark(rf <= 1.15)}`),
    })
  }
  const w2 = results.project
  if (w2) {
    const ours = summarize(w2.ours)
    const ref = summarize(w2.ref)
    const r = ratio(ours, ref)
    out.push({
      id: '2',
      name: `${w2.count || 20} handlers in one module, built one after another: total`,
      ours: w2.error ? errorCell(w2.error) : cell(w2.ours),
      ref: w2.error ? errorCell(w2.error) : cell(w2.ref),
      ratio: times(r),
      target: r == null ? '≤ 0.40×' : `≤ 0.40× ${mark(r <= 0.4)}`,
    })
  }
  const w3 = results.standalone
  if (w3) {
    out.push({
      id: '3',
      name: 'standalone net/http server (`framework: "go"`): `build()`',
      ours: w3.error ? errorCell(w3.error) : cell(w3.ours),
      ref: w3.error ? errorCell(w3.error) : cell(w3.ref),
      ratio: times(ratio(summarize(w3.ours), summarize(w3.ref))),
      target: '',
    })
  }
  const w4 = results.dev
  if (w4) {
    const r = ratio(summarize(w4.oursUnchanged), summarize(w4.refUnchanged))
    out.push({
      id: '4a',
      name: '`startDevServer` → first HTTP 200, handler just edited (rebuild)',
      ours: w4.error ? errorCell(w4.error) : cell(w4.oursEdited),
      ref: w4.error ? errorCell(w4.error) : cell(w4.refEdited),
      ratio: times(ratio(summarize(w4.oursEdited), summarize(w4.refEdited))),
      target: '',
    })
    out.push({
      id: '4b',
      name: '`startDevServer` → first HTTP 200, sources unchanged',
      ours: w4.error ? errorCell(w4.error) : cell(w4.oursUnchanged),
      ref: w4.error ? errorCell(w4.error) : cell(w4.refUnchanged),
      ratio: times(r),
      target: r == null ? '≤ 0.10×' : `≤ 0.10× ${mark(r <= 0.1)}`,
    })
  }
  const w5 = results.toolchain
  if (w5) {
    const labels = { tmpfs: ['5a', 'to tmpfs'], disk: ['5b', 'to disk'] }
    const targets = Object.entries(w5.targets || {})
    if (!targets.length) targets.push(['disk', {}])
    for (const [key, t] of targets) {
      const [id, where] = labels[key] || ['5', key]
      const failed = w5.error && !(t.curl && t.curl.length)
      const ours = failed
        ? errorCell(w5.error)
        : t.ours && t.ours.length
          ? cell(t.ours)
          : w5.oursExport || w5.error
            ? errorCell(w5.error || 'no samples')
            : 'n/a (toolchain manager not integrated)'
      out.push({
        id,
        name: `Go toolchain install from a loopback server (${w5.archiveMb || '?'} MB archive), ${where}`,
        ours,
        ref: failed ? errorCell(w5.error) : cell(t.curl),
        ratio: times(t.ours && t.ours.length ? ratio(summarize(t.ours), summarize(t.curl)) : null),
        target: 'vs `curl -s URL \\| tar -xz`',
      })
    }
  }
  if (w6) {
    out.push({
      id: '6a',
      name: 'floor: `go build -ldflags "-s -w"` of the generated program, warm, new output file',
      ours: w6.error ? errorCell(w6.error) : cell(w6.fresh),
      ref: '',
      ratio: '',
      target: '',
    })
    out.push({
      id: '6b',
      name: 'the same `go build`, output file already up to date (Go skips the link)',
      ours: w6.error ? errorCell(w6.error) : cell(w6.existing),
      ref: '',
      ratio: '',
      target: '',
    })
  }
  const memOurs = [...((w1 && w1.oursRss) || [])]
  const memRef = [...((w1 && w1.refRss) || [])]
  if (memOurs.length || memRef.length) {
    const all = [results.single, results.project, results.standalone]
      .filter(Boolean)
      .flatMap((w) => w.oursRss || [])
    const peak = all.length ? Math.max(...all) : null
    out.push({
      id: 'M',
      name: 'peak RSS of the node process during workload 1 `build()`, minus its pre-build baseline',
      ours: spread(summarize(memOurs), mb),
      ref: spread(summarize(memRef), mb),
      ratio: '',
      target: peak == null ? '< 100 MB' : `< 100 MB ${mark(peak < 100 * 1024 * 1024)} (max over workloads 1–3: ${mb(peak)})`,
    })
  }
  return out
}

function table(results, refLabel) {
  const lines = [
    `| # | workload | @acme/go-builder | ${refLabel} | ours ÷ ref | target |`,
    '|---|---|---|---|---|---|',
  ]
  for (const row of rows(results)) {
    lines.push(`| ${row.id} | ${row.name} | ${row.ours} | ${row.ref} | ${row.ratio} | ${row.target} |`)
  }
  return lines.join('\n')
}

function document({ machine, results, elapsedMs, setupMs, notes }) {
  const header = [
    '# Benchmark: @acme/go-builder vs @vercel/go',
    '',
    'Written by `npm run bench` (bench/run.js). Every number below is what that run printed.',
    '',
    `- machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory} memory`,
    `- OS: ${machine.os}`,
    `- Go: ${machine.go}${machine.goflags ? ` (GOFLAGS=${machine.goflags})` : ''}`,
    `- Node: ${machine.node}`,
    `- compared: ${machine.ours} vs ${machine.ref}`,
    `- date: ${machine.date}`,
    `- BENCH_REPS: ${machine.reps} (plus one untimed warm-up run of each builder per workload)`,
    `- whole run: ${ms(elapsedMs)} (of which installing @vercel/go and building the addon: ${ms(setupMs)})`,
    '',
    'Cells: median (min–max) over the repetitions; ours ÷ ref is the ratio of the medians.',
    '',
  ]
  const body = [table(results, `${machine.ref} (rows 5a–5b: \`curl \\| tar\`)`), '']
  return [...header, ...body, ...notes].join('\n') + '\n'
}

module.exports = { rows, table, document }
