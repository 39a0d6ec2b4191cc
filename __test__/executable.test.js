'use strict';

// End-to-end test of go/executable (the standalone-mode proxy): it is compiled
// with the machine's `go`, put next to a small Go `user-server`, and driven
// through __test__/helpers/ipc-platform.js, which plays the Vercel platform.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const {
  ROOT,
  tempDir,
  removeTempDirs,
  writeFiles,
  startPlatform,
  invocationIds,
  invocationHeaders,
  isEndFor,
  get,
  freePort,
  waitUntil,
  upgradeWebSocket,
  websocketAccept,
  clientFrame,
  frameReader,
} = require('./helpers');

const EXECUTABLE_SRC = path.join(ROOT, 'go', 'executable');

// The user's server: listens on $PORT and exposes what the tests need.
const USER_SERVER_SRC = String.raw`package main

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	if code := os.Getenv("USER_SERVER_EXIT_AT_START"); code != "" {
		n, _ := strconv.Atoi(code)
		fmt.Println("user-server: exiting at start")
		os.Exit(n)
	}

	// /stream sends a chunk, then waits for /stream/next before the next one,
	// so a proxy that buffers the response would never deliver chunk 1 alone.
	next := make(chan struct{})

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from user-server %s %s", r.Method, r.URL.RequestURI())
	})
	// /headers: the request headers as JSON { Name: [values] }, Host included.
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		seen := r.Header.Clone()
		seen.Set("Host", r.Host)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(seen)
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		f := w.(http.Flusher)
		for i := 1; i <= 3; i++ {
			if i > 1 {
				select {
				case <-next:
				case <-time.After(10 * time.Second):
					fmt.Fprint(w, "timeout|")
				}
			}
			fmt.Fprintf(w, "chunk-%d|", i)
			f.Flush()
		}
	})
	mux.HandleFunc("/stream/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case next <- struct{}{}:
			fmt.Fprint(w, "released")
		case <-time.After(5 * time.Second):
			http.Error(w, "nobody waiting", http.StatusConflict)
		}
	})
	mux.HandleFunc("/ws", websocketEcho)

	addr := "127.0.0.1:" + os.Getenv("PORT")
	fmt.Println("user-server: listening on", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// websocketEcho is a minimal RFC 6455 server: handshake, then echo every
// (small, unfragmented) data frame until a close frame.
func websocketEcho(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "websocket" {
		http.Error(w, "expected a websocket upgrade", http.StatusBadRequest)
		return
	}
	sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	conn, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		base64.StdEncoding.EncodeToString(sum[:]))
	rw.Flush()
	for {
		op, payload, err := readFrame(rw.Reader)
		if err != nil {
			return
		}
		writeFrame(rw.Writer, op, payload)
		rw.Flush()
		if op == 8 {
			return
		}
	}
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	op := h[0] & 0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	var mask [4]byte
	masked := h[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return 0, nil, err
		}
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	if masked {
		for i := range payload {
			payload[i] ^= mask[i%4]
		}
	}
	return op, payload, nil
}

func writeFrame(w io.Writer, op byte, payload []byte) {
	hdr := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, byte(n))
	case n < 1<<16:
		hdr = append(hdr, 126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	w.Write(hdr)
	w.Write(payload)
}
`;

