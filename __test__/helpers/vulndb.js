'use strict';

// A vulnerability database in the GOVULNDB layout govulncheck reads
// (https://go.dev/security/vuln/database#api): index/db.json,
// index/modules.json and ID/<id>.json, each also gzipped as <name>.json.gz
// (what its HTTP client fetches), written by the test; served from
// 127.0.0.1 or read through a file:// URL.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const zlib = require('node:zlib');
const { pathToFileURL } = require('node:url');

const MODIFIED = '2099-01-02T00:00:00Z';

/**
 * An OSV entry: `module` below `fixed` (a version without the `v`, or
 * null) is vulnerable in `symbols` of package `pkg` (default: the module).
 */
function osvEntry({ id, module, pkg = module, symbols, fixed = null, summary = `${id} in ${module}`, aliases = [] }) {
  const events = [{ introduced: '0' }, ...(fixed ? [{ fixed }] : [])];
  return {
    schema_version: '1.3.1',
    id,
    modified: MODIFIED,
    published: '2099-01-01T00:00:00Z',
    aliases,
    summary,
    details: `Details of ${id}.`,
    affected: [{
      package: { name: module, ecosystem: 'Go' },
      ranges: [{ type: 'SEMVER', events }],
      ecosystem_specific: { imports: [{ path: pkg, symbols }] },
    }],
    references: [{ type: 'FIX', url: `https://example.invalid/fix/${id}` }],
    database_specific: { url: `https://example.invalid/vuln/${id}` },
  };
}

/** Writes the database of `entries` (from osvEntry) into `dir`; resolves to its file:// URL. */
function writeVulnDb(dir, entries) {
  const modules = new Map();
  for (const entry of entries) {
    for (const affected of entry.affected) {
      const name = affected.package.name;
      const fixed = affected.ranges[0].events.find((e) => e.fixed);
      if (!modules.has(name)) modules.set(name, { path: name, vulns: [] });
      modules.get(name).vulns.push({ id: entry.id, modified: entry.modified, ...(fixed ? { fixed: fixed.fixed } : {}) });
    }
  }
  const files = {
    'index/db.json': { modified: MODIFIED },
    'index/modules.json': [...modules.values()],
  };
  for (const entry of entries) files[`ID/${entry.id}.json`] = entry;
  for (const [name, value] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = JSON.stringify(value);
    fs.writeFileSync(file, text);
    fs.writeFileSync(`${file}.gz`, zlib.gzipSync(text));
  }
  return pathToFileURL(dir).href;
}

/**
 * Serves the database in `dir` over HTTP on 127.0.0.1 (GET and HEAD of the
 * `.json.gz` files). Resolves to { url, requests, close() }; `requests`
 * lists the paths asked for.
 */
function serveVulnDb(dir) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
    requests.push(name);
    const file = path.join(dir, name);
    const inside = file.startsWith(dir + path.sep) && name.endsWith('.json.gz');
    if (!inside || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () => new Promise((done) => server.close(done)),
      });
    });
  });
}

module.exports = { osvEntry, writeVulnDb, serveVulnDb };
