'use strict'
// Peak memory of a process tree: the sum of the resident set sizes of a
// process and all its descendants (node, `go`, the compiler and linker it
// runs, …), read from /proc every ~20 ms. Linux only; elsewhere the sampler
// reports null.
const fs = require('fs')

const PAGE = 4096
const INTERVAL_MS = 20

/** pid → ppid for every process, from /proc/<pid>/stat. */
function parents() {
  const map = new Map()
  let entries
  try {
    entries = fs.readdirSync('/proc')
  } catch {
    return map
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    let stat
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1')
    } catch {
      continue // gone meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    map.set(Number(name), Number(rest[1]))
  }
  return map
}

function rssBytes(pid) {
  try {
    const statm = fs.readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')
    return Number(statm[1]) * PAGE
  } catch {
    return 0
  }
}

/** Sum of RSS over `root` and its descendants right now. */
function treeRss(root) {
  const ppid = parents()
  const children = new Map()
  for (const [pid, parent] of ppid) {
    if (!children.has(parent)) children.set(parent, [])
    children.get(parent).push(pid)
  }
  let total = 0
  const stack = [root]
  const seen = new Set()
  while (stack.length) {
    const pid = stack.pop()
    if (seen.has(pid)) continue
    seen.add(pid)
    total += rssBytes(pid)
    for (const child of children.get(pid) || []) stack.push(child)
  }
  return total
}

/** Starts sampling the tree under `root`; `stop()` returns the peak in bytes (null off Linux). */
function sampleTree(root) {
  if (process.platform !== 'linux' || !fs.existsSync('/proc/self/statm')) return { stop: () => null }
  let peak = 0
  const take = () => {
    const rss = treeRss(root)
    if (rss > peak) peak = rss
  }
  take()
  const timer = setInterval(take, INTERVAL_MS)
  return {
    stop() {
      clearInterval(timer)
      return peak
    },
  }
}

module.exports = { sampleTree, treeRss }
