'use strict';

// A Debug Adapter Protocol client, as an editor speaks it to Delve's
// headless server over TCP: JSON messages framed by a `Content-Length: N`
// header and a blank line. Requests resolve to their response's body (a
// failed one rejects with its message); events are kept in arrival order
// for waitEvent().

const net = require('node:net');

class DapClient {
  /** Connects to 127.0.0.1:`port`. */
  static connect(port) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new DapClient(socket)));
      socket.once('error', reject);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.seq = 1;
    this.pending = new Map();
    this.events = [];
    this.listeners = new Set();
    this.closed = false;
    this.buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('close', () => {
      this.closed = true;
      for (const { reject } of this.pending.values()) reject(new Error('the debugger closed the connection'));
      this.pending.clear();
      this.notify();
    });
    socket.on('error', () => {});
  }

  receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const header = this.buffer.subarray(0, end).toString('ascii');
      const length = Number(/Content-Length:\s*(\d+)/i.exec(header)?.[1]);
      if (!Number.isInteger(length)) throw new Error(`bad DAP header: ${header}`);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString('utf8'));
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.dispatch(message);
    }
  }

  dispatch(message) {
    if (message.type === 'response') {
      const waiter = this.pending.get(message.request_seq);
      if (!waiter) return;
      this.pending.delete(message.request_seq);
      if (message.success) waiter.resolve(message.body || {});
      else waiter.reject(new Error(`${message.command}: ${message.message} ${JSON.stringify(message.body || {})}`));
    } else if (message.type === 'event') {
      this.events.push(message);
      this.notify();
    }
  }

  notify() {
    for (const listener of [...this.listeners]) listener();
  }

  /** Sends a request; resolves to the response's body. */
  request(command, args = {}, { timeout = 60000 } = {}) {
    const seq = this.seq++;
    const body = Buffer.from(JSON.stringify({ seq, type: 'request', command, arguments: args }), 'utf8');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`no response to ${command} within ${timeout} ms`));
      }, timeout);
      this.pending.set(seq, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.socket.write(`Content-Length: ${body.length}\r\n\r\n`);
      this.socket.write(body);
    });
  }

  /**
   * The first event named `event` (received before or after this call,
   * and not taken by an earlier waitEvent) for which `match(body)` holds.
   */
  waitEvent(event, match = () => true, { timeout = 60000 } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.events.findIndex((e) => e.event === event && match(e.body || {}));
        if (i >= 0) {
          const [found] = this.events.splice(i, 1);
          done();
          resolve(found.body || {});
        } else if (this.closed) {
          done();
          reject(new Error(`the connection closed before a ${event} event`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${event} event within ${timeout} ms; got ${JSON.stringify(this.events.map((e) => e.event))}`));
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves once the connection is closed (by either side). */
  whenClosed() {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', resolve));
  }

  close() {
    this.socket.destroy();
  }
}

/**
 * An editor's "attach" to a running headless Delve (VS Code's Go attach
 * configuration, `"mode": "remote"`): initialize, attach, the breakpoints
 * (`{ '/abs/file.go': [line, …] }`), configurationDone. Resolves to
 * { client, breakpoints: { file: [response breakpoint, …] } }.
 */
async function attachRemote(port, breakpoints) {
  const client = await DapClient.connect(port);
  await client.request('initialize', {
    clientID: 'go-builder-test',
    adapterID: 'go',
    pathFormat: 'path',
    linesStartAt1: true,
    columnsStartAt1: true,
  });
  await client.request('attach', { request: 'attach', mode: 'remote' });
  await client.waitEvent('initialized');
  const set = {};
  for (const [file, lines] of Object.entries(breakpoints)) {
    const body = await client.request('setBreakpoints', {
      source: { path: file },
      breakpoints: lines.map((line) => ({ line })),
    });
    set[file] = body.breakpoints;
  }
  await client.request('configurationDone');
  return { client, breakpoints: set };
}

/** The stopped goroutine's frames and its top frame's local variables: { frames, locals }. */
async function stoppedAt(client, threadId) {
  const { stackFrames } = await client.request('stackTrace', { threadId, startFrame: 0, levels: 50 });
  const { scopes } = await client.request('scopes', { frameId: stackFrames[0].id });
  const locals = scopes.find((s) => /local/i.test(s.name)) || scopes[0];
  const { variables } = await client.request('variables', { variablesReference: locals.variablesReference });
  return { frames: stackFrames, locals: Object.fromEntries(variables.map((v) => [v.name, v.value])) };
}

/**
 * Leaves as a careful editor does: its breakpoints in `files` removed
 * (Delve keeps a client's breakpoints after it leaves, and would pause the
 * program with nobody attached), then disconnected with the program left
 * running.
 */
async function detach(client, files = []) {
  try {
    for (const file of files) {
      await client.request('setBreakpoints', { source: { path: file }, breakpoints: [] });
    }
    await client.request('disconnect', { terminateDebuggee: false });
  } catch {
    // The debugger went away first (a save restarted the program).
  } finally {
    client.close();
  }
}

module.exports = { DapClient, attachRemote, stoppedAt, detach };