function goBuild(srcDir, out) {
  execFileSync('go', ['build', '-o', out, '.'], {
    cwd: srcDir,
    env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The headers carrying the platform's ids for request `n`. */
const ids = (n) => invocationHeaders(invocationIds(n));

/** Matches the `end` message of request `n`. */
const endFor = (n) => isEndFor(invocationIds(n));

describe('go/executable (standalone-mode proxy)', () => {
  let work;
  let binDir;

  before(() => {
    work = tempDir('executable');
    binDir = path.join(work, 'bin');
    fs.mkdirSync(binDir);

    // Built exactly as the builder does: a throw-away module around main.go.
    const exeMod = path.join(work, 'executable-src');
    const sources = fs.readdirSync(EXECUTABLE_SRC).filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'));
    writeFiles(exeMod, {
      ...Object.fromEntries(sources.map((f) => [f, fs.readFileSync(path.join(EXECUTABLE_SRC, f))])),
      'go.mod': 'module vc-executable\n\ngo 1.22\n',
    });
    goBuild(exeMod, path.join(binDir, 'executable'));

    const userMod = path.join(work, 'user-src');
    writeFiles(userMod, { 'main.go': USER_SERVER_SRC, 'go.mod': 'module userserver\n\ngo 1.22\n' });
    goBuild(userMod, path.join(binDir, 'user-server'));
  });

  after(removeTempDirs);

  describe('with a running platform', () => {
    let p;

    before(async () => {
      p = await startPlatform({ dir: binDir });
    });

    after(async () => {
      if (p) await p.close();
    });

    it('sends server-started with initDuration and the port it listens on', () => {
      const started = p.messages.find((m) => m.type === 'server-started');
      assert.ok(started, 'server-started received');
      assert.equal(p.messages[0].type, 'server-started', 'server-started is the first message');
      assert.ok(Number.isInteger(started.payload.initDuration), 'initDuration is an integer');
      assert.ok(started.payload.initDuration >= 0 && started.payload.initDuration < 30000);
      assert.equal(started.payload.httpPort, p.port);
    });

    it('passes the user server output through', () => {
      assert.match(p.output(), /user-server: listening on 127\.0\.0\.1:\d+/);
    });

    it('proxies GET / and sends an end message afterwards', async () => {
      const res = await get(p.port, '/?a=1', ids(1));
      assert.equal(res.status, 200);
      assert.equal(res.body, 'hello from user-server GET /?a=1');
      const end = await p.waitFor('end', 5000, endFor(1));
      assert.deepEqual(end.payload, { context: { invocationId: 'inv-1', requestId: 1 } });
    });

    it('passes the query through byte for byte', async () => {
      const query = 'z=1&a=two%20words&plus=a+b&semi=x;y&raw=%41';
      const res = await get(p.port, `/q?${query}`, ids(9));
      assert.equal(res.body, `hello from user-server GET /q?${query}`);
    });

    it('strips x-vercel-internal-* headers and keeps the others', async () => {
      const res = await get(p.port, '/headers', {
        ...ids(2),
        'x-vercel-internal-foo': 'secret',
        'X-Vercel-Internal-Span-Id': 'span',
        'x-vercel-id': 'keep-me',
        'x-forwarded-for': '203.0.113.7',
        'x-forwarded-proto': 'https',
        host: 'example.vercel.app',
      });
      assert.equal(res.status, 200);
      const seen = JSON.parse(res.body);
      const names = Object.keys(seen).map((k) => k.toLowerCase());
      assert.deepEqual(names.filter((n) => n.startsWith('x-vercel-internal-')), [],
        `internal headers leaked: ${res.body}`);
      assert.deepEqual(seen['X-Vercel-Id'], ['keep-me']);
      assert.deepEqual(seen['X-Forwarded-For'], ['203.0.113.7'], 'the platform\'s X-Forwarded-For is passed unchanged');
      assert.deepEqual(seen['X-Forwarded-Proto'], ['https']);
      assert.deepEqual(seen.Host, ['example.vercel.app'], 'the public Host is kept');
      await p.waitFor('end', 5000, endFor(2));
    });

    it('answers /_vercel/ping itself, without an end message', async () => {
      const res = await get(p.port, '/_vercel/ping', ids(90));
      assert.equal(res.status, 200);
      assert.equal(res.body, 'OK');
      // End messages are sent in completion order: once the next request's
      // end has arrived, a ping end would have too.
      await get(p.port, '/', ids(91));
      await p.waitFor('end', 5000, endFor(91));
      assert.equal(p.messages.filter(endFor(90)).length, 0, 'no end message for the ping');
    });

    it('streams chunks as the user server flushes them', async () => {
      const received = [];
      await new Promise((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: p.port, path: '/stream', headers: ids(3), agent: false },
          (res) => {
            assert.equal(res.statusCode, 200);
            res.setEncoding('utf8');
            let pending = '';
            res.on('data', (d) => {
              pending += d;
              const parts = pending.split('|');
              pending = parts.pop();
              for (const part of parts) {
                received.push(part);
                // Only ask for the next chunk once this one has arrived
                // on its own, i.e. before the response ended.
                if (part !== 'chunk-3') {
                  get(p.port, '/stream/next', ids(`next-${part}`)).catch(reject);
                }
              }
            });
            res.on('end', resolve);
            res.on('error', reject);
          },
        );
        req.setTimeout(30000, () => req.destroy(new Error('stream timed out')));
        req.on('error', reject);
        req.end();
      });
      assert.deepEqual(received, ['chunk-1', 'chunk-2', 'chunk-3']);
      await p.waitFor('end', 5000, endFor(3));
    });

    it('passes a WebSocket upgrade through and echoes frames', async () => {
      const { res, socket, head, key } = await upgradeWebSocket({ port: p.port, path: '/ws', headers: ids(4) });
      try {
        assert.equal(res.statusCode, 101);
        assert.equal(res.headers.upgrade.toLowerCase(), 'websocket');
        assert.equal(res.headers['sec-websocket-accept'], websocketAccept(key));

        const frames = frameReader(socket, head);
        socket.write(clientFrame(0x1, 'hello through the proxy'));
        const frame = await frames.next();
        assert.equal(frame.opcode, 0x1);
        assert.equal(frame.payload.toString('utf8'), 'hello through the proxy');

        socket.write(clientFrame(0x8, Buffer.from([0x03, 0xe8])));
        const closeFrame = await frames.next();
        assert.equal(closeFrame.opcode, 0x8);
      } finally {
        socket.destroy();
      }
      // The request is over once the upgraded connection closes.
      await p.waitFor('end', 10000, endFor(4));
    });

    it('sends every message as valid JSON', () => {
      assert.deepEqual(p.messages.filter((m) => m.type === 'invalid-json'), []);
      assert.deepEqual(p.messages.filter((m) => m.type === 'unrecoverable-error'), []);
    });
  });

  describe('as a service mounted at a route prefix', () => {
    let p;
    let stripOff;

    before(async () => {
      const prefixEnv = { VERCEL_SERVICE_ROUTE_PREFIX: 'api/', VERCEL_SERVICE_ROUTE_PREFIX_STRIP: ' True ' };
      p = await startPlatform({ dir: binDir, env: prefixEnv });
      stripOff = await startPlatform({
        dir: binDir,
        env: { ...prefixEnv, VERCEL_SERVICE_ROUTE_PREFIX_STRIP: 'yes' },
      });
    });

    after(async () => {
      if (p) await p.close();
      if (stripOff) await stripOff.close();
    });

    const cases = [
      ['/api/users?x=1&y=two', '/users?x=1&y=two'],
      ['/api', '/'],
      ['/api/', '/'],
      ['/apix/y', '/apix/y'],
      ['/other', '/other'],
      ['/api/a%2Fb', '/a/b'],
    ];
    for (const [sent, seen] of cases) {
      it(`${sent} reaches the server as ${seen}`, async () => {
        const res = await get(p.port, sent, ids(100));
        assert.equal(res.status, 200);
        assert.equal(res.body, `hello from user-server GET ${seen}`);
      });
    }

    it('keeps the path when the strip switch is not 1 or true', async () => {
      const res = await get(stripOff.port, '/api/users?x=1', ids(101));
      assert.equal(res.body, 'hello from user-server GET /api/users?x=1');
    });

    it('answers /_vercel/ping before the prefix and forwards /api/_vercel/ping stripped', async () => {
      const ping = await get(p.port, '/_vercel/ping');
      assert.equal(ping.status, 200);
      assert.equal(ping.body, 'OK');
      const inner = await get(p.port, '/api/_vercel/ping', ids(102));
      assert.equal(inner.status, 200);
      assert.equal(inner.body, 'hello from user-server GET /_vercel/ping', 'the server\'s own path');
    });

    it('sets Host from X-Forwarded-Host', async () => {
      const res = await get(p.port, '/api/headers', {
        ...ids(103),
        host: 'internal.example',
        'x-forwarded-host': 'public.example.com',
      });
      const seen = JSON.parse(res.body);
      assert.deepEqual(seen.Host, ['public.example.com']);
    });
  });

  it('reports unrecoverable-error and exits when user-server is killed', async () => {
    const p = await startPlatform({ dir: binDir });
    try {
      const pids = execFileSync('pgrep', ['-P', String(p.child.pid), '-x', 'user-server'])
        .toString().trim().split(/\s+/).filter(Boolean).map(Number);
      assert.equal(pids.length, 1, `one user-server child, got ${pids}`);
      process.kill(pids[0], 'SIGKILL');

      const err = await p.waitFor('unrecoverable-error', 10000);
      assert.match(err.payload.message, /^user server exited: signal: killed$/);
      const { code } = await p.exited;
      assert.notEqual(code, 0, 'executable exits non-zero');
    } finally {
      await p.close();
    }
  });

  it('on SIGTERM stops user-server and exits 0 without an error', async () => {
    const p = await startPlatform({ dir: binDir });
    try {
      const pid = Number(execFileSync('pgrep', ['-P', String(p.child.pid), '-x', 'user-server']).toString().trim());
      assert.ok(pid > 0);
      p.child.kill('SIGTERM');
      const { code, signal } = await p.exited;
      assert.equal(signal, null);
      assert.equal(code, 0);
      assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'user-server is gone');
      assert.deepEqual(p.messages.filter((m) => m.type === 'unrecoverable-error'), []);
    } finally {
      await p.close();
    }
  });

  it('reports unrecoverable-error when user-server exits before accepting', async () => {
    await assert.rejects(
      startPlatform({ dir: binDir, env: { USER_SERVER_EXIT_AT_START: '3' } }),
      (err) => {
        const ue = err.messages.find((m) => m.type === 'unrecoverable-error');
        assert.ok(ue, `unrecoverable-error expected, got ${JSON.stringify(err.messages)}`);
        assert.match(ue.payload.message, /exited before accepting/);
        assert.equal(err.messages.some((m) => m.type === 'server-started'), false);
        assert.match(err.output, /user-server: exiting at start/);
        return true;
      },
    );
  });

  it('serves without VERCEL_IPC_PATH', async () => {
    const port = await freePort();
    const env = { ...process.env, VERCEL_EXECUTABLE_PORT: String(port) };
    delete env.VERCEL_IPC_PATH;
    const { spawn } = require('node:child_process');
    const child = spawn(path.join(binDir, 'executable'), [], {
      cwd: binDir, env, stdio: 'ignore', detached: true,
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const res = await waitUntil(() => get(port, '/local').catch(() => null), {
        timeout: 30000,
        interval: 50,
        describe: () => `for the executable to answer on port ${port}`,
      });
      assert.equal(res.status, 200);
      assert.equal(res.body, 'hello from user-server GET /local');
    } finally {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000);
      await exited;
      clearTimeout(t);
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  });
});
