'use strict';

// Temporary directories, fixture copies and file edits.
//
// Every test works on a private copy of a fixture under __test__/fixtures, so
// a builder bug can never dirty the repository. Every temporary directory is
// named go-builder-test-* and is removed by removeTempDirs() (call it from an
// `after` hook) or, at the latest, when the process exits. KEEP_TEST_TMP=1
// keeps them for inspection.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, '__test__', 'fixtures');

const tempDirs = new Set();

/** A fresh directory <tmp>/go-builder-test-<label>-XXXXXX, removed with the others. */
function tempDir(label = 'tmp') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `go-builder-test-${label}-`));
  tempDirs.add(dir);
  return dir;
}

/** Also removes `dir` (a directory the builder left behind) with the temp dirs. */
function adoptTempDir(dir) {
  tempDirs.add(dir);
}

/** Removes every temp dir so far (unless KEEP_TEST_TMP is set). */
function removeTempDirs() {
  if (process.env.KEEP_TEST_TMP) return;
  for (const dir of [...tempDirs].reverse()) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {}
  }
  tempDirs.clear();
}

process.on('exit', removeTempDirs);

/**
 * Copies `__test__/fixtures/<fixture>` (e.g. 'handler/basic') to
 * <base>/ws/<name>, keeping modes, symlinks and timestamps. `tmp`, beside
 * `ws` and so outside the tree the tests snapshot, is for a build's TMPDIR.
 * Returns { name, base, root: <base>/ws, workPath: <base>/ws/<name>, tmp }.
 */
function copyFixture(fixture) {
  const src = path.join(FIXTURES, fixture);
  assert.ok(fs.existsSync(src), `fixture ${fixture} exists`);
  const name = path.basename(fixture);
  const base = tempDir(path.dirname(fixture));
  const root = path.join(base, 'ws');
  const workPath = path.join(root, name);
  const tmp = path.join(base, 'tmp');
  fs.mkdirSync(root);
  fs.mkdirSync(tmp);
  fs.cpSync(src, workPath, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  return { name, base, root, workPath, tmp };
}

/** Writes { 'relative/path': contents } under `dir`, creating directories. */
function writeFiles(dir, files) {
  for (const [name, contents] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), contents);
  }
}

let clock = Math.floor(Date.now() / 1000) + 10;
/** Writes `content` and moves the file's mtime forward (strictly increasing). */
function editFile(file, content) {
  fs.writeFileSync(file, content);
  clock += 10;
  fs.utimesSync(file, clock, clock);
}

/**
 * The text of a Go file: `package <pkg>`, an import block of `imports` ('' for
 * a blank line between groups), then `lines` (the declarations).
 */
function goFile(pkg, imports, lines) {
  const block = imports.length === 1
    ? `import "${imports[0]}"`
    : ['import (', ...imports.map((i) => (i ? `\t"${i}"` : '')), ')'].join('\n');
  return [`package ${pkg}`, '', block, '', ...lines, ''].join('\n');
}

/**
 * The platform's restore of a deploy cache: every file prepareCache()
 * returned ({ key: [fsPath, mode] }, keys relative to the work path) at its
 * key below `workPath`, with its mode.
 */
function restoreFiles(files, workPath) {
  for (const [key, [fsPath, mode]] of Object.entries(files)) {
    const dest = path.join(workPath, key);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(fsPath, dest);
    fs.chmodSync(dest, mode & 0o7777);
  }
}

module.exports = {
  ROOT,
  FIXTURES,
  tempDir,
  adoptTempDir,
  removeTempDirs,
  copyFixture,
  writeFiles,
  restoreFiles,
  editFile,
  goFile,
};
