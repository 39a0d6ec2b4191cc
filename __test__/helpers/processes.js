'use strict';

// Processes, read from /proc (Linux): one process's state, the whole table
// with parents, groups and command lines, and waiting for a condition or
// for a process to be gone.

const fs = require('node:fs');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns a truthy value, which it resolves to;
 * fails with `describe()` after `timeout` ms.
 */
async function waitUntil(check, { timeout = 15000, interval = 25, describe = () => '' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeout} ms ${describe()}`.trim());
    }
    await sleep(interval);
  }
}

/** `/proc/<pid>/stat` fields: { state, ppid, pgrp }, or null when gone. */
function procStat(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // pid (comm) state ppid pgrp …  — comm may contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], ppid: Number(fields[1]), pgrp: Number(fields[2]) };
}

/** pid → { state, ppid, pgrp, argv } for every process we can read (zombies included). */
function processTable() {
  const table = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (!stat) continue;
    let argv = [];
    try {
      argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {}
    table.set(Number(name), { ...stat, argv });
  }
  return table;
}

/** Descendants of `root` (pids), from a process table. */
function descendants(table, root) {
  const out = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift();
    for (const [pid, info] of table) {
      if (info.ppid === parent) {
        out.push(pid);
        queue.push(pid);
      }
    }
  }
  return out;
}

/** Every process (zombies included) whose process group is `pgid`: [{ pid, state }]. */
function processGroup(pgid) {
  const members = [];
  for (const [pid, info] of processTable()) {
    if (info.pgrp === pgid) members.push({ pid, state: info.state });
  }
  return members;
}

/** Waits until `pid` is gone from /proc: exited *and* reaped (no zombie). */
async function waitGone(pid, timeout = 10000) {
  await waitUntil(() => procStat(pid) === null, {
    timeout,
    describe: () => `for pid ${pid} to be gone; /proc says ${JSON.stringify(procStat(pid))}`,
  });
}

/**
 * Live processes (zombies left out) whose environment holds `entry`
 * (`NAME=value`, exactly): what a start given that variable left running,
 * whatever their parents and groups. [{ pid, argv }]
 */
function processesWithEnv(entry) {
  const found = [];
  for (const [pid, info] of processTable()) {
    if (info.state === 'Z' || pid === process.pid) continue;
    let environ;
    try {
      environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (environ.includes(entry)) found.push({ pid, argv: info.argv });
  }
  return found;
}

module.exports = { sleep, waitUntil, procStat, processTable, descendants, processGroup, waitGone, processesWithEnv };
