'use strict';

// Plays the Vercel platform against a standalone-mode `executable`:
// listens on a unix socket (VERCEL_IPC_PATH), starts `<dir>/executable`,
// collects the NUL-terminated JSON messages it sends, and resolves once it
// reports `server-started`.
//
//   const p = await startPlatform({ dir, env });
//   p.port                         // port the executable listens on
//   p.messages                     // every message received, in order
//   await p.waitFor('end', 5000, (m) => m.payload.context.requestId === '1');
//   p.output()                     // the child's stdout+stderr so far
//   p.exited                       // Promise<{ code, signal }>
//   await p.close();
//
// When startup fails the returned promise rejects with an Error that carries
// `.messages` and `.output`.
//
// A request carries the platform's ids in x-vercel-internal-* headers
// (invocationHeaders) and the executable answers each with one `end`
// message whose context holds them (isEndFor).

const { spawn } = require('node:child_process');
const { EventEmitter } = require('node:events');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const { tempDir } = require('./fixtures');
const { freePort } = require('./http');

/** The ids the platform gives request `n`: { invocationId, requestId }. */
function invocationIds(n) {
  return { invocationId: `inv-${n}`, requestId: n };
}

/** The x-vercel-internal-* headers that carry `ids` to the executable. */
function invocationHeaders(ids) {
  return {
    'x-vercel-internal-invocation-id': ids.invocationId,
    'x-vercel-internal-request-id': String(ids.requestId),
  };
}

/** Matches the message whose context is `ids` (the `end` of that request). */
const isEndFor = (ids) => (m) => m.payload && m.payload.context &&
  m.payload.context.invocationId === ids.invocationId &&
  m.payload.context.requestId === ids.requestId;

/**
 * @param {{ dir: string, env?: Record<string,string>, startTimeoutMs?: number }} opts
 */
async function startPlatform({ dir, env = {}, startTimeoutMs = 40000 }) {
  const tmp = tempDir('ipc');
  const sock = path.join(tmp, 'ipc.sock');
  const port = await freePort();

  const messages = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const conns = new Set();

  const server = net.createServer((conn) => {
    conns.add(conn);
    let buf = Buffer.alloc(0);
    conn.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      let nul;
      while ((nul = buf.indexOf(0)) !== -1) {
        const raw = buf.subarray(0, nul).toString('utf8');
        buf = buf.subarray(nul + 1);
        let msg;
        try {
          msg = JSON.parse(raw);
        } catch (err) {
          msg = { type: 'invalid-json', payload: { raw, error: String(err) } };
        }
        messages.push(msg);
        events.emit('message', msg);
      }
    });
    conn.on('error', () => {});
    conn.on('close', () => conns.delete(conn));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(sock, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let output = '';
  // detached: the executable leads its own process group, so close() can take
  // user-server down with it even if the executable misbehaves.
  const child = spawn(path.join(dir, 'executable'), [], {
    cwd: dir,
    env: {
      ...process.env,
      ...env,
      VERCEL_IPC_PATH: sock,
      VERCEL_EXECUTABLE_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      output += `spawn error: ${err.message}\n`;
      resolve({ code: null, signal: null, error: err });
    });
  });

  /**
   * Resolves with the first message (already received or still to come) of
   * `type` that satisfies `predicate`; rejects after `timeoutMs`.
   */
  function waitFor(type, timeoutMs = 10000, predicate = () => true) {
    const match = (m) => m.type === type && predicate(m);
    const found = messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onMessage = (m) => {
        if (!match(m)) return;
        clearTimeout(timer);
        events.off('message', onMessage);
        resolve(m);
      };
      const timer = setTimeout(() => {
        events.off('message', onMessage);
        reject(new Error(
          `timed out after ${timeoutMs} ms waiting for a "${type}" message\n` +
          `messages: ${JSON.stringify(messages)}\noutput:\n${output}`,
        ));
      }, timeoutMs);
      events.on('message', onMessage);
    });
  }

  let closed = false;
  async function close() {
    if (closed) return;
    closed = true;
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      // SIGTERM to the executable only: it forwards the signal to user-server.
      try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
      const t = setTimeout(() => {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      }, 3000);
      await exited;
      clearTimeout(t);
    }
    // Anything left in the group (an orphaned user-server) goes too.
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const c of conns) c.destroy();
    await new Promise((resolve) => server.close(() => resolve()));
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  // Startup: server-started, or the child exits / times out first.
  try {
    await new Promise((resolve, reject) => {
      const fail = (why) => {
        const err = new Error(
          `executable did not start: ${why}\n` +
          `messages: ${JSON.stringify(messages)}\noutput:\n${output}`,
        );
        err.messages = messages;
        err.output = output;
        reject(err);
      };
      const timer = setTimeout(() => fail(`no server-started within ${startTimeoutMs} ms`), startTimeoutMs);
      const onMessage = (m) => {
        if (m.type !== 'server-started') return;
        clearTimeout(timer);
        events.off('message', onMessage);
        resolve(m);
      };
      events.on('message', onMessage);
      exited.then(({ code, signal }) => {
        // Let messages written just before exit drain from the socket.
        setTimeout(() => {
          if (messages.some((m) => m.type === 'server-started')) return;
          clearTimeout(timer);
          events.off('message', onMessage);
          fail(`exited (code ${code}, signal ${signal})`);
        }, 200);
      });
    });
  } catch (err) {
    await close();
    throw err;
  }

  return {
    port,
    messages,
    events,
    waitFor,
    child,
    exited,
    output: () => output,
    close,
  };
}

module.exports = { startPlatform, invocationIds, invocationHeaders, isEndFor };
