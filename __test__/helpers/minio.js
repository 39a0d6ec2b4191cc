'use strict';

// A real S3-compatible server on loopback: MinIO, built from the Go module
// proxy at a pinned version (a couple of minutes, once: the binary is kept
// in the user's cache directory under its version), started on a free
// port with a data directory of the test's own; and a small S3 client
// (aws4fetch signs the requests) for what a test does to the bucket
// itself. A loopback proxy in front of it lets a test cut or stall the
// connection. Everything started here is stopped by stopMinios() and, at
// the latest, when the process exits.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const { AwsClient } = require('aws4fetch');

const { tempDir } = require('./fixtures');
const { freePort } = require('./http');

const MINIO_MODULE = 'github.com/minio/minio';
const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';

/** Where built test tools are kept between runs (not a test's temp HOME). */
function toolCacheDir() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'acme-go-builder-test');
}

/**
 * The MinIO binary: from the cache, else `go install`ed from the module
 * proxy into a staging folder and renamed into place.
 */
function minioBinary() {
  const dir = path.join(toolCacheDir(), `minio-${MINIO_VERSION}`);
  const binary = path.join(dir, 'minio');
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(toolCacheDir(), { recursive: true });
  const staging = fs.mkdtempSync(path.join(toolCacheDir(), 'minio-install-'));
  try {
    const res = spawnSync('go', ['install', `${MINIO_MODULE}@${MINIO_VERSION}`], {
      env: { ...process.env, GOBIN: staging, GOFLAGS: '-mod=mod -buildvcs=false', GOWORK: 'off' },
      cwd: staging,
      encoding: 'utf8',
      timeout: 30 * 60 * 1000,
    });
    assert.equal(res.status, 0, `go install ${MINIO_MODULE}@${MINIO_VERSION} failed:\n${res.stderr}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.renameSync(path.join(staging, 'minio'), binary);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

const running = new Set();

async function waitUntilLive(endpoint, child, deadlineMs = 60000) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`minio exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${endpoint}/minio/health/live`);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('minio did not come up within 60 s');
}

/**
 * Starts MinIO on 127.0.0.1 with its own data directory and credentials.
 * Returns { endpoint, accessKeyId, secretAccessKey, s3, stop() } where `s3`
 * is a client (createBucket, list, get, put).
 */
async function startMinio() {
  const binary = minioBinary();
  const data = tempDir('minio-data');
  const port = await freePort();
  const consolePort = await freePort();
  const accessKeyId = 'builder-test';
  const secretAccessKey = 'builder-test-secret-' + Math.random().toString(36).slice(2);
  // MinIO runs under a small shell that stops it when its stdin closes:
  // when this process ends, however it ends, so does the server.
  const args = ['server', data, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'];
  const child = spawn(
    '/bin/sh',
    ['-c', '"$0" "$@" <&- & pid=$!; cat >/dev/null; kill -9 "$pid" 2>/dev/null; wait', binary, ...args],
    {
      env: {
        PATH: process.env.PATH,
        HOME: tempDir('minio-home'),
        MINIO_ROOT_USER: accessKeyId,
        MINIO_ROOT_PASSWORD: secretAccessKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    }
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const server = { child, endpoint: `http://127.0.0.1:${port}` };
  running.add(server);
  try {
    await waitUntilLive(server.endpoint, child);
  } catch (err) {
    stop(server);
    throw new Error(`${err.message}\n${output}`);
  }
  const s3 = s3Client(server.endpoint, accessKeyId, secretAccessKey);
  return {
    endpoint: server.endpoint,
    accessKeyId,
    secretAccessKey,
    s3,
    stop: () => stop(server),
    output: () => output,
  };
}

function stop(server) {
  running.delete(server);
  // Closing the watchdog's stdin stops the server (see startMinio).
  if (server.child.stdin) server.child.stdin.end();
  else if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
}

/** Stops every MinIO and proxy started so far. */
function stopMinios() {
  for (const server of [...running]) stop(server);
}

process.on('exit', stopMinios);

/** An S3 client for `endpoint` (path-style), enough for the tests. */
function s3Client(endpoint, accessKeyId, secretAccessKey) {
  const aws = new AwsClient({ accessKeyId, secretAccessKey, service: 's3', region: 'us-east-1' });
  const url = (bucket, key = '') => `${endpoint}/${bucket}${key ? '/' + key.split('/').map(encodeURIComponent).join('/') : ''}`;
  const ok = async (res, what) => {
    if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
    return res;
  };
  return {
    async createBucket(bucket) {
      await ok(await aws.fetch(url(bucket), { method: 'PUT' }), `create bucket ${bucket}`);
    },
    /** Every key under `prefix`, with its size. */
    async list(bucket, prefix = '') {
      const found = [];
      let token = '';
      for (;;) {
        const query = new URLSearchParams({ 'list-type': '2', prefix });
        if (token) query.set('continuation-token', token);
        const res = await ok(await aws.fetch(`${url(bucket)}?${query}`), `list ${bucket}`);
        const xml = await res.text();
        for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          const key = /<Key>([\s\S]*?)<\/Key>/.exec(m[1])[1];
          const size = Number(/<Size>(\d+)<\/Size>/.exec(m[1])[1]);
          found.push({ key, size });
        }
        const next = /<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/.exec(xml);
        if (!next) return found;
        token = next[1];
      }
    },
    async get(bucket, key) {
      const res = await ok(await aws.fetch(url(bucket, key)), `get ${key}`);
      return Buffer.from(await res.arrayBuffer());
    },
    async put(bucket, key, body) {
      await ok(await aws.fetch(url(bucket, key), { method: 'PUT', body }), `put ${key}`);
    },
  };
}

/**
 * A loopback TCP proxy in front of `target` (`http://127.0.0.1:port`).
 * `cutAfter(bytes)`: once that many bytes went back to clients, every
 * connection is cut mid-stream and new ones are refused (the server is
 * gone). `stall()`: from now on, nothing comes back. Returns
 * { endpoint, bytesDown(), cutAfter(n), stall(), close() }.
 */
async function startProxy(target) {
  const targetPort = Number(new URL(target).port);
  const sockets = new Set();
  let down = 0;
  let cutAt = Infinity;
  let stalled = false;
  let cut = false;
  const cutAll = () => {
    cut = true;
    for (const s of sockets) s.destroy();
    server.close();
  };
  const server = net.createServer((client) => {
    if (cut) return client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (stalled || cut) return;
      const room = cutAt - down;
      if (d.length >= room) {
        client.write(d.subarray(0, Math.max(0, room)));
        down = cutAt;
        cutAll();
        return;
      }
      down += d.length;
      client.write(d);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = {
    child: { exitCode: null, signalCode: null, kill: () => cutAll() },
  };
  running.add(proxy);
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    bytesDown: () => down,
    cutAfter(bytes) {
      cutAt = down + bytes;
    },
    stall() {
      stalled = true;
    },
    close() {
      running.delete(proxy);
      cutAll();
    },
  };
}

module.exports = { minioBinary, startMinio, stopMinios, startProxy, MINIO_VERSION };
