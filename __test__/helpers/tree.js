'use strict';

// Tree hashing for "the builder never changes the user's tree" assertions.
//
// snapshotTree(root) walks `root` without following symlinks and records one
// line per entry (the root itself included):
//   dir  <path> <mode>
//   file <path> <mode> <sha256 of content>
//   link <path> <mode> -> <target>
//   other <path> <mode> <type>   (fifo, socket, device)
// Paths are relative to `root`, `/`-separated, sorted. Modes are the full
// permission bits (incl. setuid/sticky). mtimes are not part of the snapshot.
// hashTree(root) is the sha256 over all lines.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

function describe(abs, rel) {
  const st = fs.lstatSync(abs);
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  const name = rel === '' ? '.' : rel;
  if (st.isSymbolicLink()) return `link ${name} ${mode} -> ${fs.readlinkSync(abs)}`;
  if (st.isDirectory()) return `dir  ${name} ${mode}`;
  if (st.isFile()) {
    const sha = crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
    return `file ${name} ${mode} ${st.size} ${sha}`;
  }
  const type = st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : 'device';
  return `other ${name} ${mode} ${type}`;
}

/** Sorted list of entry descriptions under `root` (see above). */
function snapshotTree(root) {
  const lines = [];
  const walk = (abs, rel) => {
    const line = describe(abs, rel);
    lines.push(line);
    if (!line.startsWith('dir ')) return;
    for (const name of fs.readdirSync(abs).sort()) {
      walk(path.join(abs, name), rel === '' ? name : `${rel}/${name}`);
    }
  };
  walk(root, '');
  return lines.sort();
}

/** sha256 over every path, type, mode, content and symlink target under `root`. */
function hashTree(root) {
  return crypto.createHash('sha256').update(snapshotTree(root).join('\n')).digest('hex');
}

/** Human-readable difference between two snapshots ('' when identical). */
function diffSnapshots(before, after) {
  const a = new Set(before);
  const b = new Set(after);
  const removed = before.filter((l) => !b.has(l)).map((l) => `- ${l}`);
  const added = after.filter((l) => !a.has(l)).map((l) => `+ ${l}`);
  return [...removed, ...added].join('\n');
}

/** Asserts two snapshots are identical, showing the difference when not. */
function assertSameTree(before, after, label) {
  const diff = diffSnapshots(before, after);
  assert.equal(diff, '', `${label}: the tree changed:\n${diff}`);
}

/** Asserts `dir` still matches the snapshot `before` taken of it. */
function assertTreeUnchanged(dir, before, label = `the tree ${dir}`) {
  assertSameTree(before, snapshotTree(dir), label);
}

module.exports = { snapshotTree, hashTree, diffSnapshots, assertSameTree, assertTreeUnchanged };
