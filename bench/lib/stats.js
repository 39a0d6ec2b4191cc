'use strict'
// Summaries of repeated measurements and how they are printed.

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** `{ median, min, max, n }` of a non-empty list, else null. */
function summarize(values) {
  if (!values || values.length === 0) return null
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    n: values.length,
  }
}

/** Milliseconds, with a precision that suits the magnitude. */
function ms(value) {
  if (value >= 10000) return `${(value / 1000).toFixed(1)} s`
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`
  if (value >= 100) return `${value.toFixed(0)} ms`
  if (value >= 10) return `${value.toFixed(1)} ms`
  return `${value.toFixed(2)} ms`
}

function mb(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

/** "612 ms (548 ms–701 ms)": median and the spread of all repetitions. */
function spread(summary, format = ms) {
  if (!summary) return 'n/a'
  return `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})`
}

function ratio(a, b) {
  if (!a || !b || !b.median) return null
  return a.median / b.median
}

function times(value) {
  return value == null ? '—' : `${value.toFixed(2)}×`
}

module.exports = { median, summarize, ms, mb, spread, ratio, times }
