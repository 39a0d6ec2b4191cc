'use strict';

// A WebSocket (RFC 6455) client, just enough for the tests: the upgrade
// handshake, masked client frames and a reader of the server's frames.

const crypto = require('node:crypto');
const http = require('node:http');

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept a server must answer to `key`. */
function websocketAccept(key) {
  return crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
}

/**
 * Sends a WebSocket upgrade for `path` (with extra `headers`); resolves to
 * { res, socket, head, key } once the server switched protocols, rejects on
 * any other answer.
 */
function upgradeWebSocket({ port, host = '127.0.0.1', path, headers = {} }) {
  const key = crypto.randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host,
      port,
      path,
      agent: false,
      headers: {
        ...headers,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': key,
        'Sec-WebSocket-Version': '13',
      },
    });
    req.on('upgrade', (res, socket, head) => resolve({ res, socket, head, key }));
    req.on('response', (res) => reject(new Error(`expected 101 Switching Protocols, got ${res.statusCode}`)));
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('upgrade timed out')));
    req.end();
  });
}

/** A masked client frame (payloads < 64 KiB). */
function clientFrame(opcode, payload) {
  const data = Buffer.from(payload);
  const mask = crypto.randomBytes(4);
  let header;
  if (data.length < 126) header = Buffer.from([0x80 | opcode, 0x80 | data.length]);
  else if (data.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(data.length, 2);
  } else throw new Error('test frames are < 64 KiB');
  return Buffer.concat([header, mask, Buffer.from(data.map((x, i) => x ^ mask[i % 4]))]);
}

/**
 * Reads the server's frames from an upgraded socket (`head`: the bytes that
 * came with the upgrade). `next()` resolves to the next
 * { fin, opcode, masked, payload }.
 */
function frameReader(socket, head) {
  let buf = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
  const frames = [];
  const waiters = [];
  let failure;
  const parse = () => {
    for (;;) {
      if (buf.length < 2) break;
      const masked = (buf[1] & 0x80) !== 0;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) break;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) break;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (masked) off += 4;
      if (buf.length < off + len) break;
      frames.push({ fin: (buf[0] & 0x80) !== 0, opcode: buf[0] & 0x0f, masked, payload: Buffer.from(buf.subarray(off, off + len)) });
      buf = buf.subarray(off + len);
    }
    while (waiters.length && frames.length) waiters.shift().resolve(frames.shift());
  };
  socket.on('data', (d) => { buf = Buffer.concat([buf, d]); parse(); });
  const fail = (err) => {
    failure = err;
    while (waiters.length) waiters.shift().reject(err);
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('socket closed')));
  parse();
  return {
    next(timeoutMs = 10000) {
      if (frames.length) return Promise.resolve(frames.shift());
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no websocket frame within 10 s')), timeoutMs);
        waiters.push({
          resolve: (f) => { clearTimeout(timer); resolve(f); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
      });
    },
  };
}

module.exports = { WS_GUID, websocketAccept, upgradeWebSocket, clientFrame, frameReader };
