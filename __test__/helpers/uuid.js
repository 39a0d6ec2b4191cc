'use strict';

// Name-based UUIDs (RFC 4122 version 3 = MD5, version 5 = SHA-1), computed
// independently of Go, to check what a handler computed with a Go module.

const crypto = require('node:crypto');

/** The RFC 4122 name-space ids. */
const UUID_NAMESPACE = {
  DNS: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
  URL: '6ba7b811-9dad-11d1-80b4-00c04fd430c8',
  OID: '6ba7b812-9dad-11d1-80b4-00c04fd430c8',
  X500: '6ba7b814-9dad-11d1-80b4-00c04fd430c8',
};

/** The name-based UUID of `name` in `namespace`; `algorithm` 'md5' (v3) or 'sha1' (v5). */
function nameUUID(algorithm, namespace, name) {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = crypto.createHash(algorithm).update(Buffer.concat([ns, Buffer.from(name)])).digest();
  const b = Buffer.from(h.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | (algorithm === 'sha1' ? 0x50 : 0x30);
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

module.exports = { UUID_NAMESPACE, nameUUID };
